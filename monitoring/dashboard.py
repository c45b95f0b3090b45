"""The dashboard's tables for one organisation, each a ReportTable computed by aggregate queries over the records.

The number of queries depends on the number of rounds shown, never on the number of assessments.
"""

import hashlib
from collections import Counter

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.formats import date_format

from ozg.choices import EfaKind
from ozg.models import EfaOffer, OzgLeistung

from .choices import REPORTED_STATUSES, PlanState, ProjectState, Status
from .links import my_services_url
from .models import Assessment, Department, ITProject, Organisation, SurveyRound
from .planning import NO_EVIDENCE, contradiction, evidence, municipal_condition, with_own_plan
from .report_tables import DELTA, PERCENT, POINTS, TEXT, Cell, Method, ReportTable, Row
from .reports import ozg_figures
from .yoy import EFFECT_LABELS, Comparison, compare, consecutive

ALL_SERVICES = "Alle Dienstleistungen"
ONE_ROW_PER_SERVICE = "eine LeiKa-Leistung im Umfang der Organisation je Erhebungsrunde"


def rounds_of(organisation: Organisation):
    return (
        SurveyRound.objects.filter(organisation=organisation)
        .select_related("catalogue_version", "maturity_scale")
        .order_by("year")
    )


def status_label(value: str) -> str:
    return Status(value).label


def share(part: int, base: int) -> float | None:
    return round(100 * part / base, 1) if base else None


def cutoff(round_obj: SurveyRound) -> str:
    if round_obj.is_closed:
        deadline = f", Meldefrist {date_format(round_obj.deadline, 'd.m.Y')}" if round_obj.deadline else ""
        return f"{round_obj.year}: Runde abgeschlossen{deadline}"
    return f"{round_obj.year}: Stand {date_format(timezone.localdate(), 'd.m.Y')}, Runde offen (vorläufige Zahlen)"


def method_for(organisation, rounds, counting_unit=ONE_ROW_PER_SERVICE, scope="", remarks=()) -> Method:
    return Method(
        counting_unit=counting_unit,
        scope=scope or f"{organisation.name}, alle Organisationseinheiten",
        catalogue="; ".join(f"{r.year}: {r.catalogue_version}" for r in rounds),
        scale="; ".join(sorted({str(r.maturity_scale) for r in rounds})),
        cutoff="; ".join(cutoff(r) for r in rounds),
        remarks=list(remarks),
    )


def statuses_present(*counters: Counter) -> list[str]:
    """The committee's five clusters, plus 'nicht gemeldet' only where it occurs."""
    statuses = [s.value for s in REPORTED_STATUSES]
    if any(c.get(Status.NICHT_GEMELDET.value) for c in counters):
        statuses.append(Status.NICHT_GEMELDET.value)
    return statuses


# --- closed rounds never change: their figures are kept ---------------------------------------------------------

KEEP_SECONDS = 24 * 3600


def fingerprints(rounds) -> dict[int, str]:
    """Per closed round, what would change if its rows changed (every write raises a row's version); one query.

    A closed round cannot be written to; if it is reopened, edited and closed again, the fingerprint differs.
    """
    closed = [r.pk for r in rounds if r is not None and r.is_closed]
    if not closed:
        return {}
    rows = (
        Assessment.objects.filter(round__in=closed)
        .values("round_id")
        .annotate(n=Count("pk"), versions=Sum("version"), last=Max("updated_at"))
        .order_by()
    )
    prints = {pk: "0" for pk in closed}
    for row in rows:
        prints[row["round_id"]] = f"{row['n']}.{row['versions']}.{row['last'].isoformat() if row['last'] else ''}"
    return prints


def kept_key(name: str, rounds, prints: dict[int, str]) -> str | None:
    """The cache key of a figure over `rounds`, or None if one of them is open (then it is always computed)."""
    if not rounds or any(r is None or r.pk not in prints for r in rounds):
        return None
    parts = "|".join(f"{r.pk}:{prints[r.pk]}" for r in rounds)
    return f"dashboard:{name}:{hashlib.sha256(parts.encode()).hexdigest()}"


def kept(name: str, rounds, prints: dict[int, str], compute):
    """compute() once per set of closed rounds and their fingerprints."""
    key = kept_key(name, rounds, prints)
    value = cache.get(key) if key else None
    if value is None:
        value = compute()
        if key:
            cache.set(key, value, KEEP_SECONDS)
    return value


# --- year over year -----------------------------------------------------------------------------------------------


def status_counts(rounds, prints=None) -> dict[int, Counter]:
    """{round id: Counter(status -> rows)}: closed rounds from what is kept, the others in one query."""
    keys = {r.pk: kept_key("status", [r], prints or {}) for r in rounds}
    counts = cache.get_many([k for k in keys.values() if k])
    found = {pk: counts[k] for pk, k in keys.items() if k in counts}
    fresh = _status_counts([r for r in rounds if r.pk not in found])
    cache.set_many({keys[pk]: c for pk, c in fresh.items() if keys[pk]}, KEEP_SECONDS)
    return {r.pk: found.get(r.pk, fresh.get(r.pk)) for r in rounds}


def _status_counts(rounds) -> dict[int, Counter]:
    if not rounds:
        return {}
    counts = {r.pk: Counter() for r in rounds}
    rows = Assessment.objects.filter(round__in=rounds).values("round_id", "status").annotate(n=Count("pk")).order_by()
    for row in rows:
        counts[row["round_id"]][row["status"]] = row["n"]
    return counts


def as_reported(organisation, rounds, counts) -> ReportTable:
    statuses = statuses_present(*counts.values())
    rows = [Row(status_label(s), [Cell(counts[r.pk][s]) for r in rounds]) for s in statuses]
    rows.append(Row(ALL_SERVICES, [Cell(sum(counts[r.pk].values())) for r in rounds], is_total=True))
    return ReportTable(
        slug="status",
        title="Umsetzungsstatus wie gemeldet",
        header=["Umsetzungsstatus", *[str(r.year) for r in rounds]],
        rows=rows,
        method=method_for(
            organisation,
            rounds,
            remarks=[
                "Jede Runde zählt die Leistungen ihrer eigenen Katalogversion; Jahre sind daher nur "
                "eingeschränkt vergleichbar (siehe Vergleich auf gleicher Basis und Überleitung)."
            ],
        ),
    )


def like_for_like(organisation, comparison: Comparison) -> ReportTable:
    a, b = comparison.earlier, comparison.later
    before, after = comparison.like_for_like_earlier, comparison.like_for_like_later
    statuses = statuses_present(before, after)
    rows = [
        Row(status_label(s), [Cell(before[s]), Cell(after[s]), Cell(after[s] - before[s], DELTA)]) for s in statuses
    ]
    total = comparison.followed
    rows.append(Row(ALL_SERVICES, [Cell(total), Cell(total), Cell(0, DELTA)], is_total=True))
    return ReportTable(
        slug=f"gleiche-basis-{a.year}-{b.year}",
        title=f"Vergleich auf gleicher Basis {a.year} → {b.year}",
        header=["Umsetzungsstatus", str(a.year), str(b.year), "Veränderung"],
        rows=rows,
        method=method_for(
            organisation,
            [a, b],
            counting_unit="eine LeiKa-Leistung, die in beiden Runden unter demselben Schlüssel erhoben wurde",
            remarks=[
                f"{total} von {sum(comparison.end.values())} Leistungen {b.year} lassen sich über den "
                f"Katalogabgleich eins zu eins auf {a.year} zurückführen (unverändert oder nur umbenannt); "
                "aufgeteilte, zusammengelegte, neue und entfallene Leistungen zählen hier nicht."
            ],
        ),
    )


def bridge(organisation, comparison: Comparison) -> ReportTable:
    a, b = comparison.earlier, comparison.later
    statuses = statuses_present(comparison.start, comparison.end)

    def line(label, delta: Counter, kind=DELTA, is_total=False):
        cells = [Cell(delta.get(s, 0), kind) for s in statuses]
        return Row(label, [*cells, Cell(sum(delta.values()), kind)], is_total=is_total)

    rows = [line(f"Stand {a.year} (wie gemeldet)", comparison.start, kind="integer", is_total=True)]
    for kind, delta in comparison.effects_by_kind():
        rows.append(line(f"Katalog: {EFFECT_LABELS[kind]}", delta))
    for before, after, n in comparison.transitions:
        rows.append(
            line(f"Statuswechsel: {status_label(before)} → {status_label(after)}", Counter({before: -n, after: n}))
        )
    rows.append(line(f"Stand {b.year} (wie gemeldet)", comparison.end, kind="integer", is_total=True))
    return ReportTable(
        slug=f"ueberleitung-{a.year}-{b.year}",
        title=f"Überleitung {a.year} → {b.year}: Katalogeffekte und echte Statuswechsel",
        header=["Schritt", *[status_label(s) for s in statuses], "Summe"],
        rows=rows,
        method=method_for(
            organisation,
            [a, b],
            remarks=[
                "Katalogeffekte: Zeilen, die der Katalogabgleich nicht eins zu eins verfolgen kann, mit ihrem "
                "Status im jeweiligen Jahr. Statuswechsel: nur Leistungen, die in beiden Runden unter demselben "
                "Schlüssel erhoben wurden. Stand des Vorjahres plus alle Schritte ergibt den Stand des Folgejahres."
            ],
        ),
    )


def effects_by_family(organisation, comparison: Comparison) -> ReportTable:
    a, b = comparison.earlier, comparison.later
    statuses = statuses_present(comparison.start, comparison.end)
    rows = [
        Row(
            e.family_name,
            [
                Cell(e.label, TEXT),
                Cell(e.family, TEXT),
                *[Cell(e.delta.get(s, 0), DELTA) for s in statuses],
                Cell(e.total, DELTA),
            ],
        )
        for e in comparison.effects
    ]
    return ReportTable(
        slug=f"katalogeffekte-{a.year}-{b.year}",
        title=f"Katalogeffekte {a.year} → {b.year} nach Leistungsfamilie",
        header=["Leistungsfamilie", "Katalogeffekt", "Leistungsobjekt", *[status_label(s) for s in statuses], "Summe"],
        rows=rows,
        method=method_for(
            organisation,
            [a, b],
            counting_unit="Zeilen, die hinzukommen (+) oder wegfallen (−), je Leistungsobjekt (Schlüssel-Stellen 1–8)",
        ),
    )


def points(now: Counter, before: Counter | None, status=Status.DIGITAL.value) -> float | None:
    """Change of the share of `status` in percentage points, from the exact shares (not the rounded ones)."""
    if not before or not sum(before.values()) or not sum(now.values()):
        return None
    return round(100 * (now[status] / sum(now.values()) - before[status] / sum(before.values())), 1)


# --- departments --------------------------------------------------------------------------------------------------


def list_link(round_obj, department_id=None, status=None) -> str:
    return my_services_url(runde=round_obj.pk, einheit=department_id, status=status)


def departments(organisation, round_obj, previous, counts_by_round=None) -> ReportTable:
    rounds = [r for r in (previous, round_obj) if r is not None]
    per = {r.pk: {} for r in rounds}
    rows = (
        Assessment.objects.filter(round__in=rounds)
        .values("round_id", "department_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        per[row["round_id"]].setdefault(row["department_id"], Counter())[row["status"]] = row["n"]
    current = per[round_obj.pk]
    statuses = statuses_present(*current.values())
    names = {d.pk: d for d in Department.objects.filter(pk__in=current.keys())}
    digital = Status.DIGITAL.value
    table_rows = []
    for dept in sorted(names.values(), key=lambda d: d.code):
        counts = current[dept.pk]
        total = sum(counts.values())
        cells = [Cell(counts[s], link=list_link(round_obj, dept.pk, s)) for s in statuses]
        cells.append(Cell(total, link=list_link(round_obj, dept.pk)))
        cells.append(Cell(share(counts[digital], total), PERCENT))
        old = per[previous.pk].get(dept.pk) if previous is not None else None
        cells.append(Cell(points(counts, old), POINTS))
        table_rows.append(Row(f"{dept.code} {dept.name}", cells))
    all_counts = sum(current.values(), Counter())
    total = sum(all_counts.values())
    cells = [Cell(all_counts[s], link=list_link(round_obj, status=s)) for s in statuses]
    cells += [Cell(total, link=list_link(round_obj)), Cell(share(all_counts[digital], total), PERCENT)]
    old = sum(per[previous.pk].values(), Counter()) if previous is not None else None
    cells.append(Cell(points(all_counts, old), POINTS))
    table_rows.append(Row("Alle Organisationseinheiten", cells, is_total=True))
    last = f"Veränderung zu {previous.year} (Prozentpunkte)" if previous else "Veränderung zur Vorrunde"
    return ReportTable(
        slug=f"einheiten-{round_obj.year}",
        title=f"Organisationseinheiten nach Umsetzungsstatus {round_obj.year}",
        header=["Organisationseinheit", *[status_label(s) for s in statuses], "Summe", "Anteil digital", last],
        rows=table_rows,
        method=method_for(
            organisation,
            rounds,
            remarks=["Anteil digital: Leistungen mit Status „Digital“ an allen Leistungen der Einheit."],
        ),
    )


# --- OZG ----------------------------------------------------------------------------------------------------------


def ozg_tables(organisation, round_obj) -> list[ReportTable]:
    municipal = municipal_condition(organisation)
    plan_states = (PlanState.UMGESETZT, PlanState.KURZFRISTIG, PlanState.LANGFRISTIG)
    annotated = with_own_plan(OzgLeistung.objects.current(), organisation)
    # The same aggregate as the overview's OZG table: one computation for both pages.
    figures = ozg_figures(organisation)
    base = figures.municipal
    rounds = [round_obj] if round_obj else []
    plan_method = method_for(
        organisation,
        rounds,
        counting_unit="eine OZG-Leistung (OZG-ID); Quoten bezogen auf die kommunalen OZG-Leistungen",
        scope=f"{organisation.name}: eigener Planungsstand der OZG-Leistungen",
    )
    quotas = ReportTable(
        slug="ozg-quoten",
        title="OZG-Leistungen: Planungsstand und Quoten",
        header=["Kennzahl", "Anzahl", "Quote"],
        rows=[
            Row("OZG-Leistungen insgesamt", [Cell(figures.total), Cell(None, PERCENT)]),
            Row("davon kommunal", [Cell(base), Cell(None, PERCENT)], is_total=True),
            *[
                Row(quota.label, [Cell(quota.count), Cell(quota.percent, PERCENT)])
                for quota in (*figures.quotas, *figures.cumulative[1:])
            ],
        ],
        method=plan_method,
    )
    per_field = (
        annotated.filter(municipal)
        .values("themenfeld__name")
        .annotate(n=Count("pk"), **{s.value: Count("pk", filter=Q(own_plan__state=s)) for s in plan_states})
        .order_by("themenfeld__name")
    )
    themenfelder = ReportTable(
        slug="ozg-themenfelder",
        title="Kommunale OZG-Leistungen je Themenfeld",
        header=[
            "Themenfeld",
            "kommunal",
            "umgesetzt",
            "kurzfristig geplant",
            "langfristig geplant",
            "Quote umgesetzt",
            "Quote umgesetzt oder kurzfristig geplant",
        ],
        rows=[
            Row(
                row["themenfeld__name"],
                [
                    Cell(row["n"]),
                    *[Cell(row[s.value]) for s in plan_states],
                    Cell(share(row[PlanState.UMGESETZT], row["n"]), PERCENT),
                    Cell(share(row[PlanState.UMGESETZT] + row[PlanState.KURZFRISTIG], row["n"]), PERCENT),
                ],
            )
            for row in per_field
        ],
        method=plan_method,
    )
    tables = [quotas, themenfelder, plan_maturity_distribution(organisation, annotated, done=figures.quotas[0].count)]
    if round_obj is not None:
        tables += federal_rule_tables(organisation, round_obj, annotated, base, done=figures.quotas[0].count)
        tables.append(maturity_distribution(organisation, round_obj))
    return tables


def federal_rule_tables(organisation, round_obj, annotated, base, done) -> list[ReportTable]:
    """The federal counting rule over the round's assessments beside the organisation's own plan state.

    `done` is the number of municipal OZG-Leistungen the organisation's plan lists as umgesetzt.
    """
    per_ozg = evidence(round_obj)
    municipal = annotated.filter(municipal_condition(organisation))
    online = compliant = unrated = 0
    findings = []
    for pk, ozg_id, name, state in municipal.values_list("pk", "ozg_id", "name", "own_plan__state").order_by("ozg_id"):
        found = per_ozg.get(pk, NO_EVIDENCE)
        unrated += not found.rated
        online += found.online
        compliant += found.compliant
        finding = contradiction(state, found)
        if finding:
            findings.append(
                Row(
                    str(ozg_id),
                    [
                        Cell(name, TEXT),
                        Cell(PlanState(state).label if state else "keine Planung", TEXT),
                        Cell(found.best),
                        Cell(finding, TEXT),
                    ],
                )
            )
    scale = round_obj.maturity_scale
    remarks = [
        "Zählregel des Bundes: eine OZG-Leistung gilt als online, sobald eine ihrer LeiKa-Leistungen Stufe 2 "
        "erreicht, als konform ab Stufe 3 (höchste Stufe der zugeordneten Leistungen dieser Runde)."
    ]
    if scale.code != "ozg-1-1":
        remarks.append(
            f"Die Regel ist für das OZG-Reifegradmodell 1.1 definiert; hier gelten die Stufen von „{scale}“."
        )
    method = method_for(
        organisation,
        [round_obj],
        counting_unit="eine kommunale OZG-Leistung (OZG-ID)",
        remarks=remarks,
    )
    rule = ReportTable(
        slug=f"ozg-zaehlregel-{round_obj.year}",
        title=f"Eigener Planungsstand und Zählregel des Bundes {round_obj.year}",
        header=["Kennzahl", "Anzahl", "Quote"],
        rows=[
            Row("kommunale OZG-Leistungen", [Cell(base), Cell(None, PERCENT)], is_total=True),
            Row("umgesetzt laut eigenem Planungsstand", [Cell(done), Cell(share(done, base), PERCENT)]),
            Row("online nach Zählregel (mind. Stufe 2)", [Cell(online), Cell(share(online, base), PERCENT)]),
            Row("konform nach Zählregel (mind. Stufe 3)", [Cell(compliant), Cell(share(compliant, base), PERCENT)]),
            Row("ohne bewertete LeiKa-Leistung in der Runde", [Cell(unrated), Cell(share(unrated, base), PERCENT)]),
            Row(
                "Widersprüche (Plausibilitätsbefunde)", [Cell(len(findings)), Cell(share(len(findings), base), PERCENT)]
            ),
        ],
        method=method,
    )
    plausibility = ReportTable(
        slug=f"ozg-befunde-{round_obj.year}",
        title=f"Plausibilitätsbefunde {round_obj.year}: Planungsstand und Zählregel widersprechen sich",
        header=["OZG-ID", "Bezeichnung", "Planungsstand", "höchste Stufe", "Befund"],
        rows=findings,
        method=method,
    )
    return [rule, plausibility]


def plan_maturity_distribution(organisation, annotated, done) -> ReportTable:
    """The maturity levels of the municipal OZG-Leistungen the plans list as umgesetzt, on the organisation's own scale
    (the plans' levels; a plan's level must be on that scale). `done` is their number, from the quotas."""
    scale = organisation.maturity_scale
    counts = Counter()
    for scale_id, value, n in (
        annotated.filter(municipal_condition(organisation), own_plan__state=PlanState.UMGESETZT)
        .values_list("own_plan__maturity_level__scale_id", "own_plan__maturity_level__value")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        # A level left from a scale the organisation used before is not one of its own levels.
        counts[value if scale is None or scale_id in (None, scale.pk) else "other"] += n

    def row(label, n, is_total=False):
        return Row(label, [Cell(n), Cell(share(n, done), PERCENT)], is_total=is_total)

    if scale is not None:
        rows = [row(f"{level.value} – {level.label}", counts[level.value]) for level in scale.levels.all()]
    else:
        rows = [row(f"Stufe {value}", n) for value, n in sorted((v, n) for v, n in counts.items() if v is not None)]
    if counts["other"]:
        rows.append(row("Stufe einer anderen Skala", counts["other"]))
    rows.append(row("ohne Reifegrad", counts[None]))
    rows.append(row("umgesetzt (kommunal)", done, is_total=True))
    return ReportTable(
        slug="reifegrade-ozg",
        title=f"Reifegrade der umgesetzten OZG-Leistungen ({scale or 'keine Skala hinterlegt'})",
        header=["Reifegrad", "OZG-Leistungen", "Anteil"],
        rows=rows,
        method=Method(
            counting_unit="eine kommunale OZG-Leistung, die der eigene Planungsstand als umgesetzt führt",
            scope=f"{organisation.name}: eigener Planungsstand der OZG-Leistungen",
            catalogue="OZG-Katalog, laufender Stand (ohne zurückgezogene OZG-Leistungen)",
            scale=str(scale or "keine Skala hinterlegt"),
            cutoff=f"Stand {date_format(timezone.localdate(), 'd.m.Y')}",
            remarks=["Reifegrad laut eigener Planung, auf der Skala der Organisation; nicht der Zählregel des Bundes."],
        ),
    )


def maturity_distribution(organisation, round_obj) -> ReportTable:
    counts = dict(
        Assessment.objects.filter(round=round_obj)
        .values_list("maturity_level__value")
        .annotate(n=Count("pk"))
        .order_by()
    )
    total = sum(counts.values())
    rows = [
        Row(
            f"{level.value} – {level.label}",
            [Cell(counts.get(level.value, 0)), Cell(share(counts.get(level.value, 0), total), PERCENT)],
        )
        for level in round_obj.maturity_scale.levels.all()
    ]
    rows.append(Row("ohne Reifegrad", [Cell(counts.get(None, 0)), Cell(share(counts.get(None, 0), total), PERCENT)]))
    rows.append(Row(ALL_SERVICES, [Cell(total), Cell(share(total, total), PERCENT)], is_total=True))
    return ReportTable(
        slug=f"reifegrade-{round_obj.year}",
        title=f"Verteilung der Reifegrade der LeiKa-Leistungen {round_obj.year} ({round_obj.maturity_scale})",
        header=["Reifegrad", "Leistungen", "Anteil"],
        rows=rows,
        method=method_for(organisation, [round_obj]),
    )


# --- EfA and projects ---------------------------------------------------------------------------------------------


def efa_table(organisation, round_obj) -> ReportTable:
    day = round_obj.deadline or timezone.localdate()
    offers = EfaOffer.objects.filter(Q(available_from__isnull=True) | Q(available_from__lte=day))
    available = offers.count()
    in_round = Assessment.objects.filter(round=round_obj)
    reused = in_round.filter(efa_offer__isnull=False).values("efa_offer").distinct().count()
    by_kind = dict(in_round.exclude(efa_kind="").values_list("efa_kind").annotate(n=Count("pk")).order_by())
    planned_kinds = [EfaKind.NACHNUTZUNG_IN_KLAERUNG, EfaKind.NACHNUTZUNG_VEREINBART]
    planned = in_round.filter(efa_kind__in=planned_kinds).exclude(status=Status.DIGITAL).count()
    rows = [
        Row("EfA-Angebote verfügbar (zum Stichtag)", [Cell(available)]),
        Row("davon von der Organisation nachgenutzt (mind. eine Leistung)", [Cell(reused)]),
        Row("Leistungen mit geplanter Nachnutzung (noch nicht digital)", [Cell(planned)]),
    ]
    rows += [Row(f"Leistungen: {kind.label}", [Cell(by_kind.get(kind.value, 0))]) for kind in EfaKind]
    return ReportTable(
        slug=f"efa-{round_obj.year}",
        title=f"Einer für Alle (EfA) {round_obj.year}",
        header=["Kennzahl", "Anzahl"],
        rows=rows,
        method=method_for(
            organisation,
            [round_obj],
            counting_unit="EfA-Angebote (Zeilen 1–2) bzw. LeiKa-Leistungen der Runde (übrige Zeilen)",
        ),
    )


def project_tables(organisation, round_obj) -> list[ReportTable]:
    projects = ITProject.objects.filter(organisation=organisation, year=round_obj.year).select_related("department")
    moved = dict(
        Assessment.objects.filter(round=round_obj, it_project__isnull=False)
        .values_list("it_project")
        .annotate(n=Count("pk"))
        .order_by()
    )
    projects = list(projects.order_by("state", "title"))
    per_state = Counter(p.state for p in projects)
    services_per_state = Counter()
    for p in projects:
        services_per_state[p.state] += moved.get(p.pk, 0)
    method = method_for(
        organisation,
        [round_obj],
        counting_unit="IT-Projekte des Jahres und die LeiKa-Leistungen, denen sie in der Runde zugeordnet sind",
    )
    by_state = ReportTable(
        slug=f"projekte-{round_obj.year}",
        title=f"IT-Projekte {round_obj.year} nach Stand",
        header=["Stand", "Projekte", "betroffene Leistungen"],
        rows=[Row(state.label, [Cell(per_state[state]), Cell(services_per_state[state])]) for state in ProjectState]
        + [Row("Summe", [Cell(len(projects)), Cell(sum(services_per_state.values()))], is_total=True)],
        method=method,
    )
    listing = ReportTable(
        slug=f"projektliste-{round_obj.year}",
        title=f"IT-Projekte {round_obj.year} und die Leistungen, die sie bewegen",
        header=["IT-Projekt", "Stand", "Organisationseinheit", "Leistungen"],
        rows=[
            Row(
                p.title,
                [
                    Cell(p.get_state_display(), TEXT),
                    Cell(p.department.code if p.department else "", TEXT),
                    Cell(moved.get(p.pk, 0)),
                ],
            )
            for p in projects
        ],
        method=method,
    )
    return [by_state, listing]


# --- the whole dashboard ------------------------------------------------------------------------------------------


def dashboard(organisation: Organisation, rounds: list[SurveyRound], focus: SurveyRound | None) -> dict:
    """Every section of the dashboard for the chosen series of rounds and the round in focus."""
    sections = {"series": [], "comparisons": [], "departments": [], "ozg": [], "efa": []}
    previous = None
    if focus is not None:
        previous = (
            SurveyRound.objects.filter(organisation=organisation, year__lt=focus.year)
            .select_related("catalogue_version", "maturity_scale")
            .order_by("-year")
            .first()
        )
    prints = fingerprints([*rounds, focus, previous])
    if rounds:
        counts = status_counts(rounds, prints)
        sections["series"].append(as_reported(organisation, rounds, counts))
        for earlier, later in consecutive(rounds):
            sections["comparisons"].append(comparison_section(organisation, earlier, later, prints))
    if focus is not None:
        compared = [focus, previous] if previous else [focus]
        sections["departments"].append(
            kept("departments", compared, prints, lambda: departments(organisation, focus, previous))
        )
        sections["efa"] = [efa_table(organisation, focus), *project_tables(organisation, focus)]
    sections["ozg"] = ozg_tables(organisation, focus)
    return sections


def comparison_section(organisation, earlier, later, prints) -> dict:
    section = {"earlier": earlier, "later": later, "kept_key": kept_key("compare", [earlier, later], prints)}
    try:
        comparison = kept("compare", [earlier, later], prints, lambda: compare(earlier, later))
    except ValidationError as error:
        # Catalogues without a common line of versions: the years are shown as reported, not bridged.
        section["unavailable"] = " ".join(m for messages in error.message_dict.values() for m in messages)
        return section
    section["comparison"] = comparison
    section["tables"] = [
        like_for_like(organisation, comparison),
        bridge(organisation, comparison),
        effects_by_family(organisation, comparison),
    ]
    return section


def all_tables(sections: dict) -> list[ReportTable]:
    tables = [*sections["series"]]
    for item in sections["comparisons"]:
        tables += item.get("tables", [])
    return tables + sections["departments"] + sections["ozg"] + sections["efa"]
