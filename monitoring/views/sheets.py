"""The department's Excel sheet in the browser: download, upload with a preview of changes and errors, apply."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from .. import jobs
from ..access import editable_departments, readable_departments
from ..choices import JobKind
from ..editing import EditRefused
from ..forms import SheetUploadForm
from ..links import my_services_url
from ..models import Department, SurveyRound
from ..sheet_pages import kept_preview, refused_page, upload_preview, workbook_download
from ..sheets import (
    SESSION_KEY,
    applied_message,
    apply_sheet,
    build_workbook,
    confirmed_count,
    file_name,
    plan_upload,
)

# --- who may use which sheet ---------------------------------------------------------------------------------------


def department_or_404(user, pk) -> Department:
    """An editable department; a department the user only reads answers 403, any other 404."""
    department = editable_departments(user).select_related("organisation").filter(pk=pk).first()
    if department is None:
        if readable_departments(user).filter(pk=pk).exists():
            raise PermissionDenied("Sie dürfen die Leistungen dieser Organisationseinheit nicht bearbeiten.")
        raise Http404("Diese Organisationseinheit gibt es nicht oder sie ist für Sie nicht sichtbar.")
    return department


def open_round_or_refuse(department, round_pk) -> SurveyRound:
    round_obj = get_object_or_404(
        SurveyRound.objects.select_related("organisation", "catalogue_version", "maturity_scale"),
        pk=round_pk,
        organisation_id=department.organisation_id,
    )
    if round_obj.is_closed:
        raise PermissionDenied(
            f"Die Erhebungsrunde {round_obj} ist abgeschlossen und kann nicht mehr bearbeitet werden."
        )
    return round_obj


def _sheet_entries(user, department_pk=None) -> list[dict]:
    departments = editable_departments(user).select_related("organisation").order_by("organisation__name", "code")
    if department_pk is not None:
        departments = departments.filter(pk=department_pk)
    departments = list(departments)
    rounds = SurveyRound.objects.filter(
        is_closed=False, organisation__in={d.organisation_id for d in departments}
    ).select_related("catalogue_version", "maturity_scale")
    by_org: dict[int, list[SurveyRound]] = {}
    for round_obj in rounds.order_by("-year"):
        by_org.setdefault(round_obj.organisation_id, []).append(round_obj)
    return [
        {
            "department": department,
            "round": round_obj,
            "list_url": my_services_url(einheit=department.pk, runde=round_obj.pk),
            "form": SheetUploadForm(auto_id=f"id_tabelle_{department.pk}_{round_obj.pk}_%s"),
        }
        for department in departments
        for round_obj in by_org.get(department.organisation_id, [])
    ]


@login_required
@require_GET
def department_sheets(request, pk=None):
    """The user's departments with their open rounds: download and upload of each sheet."""
    department = department_or_404(request.user, pk) if pk is not None else None
    return render(
        request,
        "monitoring/sheets/index.html",
        {"department": department, "entries": _sheet_entries(request.user, pk)},
    )


@login_required
@require_GET
def department_sheet_download(request, pk, round_pk):
    department = department_or_404(request.user, pk)
    round_obj = open_round_or_refuse(department, round_pk)
    return workbook_download(build_workbook(department, round_obj, request.user), file_name(department, round_obj))


def _sheet_context(department, round_obj) -> dict:
    return {
        "department": department,
        "round": round_obj,
        "sheet_name": f"{department.code} {round_obj.year}",
        "subject": f"{department.code} {department.name} · Erhebungsrunde {round_obj.year}",
        "noun": "Leistung",
        "key_label": "Schlüssel",
        "upload_url": reverse("department_sheet_upload", args=[department.pk, round_obj.pk]),
        "list_url": my_services_url(einheit=department.pk, runde=round_obj.pk),
        "back_url": reverse("department_sheet", args=[department.pk]),
        "back_label": "Zurück zur Tabelle der Einheit",
    }


def _scope(department, round_obj) -> dict:
    return {"department": department.pk, "round": round_obj.pk}


@login_required
@require_POST
def department_sheet_upload(request, pk, round_pk):
    department = department_or_404(request.user, pk)
    round_obj = open_round_or_refuse(department, round_pk)
    return upload_preview(
        request,
        _sheet_context(department, round_obj),
        lambda upload, name: plan_upload(upload, name, department, round_obj),
        session_key=SESSION_KEY,
        scope=_scope(department, round_obj),
        apply_url=lambda token: reverse("department_sheet_apply", args=[department.pk, round_obj.pk, token]),
    )


@login_required
@require_POST
def department_sheet_apply(request, pk, round_pk, token):
    department = department_or_404(request.user, pk)
    round_obj = open_round_or_refuse(department, round_pk)
    kept = kept_preview(request, SESSION_KEY, token, _scope(department, round_obj))
    if len(kept["rows"]) > settings.SHEET_JOB_ROWS:
        # A large sheet is written in the background, with its progress; a small one at once, as before.
        job = jobs.start(
            request.user,
            JobKind.SHEET,
            f"Tabelle „{kept['filename']}“ übernehmen ({department.code}, Erhebungsrunde {round_obj.year})",
            kept,
            organisation=department.organisation,
            total=len(kept["rows"]),
            unit="Zeilen",
        )
        return redirect("job_detail", job.pk)
    try:
        result = apply_sheet(request.user, department, round_obj, kept)
    except EditRefused as refused:
        return refused_page(request, _sheet_context(department, round_obj), kept["filename"], refused)
    messages.success(
        request, applied_message(kept["filename"], department, round_obj, result.changed, confirmed_count(kept))
    )
    return redirect("department_sheet", pk=department.pk)
