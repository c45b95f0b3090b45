"""Survey rounds in the browser: progress per department, opening, closing and deadlines, and the activity feed."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from .. import jobs
from ..access import (
    is_it_office,
    it_office_organisations,
    readable_departments,
    visible_organisations,
)
from ..carryover import open_round, open_round_params, round_to_open
from ..choices import JobKind
from ..dashboard import warm_later
from ..forms import DeadlineForm, OpenRoundForm
from ..links import assessment_url
from ..models import Assessment, AssessmentChange, Organisation, SurveyRound
from ..progress import PROGRESS_COUNTS, Progress, deadline_passed, department_progress

ACTIVITY_PAGE_SIZE = 50

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
                new_round, previous, _ = round_to_open(**form.cleaned_data)
                if previous is not None:
                    # Carrying a round over writes a row per service: in the background, with its progress.
                    job = jobs.start(
                        user,
                        JobKind.OPEN_ROUND,
                        f"Erhebungsrunde {new_round} eröffnen",
                        open_round_params(form.cleaned_data),
                        organisation=new_round.organisation,
                        total=previous.assessments.count(),
                        unit="Bewertungen",
                    )
                    return redirect("job_detail", job.pk)
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
        row["round"]: Progress(row["total"], row["reported"], row["confirmed"], row["carried"])
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
            # Its figures are final now: prepared for the committee's readers before the first of them asks.
            warm_later([round_obj.organisation])
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
        other = round_obj.other_open_round()
        if other is None:
            try:
                with transaction.atomic():
                    SurveyRound.objects.filter(pk=round_obj.pk).update(is_closed=False)
            except IntegrityError:  # another round was opened in the same moment; the constraint kept one
                other = round_obj.other_open_round()
        if other is not None:
            messages.error(
                request,
                f"Die Erhebungsrunde {round_obj} wurde nicht wieder geöffnet: die Runde {other} ist noch offen, und "
                "eine Organisation hat höchstens eine offene Runde.",
            )
            return redirect("rounds")
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
        else {"total": 0, "reported": 0, "confirmed": 0, "carried": 0}
    )
    other_open = round_obj.other_open_round() if action == "reopen" else None
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
