"""Progress of a survey round: reported and confirmed rows per department, and whether the deadline has passed."""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from .choices import Status
from .links import my_services_url
from .models import Assessment, SurveyRound

# The three figures of a group of assessments, computed by the database in one grouped query.
PROGRESS_COUNTS = {
    "total": Count("pk"),
    "reported": Count("pk", filter=~Q(status=Status.NICHT_GEMELDET)),
    "confirmed": Count("pk", filter=Q(confirmed_at__isnull=False)),
}


def _percent(part: int, whole: int) -> int | None:
    # Rounded down, so that "100 %" is only ever shown when every row is done.
    return part * 100 // whole if whole else None


@dataclass
class Progress:
    total: int = 0
    reported: int = 0
    confirmed: int = 0

    @property
    def reported_percent(self) -> int | None:
        return _percent(self.reported, self.total)

    @property
    def confirmed_percent(self) -> int | None:
        return _percent(self.confirmed, self.total)

    @property
    def unconfirmed(self) -> int:
        return self.total - self.confirmed

    @property
    def complete(self) -> bool:
        return self.confirmed == self.total

    def __add__(self, other: "Progress") -> "Progress":
        return Progress(self.total + other.total, self.reported + other.reported, self.confirmed + other.confirmed)


@dataclass
class DepartmentProgress:
    pk: int
    code: str
    name: str
    round_pk: int
    progress: Progress
    overdue: bool

    @property
    def list_url(self) -> str:
        return my_services_url(einheit=self.pk, runde=self.round_pk)

    @property
    def unconfirmed_url(self) -> str:
        return my_services_url(einheit=self.pk, bestaetigt="nein", runde=self.round_pk)


def deadline_passed(round_obj: SurveyRound) -> bool:
    """The deadline day itself still counts; a closed round has nobody left to be late."""
    return bool(round_obj.deadline) and not round_obj.is_closed and timezone.localdate() > round_obj.deadline


def department_progress(round_obj: SurveyRound, departments) -> list[DepartmentProgress]:
    """Per department among `departments` that has assessments in the round: its figures, from one query."""
    passed = deadline_passed(round_obj)
    rows = (
        Assessment.objects.filter(round=round_obj, department__in=departments)
        .values("department", "department__code", "department__name")
        .annotate(**PROGRESS_COUNTS)
        .order_by("department__code", "department")
    )
    result = []
    for row in rows:
        progress = Progress(row["total"], row["reported"], row["confirmed"])
        result.append(
            DepartmentProgress(
                pk=row["department"],
                code=row["department__code"],
                name=row["department__name"],
                round_pk=round_obj.pk,
                progress=progress,
                overdue=passed and not progress.complete,
            )
        )
    return result
