"""Survey rounds in the browser: progress per department, opening, closing and deadlines, and the activity feed."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from leika.models import CatalogueVersion
from ozg.models import MaturityScale

from .access import (
    is_it_office,
    it_office_organisations,
    readable_departments,
    visible_organisations,
)
from .carryover import open_round
from .choices import Status
from .models import Assessment, AssessmentChange, Organisation, SurveyRound

ACTIVITY_PAGE_SIZE = 50
# "Meine Leistungen" (name `my_services`, monitoring/workspace*.py) lives here; its filter takes these parameters.

# The three figures of a group of assessments, computed by the database in one grouped query.
PROGRESS_COUNTS = {
    "total": Count("pk"),
    "reported": Count("pk", filter=~Q(status=Status.NICHT_GEMELDET)),
    "confirmed": Count("pk", filter=Q(confirmed_at__isnull=False)),
}


def list_url(**params) -> str:
    """The list "Meine Leistungen" filtered by `params`, e.g. list_url(einheit=4, bestaetigt="nein", runde=2)."""
    path = reverse("my_services")
    return f"{path}?{urlencode(params)}" if params else path


def assessment_url(pk: int) -> str:
    return reverse("assessment_detail", args=[pk])


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
        return list_url(einheit=self.pk, runde=self.round_pk)

    @property
    def unconfirmed_url(self) -> str:
        return list_url(einheit=self.pk, bestaetigt="nein", runde=self.round_pk)


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


# --- who may see and manage which round ---------------------------------------------------------------------------


def round_organisations(user):
    """Organisations whose rounds the user sees: membership, or a role in one of their departments."""
    return Organisation.objects.filter(
        Q(pk__in=visible_organisations(user).values("pk")) | Q(pk__in=readable_departments(user).values("organisation"))
    )


def _visible_round(user, pk) -> SurveyRound:
    return get_object_or_404(
        SurveyRound.objects.select_related("organisation", "catalogue_version", "maturity_scale"),
        pk=pk,
        organisation__in=round_organisations(user),
    )


def _managed_round(user, pk) -> SurveyRound:
    """A round the user sees (404 otherwise) and manages as its organisation's IT office (403 otherwise)."""
    round_obj = _visible_round(user, pk)
    if not is_it_office(user, round_obj.organisation):
        raise PermissionDenied("Nur die IT-Steuerung der Organisation verwaltet ihre Erhebungsrunden.")
    return round_obj


# --- forms --------------------------------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        # The browser's date picker sends and expects ISO dates, whatever the page's language.
        super().__init__(attrs, format="%Y-%m-%d")


class OpenRoundForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label="Organisation",
        queryset=Organisation.objects.none(),
        error_messages={"invalid_choice": "Für diese Organisation können Sie keine Runde eröffnen."},
    )
    year = forms.IntegerField(label="Jahr", min_value=2000, max_value=2100)
    catalogue_version = forms.ModelChoiceField(
        label="Katalogversion",
        queryset=CatalogueVersion.objects.order_by("-valid_from", "-pk"),
        help_text="Die Werte der vorigen Runde werden über den Katalogabgleich in diese Version übernommen.",
    )
    maturity_scale = forms.ModelChoiceField(
        label="Reifegradskala",
        queryset=MaturityScale.objects.all(),
        required=False,
        help_text="Leer lassen, um die Skala der vorigen Runde (oder der Organisation) zu verwenden.",
    )
    deadline = forms.DateField(label="Meldefrist", required=False, widget=DateInput())

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].empty_label = "– bitte wählen –"
        self.fields["catalogue_version"].empty_label = "– bitte wählen –"
        self.fields["maturity_scale"].empty_label = "wie bisher"
        if not self.is_bound:
            self.initial.setdefault("year", timezone.localdate().year)
            only = list(organisations[:2])
            if len(only) == 1:
                self.initial.setdefault("organisation", only[0].pk)


class DeadlineForm(forms.ModelForm):
    class Meta:
        model = SurveyRound
        fields = ["deadline"]
        widgets = {"deadline": DateInput()}
        help_texts = {"deadline": "Leer lassen, wenn die Runde keine Frist hat."}

    def clean_deadline(self):
        if self.instance.is_closed:
            raise ValidationError("Die Runde ist abgeschlossen; ihre Meldefrist kann nicht mehr geändert werden.")
        return self.cleaned_data["deadline"]


# --- views --------------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rounds(request):
    user = request.user
    managed = it_office_organisations(user)
    managed_ids = set(managed.values_list("pk", flat=True))
    form = None
    if request.method == "POST":
        if not managed_ids:
            raise PermissionDenied("Nur die IT-Steuerung eröffnet Erhebungsrunden.")
        form = OpenRoundForm(request.POST, organisations=managed)
        if form.is_valid():
            try:
                new_round = open_round(**form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    f"Die Erhebungsrunde {new_round} ist eröffnet; {intcomma(new_round.assessments.count())} "
                    "Bewertungen wurden aus der vorigen Runde übernommen und warten auf Bestätigung.",
                )
                return redirect("carry_over", new_round.pk)
    elif managed_ids:
        form = OpenRoundForm(organisations=managed)

    round_list = list(
        SurveyRound.objects.filter(organisation__in=round_organisations(user))
        .select_related("organisation", "catalogue_version", "maturity_scale")
        .order_by("organisation__name", "-year")
    )
    figures = {
        row["round"]: Progress(row["total"], row["reported"], row["confirmed"])
        for row in Assessment.objects.filter(
            round__organisation__in=round_organisations(user), department__in=readable_departments(user)
        )
        .values("round")
        .annotate(**PROGRESS_COUNTS)
        .order_by()
    }
    entries = [
        {
            "round": round_obj,
            "progress": figures.get(round_obj.pk, Progress()),
            "managed": round_obj.organisation_id in managed_ids,
            "deadline_passed": deadline_passed(round_obj),
        }
        for round_obj in round_list
    ]
    return render(
        request,
        "monitoring/rounds/list.html",
        {"entries": entries, "form": form, "it_office": bool(managed_ids)},
    )


@login_required
def round_progress(request, pk):
    round_obj = _visible_round(request.user, pk)
    departments = readable_departments(request.user).filter(organisation=round_obj.organisation_id)
    rows = department_progress(round_obj, departments)
    total = sum((row.progress for row in rows), Progress())
    return render(
        request,
        "monitoring/rounds/progress.html",
        {
            "round": round_obj,
            "rows": rows,
            "total": total,
            "deadline_passed": deadline_passed(round_obj),
            "overdue": [row for row in rows if row.overdue],
            "it_office": is_it_office(request.user, round_obj.organisation),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def round_close(request, pk):
    round_obj = _managed_round(request.user, pk)
    if round_obj.is_closed:
        messages.info(request, f"Die Erhebungsrunde {round_obj} ist bereits abgeschlossen.")
        return redirect("rounds")
    if request.method == "POST":
        with transaction.atomic():
            # Edits in flight hold row locks on the assessments they write; closing waits for them to finish.
            list(Assessment.objects.select_for_update().filter(round=round_obj).values_list("pk", flat=True))
            SurveyRound.objects.filter(pk=round_obj.pk).update(is_closed=True)
        messages.success(
            request, f"Die Erhebungsrunde {round_obj} ist abgeschlossen; ihre Bewertungen sind nun schreibgeschützt."
        )
        return redirect("rounds")
    return _confirmation(request, round_obj, "close")


@login_required
@require_http_methods(["GET", "POST"])
def round_reopen(request, pk):
    round_obj = _managed_round(request.user, pk)
    if not round_obj.is_closed:
        messages.info(request, f"Die Erhebungsrunde {round_obj} ist bereits offen.")
        return redirect("rounds")
    if request.method == "POST":
        SurveyRound.objects.filter(pk=round_obj.pk).update(is_closed=False)
        messages.warning(
            request,
            f"Die Erhebungsrunde {round_obj} ist wieder geöffnet; ihre Bewertungen können wieder geändert werden.",
        )
        return redirect("rounds")
    return _confirmation(request, round_obj, "reopen")


def _confirmation(request, round_obj: SurveyRound, action: str):
    figures = (
        Assessment.objects.filter(round=round_obj).aggregate(**PROGRESS_COUNTS)
        if action == "close"
        else {"total": 0, "reported": 0, "confirmed": 0}
    )
    other_open = (
        list(round_obj.organisation.rounds.filter(is_closed=False).exclude(pk=round_obj.pk).order_by("year"))
        if action == "reopen"
        else []
    )
    return render(
        request,
        "monitoring/rounds/confirm.html",
        {"round": round_obj, "action": action, "progress": Progress(**figures), "other_open": other_open},
    )


@login_required
@require_http_methods(["GET", "POST"])
def round_deadline(request, pk):
    round_obj = _managed_round(request.user, pk)
    form = DeadlineForm(request.POST or None, instance=round_obj)
    if request.method == "POST" and form.is_valid():
        round_obj.save(update_fields=["deadline"])
        deadline = round_obj.deadline.strftime("%d.%m.%Y") if round_obj.deadline else "keine"
        messages.success(request, f"Die Meldefrist der Erhebungsrunde {round_obj} ist nun: {deadline}.")
        return redirect("rounds")
    return render(request, "monitoring/rounds/deadline.html", {"round": round_obj, "form": form})


@login_required
def department_activity(request, pk):
    department = get_object_or_404(readable_departments(request.user).select_related("organisation"), pk=pk)
    if not is_it_office(request.user, department.organisation):
        raise PermissionDenied("Das Aktivitätsprotokoll einer Einheit sieht nur die IT-Steuerung.")
    round_choices = list(department.organisation.rounds.order_by("-year"))
    selected = next((r for r in round_choices if str(r.pk) == request.GET.get("runde")), None)
    changes = (
        AssessmentChange.objects.filter(assessment__department=department)
        .select_related("user", "assessment__leika_entry", "assessment__round")
        .order_by("-at", "-pk")
    )
    if selected is not None:
        changes = changes.filter(assessment__round=selected)
    page = Paginator(changes, ACTIVITY_PAGE_SIZE).get_page(request.GET.get("seite"))
    for change in page:
        change.assessment_url = assessment_url(change.assessment_id)
    return render(
        request,
        "monitoring/rounds/activity.html",
        {
            "department": department,
            "rounds": round_choices,
            "selected": selected,
            "page": page,
            "page_query": urlencode({"runde": selected.pk}) + "&" if selected else "",
        },
    )
