"""The download, upload and apply steps of every sheet (a department's, an organisation's OZG plans) as responses:
one preview template and one refusal template, filled the same way, so the two sheets answer alike.

The views decide who may use which sheet and what parses or writes it; `context` names the sheet for the templates:
`sheet_name`, `subject`, `noun` (singular, such as "Leistung"), `key_label`, `upload_url`, `back_url`, `back_label`,
`list_url`.
"""

import io

from django.http import Http404, HttpResponse
from django.shortcuts import render

from leika.tabular import ImportFailed

from .editing import EditConflict, EditRefused
from .exports.workbooks import XLSX_CONTENT_TYPE
from .forms import SheetUploadForm
from .roundtrip import remember, take

PREVIEW_TEMPLATE = "monitoring/sheets/preview.html"
REFUSED_TEMPLATE = "monitoring/sheets/refused.html"


def workbook_download(workbook, filename: str) -> HttpResponse:
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def upload_preview(request, context: dict, parse, *, session_key: str, scope: dict, apply_url):
    """Read the uploaded file with `parse(upload, filename)` and show its preview; a preview without errors and with
    changes is kept under a token for `apply_url(token)`."""
    form = SheetUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        failed = [str(message) for message in form.errors.get("file", [])]
        return render(request, PREVIEW_TEMPLATE, {**context, "form": form, "failed": failed}, status=400)
    upload = form.cleaned_data["file"]
    try:
        preview = parse(upload, upload.name)
    except ImportFailed as failure:
        failed = [str(error) for error in failure.errors]
        return render(request, PREVIEW_TEMPLATE, {**context, "form": SheetUploadForm(), "failed": failed}, status=400)
    token = remember(request, session_key, scope, preview) if preview.to_apply and not preview.errors else None
    return render(
        request,
        PREVIEW_TEMPLATE,
        {
            **context,
            "plan": preview,
            "token": token,
            "apply_url": apply_url(token) if token else "",
            "form": SheetUploadForm(),
        },
    )


def kept_preview(request, session_key: str, token: str, scope: dict) -> dict:
    """The preview to apply, once; 404 for one expired, already applied, or of another sheet or user."""
    job = take(request, session_key, token, scope)
    if job is None:
        raise Http404("Diese Vorschau ist abgelaufen oder wurde schon übernommen; bitte die Tabelle erneut hochladen.")
    return job


def refused_page(request, context: dict, filename: str, refused: EditRefused):
    """Nothing was saved: who changed which rows since the preview (409), or the write path's reasons (400)."""
    conflicts = refused.conflicts if isinstance(refused, EditConflict) else []
    problems = [] if conflicts else refused.lines()
    return render(
        request,
        REFUSED_TEMPLATE,
        {**context, "filename": filename, "conflicts": conflicts, "problems": problems},
        status=409 if conflicts else 400,
    )
