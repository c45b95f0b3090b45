"""The figures of the overview, each table from one aggregate query over the records."""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from ozg.models import OzgLeistung

from .choices import REPORTED_STATUSES, PlanState, Status
from .models import Organisation, SurveyRound
from .planning import municipal_condition, with_own_plan

ALL_SERVICES_LABEL = "Alle Dienstleistungen"


@dataclass
class StatusRow:
    label: str
    counts: list[int]
    status: str = ""
    is_total: bool = False


@dataclass
class StatusTable:
    rounds: list[SurveyRound]
    rows: list[StatusRow] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.rounds


def status_table(organisation: Organisation) -> StatusTable:
    """Rows: the five clusters of the paper (plus "nicht gemeldet" if any), then the total; columns: rounds."""
    counts = {f"n_{status.value}": Count("assessments", filter=Q(assessments__status=status)) for status in Status}
    rounds = list(
        SurveyRound.objects.filter(organisation=organisation)
        .select_related("catalogue_version", "maturity_scale")
        .annotate(
            **counts,
            n_total=Count("assessments"),
            n_confirmed=Count("assessments", filter=Q(assessments__confirmed_at__isnull=False)),
        )
        .order_by("year")
    )
    table = StatusTable(rounds=rounds)
    for status in REPORTED_STATUSES:
        table.rows.append(
            StatusRow(status.label, [getattr(r, f"n_{status.value}") for r in rounds], status=status.value)
        )
    not_reported = [getattr(r, f"n_{Status.NICHT_GEMELDET.value}") for r in rounds]
    if any(not_reported):
        table.rows.append(StatusRow(Status.NICHT_GEMELDET.label, not_reported, status=Status.NICHT_GEMELDET.value))
    table.rows.append(StatusRow(ALL_SERVICES_LABEL, [r.n_total for r in rounds], is_total=True))
    return table


@dataclass
class Quota:
    label: str
    count: int
    base: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.count / self.base, 1) if self.base else None


@dataclass
class OzgFigures:
    total: int
    municipal: int
    planned_any: int
    quotas: list[Quota]
    cumulative: list[Quota]


def ozg_figures(organisation: Organisation) -> OzgFigures:
    """All and municipal OZG-Leistungen, and the organisation's plan states over its municipal ones (municipal by the
    organisation's kind and each plan's override, `planning.municipal_condition`)."""
    municipal = municipal_condition(organisation)
    states = {
        state.value: Count("pk", filter=municipal & Q(own_plan__state=state))
        for state in (PlanState.UMGESETZT, PlanState.KURZFRISTIG, PlanState.LANGFRISTIG)
    }
    figures = with_own_plan(OzgLeistung.objects.current(), organisation).aggregate(
        total=Count("pk"),
        municipal=Count("pk", filter=municipal),
        planned_any=Count("own_plan"),
        **states,
    )
    base = figures["municipal"]
    done, short, long = (figures[s] for s in (PlanState.UMGESETZT, PlanState.KURZFRISTIG, PlanState.LANGFRISTIG))
    return OzgFigures(
        total=figures["total"],
        municipal=base,
        planned_any=figures["planned_any"],
        quotas=[
            Quota(PlanState.UMGESETZT.label, done, base),
            Quota(PlanState.KURZFRISTIG.label, short, base),
            Quota(PlanState.LANGFRISTIG.label, long, base),
        ],
        cumulative=[
            Quota("umgesetzt", done, base),
            Quota("umgesetzt oder kurzfristig geplant", done + short, base),
            Quota("umgesetzt oder geplant (kurz- und langfristig)", done + short + long, base),
        ],
    )
