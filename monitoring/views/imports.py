"""Catalogue and online-service imports in the browser: upload, preview (a dry run), confirm."""

import secrets
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from leika.tabular import ImportFailed

from .. import jobs
from ..access import it_office_organisations, may_import
from ..choices import JobKind
from ..forms import ImportForm
from ..imports import LEIKA, OZG, discard_job, import_title, run_import, store_upload

SESSION_KEY = "imports"
SHOWN_ERRORS = 20


def _errors_context(failure: ImportFailed) -> dict:
    return {"errors": failure.errors[:SHOWN_ERRORS], "more_errors": max(0, len(failure.errors) - SHOWN_ERRORS)}


@login_required
def import_start(request):
    if not may_import(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        job = {
            "kind": data["kind"],
            "filename": data["file"].name,
            "path": store_upload(data["file"]),
            "version_name": data.get("version_name", "").strip(),
            "valid_from": data["valid_from"].isoformat() if data.get("valid_from") else "",
            "organisation": data["organisation"].pk if data.get("organisation") else None,
            "withdraw_missing": bool(data.get("withdraw_missing")) and data["kind"] == OZG,
        }
        if data["kind"] == LEIKA and data.get("mapping"):
            job["mapping_path"] = store_upload(data["mapping"])
            job["mapping_filename"] = data["mapping"].name
        try:
            outcome = run_import(job, request.user, dry_run=True)
        except ImportFailed as failure:
            discard_job(job)
            return render(
                request, "monitoring/import_preview.html", {"job": job, "failed": True, **_errors_context(failure)}
            )
        token = secrets.token_urlsafe(16)
        request.session.setdefault(SESSION_KEY, {})[token] = job
        request.session.modified = True
        return render(request, "monitoring/import_preview.html", {"job": job, "outcome": outcome, "token": token})
    return render(request, "monitoring/import_form.html", {"form": form})


@login_required
@require_POST
def import_confirm(request, token):
    if not may_import(request.user):
        raise PermissionDenied
    job = request.session.get(SESSION_KEY, {}).pop(token, None)
    request.session.modified = True
    if job is None or not Path(job["path"]).is_file():
        raise Http404("Diese Vorschau ist abgelaufen; bitte die Datei erneut hochladen.")
    # Written in the background, with its progress; the upload is kept until the job is done.
    background_job = jobs.start(
        request.user,
        JobKind.IMPORT,
        import_title(job),
        job,
        organisation=it_office_organisations(request.user).filter(pk=job.get("organisation")).first(),
        total=1,
        unit="Schritt",
    )
    return redirect("job_detail", background_job.pk)
