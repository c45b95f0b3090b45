"""The OZG planning workspace of an organisation: its list with filters and exports, a row's detail page with
history, in-place and bulk edits, and the Excel sheet (download, upload, preview, apply).

Members of the organisation read every row; the IT office changes every row, an editor of a department the rows
whose responsible department is theirs. Another organisation's rows answer 404, a visible row the user may not
change 403. Nothing is written outside `planning.apply_plan_changes`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import (
    may_edit_plan,
    may_edit_some_plans,
    plan_departments,
    require_plan_editable,
    visible_organisation_or_404,
)
from ..editing import EditConflict, EditRefused, RowsInvalid, current_values
from ..exports.lists import file_views, plan_export
from ..filtersets import PlanFilterSet
from ..forms import PlanBulkForm, PlanForm, PlanRowForm, SheetUploadForm
from ..http import is_htmx, organisation_choice, safe_next
from ..links import assessment_url
from ..models import ChangeSource, OzgPlan
from ..ozg_sheet import SESSION_KEY, build_workbook, file_name, plan_upload, sheet_rows
from ..planning import PLAN_FIELDS, apply_plan_changes, bundled_assessments, plan_of, plan_rows
from ..roundtrip import restore_values
from ..sheet_pages import kept_preview, refused_page, upload_preview, workbook_download
from ..tables import DEFAULT_PAGE_SIZE, PAGE_SIZES, NarrowPagePaginator, PlanTable, paginate, status_badge


def list_url(organisation) -> str:
    return reverse("ozg_plans", args=[organisation.pk])


def row_of_404(organisation, ozg_id):
    """The OZG-Leistung as the list shows it, with the organisation's plan; 404 for one not in the catalogue."""
    return get_object_or_404(plan_rows(organisation), ozg_id=ozg_id)


def make_table(request, organisation, rows) -> PlanTable:
    return PlanTable(
        rows,
        request=request,
        departments=plan_departments(request.user, organisation),
        base_url=list_url(organisation),
    )


def page_size(request) -> int:
    value = request.GET.get("pro_seite", "")
    return int(value) if value.isdigit() and int(value) in PAGE_SIZES else DEFAULT_PAGE_SIZE


def back_to_list(request, organisation) -> str:
    wanted = request.POST.get("next") or request.headers.get("HX-Current-URL")
    return safe_next(request, wanted) if wanted else list_url(organisation)


def save_plan(request, organisation, row, form, *, source, comment=""):
    """Save one plan's valid form through the write path: (saved, form, conflict), like the assessments' save_row."""
    try:
        apply_plan_changes(
            request.user,
            organisation,
            [row.pk],
            form.values(),
            versions={row.pk: form.cleaned_data["version"]},
            source=source,
            comment=comment,
        )
    except EditConflict as refused:
        conflict = refused.conflicts[0]
        data = request.POST.copy()
        data[form.add_prefix("version")] = str(conflict.row.version)
        form = type(form)(data, organisation=organisation, leistung=row, plan=conflict.row, prefix=form.prefix)
        form.is_valid()
        return False, form, conflict
    except EditRefused as refused:
        form.show_refusal(refused)
        return False, form, None
    return True, form, None


# --- the list ----------------------------------------------------------------------------------------------------


@login_required
@require_GET
def ozg_index(request):
    return organisation_choice(request, "ozg_plans", "monitoring/ozg/index.html")


@login_required
@require_GET
def ozg_plans(request, pk):
    organisation = visible_organisation_or_404(request.user, pk)
    filterset = PlanFilterSet(request.GET, queryset=plan_rows(organisation), organisation=organisation)
    table = make_table(request, organisation, filterset.qs)
    per_page = page_size(request)
    paginate(table, request, per_page, NarrowPagePaginator)
    filter_query = request.GET.copy()
    for name in ("seite", "sortierung", "pro_seite"):
        filter_query.pop(name, None)
    editable = may_edit_some_plans(request.user, organisation)
    return render(
        request,
        "monitoring/ozg/plans.html",
        {
            "organisation": organisation,
            "filterset": filterset,
            "table": table,
            "bulk_form": PlanBulkForm(organisation=organisation) if editable else None,
            "sheet_form": SheetUploadForm(auto_id="id_tabelle_%s") if editable else None,
            "sheet_url": sheet_download_url(organisation, filter_query),
            "page_sizes": PAGE_SIZES,
            "per_page": per_page,
            "filter_active": any(filter_query.values()),
        },
    )


ozg_plans_xlsx, ozg_plans_csv = file_views(plan_export)


# --- one row -------------------------------------------------------------------------------------------------------


def bundled_context(request, organisation, row, plan) -> dict:
    """The LeiKa side of the detail page: the readable assessments of the bundled services and the finding."""
    bundled = bundled_assessments(request.user, organisation, row, plan.state if plan else None)
    # One address pattern for every row rather than a reverse per row.
    address = assessment_url(0).removesuffix("0/")
    return {
        "bundled": bundled,
        "bundled_rows": [(a, status_badge(a), f"{address}{a.pk}/") for a in bundled.rows],
    }


def detail_context(request, organisation, row, *, form=None, conflict=None):
    plan = plan_of(row)
    editable = may_edit_plan(request.user, organisation, plan)
    if editable and form is None:
        form = PlanForm(organisation=organisation, leistung=row, plan=plan)
    shown_plan = plan or PlanForm(organisation=organisation, leistung=row).instance
    return {
        "organisation": organisation,
        "leistung": row,
        "plan": plan,
        "values": current_values(shown_plan, PLAN_FIELDS),
        "form": form if editable or (form is not None and form.is_bound) else None,
        "conflict": conflict,
        "conflict_values": current_values(conflict.row, PLAN_FIELDS) if conflict else None,
        "history": plan.changes.select_related("user").order_by("-at", "-pk") if plan else [],
        "list_url": list_url(organisation),
        **bundled_context(request, organisation, row, plan),
    }


@login_required
@require_http_methods(["GET", "POST"])
def ozg_plan_detail(request, pk, ozg_id):
    organisation = visible_organisation_or_404(request.user, pk)
    row = row_of_404(organisation, ozg_id)
    if request.method == "GET":
        return render(request, "monitoring/ozg/detail.html", detail_context(request, organisation, row))
    require_plan_editable(request.user, organisation, plan_of(row))
    form = PlanForm(request.POST, organisation=organisation, leistung=row, plan=plan_of(row))
    conflict = None
    if form.is_valid():
        saved, form, conflict = save_plan(
            request, organisation, row, form, source=ChangeSource.PAGE, comment=form.cleaned_data["comment"]
        )
        if saved:
            messages.success(request, "Ihre Änderungen wurden gespeichert.")
            return redirect("ozg_plan_detail", pk=organisation.pk, ozg_id=ozg_id)
    if conflict:
        row = row_of_404(organisation, ozg_id)
    context = detail_context(request, organisation, row, form=form, conflict=conflict)
    return render(request, "monitoring/ozg/detail.html", context)


def row_response(request, organisation, ozg_id, *, status_text=""):
    table = make_table(request, organisation, plan_rows(organisation).filter(ozg_id=ozg_id))
    table.focus_row = ozg_id
    return render(request, "monitoring/ozg/row_fragment.html", {"table": table, "status_text": status_text})


def row_form_response(request, organisation, row, form, *, conflict=None):
    first = next((name for name in form.fields if name in form.errors), next(iter(form.visible_fields())).name)
    form.fields[first].widget.attrs["autofocus"] = True
    return render(
        request,
        "monitoring/ozg/row_form.html",
        {
            "organisation": organisation,
            "leistung": row,
            "form": form,
            "colspan": len(PlanTable.base_columns),
            "next": back_to_list(request, organisation),
            "conflict": conflict,
            "conflict_values": current_values(conflict.row, form._meta.fields) if conflict else None,
            "row_url": reverse("ozg_plan_row", args=[organisation.pk, row.ozg_id]),
            "detail_url": reverse("ozg_plan_detail", args=[organisation.pk, row.ozg_id]),
        },
    )


def row_prefix(row) -> str:
    return f"ozg-{row.ozg_id}"


@login_required
@require_GET
def ozg_plan_row_edit(request, pk, ozg_id):
    organisation = visible_organisation_or_404(request.user, pk)
    row = row_of_404(organisation, ozg_id)
    require_plan_editable(request.user, organisation, plan_of(row))
    if not is_htmx(request):
        return redirect("ozg_plan_detail", pk=pk, ozg_id=ozg_id)
    form = PlanRowForm(organisation=organisation, leistung=row, plan=plan_of(row), prefix=row_prefix(row))
    return row_form_response(request, organisation, row, form)


@login_required
@require_http_methods(["GET", "POST"])
def ozg_plan_row(request, pk, ozg_id):
    organisation = visible_organisation_or_404(request.user, pk)
    row = row_of_404(organisation, ozg_id)
    if request.method == "GET":
        if not is_htmx(request):
            return redirect("ozg_plan_detail", pk=pk, ozg_id=ozg_id)
        return row_response(request, organisation, ozg_id)
    require_plan_editable(request.user, organisation, plan_of(row))
    form = PlanRowForm(request.POST, organisation=organisation, leistung=row, plan=plan_of(row), prefix=row_prefix(row))
    label = f"{row.ozg_id} {row.name}"
    conflict = None
    if form.is_valid():
        saved, form, conflict = save_plan(request, organisation, row, form, source=ChangeSource.INLINE)
        if saved:
            if is_htmx(request):
                return row_response(request, organisation, ozg_id, status_text=f"Gespeichert: {label}")
            messages.success(request, f"Gespeichert: {label}")
            return redirect(back_to_list(request, organisation))
    if is_htmx(request):
        return row_form_response(request, organisation, row, form, conflict=conflict)
    problems = conflict.lines() if conflict else [str(m) for errors in form.errors.values() for m in errors]
    messages.error(request, f"Nicht gespeichert: {label}. " + " ".join(problems))
    return redirect(back_to_list(request, organisation))


# --- many rows -----------------------------------------------------------------------------------------------------


def parse_selection(values: list[str]) -> dict[int, int]:
    """{OZG-ID: version} from the checkboxes' "ozg_id:version" values."""
    selection = {}
    for value in values:
        ozg_id, _, version = value.partition(":")
        if not all(part.isascii() and part.isdigit() and len(part) <= 9 for part in (ozg_id, version)):
            raise ValueError(value)
        selection[int(ozg_id)] = int(version)
    return selection


def count_text(count: int) -> str:
    return "1 OZG-Leistung" if count == 1 else f"{intcomma(count)} OZG-Leistungen"


@login_required
@require_POST
def ozg_plans_bulk(request, pk):
    organisation = visible_organisation_or_404(request.user, pk)
    back = back_to_list(request, organisation)
    try:
        selection = parse_selection(request.POST.getlist("auswahl"))
    except ValueError:
        return HttpResponseBadRequest("Die Auswahl ist ungültig.")
    if not selection:
        messages.error(request, "Bitte wählen Sie mindestens eine Zeile aus. Es wurde nichts geändert.")
        return redirect(back)
    rows = {row.ozg_id: row for row in plan_rows(organisation).filter(ozg_id__in=selection)}
    if len(rows) != len(selection):
        raise Http404("Nicht alle ausgewählten OZG-Leistungen sind für Sie sichtbar.")
    for row in rows.values():
        require_plan_editable(request.user, organisation, plan_of(row))
    form = PlanBulkForm(request.POST, organisation=organisation)
    if not form.is_valid():
        problems = [str(m) for errors in form.errors.values() for m in errors]
        messages.error(request, "Nichts geändert: " + " ".join(problems))
        return redirect(back)
    try:
        result = apply_plan_changes(
            request.user,
            organisation,
            [row.pk for row in rows.values()],
            form.values(),
            versions={rows[ozg_id].pk: version for ozg_id, version in selection.items()},
            source=ChangeSource.BULK,
            comment=form.cleaned_data["comment"],
        )
    except EditRefused as refused:
        heading = {
            EditConflict: "Nichts geändert: andere haben inzwischen geändert.",
            RowsInvalid: "Nichts geändert: die Werte verletzen Regeln.",
        }.get(type(refused), "Nichts geändert.")
        messages.error(request, " ".join([heading, *refused.lines()]))
        return redirect(back)
    total = len(result.rows)
    messages.success(
        request,
        f"Sammelbearbeitung gespeichert: {result.changed} von {count_text(total)} geändert, "
        f"{total - result.changed} waren schon so.",
    )
    return redirect(back)


# --- the Excel sheet -----------------------------------------------------------------------------------------------


def sheet_download_url(organisation, filter_query) -> str:
    """The sheet of the list's filter (its query without page, sort and page size)."""
    query = filter_query.urlencode()
    return reverse("ozg_plan_sheet", args=[organisation.pk]) + (f"?{query}" if query else "")


def sheet_organisation_or_refuse(user, pk):
    """The organisation whose plans the user changes in a sheet: 404 for another organisation, 403 for a reader."""
    organisation = visible_organisation_or_404(user, pk)
    if not may_edit_some_plans(user, organisation):
        raise PermissionDenied("Die OZG-Planung bearbeiten nur die IT-Steuerung und die verantwortlichen Einheiten.")
    return organisation


@login_required
@require_GET
def ozg_plan_sheet(request, pk):
    """The rows of the filtered list that the user may change, as an .xlsx to edit and upload again."""
    organisation = sheet_organisation_or_refuse(request.user, pk)
    filterset = PlanFilterSet(request.GET, queryset=sheet_rows(request.user, organisation), organisation=organisation)
    shown_filter = "; ".join(f"{name}={value}" for name, value in request.GET.items() if value)
    workbook = build_workbook(request.user, organisation, filterset.qs, shown_filter)
    return workbook_download(workbook, file_name(organisation))


def sheet_context(organisation) -> dict:
    return {
        "organisation": organisation,
        "sheet_name": f"OZG-Planung {organisation}",
        "subject": f"OZG-Planung {organisation}",
        "noun": "OZG-Leistung",
        "key_label": "OZG-ID",
        "upload_url": reverse("ozg_plan_sheet_upload", args=[organisation.pk]),
        "list_url": list_url(organisation),
        "back_url": list_url(organisation),
        "back_label": "Zurück zur OZG-Planung",
    }


@login_required
@require_POST
def ozg_plan_sheet_upload(request, pk):
    organisation = sheet_organisation_or_refuse(request.user, pk)
    return upload_preview(
        request,
        sheet_context(organisation),
        lambda upload, name: plan_upload(upload, name, request.user, organisation),
        session_key=SESSION_KEY,
        scope={"organisation": organisation.pk},
        apply_url=lambda token: reverse("ozg_plan_sheet_apply", args=[organisation.pk, token]),
    )


@login_required
@require_POST
def ozg_plan_sheet_apply(request, pk, token):
    """Apply exactly what the preview showed, all or nothing; the write path checks versions and scope again."""
    organisation = sheet_organisation_or_refuse(request.user, pk)
    job = kept_preview(request, SESSION_KEY, token, {"organisation": organisation.pk})
    try:
        result = apply_plan_changes(
            request.user,
            organisation,
            sorted(row["id"] for row in job["rows"]),
            per_row=restore_values(OzgPlan, job["rows"]),
            versions={row["id"]: row["version"] for row in job["rows"]},
            source=ChangeSource.SHEET,
            comment=f"Excel-Tabelle „{job['filename']}“",
        )
    except EditRefused as refused:
        return refused_page(request, sheet_context(organisation), job["filename"], refused)
    messages.success(
        request,
        f"Aus der Tabelle „{job['filename']}“ übernommen: {count_text(result.changed)} der OZG-Planung geändert.",
    )
    return redirect("ozg_plans", pk=organisation.pk)
