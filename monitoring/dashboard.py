"""The dashboard's tables for one organisation, each a ReportTable computed by aggregate queries over the records.

The number of queries depends on the number of rounds shown, never on the number of assessments.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass
from functools import cache as cache_once
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django_tasks import task

from ozg.choices import EfaKind
from ozg.models import EfaOffer, OzgLeistung

from .choices import REPORTED_STATUSES, PlanState, ProjectState, Status
from .links import my_services_url
from .models import Assessment, Department, ITProject, Organisation, Question, SurveyRound
from .planning import NO_EVIDENCE, contradiction, evidence, municipal_condition, with_own_plan
from .progress import FIGURES_KEY_FIELDS, Progress, department_progress, round_figures
from .report_tables import DELTA, PERCENT, POINTS, TEXT, Cell, Method, ReportTable, Row
from .reports import ozg_figures
from .yoy import EFFECT_LABELS, Comparison, consecutive, lineage, round_rows, tally

ALL_SERVICES = "Alle Dienstleistungen"
OZG_CATALOGUE = "OZG-Katalog, laufender Stand (ohne zurückgezogene OZG-Leistungen)"
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


# --- kept figures: keyed by what they are computed from ------------------------------------------------------------

# Every key names what its value is computed from, so a kept value is never out of date and nothing is invalidated;
# the keep time only bounds the memory of values nobody asks for any more.
KEEP_SECONDS = 7 * 24 * 3600
# The code and templates that shape kept values and sections are part of every key: a new release never serves what
# an older one kept.
SHAPING_FILES = [
    *(Path(__file__).with_name(name) for name in ("dashboard.py", "yoy.py", "report_tables.py", "planning.py")),
    *(Path(__file__).with_name(name) for name in ("reports.py", "links.py", "progress.py", "choices.py")),
    Path(__file__).parent / "templatetags" / "charts.py",
    Path(__file__).parent / "templatetags" / "report_notes.py",
    *sorted((Path(settings.BASE_DIR) / "templates" / "monitoring" / "dashboard").glob("*.html")),
    # Shared with the committee paper, included by dashboard/_table.html.
    Path(settings.BASE_DIR) / "templates" / "monitoring" / "_report_table_rows.html",
]


@cache_once
def code_stamp() -> str:
    shaping = hashlib.sha256()
    for path in SHAPING_FILES:
        shaping.update(path.read_bytes())
    return shaping.hexdigest()[:16]


def round_stamp(round_obj: SurveyRound) -> str:
    """What a round's figures depend on: its change counter (raised by every write of its rows, see
    models.count_changes), state, deadline, catalogue version and scale; read with the round, no query of its rows.

    The version's import time tells apart a database loaded anew whose rounds have the same ids and counters.
    """
    version = round_obj.catalogue_version
    return (
        f"{round_obj.pk}.{round_obj.change_count}.{int(round_obj.is_closed)}.{round_obj.deadline}.{round_obj.year}."
        f"{version.pk}.{version.imported_at.isoformat()}.{version.content_hash}.{version.name}."
        f"{round_obj.maturity_scale_id}.{round_obj.maturity_scale}"
    )


def cache_key(name: str, *parts) -> str:
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()
    return f"dashboard:{code_stamp()}:{name}:{digest}"


def kept(name: str, parts, compute):
    """compute() once per `parts` (the stamps of everything it reads); a value is kept only if it pickles."""
    key = cache_key(name, *parts)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, KEEP_SECONDS)
    return value


def today_if_open(*rounds) -> str:
    """Figures of an open round say "Stand <today>" in their method note: they are kept for the day."""
    return timezone.localdate().isoformat() if any(r is not None and not r.is_closed for r in rounds) else ""


# --- year over year -----------------------------------------------------------------------------------------------


def status_counts(rounds) -> dict[int, Counter]:
    """{round id: Counter(status -> rows)}: kept per round and change counter, the missing ones in one query."""
    keys = {r.pk: cache_key("status", round_stamp(r)) for r in rounds}
    counts = cache.get_many(list(keys.values()))
    found = {pk: counts[k] for pk, k in keys.items() if k in counts}
    fresh = _status_counts([r for r in rounds if r.pk not in found])
    cache.set_many({keys[pk]: c for pk, c in fresh.items()}, KEEP_SECONDS)
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
        sheet="Umsetzungsstatus",
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
        sheet=f"Gleiche Basis {a.year}–{b.year}",
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
        sheet=f"Überleitung {a.year}–{b.year}",
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
        sheet=f"Katalogeffekte {a.year}–{b.year}",
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
        sheet=f"Organisationseinheiten {round_obj.year}",
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
    # The plans are counted as they stand today over the current OZG catalogue, whether or not a round is chosen:
    # an organisation without survey rounds (the Stadt Aachen) gets a complete note as well.
    plan_method = Method(
        counting_unit="eine OZG-Leistung (OZG-ID); Quoten bezogen auf die kommunalen OZG-Leistungen",
        scope=f"{organisation.name}: eigener Planungsstand der OZG-Leistungen",
        catalogue=OZG_CATALOGUE,
        scale="entfällt (Planungsstand, kein Reifegrad gezählt)",
        cutoff=f"Stand {date_format(timezone.localdate(), 'd.m.Y')}",
    )
    quotas = ReportTable(
        slug="ozg-quoten",
        title="OZG-Leistungen: Planungsstand und Quoten",
        sheet="OZG Planungsstand",
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
        sheet="OZG Themenfelder",
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
        sheet=f"OZG Zählregel {round_obj.year}",
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
        sheet=f"OZG Befunde {round_obj.year}",
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
        sheet="OZG Reifegrade",
        header=["Reifegrad", "OZG-Leistungen", "Anteil"],
        rows=rows,
        method=Method(
            counting_unit="eine kommunale OZG-Leistung, die der eigene Planungsstand als umgesetzt führt",
            scope=f"{organisation.name}: eigener Planungsstand der OZG-Leistungen",
            catalogue=OZG_CATALOGUE,
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
        sheet=f"Reifegrade {round_obj.year}",
        header=["Reifegrad", "Leistungen", "Anteil"],
        rows=rows,
        method=method_for(organisation, [round_obj]),
    )


# --- EfA and projects ---------------------------------------------------------------------------------------------


def efa_table(organisation, round_obj) -> ReportTable:
    available = available_efa_offers(efa_day(round_obj)).count()
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
        sheet=f"EfA {round_obj.year}",
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
        sheet=f"IT-Projekte {round_obj.year}",
        header=["Stand", "Projekte", "betroffene Leistungen"],
        rows=[Row(state.label, [Cell(per_state[state]), Cell(services_per_state[state])]) for state in ProjectState]
        + [Row("Summe", [Cell(len(projects)), Cell(sum(services_per_state.values()))], is_total=True)],
        method=method,
    )
    listing = ReportTable(
        slug=f"projektliste-{round_obj.year}",
        title=f"IT-Projekte {round_obj.year} und die Leistungen, die sie bewegen",
        sheet=f"Projektliste {round_obj.year}",
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


# --- key figures --------------------------------------------------------------------------------------------------


@dataclass
class KeyFigure:
    """A tile at the top of the dashboard: one figure, what it counts, how it changed, and where its details are."""

    name: str
    value: str
    detail: str
    link: str
    link_text: str


def round_progress(round_obj: SurveyRound, stamps: "Stamps") -> tuple[Progress, int]:
    """(progress of the round, departments overdue), kept per round stamp and day (the deadline passes at night)."""

    def compute():
        rows = department_progress(round_obj, Department.objects.filter(organisation=round_obj.organisation_id))
        return sum((row.progress for row in rows), Progress()), sum(row.overdue for row in rows)

    return kept("progress", [round_stamp(round_obj), stamps.departments, timezone.localdate().isoformat()], compute)


def open_questions(organisation: Organisation, stamps: "Stamps") -> int:
    def compute():
        return Question.objects.filter(answered_at__isnull=True, assessment__round__organisation=organisation).count()

    return kept("questions", [organisation.pk, stamps.questions], compute)


def percent(value) -> str:
    return Cell(value, PERCENT).display


def change(value) -> str:
    return Cell(value, POINTS).display


def number(value) -> str:
    return Cell(value).display


def key_figures(selection: "Selection", stamps: "Stamps") -> list[KeyFigure]:
    """The tiles: share digital as reported and like for like, the open round's progress, the OZG quotas under the
    organisation's plan and under the federal rule, open Rückfragen. Only figures the selection has are shown; all
    come from the kept figures of the sections below (or are kept themselves)."""
    organisation, focus, previous = selection.organisation, selection.focus, selection.previous
    digital = Status.DIGITAL.value
    tiles = []
    if focus is not None:
        counts = status_counts([r for r in (previous, focus) if r is not None])
        now, before = counts[focus.pk], counts[previous.pk] if previous is not None else None
        total = sum(now.values())
        detail = f"wie gemeldet: {number(now[digital])} von {number(total)} Leistungen"
        moved = points(now, before)
        if moved is not None:
            detail += f"; {change(moved)} gegenüber {previous.year}"
        tiles.append(
            KeyFigure(
                f"Anteil digital {focus.year}",
                percent(share(now[digital], total)),
                detail,
                "#tabelle-status",
                "Zum Jahresvergleich",
            )
        )
        comparison = None
        if previous is not None:
            try:
                comparison = comparison_of(previous, focus)
            except ValidationError:
                comparison = None
        if comparison is not None and comparison.followed:
            earlier, later = comparison.like_for_like_earlier, comparison.like_for_like_later
            shown_pair = (previous, focus) in consecutive(selection.series)
            tiles.append(
                KeyFigure(
                    f"Anteil digital auf gleicher Basis {previous.year} → {focus.year}",
                    change(points(later, earlier)),
                    f"von {percent(share(earlier[digital], comparison.followed))} auf "
                    f"{percent(share(later[digital], comparison.followed))}; "
                    f"{number(comparison.followed)} Leistungen, die sich eins zu eins verfolgen lassen",
                    f"#tabelle-gleiche-basis-{previous.year}-{focus.year}" if shown_pair else "#jahresvergleich",
                    "Zum Vergleich auf gleicher Basis",
                )
            )
    current = selection.current
    if current is not None:
        progress, overdue = round_progress(current, stamps)
        deadline = f"Meldefrist {date_format(current.deadline, 'd.m.Y')}" if current.deadline else "ohne Meldefrist"
        late = f"{overdue} Organisationseinheit{'en' if overdue != 1 else ''} überfällig"
        tiles.append(
            KeyFigure(
                f"Offene Runde {current.year}: bestätigt",
                f"{progress.confirmed_percent or 0} %",
                f"{number(progress.confirmed)} von {number(progress.total)} Leistungen bestätigt; {late} ({deadline})",
                reverse("round_progress", args=[current.pk]),
                "Zum Fortschritt je Organisationseinheit",
            )
        )
    ozg = {table.slug: table for table in ozg_section_tables(selection, stamps)}
    quotas = ozg["ozg-quoten"]
    base = quotas.row("davon kommunal").values[0]
    done = quotas.row(PlanState.UMGESETZT.label)
    tiles.append(
        KeyFigure(
            "OZG-Quote laut eigener Planung",
            percent(done.values[1]),
            f"{number(done.values[0])} von {number(base)} kommunalen OZG-Leistungen umgesetzt",
            "#tabelle-ozg-quoten",
            "Zu den OZG-Leistungen",
        )
    )
    rule = ozg.get(f"ozg-zaehlregel-{focus.year}") if focus is not None else None
    if rule is not None:
        online = rule.row("online nach Zählregel (mind. Stufe 2)")
        compliant = rule.row("konform nach Zählregel (mind. Stufe 3)")
        tiles.append(
            KeyFigure(
                f"OZG-Quote nach Zählregel des Bundes {focus.year}",
                percent(online.values[1]),
                f"{number(online.values[0])} von {number(base)} online (mind. Stufe 2), "
                f"{number(compliant.values[0])} konform (mind. Stufe 3)",
                f"#tabelle-{rule.slug}",
                "Zur Zählregel",
            )
        )
    waiting = open_questions(organisation, stamps)
    tiles.append(
        KeyFigure(
            "Offene Rückfragen",
            number(waiting),
            "an die Organisationseinheiten, noch nicht beantwortet",
            reverse("questions"),
            "Zur Liste der offenen Rückfragen",
        )
    )
    return tiles


def key_figures_stamp(selection: "Selection", stamps: "Stamps") -> tuple:
    rounds = (selection.focus, selection.previous, selection.current)
    return (
        stamps.organisation_stamp,
        *[round_stamp(r) if r is not None else "" for r in rounds],
        tuple(r.pk for r in selection.series),
        stamps.ozg,
        stamps.departments,
        stamps.questions,
        timezone.localdate().isoformat(),
    )


# --- the whole dashboard ------------------------------------------------------------------------------------------

# A table with more rows than this is not written into the page: a link loads it in place (htmx) or, without
# JavaScript, opens it on a page of its own. The print view and the workbook always hold it in full.
LONG_TABLE_ROWS = 25


@dataclass
class Selection:
    """What the dashboard shows: the series of rounds compared, the round in focus and the round before it; and the
    organisation's open round, whose progress the key figures show whatever is chosen."""

    organisation: Organisation
    series: list[SurveyRound]
    focus: SurveyRound | None
    previous: SurveyRound | None = None
    current: SurveyRound | None = None

    @classmethod
    def of(cls, organisation, series, focus, all_rounds=None) -> "Selection":
        rounds = list(all_rounds) if all_rounds is not None else list(rounds_of(organisation))
        previous = None
        if focus is not None:
            previous = max((r for r in rounds if r.year < focus.year), key=lambda r: r.year, default=None)
        current = next((r for r in rounds if not r.is_closed), None)
        return cls(organisation, list(series), focus, previous, current)


def default_focus(rounds: list[SurveyRound]) -> SurveyRound | None:
    """The latest closed round, else the latest round."""
    closed = [r for r in rounds if r.is_closed]
    return closed[-1] if closed else (rounds[-1] if rounds else None)


def default_selection(organisation: Organisation) -> Selection:
    """The dashboard as it opens: every round in the series, the latest closed one in focus."""
    rounds = list(rounds_of(organisation))
    return Selection.of(organisation, rounds, default_focus(rounds), rounds)


def digest(rows) -> str:
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


class Stamps:
    """What the sections read besides the rounds' rows, each read at most once per request by a query that does not
    grow with the assessments. Departments and IT projects (few, edited in the administration) row by row; the OZG
    plans by number, versions and last change (every write of a plan raises its version); the OZG catalogue by
    number, last id and withdrawals (an entry edited in place shows the next day, when the section is built anew
    for its date anyway); the EfA offers by the very number the table shows."""

    def __init__(self, selection: Selection):
        self.selection = selection
        self.organisation = selection.organisation

    @cached_property
    def organisation_stamp(self) -> str:
        o = self.organisation
        return f"{o.pk}.{o.name}.{o.kind}.{o.maturity_scale_id}"

    @cached_property
    def departments(self) -> str:
        return digest(
            Department.objects.filter(organisation=self.organisation).order_by("pk").values_list("pk", "code", "name")
        )

    @cached_property
    def projects(self) -> str:
        rows = ITProject.objects.filter(organisation=self.organisation, year=self.selection.focus.year)
        return digest(rows.order_by("pk").values_list("pk", "title", "state", "department_id"))

    @cached_property
    def ozg(self) -> str:
        figures = with_own_plan(OzgLeistung.objects.order_by(), self.organisation).aggregate(
            leistungen=Count("pk"),
            last=Max("pk"),
            withdrawn=Count("withdrawn_on"),
            plans=Count("own_plan"),
            versions=Sum("own_plan__version"),
            changed=Max("own_plan__updated_at"),
        )
        return repr(sorted(figures.items()))

    @cached_property
    def efa(self) -> str:
        return str(available_efa_offers(efa_day(self.selection.focus)).count())

    @cached_property
    def questions(self) -> str:
        """Every Rückfrage asked, answered or deleted anywhere changes this; read without the assessments (a
        question's organisation is only known through its row), so an unchanged dashboard still reads no row."""
        figures = Question.objects.order_by().aggregate(
            asked=Count("pk"), last=Max("pk"), answered=Count("answered_at"), changed=Max("answered_at")
        )
        return repr(sorted(figures.items()))


def efa_day(round_obj):
    return round_obj.deadline or timezone.localdate()


def available_efa_offers(day):
    return EfaOffer.objects.filter(Q(available_from__isnull=True) | Q(available_from__lte=day))


# Each section: the stamps of what its tables are computed from. The same stamps key the tables (for the workbook and
# the full-table pages) and, with how they are shown, the rendered section.


def series_tables(selection: Selection) -> list[ReportTable]:
    if not selection.series:
        return []
    return [as_reported(selection.organisation, selection.series, status_counts(selection.series))]


def series_stamp(selection: Selection, stamps: Stamps) -> tuple:
    return (
        stamps.organisation_stamp,
        *[round_stamp(r) for r in selection.series],
        today_if_open(*selection.series),
    )


def version_stamp(version) -> str:
    return f"{version.pk}.{version.imported_at.isoformat()}.{version.content_hash}"


def kept_rows(round_obj: SurveyRound) -> dict[int, str]:
    return kept("rows", [round_stamp(round_obj)], lambda: round_rows(round_obj))


def comparison_of(earlier: SurveyRound, later: SurveyRound) -> Comparison:
    """compare(earlier, later), kept per pair of round stamps. When one round changed, only its rows are read again:
    the lineage of the rows through the catalogue is kept per pair of entry sets and holds while rows are edited."""

    def compute():
        before, after = kept_rows(earlier), kept_rows(later)
        parts = [
            version_stamp(earlier.catalogue_version),
            version_stamp(later.catalogue_version),
            digest(sorted(before)),
            digest(sorted(after)),
        ]
        lines = kept("lineage", parts, lambda: lineage(earlier, later, before, after))
        return tally(lines, earlier, later, before, after)

    return kept("compare", [round_stamp(earlier), round_stamp(later)], compute)


def comparison_section(organisation, earlier, later) -> dict:
    section = {"earlier": earlier, "later": later}
    try:
        comparison = comparison_of(earlier, later)
    except ValidationError as error:
        # Catalogues without a common line of versions: the years are shown as reported, not bridged.
        section["unavailable"] = " ".join(m for messages in error.message_dict.values() for m in messages)
        return section
    # The rounds as read now (the stamps say they are the same as when the comparison was kept).
    comparison.earlier, comparison.later = earlier, later
    section["comparison"] = comparison
    section["tables"] = [
        like_for_like(organisation, comparison),
        bridge(organisation, comparison),
        effects_by_family(organisation, comparison),
    ]
    return section


def comparison_stamp(stamps: Stamps, earlier, later) -> tuple:
    return (stamps.organisation_stamp, round_stamp(earlier), round_stamp(later), today_if_open(earlier, later))


def department_tables(selection: Selection, stamps: Stamps) -> list[ReportTable]:
    focus, previous = selection.focus, selection.previous
    if focus is None:
        return []
    return [
        kept(
            "departments",
            department_stamp(selection, stamps),
            lambda: departments(selection.organisation, focus, previous),
        )
    ]


def department_stamp(selection: Selection, stamps: Stamps) -> tuple:
    focus, previous = selection.focus, selection.previous
    return (
        stamps.organisation_stamp,
        round_stamp(focus),
        round_stamp(previous) if previous else "",
        stamps.departments,
        today_if_open(focus, previous),
    )


def ozg_section_tables(selection: Selection, stamps: Stamps) -> list[ReportTable]:
    return kept("ozg", ozg_stamp(selection, stamps), lambda: ozg_tables(selection.organisation, selection.focus))


def ozg_stamp(selection: Selection, stamps: Stamps) -> tuple:
    # The plans' maturity table states today's date: the section is built once a day.
    focus = selection.focus
    return (
        stamps.organisation_stamp,
        round_stamp(focus) if focus else "",
        stamps.ozg,
        timezone.localdate().isoformat(),
    )


def efa_tables(selection: Selection, stamps: Stamps) -> list[ReportTable]:
    focus = selection.focus
    if focus is None:
        return []
    organisation = selection.organisation
    return kept(
        "efa",
        efa_stamp(selection, stamps),
        lambda: [efa_table(organisation, focus), *project_tables(organisation, focus)],
    )


def efa_stamp(selection: Selection, stamps: Stamps) -> tuple:
    focus = selection.focus
    return (
        stamps.organisation_stamp,
        round_stamp(focus),
        stamps.efa,
        stamps.projects,
        stamps.departments,
        efa_day(focus).isoformat(),  # offers available on the deadline, or today without one
        today_if_open(focus),
    )


def sections_of(selection: Selection, stamps: Stamps | None = None) -> dict:
    """Every section's tables for the selection; kept figures are used where their stamps are unchanged."""
    stamps = stamps or Stamps(selection)
    organisation = selection.organisation
    return {
        "series": series_tables(selection),
        "comparisons": [comparison_section(organisation, a, b) for a, b in consecutive(selection.series)],
        "departments": department_tables(selection, stamps),
        "ozg": ozg_section_tables(selection, stamps),
        "efa": efa_tables(selection, stamps),
    }


def dashboard(organisation: Organisation, rounds: list[SurveyRound], focus: SurveyRound | None) -> dict:
    """Every section of the dashboard for the chosen series of rounds and the round in focus."""
    return sections_of(Selection.of(organisation, rounds, focus))


def all_tables(sections: dict) -> list[ReportTable]:
    tables = [*sections["series"]]
    for item in sections["comparisons"]:
        tables += item.get("tables", [])
    return tables + sections["departments"] + sections["ozg"] + sections["efa"]


# --- the page's sections as rendered HTML -------------------------------------------------------------------------


@dataclass
class View:
    """How the sections are shown: on screen or for print, and the page's query string (the selection), which the
    export and full-table links carry. Nothing in a section depends on who looks: whoever may see the organisation's
    dashboard sees all of it."""

    print: bool = False
    querystring: str = ""

    def parts(self) -> tuple:
        """What the rendered HTML depends on besides the figures; the links start with the script prefix, which a
        background task (warm) knows from FORCE_SCRIPT_NAME only."""
        return (self.print, self.querystring, get_script_prefix())

    def context(self, selection: Selection) -> dict:
        return {
            "organisation": selection.organisation,
            "focus": selection.focus,
            "print": self.print,
            "querystring": self.querystring,
            "long_rows": LONG_TABLE_ROWS,
        }


def _fragment_specs(selection: Selection, stamps: Stamps):
    """(name, stamp, template, context builder) per section of the page, in the page's order."""
    organisation = selection.organisation
    specs = [
        (
            "keyfigures",
            key_figures_stamp(selection, stamps),
            "_keyfigures.html",
            lambda: {"tiles": key_figures(selection, stamps)},
        ),
        ("series", series_stamp(selection, stamps), "_series.html", lambda: {"tables": series_tables(selection)}),
    ]
    for earlier, later in consecutive(selection.series):
        specs.append(
            (
                f"comparison-{earlier.pk}-{later.pk}",
                comparison_stamp(stamps, earlier, later),
                "_comparison.html",
                lambda earlier=earlier, later=later: {"item": comparison_section(organisation, earlier, later)},
            )
        )
    if selection.focus is not None:
        specs.append(
            (
                "departments",
                department_stamp(selection, stamps),
                "_departments.html",
                lambda: {"tables": department_tables(selection, stamps)},
            )
        )
    specs.append(
        ("ozg", ozg_stamp(selection, stamps), "_ozg.html", lambda: {"tables": ozg_section_tables(selection, stamps)})
    )
    if selection.focus is not None:
        specs.append(
            ("efa", efa_stamp(selection, stamps), "_efa.html", lambda: {"tables": efa_tables(selection, stamps)})
        )
    return specs


def rendered_sections(selection: Selection, view: View | None = None) -> dict:
    """The page's sections as HTML (series, comparisons: a list, departments, ozg, efa; "" where the selection has
    none): each from the cache while its stamps stand, else built and kept.

    One read of the cache for the whole page; a section found there costs no query and no template.
    """
    view = view or View()
    stamps = Stamps(selection)
    specs = _fragment_specs(selection, stamps)
    keys = {name: cache_key(f"section-{name}", *stamp, *view.parts()) for name, stamp, _, _ in specs}
    found = cache.get_many(list(keys.values()))
    html, fresh = {}, {}
    for name, _, template, build in specs:
        key = keys[name]
        if key in found:
            html[name] = found[key]
            continue
        with translation.override(settings.LANGUAGE_CODE):
            html[name] = render_to_string(f"monitoring/dashboard/{template}", {**view.context(selection), **build()})
        fresh[key] = html[name]
    if fresh:
        cache.set_many(fresh, KEEP_SECONDS)
    html = {name: mark_safe(text) for name, text in html.items()}  # rendered by our own templates
    return {
        "keyfigures": html["keyfigures"],
        "series": html["series"],
        "comparisons": [text for name, text in html.items() if name.startswith("comparison-")],
        "departments": html.get("departments", ""),
        "ozg": html["ozg"],
        "efa": html.get("efa", ""),
    }


# --- one long table on its own ------------------------------------------------------------------------------------


def _long_table(selection: Selection, stamps: Stamps, slug: str):
    """(stamp, builder) of the long table named `slug`: a pair's catalogue effects by family or the focus year's
    project list; None if the selection has no such table."""
    organisation, focus = selection.organisation, selection.focus
    for earlier, later in consecutive(selection.series):
        if slug == f"katalogeffekte-{earlier.year}-{later.year}":

            def families(earlier=earlier, later=later):
                tables = comparison_section(organisation, earlier, later).get("tables")
                return tables[2] if tables else None

            return comparison_stamp(stamps, earlier, later), families
    if focus is not None and slug == f"projektliste-{focus.year}":
        return efa_stamp(selection, stamps), lambda: efa_tables(selection, stamps)[-1]
    return None


def rendered_table(selection: Selection, slug: str, view: View, autofocus: bool = False) -> tuple[str, str] | None:
    """(title, HTML) of one long table, kept like the sections; None if the selection has no such table.
    `autofocus`: the table takes the focus when htmx puts it in place of the link that loaded it."""
    spec = _long_table(selection, Stamps(selection), slug)
    if spec is None:
        return None
    stamp, build = spec
    key = cache_key(f"table-{slug}", *stamp, *view.parts(), autofocus)
    found = cache.get(key)
    if found is None:
        table = build()
        if table is None:
            return None
        context = {**view.context(selection), "table": table, "chart": "", "autofocus": autofocus}
        with translation.override(settings.LANGUAGE_CODE):
            found = (table.title, render_to_string("monitoring/dashboard/_table.html", context))
        cache.set(key, found, KEEP_SECONDS)
    title, html = found
    return title, mark_safe(html)  # rendered by our own template


@task()
def warm_task(organisation_id: int) -> None:
    """warm() in the task worker; an organisation deleted in the meantime is skipped."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is not None:
        warm(organisation)


def warm_later(organisations) -> None:
    """Queue warm() for these organisations once the current transaction has committed (at once outside of one), so
    that the worker reads what was just written."""
    ids = [organisation.pk for organisation in organisations]
    transaction.on_commit(lambda: [warm_task.enqueue(pk) for pk in ids])


def warm(organisation: Organisation) -> None:
    """Compute and keep everything the dashboard of `organisation` shows as it opens: the rendered sections and the
    figures behind them. For a background task after a round was closed or a catalogue changed, so that the next
    person to open the dashboard does not wait for it; calling it again while nothing changed costs one cache read.
    The rounds' counts of rows per department (the lists' counts, the header's badges) are kept alike."""
    rendered_sections(default_selection(organisation))
    round_figures(organisation.rounds.order_by().values_list(*FIGURES_KEY_FIELDS))
