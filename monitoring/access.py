"""Who may see which organisation; every view narrows its querysets through here."""

from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.shortcuts import get_object_or_404

from leika.prepared import PreparedQuery

from .choices import DepartmentRoleKind, OrganisationRole
from .models import (
    Assessment,
    BackgroundJob,
    Department,
    DepartmentRole,
    Membership,
    Organisation,
    OzgPlan,
    Question,
)


def visible_organisations(user):
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(memberships__user=user).distinct()


def it_office_organisations(user):
    """Organisations whose IT office the user is (all of them for a superuser)."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(
        memberships__user=user, memberships__role=OrganisationRole.IT_STEUERUNG
    ).distinct()


CATALOGUE_PERMISSION = "leika.maintain_catalogues"


def may_maintain_catalogues(user) -> bool:
    """LeiKa versions and the OZG catalogue are shared by every organisation of the installation: only the catalogue
    role (a superuser, or whoever holds the permission "Katalogpflege") imports or changes them."""
    return user.is_authenticated and user.has_perm(CATALOGUE_PERMISSION)


def may_import(user) -> bool:
    """The import page: the catalogue role for catalogues, an IT office for its own online-service lists."""
    return may_maintain_catalogues(user) or it_office_organisations(user).exists()


def find_organisation(value: str) -> Organisation | None:
    """By database ID or by its 12-digit Regionalschlüssel (for commands and imports)."""
    value = (value or "").strip()
    if len(value) == 12 and value.isdigit():
        return Organisation.objects.filter(regionalschluessel=value).first()
    if value.isdigit():
        return Organisation.objects.filter(pk=value).first()
    return None


# --- assessments: who reads and who edits which rows --------------------------------------------------------------


def _department_scope(user, roles) -> Q:
    """Departments where the user has one of `roles`, and every department of an organisation where the user is IT
    office: two small subqueries, no join that would repeat a department."""
    it_office = Membership.objects.filter(user=user, role=OrganisationRole.IT_STEUERUNG).values("organisation")
    own = DepartmentRole.objects.filter(user=user, role__in=roles).values("department")
    return Q(organisation__in=it_office) | Q(pk__in=own)


def readable_departments(user):
    if not user.is_authenticated:
        return Department.objects.none()
    if user.is_superuser:
        return Department.objects.all()
    return Department.objects.filter(_department_scope(user, DepartmentRoleKind.values))


def editable_departments(user):
    if not user.is_authenticated:
        return Department.objects.none()
    if user.is_superuser:
        return Department.objects.all()
    return Department.objects.filter(_department_scope(user, [DepartmentRoleKind.BEARBEITUNG]))


def scope_rows(readable, editable):
    """AccessScope.departments' rows: the readable departments, each with whether it is among the editable."""
    rows = readable.annotate(editable=ExpressionWrapper(Q(pk__in=editable.values("pk")), BooleanField()))
    return rows.order_by("organisation__name", "code").values_list(
        "pk", "code", "name", "organisation__name", "editable", "organisation_id"
    )


def _user_scope_rows(user: int):
    """scope_rows of a user who is neither anonymous nor superuser, by id (readable_ and editable_departments)."""
    readable = Department.objects.filter(_department_scope(user, DepartmentRoleKind.values))
    editable = Department.objects.filter(_department_scope(user, [DepartmentRoleKind.BEARBEITUNG]))
    return scope_rows(readable, editable)


SCOPE_DEPARTMENTS = PreparedQuery(Department, _user_scope_rows)


class AccessScope:
    """What one user may read and change. Each set of departments is asked for once, when first needed; a view
    keeps the scope of its request with `scope_of(request)`, so that a page asks once however often it narrows."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def departments(self) -> list[tuple[int, str, str, str, bool, int]]:
        """(id, code, name, organisation's name, editable, organisation's id) of each department the user reads, in
        one query (compiled once per process: every page asks it), in the order the lists name them."""
        if not self.user.is_authenticated:
            return []
        if self.user.is_superuser:
            return list(scope_rows(Department.objects.all(), Department.objects.all()))
        return SCOPE_DEPARTMENTS(user=self.user.pk)

    @cached_property
    def readable_department_ids(self) -> list[int]:
        return [department[0] for department in self.departments]

    @cached_property
    def editable_department_ids(self) -> list[int]:
        return [department[0] for department in self.departments if department[4]]

    @cached_property
    def editing_organisation_ids(self) -> set[int]:
        """The organisations in which the user edits at least one department."""
        return {department[5] for department in self.departments if department[4]}

    def readable_assessments(self):
        # The few department ids go into the query as a list: as a subquery, the database would check it per row.
        return Assessment.objects.filter(department_id__in=self.readable_department_ids)

    def may_edit(self, assessment: Assessment) -> bool:
        """Whether the user may change the row: its department is one the user edits and its round (read with the
        row) is open."""
        return assessment.department_id in self.editable_department_ids and not assessment.round.is_closed

    def require_edit_role(self, assessment: Assessment) -> None:
        """403 unless the user edits the row's department. Whether its round is still open is for the write path to
        say: a save that arrives after the round was closed is answered with what was not saved, not a bare 403."""
        if assessment.department_id not in self.editable_department_ids:
            raise PermissionDenied("Sie dürfen diese Leistung nicht bearbeiten.")

    def require_editable(self, assessment: Assessment) -> None:
        """403 for a row the user can read but not change (reader of the department, closed round)."""
        if not self.may_edit(assessment):
            raise PermissionDenied("Sie dürfen diese Leistung nicht bearbeiten.")

    def editable_assessments(self):
        """Only rows of open rounds: a closed round is read-only for everyone."""
        return Assessment.objects.filter(department_id__in=self.editable_department_ids, round__is_closed=False)


def scope_of(request) -> AccessScope:
    """The scope of the request's user, worked out once per request."""
    scope = getattr(request, "_access_scope", None)
    if scope is None or scope.user is not request.user:
        scope = request._access_scope = AccessScope(request.user)
    return scope


def readable_assessments(user):
    return AccessScope(user).readable_assessments()


def editable_assessments(user):
    return AccessScope(user).editable_assessments()


def is_it_office(user, organisation) -> bool:
    return user.is_authenticated and (
        user.is_superuser or it_office_organisations(user).filter(pk=organisation.pk).exists()
    )


def readable_questions(user):
    """Rückfragen on the rows the user may read."""
    return Question.objects.filter(assessment__in=readable_assessments(user))


# --- OZG plans: members read their organisation's, the IT office and the responsible department edit -------------


def visible_organisation_or_404(user, pk) -> Organisation:
    """An organisation whose plans (and figures) the user reads: its members; 404 for everyone else."""
    return get_object_or_404(visible_organisations(user), pk=pk)


def readable_plans(user):
    """Plans of the organisations the user is a member of."""
    return OzgPlan.objects.filter(organisation__in=visible_organisations(user))


def plan_departments(user, organisation) -> list[int] | None:
    """The departments whose plans of `organisation` the user edits; None: every plan (the IT office)."""
    if is_it_office(user, organisation):
        return None
    return list(editable_departments(user).filter(organisation=organisation).values_list("pk", flat=True))


def editable_plans(user):
    """The IT office's plans of its organisation, and the plans whose responsible department the user edits."""
    if not user.is_authenticated:
        return OzgPlan.objects.none()
    return OzgPlan.objects.filter(
        Q(organisation__in=it_office_organisations(user)) | Q(responsible_department__in=editable_departments(user))
    )


def may_edit_plan(user, organisation, plan: OzgPlan | None) -> bool:
    """A plan without a record yet has no responsible department: only the IT office starts it."""
    departments = plan_departments(user, organisation)
    return departments is None or (plan is not None and plan.responsible_department_id in departments)


def may_edit_some_plans(user, organisation) -> bool:
    departments = plan_departments(user, organisation)
    return departments is None or bool(departments)


def require_plan_editable(user, organisation, plan: OzgPlan | None) -> None:
    """403 for a plan the user can read but not change."""
    if not may_edit_plan(user, organisation, plan):
        raise PermissionDenied("Diese OZG-Planung bearbeiten nur die IT-Steuerung und die verantwortliche Einheit.")


# --- background jobs: the person who started them, and the IT office of their organisation where one is named -----


def visible_jobs(user):
    """A job is its owner's; a job that names an organisation (opening its round, a department's sheet, its online
    services) is also followed by that organisation's IT office. Exports name none: their files are the owner's."""
    if not user.is_authenticated:
        return BackgroundJob.objects.none()
    return BackgroundJob.objects.filter(Q(owner=user) | Q(organisation__in=it_office_organisations(user)))
