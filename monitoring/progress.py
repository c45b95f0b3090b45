"""Progress of a survey round: reported and confirmed rows per department, and whether the deadline has passed.

Values carried over from the previous round are not reported by anyone yet: until the department confirms them they
count as "übernommen aus der Vorrunde (noch nicht bestätigt)", never as reported or confirmed.
"""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from .choices import Status
from .fragments import get_many, set_many
from .links import my_services_url
from .models import Assessment, Department, SurveyRound

CARRIED_UNCONFIRMED = Q(carried_over_from__isnull=False, confirmed_at__isnull=True)
# The figures of a group of assessments, computed by the database in one grouped query.
PROGRESS_COUNTS = {
    "total": Count("pk"),
    "reported": Count("pk", filter=~Q(status=Status.NICHT_GEMELDET) & ~CARRIED_UNCONFIRMED),
    "confirmed": Count("pk", filter=Q(confirmed_at__isnull=False)),
    "carried": Count("pk", filter=CARRIED_UNCONFIRMED),
}


def share_percent(part: int, whole: int) -> int | None:
    """`part` of `whole` in whole percent, as every page shows a share of rows: rounded to the nearest (11 of 162 is
    7 %), but 0 % only for none and 100 % only for all, so that a few confirmations never read as none and almost
    all never reads as done. None for an empty whole."""
    if not whole:
        return None
    if part <= 0:
        return 0
    if part >= whole:
        return 100
    nearest = (200 * part + whole) // (2 * whole)  # half up, in integers
    return min(99, max(1, nearest))


@dataclass
class Progress:
    total: int = 0
    reported: int = 0
    confirmed: int = 0
    carried: int = 0  # carried over from the previous round, not yet confirmed

    @property
    def reported_percent(self) -> int | None:
        return share_percent(self.reported, self.total)

    @property
    def confirmed_percent(self) -> int | None:
        return share_percent(self.confirmed, self.total)

    @property
    def carried_percent(self) -> int | None:
        return share_percent(self.carried, self.total)

    @property
    def unconfirmed(self) -> int:
        return self.total - self.confirmed

    @property
    def complete(self) -> bool:
        return self.confirmed == self.total

    def __add__(self, other: "Progress") -> "Progress":
        return Progress(
            self.total + other.total,
            self.reported + other.reported,
            self.confirmed + other.confirmed,
            self.carried + other.carried,
        )


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


# --- a round's figures, kept by its change counter ------------------------------------------------------------------

# Kept a day at most: a round's figures change with its counter, so an old entry is only ever unused, never wrong.
FIGURES_KEEP_SECONDS = 24 * 3600


def figures_key(round_pk: int, change_count: int, imported_at) -> str:
    """What a round's figures are kept under: its id and change counter (raised by every write of its rows in the
    writer's transaction, models.count_changes), and the import time of its catalogue version, which tells apart a
    database loaded anew whose rounds have the same ids and counters (as the dashboard's round_stamp)."""
    return f"round-figures:{round_pk}:{change_count}:{imported_at.isoformat() if imported_at else ''}"


# The values a round's row gives figures_key, for values_list over SurveyRound (prefix for a related round).
FIGURES_KEY_FIELDS = ("pk", "change_count", "catalogue_version__imported_at")


def round_figures(rounds) -> dict[int, dict[int, Progress]]:
    """{round id: {department id: Progress}} of `rounds`, triples of FIGURES_KEY_FIELDS as the round rows say.

    Every count of rows of a round by department (the header's badge, the list's count and progress bar) comes
    from here: kept in the shared cache under figures_key, so an unchanged round is counted once for all workers and
    servers, and a write is seen by the next request, as it raises the counter the key is made of; nothing needs to
    be forgotten. The rounds not kept are counted in one grouped query. A department without rows in a round is
    missing from its figures."""
    keys = {pk: figures_key(pk, count, imported) for pk, count, imported in rounds}
    kept = get_many(list(keys.values())) if keys else {}
    figures = {pk: kept[key] for pk, key in keys.items() if key in kept}
    missing = [pk for pk in keys if pk not in figures]
    if missing:
        counted = {pk: {} for pk in missing}
        grouped = (
            Assessment.objects.filter(round__in=missing)
            .values_list("round", "department")
            .annotate(**PROGRESS_COUNTS)
            .order_by()
        )
        for round_pk, department, *numbers in grouped:
            counted[round_pk][department] = tuple(numbers)
        set_many({keys[pk]: counted[pk] for pk in missing}, FIGURES_KEEP_SECONDS)
        figures.update(counted)
    return {
        pk: {department: Progress(*numbers) for department, numbers in by_department.items()}
        for pk, by_department in figures.items()
    }


def progress_of(figures: dict[int, dict[int, Progress]], rounds, departments) -> Progress:
    """The sum of the figures of `departments` (ids) in `rounds` (ids)."""
    total = Progress()
    for round_pk in rounds:
        by_department = figures.get(round_pk, {})
        for department in departments:
            total += by_department.get(department, Progress())
    return total


def deadline_passed(round_obj: SurveyRound) -> bool:
    """The deadline day itself still counts; a closed round has nobody left to be late."""
    return bool(round_obj.deadline) and not round_obj.is_closed and timezone.localdate() > round_obj.deadline


def department_progress(round_obj: SurveyRound, departments) -> list[DepartmentProgress]:
    """Per department among `departments` (Department objects or ids) that has assessments in the round: its
    figures, from the round's kept figures (round_figures), in the order of the departments' codes. One query for
    the departments with the round's current change counter, and the figures' one grouped query after a write."""
    passed = deadline_passed(round_obj)
    rounds = "organisation__rounds__"
    named = list(
        Department.objects.filter(pk__in=departments, **{f"{rounds}pk": round_obj.pk})
        .order_by("code", "pk")
        .values_list("pk", "code", "name", *(rounds + name for name in FIGURES_KEY_FIELDS))
    )
    if not named:
        return []
    figures = round_figures([named[0][3:]])[round_obj.pk]
    result = []
    for pk, code, name, *_ in named:
        progress = figures.get(pk)
        if progress is None:
            continue
        result.append(
            DepartmentProgress(
                pk=pk,
                code=code,
                name=name,
                round_pk=round_obj.pk,
                progress=progress,
                overdue=passed and not progress.complete,
            )
        )
    return result
