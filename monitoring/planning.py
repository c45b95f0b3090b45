"""OZG plans: which OZG-Leistungen count as municipal, the rows of the planning workspace, and their one write path.

The workspace shows one row per current OZG-Leistung with the organisation's plan joined to it; an OZG-Leistung
without a plan record reads as "nicht geplant" with no other values. The record is created by the first edit, inside
`apply_plan_changes`, so that every plan has a history from its first value on. A plan the page showed without a
record has version 0; anyone who created it since has raised it, which is a conflict like any other.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import BooleanField, Case, Count, FilteredRelation, Max, Q, Value, When
from django.utils import timezone

from ozg.choices import Zustaendigkeit
from ozg.models import OzgLeistung

from .access import plan_departments, readable_assessments
from .choices import OrganisationKind, PlanState, Status
from .editing import (
    EditConflict,
    EditResult,
    History,
    check_editable,
    conflicts_since,
    field_changes,
    set_and_check,
    snapshot,
)
from .models import Assessment, ChangeSource, EditRefused, Organisation, OzgPlan, OzgPlanChange, SurveyRound

# The values a plan holds; organisation and OZG-Leistung are its identity.
PLAN_FIELDS = (
    "state",
    "target_quarter",
    "maturity_level",
    "responsible_kind",
    "responsible_department",
    "online_service_url",
    "efa_offer",
    "municipal_override",
    "municipal_reason",
    "note",
)
PLAN_RELATIONS = (
    "organisation__maturity_scale",
    "ozg_leistung",
    "responsible_department",
    "maturity_level",
    "efa_offer",
)
PLAN_HISTORY = History(OzgPlanChange, "plan")

# Which Zuständigkeiten of the OZG catalogue an organisation of each kind carries out itself. Every kind of
# Kommune carries out the municipal ones; where a kind does not (a Gemeinde without Ausländerbehörde), the row's
# override says so with its reason.
MUNICIPAL_ZUSTAENDIGKEIT = {kind: (Zustaendigkeit.KOMMUNE,) for kind in OrganisationKind.values}


def municipal_condition(organisation: Organisation, plan: str = "own_plan") -> Q:
    """OZG-Leistungen that count as municipal for the organisation, over its plan joined as `plan`: by its kind
    and the catalogue, unless the plan overrides it."""
    by_kind = Q(zustaendigkeit__in=MUNICIPAL_ZUSTAENDIGKEIT.get(organisation.kind, ()))
    return Q(**{f"{plan}__municipal_override": True}) | (by_kind & Q(**{f"{plan}__municipal_override__isnull": True}))


def with_own_plan(queryset, organisation: Organisation):
    return queryset.annotate(own_plan=FilteredRelation("plans", condition=Q(plans__organisation=organisation)))


def plan_rows(organisation: Organisation):
    """One row per current OZG-Leistung with the organisation's plan as `own_plan` (None without a record) and
    `is_municipal`, in one query however many rows there are."""
    return (
        with_own_plan(OzgLeistung.objects.current(), organisation)
        .annotate(
            is_municipal=Case(
                When(municipal_condition(organisation), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .select_related(
            "themenfeld",
            "lage",
            "own_plan__responsible_department",
            "own_plan__maturity_level",
            "own_plan__efa_offer",
            "own_plan__updated_by",
        )
    )


def plan_of(row) -> OzgPlan | None:
    """The organisation's plan of a row of `plan_rows`; Django leaves a filtered relation without a match unset."""
    return getattr(row, "own_plan", None)


def editable_plan_rows(user, organisation: Organisation, rows):
    """The rows of `plan_rows` the user may change: all for the IT office, else those of the user's departments."""
    departments = plan_departments(user, organisation)
    return rows if departments is None else rows.filter(own_plan__responsible_department__in=departments)


class OutOfScope(EditRefused):
    """The user may not change these plans, or would hand them to a department they cannot edit."""

    def __init__(self, rows: list[OzgPlan]):
        super().__init__(f"{len(rows)} Zeile(n) liegen außerhalb Ihrer Zuständigkeit.")
        self.rows = rows

    def lines(self) -> list[str]:
        return [
            f"{row.row_label}: Diese Planung bearbeiten nur die IT-Steuerung und die verantwortliche Einheit."
            for row in self.rows
        ]


def _out_of_scope(user, organisation, rows) -> list[OzgPlan]:
    departments = None if user is None else plan_departments(user, organisation)
    if departments is None:
        return []
    return [row for row in rows if row.responsible_department_id not in departments]


def plan_rules(row: OzgPlan) -> dict[str, list[str]]:
    row.municipal_reason = (row.municipal_reason or "").strip()
    row.note = (row.note or "").strip()
    return row.rule_errors()


def apply_plan_changes(
    user,
    organisation: Organisation,
    leistungen: Iterable[int] | Iterable[OzgLeistung],
    values: Mapping[str, object] | None = None,
    *,
    per_row: Mapping[int, Mapping[str, object]] | None = None,
    versions: Mapping[int, int] | None = None,
    seen_at: datetime | None = None,
    source: str = ChangeSource.PAGE,
    comment: str = "",
) -> EditResult:
    """Set `values` (the same for every row) and `per_row` values on the organisation's plans of `leistungen`;
    check, write, record; all or nothing. Rows, `per_row` and `versions` are keyed by OZG-Leistung, as a plan may
    not have a record yet (version 0). Rows whose values do not change are left alone.

    A user who is not the organisation's IT office changes only plans of departments they edit, before and after
    the change (no one hands a row to a department out of their reach). `user=None` (commands, imports confirmed by
    the IT office) skips that check; without `versions` or `seen_at` no conflict check is made.
    """
    values = dict(values or {})
    per_row = per_row or {}
    check_editable(values, per_row, PLAN_FIELDS)
    wanted = {getattr(leistung, "pk", leistung) for leistung in leistungen}
    now = timezone.now()
    with transaction.atomic():
        ids = list(OzgLeistung.objects.filter(pk__in=wanted).order_by("pk").values_list("pk", flat=True))
        # Missing records first, so that every row can be locked; a concurrent first edit waits on the unique index.
        OzgPlan.objects.bulk_create(
            [OzgPlan(organisation=organisation, ozg_leistung_id=pk, version=0) for pk in ids], ignore_conflicts=True
        )
        rows = list(
            OzgPlan.objects.select_for_update(of=("self",))
            .filter(organisation=organisation, ozg_leistung_id__in=ids)
            .select_related(*PLAN_RELATIONS)
            .order_by("pk")
        )
        by_leistung = {row.ozg_leistung_id: row.pk for row in rows}
        outside = _out_of_scope(user, organisation, rows)
        if outside:
            raise OutOfScope(outside)
        seen = {by_leistung[pk]: v for pk, v in versions.items() if pk in by_leistung} if versions is not None else None
        conflicts = conflicts_since(rows, seen, seen_at, user, PLAN_HISTORY)
        if conflicts:
            raise EditConflict(conflicts)
        row_values = {by_leistung[pk]: v for pk, v in per_row.items() if pk in by_leistung}
        befores = set_and_check(rows, values, row_values, PLAN_FIELDS, plan_rules)
        outside = _out_of_scope(user, organisation, rows)
        if outside:
            raise OutOfScope(outside)
        history = []
        for row in rows:
            changes = field_changes(befores[row.pk], snapshot(row, PLAN_FIELDS), OzgPlan)
            if changes:
                row.version += 1
                row.updated_at, row.updated_by = now, user
                history.append(
                    OzgPlanChange(
                        plan=row,
                        user=user,
                        at=now,
                        source=source,
                        version=row.version,
                        fields=changes,
                        comment=comment.strip(),
                    )
                )
        written = [change.plan for change in history]
        if written:
            OzgPlan.objects.bulk_update(written, [*PLAN_FIELDS, "version", "updated_at", "updated_by"], batch_size=1000)
            OzgPlanChange.objects.bulk_create(history, batch_size=1000)
        # Records made above for rows that did not change again mean what no record means.
        OzgPlan.objects.filter(pk__in=[row.pk for row in rows if row.version == 0]).delete()
    return EditResult(rows, len(history))


# --- the plan against the LeiKa side: the federal counting rule and contradictions ---------------------------------

# Federal counting rule: an OZG-Leistung is online once one of its LeiKa services reaches level 2, compliant from 3.
ONLINE_LEVEL, COMPLIANT_LEVEL = 2, 3


@dataclass(frozen=True)
class Evidence:
    """What a round's assessments of the LeiKa services bundled in one OZG-Leistung say."""

    rated: int = 0
    best: int | None = None
    digital: int = 0

    @property
    def online(self) -> bool:
        return self.best is not None and self.best >= ONLINE_LEVEL

    @property
    def compliant(self) -> bool:
        return self.best is not None and self.best >= COMPLIANT_LEVEL


NO_EVIDENCE = Evidence()


def evidence(round_obj: SurveyRound, leistung: OzgLeistung | None = None) -> dict[int, Evidence]:
    """{OZG-Leistung id: Evidence} over all rows of the round, in one query; for one OZG-Leistung if given.

    From the round's own rows (by its index), so that other organisations' rows on the same entries cost nothing.
    """
    bundled = {"round": round_obj, "leika_entry__ozg_leistungen__isnull": False}
    if leistung is not None:
        bundled["leika_entry__ozg_leistungen"] = leistung
    rows = (
        Assessment.objects.filter(**bundled)
        .values("leika_entry__ozg_leistungen")
        .annotate(
            best=Max("maturity_level__value"),
            rated=Count("pk"),
            digital=Count("pk", filter=Q(status=Status.DIGITAL)),
        )
        .order_by()
    )
    return {
        row["leika_entry__ozg_leistungen"]: Evidence(rated=row["rated"], best=row["best"], digital=row["digital"])
        for row in rows
    }


def contradiction(state: str | None, found: Evidence) -> str:
    """The plausibility finding of a plan state against its bundled services, "" where they agree.

    One rule for the dashboard's findings and the OZG-Leistung's detail page: "umgesetzt" needs a bundled service
    that is Digital or reaches level 2; a service that is compliant by the counting rule should be "umgesetzt", and
    one that is Digital or online should at least be planned.
    """
    if state == PlanState.UMGESETZT:
        if not found.rated:
            return "als umgesetzt geführt, aber keine zugeordnete LeiKa-Leistung ist in der Runde bewertet"
        if not (found.online or found.digital):
            return "als umgesetzt geführt, aber keine zugeordnete LeiKa-Leistung ist digital oder erreicht Stufe 2"
        return ""
    if found.compliant:
        return "nach der Zählregel konform umgesetzt, im Planungsstand nicht als umgesetzt geführt"
    if state in (None, "", PlanState.NICHT_GEPLANT):
        if found.online:
            return "nach der Zählregel online, im Planungsstand nicht geplant"
        if found.digital:
            return "eine zugeordnete LeiKa-Leistung ist digital, im Planungsstand nicht geplant"
    return ""


def evidence_round(organisation: Organisation) -> SurveyRound | None:
    """The round a plan is checked against: the organisation's open round, else its latest closed one."""
    return (
        SurveyRound.objects.filter(organisation=organisation)
        .select_related("maturity_scale")
        .order_by("is_closed", "-year")
        .first()
    )


@dataclass
class Bundled:
    """An OZG-Leistung's bundled services as one person sees them in `round`, and the finding over all of them."""

    round: SurveyRound | None
    rows: list[Assessment]
    evidence: Evidence
    finding: str

    @property
    def hidden(self) -> int:
        """Assessed bundled services the person may not read; the finding counts them as the dashboard does."""
        return self.evidence.rated - len(self.rows)


def bundled_assessments(user, organisation: Organisation, leistung: OzgLeistung, state: str | None) -> Bundled:
    """The readable assessments of the services bundled in `leistung` in the organisation's evidence round; a fixed
    number of queries however many services the OZG-Leistung bundles."""
    round_obj = evidence_round(organisation)
    if round_obj is None:
        return Bundled(None, [], NO_EVIDENCE, "")
    found = evidence(round_obj, leistung).get(leistung.pk, NO_EVIDENCE)
    rows = list(
        readable_assessments(user)
        .filter(round=round_obj, leika_entry__ozg_leistungen=leistung)
        .select_related("leika_entry", "maturity_level", "department")
        .order_by("leika_entry__key", "pk")
    )
    return Bundled(round_obj, rows, found, contradiction(state, found))
