"""What a person's working day starts with: their open rounds with deadline and figures and the Rückfragen addressed
to them (department staff), or their organisation's round with overdue departments and open questions first (the IT
office and readers); and the two counts of the navigation's badges.

"Addressed to a person" means: on a row of a department in which the person edits (a department role "Bearbeitung"),
in an open round. The IT office reads and edits every department of its organisation, but a Rückfrage is the IT
office's own question, not one addressed to it; its figures are the organisation's.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from leika.prepared import PreparedQuery

from .access import AccessScope
from .choices import DepartmentRoleKind
from .filtersets import CHANGED_SINCE_LAST_ROUND
from .links import PLACEHOLDER, address_pattern, my_services_url
from .models import Assessment, DepartmentRole, Organisation, Question, SurveyRound
from .progress import (
    FIGURES_KEY_FIELDS,
    DepartmentProgress,
    Progress,
    deadline_passed,
    department_progress,
    round_figures,
    share_percent,
)

# Rückfragen listed on the start page; the list of all Rückfragen is one link away.
SHOWN_QUESTIONS = 5


def own_editable_departments(user):
    """The departments in which the user edits by a department role of their own (not as IT office)."""
    return DepartmentRole.objects.filter(user=user, role=DepartmentRoleKind.BEARBEITUNG).values("department")


def open_rows_of(user):
    """The rows of open rounds in the user's own departments (see own_editable_departments)."""
    return Assessment.objects.filter(department__in=own_editable_departments(user), round__is_closed=False)


# --- the navigation's badges ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Badges:
    unconfirmed: int = 0
    open_questions: int = 0


def _badge_rows(user: int):
    """Per own department and open round: (department, round, its FIGURES_KEY_FIELDS, open questions)."""
    rounds = "department__organisation__rounds__"
    open_questions = (
        Question.objects.filter(
            answered_at__isnull=True,
            assessment__department=OuterRef("department"),
            assessment__round=OuterRef(f"{rounds}pk"),
        )
        .order_by()
        .values("assessment__department")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        DepartmentRole.objects.filter(user=user, role=DepartmentRoleKind.BEARBEITUNG, **{f"{rounds}is_closed": False})
        .values_list("department", *(rounds + name for name in FIGURES_KEY_FIELDS))
        .annotate(open_questions=Coalesce(Subquery(open_questions), 0))
    )


# Every page with the navigation asks it: compiled once per process (leika.prepared).
BADGE_ROWS = PreparedQuery(DepartmentRole, _badge_rows)


def badge_counts(user) -> Badges:
    """The user's unconfirmed rows and open Rückfragen in open rounds, over the user's own rows only, in one query:
    per own department and open round, the round's change counter (the rows from its kept figures,
    progress.round_figures: fresh by construction) and the open questions counted."""
    if not user.is_authenticated:
        return Badges()
    own = set(BADGE_ROWS(user=user.pk))
    if not own:
        return Badges()
    figures = round_figures({(round_pk, count, imported) for _, round_pk, count, imported, _ in own})
    unconfirmed = sum(figures[row[1]].get(row[0], Progress()).unconfirmed for row in own)
    return Badges(unconfirmed, sum(row[4] for row in own))


# --- deadlines -----------------------------------------------------------------------------------------------------


def days_left(deadline: datetime.date | None, today: datetime.date | None = None) -> int | None:
    if deadline is None:
        return None
    return (deadline - (today or timezone.localdate())).days


def deadline_text(deadline: datetime.date | None, today: datetime.date | None = None) -> str:
    """How far away the deadline is, in words: "noch 12 Tage", "heute", "seit 3 Tagen abgelaufen"."""
    left = days_left(deadline, today)
    if left is None:
        return "keine Meldefrist"
    if left > 1:
        return f"noch {left} Tage"
    if left == 1:
        return "noch 1 Tag (morgen)"
    if left == 0:
        return "heute"
    return "seit gestern abgelaufen" if left == -1 else f"seit {-left} Tagen abgelaufen"


# --- department staff ----------------------------------------------------------------------------------------------


@dataclass
class OwnFigures:
    """A person's rows of one round: confirmed unchanged, confirmed with changes, open (of which carried over)."""

    total: int = 0
    confirmed: int = 0
    changed: int = 0  # confirmed, and changed since the previous round (or new in this round)
    carried: int = 0  # open, carried over from the previous round

    @property
    def unchanged(self) -> int:
        return self.confirmed - self.changed

    @property
    def open(self) -> int:
        return self.total - self.confirmed

    @property
    def confirmed_percent(self) -> int | None:
        return share_percent(self.confirmed, self.total)


@dataclass
class RoundTasks:
    """One open round of a person's departments: what is left to do before the deadline."""

    round: SurveyRound
    figures: OwnFigures
    department_ids: list[int]
    questions: list[Question] = field(default_factory=list)
    open_questions: int = 0

    @property
    def days_left(self) -> int | None:
        return days_left(self.round.deadline)

    @property
    def deadline_text(self) -> str:
        return deadline_text(self.round.deadline)

    @property
    def overdue(self) -> bool:
        return deadline_passed(self.round) and self.figures.open > 0

    def _list(self, **filters) -> str:
        # With one department the list is narrowed to it; with several, the list shows all of the person's.
        einheit = self.department_ids[0] if len(self.department_ids) == 1 else None
        return my_services_url(einheit=einheit, runde=self.round.pk, **filters)

    @property
    def continue_url(self) -> str:
        return self._list(bestaetigt="nein")

    @property
    def all_url(self) -> str:
        return self._list()

    @property
    def unchanged_url(self) -> str:
        return self._list(bestaetigt="ja", geaendert="nein")

    @property
    def changed_url(self) -> str:
        return self._list(bestaetigt="ja", geaendert="ja")

    @property
    def questions_url(self) -> str:
        return self._list(rueckfragen="ja")


def own_rounds(user) -> list[RoundTasks]:
    """The open rounds in which the user's own departments have rows, with the user's figures and the open
    Rückfragen addressed to the user: three queries however many rows."""
    rows = open_rows_of(user)
    confirmed = Q(confirmed_at__isnull=False)
    # Grouped by round and department: a handful of groups, added up per round here.
    groups = (
        rows.values("round", "department")
        .annotate(
            total=Count("pk"),
            confirmed=Count("pk", filter=confirmed),
            changed=Count("pk", filter=confirmed & Q(CHANGED_SINCE_LAST_ROUND)),
            carried=Count("pk", filter=Q(confirmed_at__isnull=True, carried_over_from__isnull=False)),
        )
        .order_by()
    )
    figures: dict[int, OwnFigures] = {}
    departments: dict[int, list[int]] = {}
    for group in groups:
        own = figures.setdefault(group["round"], OwnFigures())
        own.total += group["total"]
        own.confirmed += group["confirmed"]
        own.changed += group["changed"]
        own.carried += group["carried"]
        departments.setdefault(group["round"], []).append(group["department"])
    if not figures:
        return []
    rounds = (
        SurveyRound.objects.filter(pk__in=list(figures))
        .select_related("organisation")
        .order_by("deadline", "organisation__name")
    )
    tasks = {r.pk: RoundTasks(r, figures[r.pk], sorted(departments[r.pk])) for r in rounds}
    questions = (
        Question.objects.filter(answered_at__isnull=True, assessment__in=rows)
        .select_related("assessment__leika_entry", "assessment__department", "asked_by")
        .order_by("asked_at", "pk")
    )
    detail = address_pattern("assessment_detail")
    for question in questions:
        task = tasks[question.assessment.round_id]
        task.open_questions += 1
        if len(task.questions) < SHOWN_QUESTIONS:
            question.url = detail.replace(PLACEHOLDER, str(question.assessment_id)) + "#rueckfragen"
            task.questions.append(question)
    return list(tasks.values())


# --- the IT office and readers ---------------------------------------------------------------------------------------


@dataclass
class OrganisationDay:
    """An organisation's open round as the IT office (or a reader, for the departments they read) sees it."""

    organisation: Organisation
    round: SurveyRound | None
    departments: list[DepartmentProgress] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    open_questions: int = 0
    it_office: bool = False

    @property
    def total(self) -> Progress:
        return sum((row.progress for row in self.departments), Progress())

    @property
    def overdue(self) -> list[DepartmentProgress]:
        return [row for row in self.departments if row.overdue]

    @property
    def deadline_text(self) -> str:
        return deadline_text(self.round.deadline) if self.round else ""

    @property
    def deadline_passed(self) -> bool:
        return bool(self.round) and deadline_passed(self.round)


def organisation_days(user, scope: AccessScope, managed: set[int]) -> list[OrganisationDay]:
    """Per organisation the user sees (as IT office, member or reader of a department): its open round with the
    progress of the departments the user reads, overdue ones first and then the least confirmed, and the oldest open
    Rückfragen on those departments' rows. Three queries per organisation with an open round, none per row.
    `managed`: the organisations whose IT office the user is."""
    readable = scope.readable_department_ids
    organisations = Organisation.objects.filter(
        Q(pk__in=managed) | Q(memberships__user=user) | Q(departments__pk__in=readable)
    ).distinct()
    if user.is_superuser:
        organisations = Organisation.objects.all()
    open_rounds = {
        r.organisation_id: r
        for r in SurveyRound.objects.filter(organisation__in=organisations, is_closed=False).select_related(
            "organisation"
        )
    }
    detail = address_pattern("assessment_detail")
    days = []
    for organisation in organisations.order_by("name"):
        round_obj = open_rounds.get(organisation.pk)
        day = OrganisationDay(organisation, round_obj, it_office=organisation.pk in managed)
        if round_obj is not None:
            progress = department_progress(round_obj, readable)
            day.departments = sorted(
                progress,
                key=lambda row: (not row.overdue, row.progress.complete, row.progress.confirmed_percent or 0, row.code),
            )
            questions = (
                Question.objects.filter(
                    answered_at__isnull=True, assessment__round=round_obj, assessment__department__in=readable
                )
                .select_related("assessment__leika_entry", "assessment__department", "asked_by")
                .order_by("asked_at", "pk")
            )
            day.open_questions = questions.count()
            day.questions = list(questions[:SHOWN_QUESTIONS])
            for question in day.questions:
                question.url = detail.replace(PLACEHOLDER, str(question.assessment_id)) + "#rueckfragen"
        days.append(day)
    return days
