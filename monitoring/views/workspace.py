"""The department workspace: "Meine Leistungen" and its exports, a row's detail page, in-place and bulk edits.

Permissions are the same on every view: anonymous visitors are sent to the login page; a row that is not visible to
the user (another department, another organisation) answers 404, because for them it does not exist; a visible row
the user may not change (reader of the department) answers 403 to every write; a save that arrives after the round
was closed is refused with a message that says so and keeps what was typed. Nothing is written
outside `editing.apply_changes`, which checks the model's rules and the version the editor saw.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.forms import ModelChoiceField
from django.http import Http404, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import (
    editable_assessments,
    editable_departments,
    readable_assessments,
    scope_of,
)
from ..detail import current_values, detail_context, readable_or_404
from ..editing import EditConflict, EditRefused, RowsInvalid, apply_changes, shown_value
from ..exports.lists import file_views, my_services_export
from ..filtersets import AssessmentFilterSet
from ..forms import AssessmentForm, BulkEditForm, ColumnsForm, RowForm
from ..fragments import Fragments
from ..http import fragment_next, is_htmx, safe_next
from ..links import my_services_url
from ..models import Assessment, ChangeSource, ClosedRoundError, Department, SurveyRound
from ..progress import Progress
from ..tables import (
    CHOOSABLE_COLUMNS,
    DEFAULT_PAGE_SIZE,
    PAGE_SIZES,
    TABLE_NAME,
    MyServicesTable,
    NarrowPagePaginator,
    chosen_columns,
    page_rows_of,
    paginate,
    remember_columns,
    rows_in_order_of,
    table_rows,
)

# --- helpers ---------------------------------------------------------------------------------------------------------

# The list's order when no column is chosen: by round, then key; the round by its id, which needs no join (ordering
# by the round itself would pull in its organisation's name through the models' default order, for every row), the
# key as the row keeps it (Assessment.entry_key): the first page comes from an index of the assessments alone.
LIST_ORDER = ("round_id", "entry_key", "pk")


def sorts_by_name(request, table) -> bool:
    return request.GET.get(table.prefixed_order_by_field, "").removeprefix("-") == "name"


def make_table(request, rows, next_url: str, columns=None, **known) -> MyServicesTable:
    return MyServicesTable(
        rows,
        columns=chosen_columns(request.user) if columns is None else columns,
        editable_departments=scope_of(request).editable_department_ids,
        next_url=next_url,
        **known,
    )


def page_size(request) -> int:
    try:
        value = int(request.GET.get("pro_seite", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return value if value in PAGE_SIZES else DEFAULT_PAGE_SIZE


def with_version(data: QueryDict, name: str, version: int) -> QueryDict:
    """The editor's input with the version they have now seen, so that saving again is a deliberate choice."""
    data = data.copy()
    data[name] = str(version)
    return data


def closed_since_message(assessment) -> str:
    return (
        f"Nicht gespeichert: die Erhebungsrunde {assessment.round} wurde inzwischen abgeschlossen. Ihre Eingaben "
        "stehen noch im Formular; Änderungen nimmt jetzt nur noch die IT-Steuerung entgegen."
    )


def save_row(request, assessment, form, *, source: str, comment: str = ""):
    """Save one row's valid form through the one write path: (saved, form, conflict).

    Values the rules refuse come back as errors on the form. On a conflict nothing is written and the form is bound
    again with the version now seen, so that saving again is a deliberate choice of the editor.
    """
    try:
        apply_changes(
            request.user,
            [assessment.pk],
            form.values(),
            versions={assessment.pk: form.cleaned_data["version"]},
            source=source,
            comment=comment,
        )
    except EditRefused as refused:
        if isinstance(refused, ClosedRoundError):
            form.add_error(None, closed_since_message(assessment))
            return False, form, None
        if not isinstance(refused, EditConflict):
            form.show_refusal(refused)
            return False, form, None
        conflict = refused.conflicts[0]
        data = with_version(request.POST, form.add_prefix("version"), conflict.assessment.version)
        form = type(form)(data, assessment=assessment, prefix=form.prefix)
        form.is_valid()
        return False, form, conflict
    return True, form, None


def services(count: int) -> str:
    return "1 Leistung" if count == 1 else f"{intcomma(count)} Leistungen"


def editable_open_rounds(scope):
    departments = Department.objects.filter(pk__in=scope.editable_department_ids)
    return SurveyRound.objects.filter(is_closed=False, organisation__in=departments.values("organisation"))


# --- "Meine Leistungen" ------------------------------------------------------------------------------------------


@dataclass
class BulkPanel:
    """The bulk-edit form of the list: its fields as kept (the same for every page of the same choices) and the
    hidden values of this page, which are not."""

    fields: str
    filter: str
    seen_at: str


@dataclass
class FilterChip:
    """An active filter above the list: what it shows, and the list without it."""

    text: str
    remove_url: str


def filter_chips(filterset, query: QueryDict) -> list[FilterChip]:
    """The list's active filters, one chip per value (a value of a multiple choice is removed on its own)."""
    if not filterset.is_valid():
        return []
    chips = []
    for name, field in filterset.form.fields.items():
        values = [value for value in query.getlist(name) if value]
        if not values:
            continue
        cleaned = filterset.form.cleaned_data.get(name)
        # A model's choices would be read again from the database: its chosen object is in the cleaned data.
        model_choice = isinstance(field, ModelChoiceField)
        choices = {} if model_choice else {str(key): label for key, label in getattr(field, "choices", ())}
        for value in values:
            if model_choice and cleaned is not None and not isinstance(cleaned, str):
                shown = str(cleaned)
            else:
                shown = choices.get(value, value)
            rest = query.copy()
            rest.setlist(name, [other for other in values if other != value])
            rest.pop("seite", None)
            chips.append(FilterChip(f"{field.label}: {shown}", my_services_url(rest.urlencode())))
    return chips


def list_progress(filterset, query: QueryDict, paginator=None) -> Progress:
    """Confirmed of the rows the list's filter covers, whether confirmed or not: what is left to do there (the
    filters "bestätigt" and "geändert" narrow what is shown, not what is to be done). For a filter the rounds' kept
    figures cannot answer (filterset.listed_progress): from the page's query where it counted the rows listed
    (NarrowPagePaginator.confirmed_read) and they are those rows, else one query."""
    wider = query.copy()
    for name in ("bestaetigt", "geaendert"):
        wider.pop(name, None)
    if wider == query and getattr(paginator, "confirmed_read", None) is not None:
        return Progress(total=paginator.count, confirmed=paginator.confirmed_read)
    if wider == query:
        rows = filterset.qs
    else:
        rows = AssessmentFilterSet(wider, queryset=filterset.queryset, scope=filterset.scope).qs
    figures = rows.aggregate(total=Count("pk"), confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)))
    return Progress(total=figures["total"], confirmed=figures["confirmed"])


def bulk_fields(scope) -> str:
    return render_to_string(
        "monitoring/workspace/bulk_fields.html", {"bulk_form": BulkEditForm(rounds=editable_open_rounds(scope))}
    )


@login_required
@require_GET
def my_services(request):
    user = request.user
    scope = scope_of(request)
    filterset = AssessmentFilterSet(request.GET, queryset=scope.readable_assessments(), scope=scope)
    columns = chosen_columns(user)
    # The table holds the narrow query (filters and sort keys only): the page's keys come from it, the count from
    # the filtered rows alone, and the rows with all they show are read for the page's keys only.
    table = make_table(
        request,
        filterset.qs.order_by(*LIST_ORDER),
        next_url=request.get_full_path(),
        columns=columns,
        # Known from the scope and the filter's rounds: the rows are read without them.
        departments={department[0]: (department[1], department[2]) for department in scope.departments},
        closed_rounds={round_[0]: round_[2] for round_ in filterset.rounds},
    )
    per_page = page_size(request)
    listed = filterset.listed_progress()
    plain = filterset.plain_scope()
    paginate(
        table,
        request,
        per_page,
        NarrowPagePaginator,
        rows=page_rows_of(scope.readable_department_ids),
        counted=filterset.qs,
        # Sorted by name: true of every row (an entry belongs to its round's catalogue version), and with it the
        # database reads the first rows in name order from the index of the versions' names instead of sorting them
        # all. Every other order is by the row's own columns, which the join would only slow down.
        page_filter=Q(leika_entry__version__in=filterset.catalogue_versions) if sorts_by_name(request, table) else None,
        count_with_page=filterset.searches_text,
        # Unfiltered or by round, department and confirmation only: counted from the rounds' kept figures.
        known_count=listed[1] if listed else None,
        # All rows of departments in rounds, in the list's own order: the first pages whole in one query.
        wide_page=rows_in_order_of(*plain) if plain and not request.GET.get(table.prefixed_order_by_field) else None,
    )

    chosen_round = filterset.chosen_round
    writable = (
        bool(table.editable_departments) and not (chosen_round and chosen_round.is_closed) and table.paginator.count > 0
    )
    filter_query = request.GET.copy()
    for name in ("seite", "sortierung", "pro_seite"):
        filter_query.pop(name, None)
    filter_active = any(filter_query.values())
    # The filter form and the bulk form's fields show nothing of the rows: the same choices (choices_key) and the
    # same filter give the same markup, rendered once and kept; the columns chosen likewise.
    shown_filter = sorted(
        (name, request.GET.getlist(name)) for name in request.GET if name not in ("seite", "sortierung")
    )
    fragments = Fragments(
        filter=(filterset.choices_key, shown_filter),
        columns=(columns,),
        **({"bulk": (filterset.choices_key,)} if writable else {}),
    )

    def filter_panel():
        filterset.keep_choices()
        context = {"filterset": filterset, "filter_url": reverse("my_services"), "per_page": per_page}
        return render_to_string("monitoring/_list_filter.html", {**context, "filter_active": filter_active})

    def columns_field():
        form = ColumnsForm(choices=CHOOSABLE_COLUMNS, initial={"columns": columns})
        return render_to_string("monitoring/workspace/columns_field.html", {"columns_form": form})

    bulk_form = None
    if writable:
        bulk_form = BulkPanel(
            fields=fragments.get("bulk", lambda: bulk_fields(scope)),
            filter=filter_query.urlencode(),
            seen_at=timezone.now().isoformat(),
        )
    return render(
        request,
        "monitoring/workspace/my_services.html",
        {
            "filterset": filterset,
            "filter_panel": fragments.get("filter", filter_panel),
            "columns_field": fragments.get("columns", columns_field),
            "table": table,
            "chosen_round": chosen_round,
            "bulk_form": bulk_form,
            "page_sizes": PAGE_SIZES,
            "per_page": per_page,
            "filter_active": filter_active,
            "filter_chips": filter_chips(filterset, request.GET),
            "progress": listed[0] if listed else list_progress(filterset, filter_query, table.paginator),
        },
    )


my_services_xlsx, my_services_csv = file_views(my_services_export)


@login_required
@require_POST
def my_services_columns(request):
    back = safe_next(request, request.POST.get("next"))
    if request.POST.get("standard"):
        request.user.table_preferences.filter(table=TABLE_NAME).delete()
        messages.success(request, "Die Liste zeigt wieder die Standardspalten.")
        return redirect(back)
    form = ColumnsForm(request.POST, choices=CHOOSABLE_COLUMNS)
    if form.is_valid():
        chosen = set(form.cleaned_data["columns"])
        remember_columns(request.user, [name for name, _ in CHOOSABLE_COLUMNS if name in chosen])
        messages.success(request, "Ihre Spaltenauswahl wurde gespeichert.")
    else:
        messages.error(request, "Die Spaltenauswahl ist ungültig und wurde nicht gespeichert.")
    return redirect(back)


# --- one row: detail page, in place, confirm ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def assessment_detail(request, pk):
    assessment = readable_or_404(request, pk)
    if request.method == "GET":
        return render(request, "monitoring/workspace/detail.html", detail_context(request, assessment))
    scope_of(request).require_edit_role(assessment)
    form = AssessmentForm(request.POST, assessment=assessment)
    conflict = None
    if form.is_valid():
        saved, form, conflict = save_row(
            request, assessment, form, source=ChangeSource.PAGE, comment=form.cleaned_data["comment"]
        )
        if saved:
            messages.success(request, "Ihre Änderungen wurden gespeichert.")
            return redirect("assessment_detail", pk=assessment.pk)
    if conflict:
        assessment = readable_or_404(request, pk)
    return render(
        request, "monitoring/workspace/detail.html", detail_context(request, assessment, form=form, conflict=conflict)
    )


def row_response(request, pk, *, next_url, focus=False, notice="", status_text=""):
    """The row as the list shows it, for htmx to put in place of the form or the old row: the list's own row
    template, given this one row."""
    table = make_table(request, table_rows(scope_of(request).readable_assessments().filter(pk=pk)), next_url)
    if focus:
        table.focus_row = pk
    if notice:
        table.notices[pk] = notice
    elif status_text:
        table.feedback[pk] = status_text
    return render(request, "monitoring/workspace/row_fragment.html", {"table": table})


def row_form_response(request, assessment, form, *, next_url, conflict=None):
    # Keyboard focus goes to the first field with an error, else to the first field.
    first = next((name for name in form.fields if name in form.errors), next(iter(form.visible_fields())).name)
    form.fields[first].widget.attrs["autofocus"] = True
    return render(
        request,
        "monitoring/workspace/row_form.html",
        {
            "assessment": assessment,
            "form": form,
            # Selection, key with name, actions, and the other chosen columns.
            "colspan": 3 + len([name for name in chosen_columns(request.user) if name != "name"]),
            "next": next_url,
            "conflict": conflict,
            "conflict_values": current_values(conflict.assessment, form._meta.fields) if conflict else None,
        },
    )


def row_prefix(assessment) -> str:
    return f"zeile-{assessment.pk}"


@login_required
@require_GET
def assessment_row_edit(request, pk):
    assessment = readable_or_404(request, pk)
    scope_of(request).require_editable(assessment)
    if not is_htmx(request):
        return redirect("assessment_detail", pk=pk)
    form = RowForm(assessment=assessment, prefix=row_prefix(assessment))
    return row_form_response(request, assessment, form, next_url=fragment_next(request))


@login_required
@require_http_methods(["GET", "POST"])
def assessment_row(request, pk):
    assessment = readable_or_404(request, pk)
    next_url = fragment_next(request)
    if request.method == "GET":
        if not is_htmx(request):
            return redirect("assessment_detail", pk=pk)
        return row_response(request, pk, next_url=next_url, focus=True)
    scope_of(request).require_edit_role(assessment)
    form = RowForm(request.POST, assessment=assessment, prefix=row_prefix(assessment))
    conflict = None
    label = f"{assessment.leika_entry.key} {assessment.leika_entry.name}"
    if form.is_valid():
        saved, form, conflict = save_row(request, assessment, form, source=ChangeSource.INLINE)
        if saved:
            if is_htmx(request):
                return row_response(request, pk, next_url=next_url, focus=True, status_text=f"Gespeichert: {label}")
            messages.success(request, f"Gespeichert: {label}")
            return redirect(next_url)
    if is_htmx(request):
        return row_form_response(request, assessment, form, next_url=next_url, conflict=conflict)
    if conflict:
        messages.error(request, f"Nicht gespeichert: {label} wurde inzwischen geändert. " + " ".join(conflict.lines()))
    else:
        problems = [str(m) for messages_ in form.errors.values() for m in messages_]
        messages.error(request, f"Nicht gespeichert: {label}. " + " ".join(problems))
    return redirect(next_url)


@login_required
@require_POST
def assessment_confirm(request, pk):
    assessment = readable_or_404(request, pk)
    scope_of(request).require_edit_role(assessment)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return HttpResponseBadRequest("Der Bearbeitungsstand fehlt.")
    next_url = fragment_next(request)
    label = f"{assessment.leika_entry.key} {assessment.leika_entry.name}"
    notice = ""
    try:
        apply_changes(request.user, [assessment.pk], {}, versions={assessment.pk: version}, source=ChangeSource.CONFIRM)
    except EditRefused as refused:
        changed = ", inzwischen geändert" if isinstance(refused, EditConflict) else ""
        notice = f"Nicht bestätigt{changed}: " + " ".join(refused.lines())
    if is_htmx(request):
        status_text = notice or f"Unverändert bestätigt: {label}"
        return row_response(request, pk, next_url=next_url, focus=True, notice=notice, status_text=status_text)
    if notice:
        messages.error(request, f"{label}: {notice}")
    else:
        messages.success(request, f"Unverändert bestätigt: {label}")
    return redirect(next_url)


# --- many rows -----------------------------------------------------------------------------------------------------


def parse_selection(values: list[str]) -> dict[int, int]:
    """{pk: version} from the checkboxes' "pk:version" values."""
    selection = {}
    for value in values:
        pk, _, version = value.partition(":")
        # ASCII digits only (int() would also read other scripts' digits), and no larger than the database holds.
        if not all(part.isascii() and part.isdigit() and len(part) <= 9 for part in (pk, version)):
            raise ValueError(value)
        selection[int(pk)] = int(version)
    return selection


def parse_seen_at(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


@login_required
@require_POST
def bulk_edit(request):
    user = request.user
    form = BulkEditForm(request.POST, rounds=editable_open_rounds(scope_of(request)))
    querystring = form.data.get(form.add_prefix("filter"), "")
    back = my_services_url(querystring)
    scope = form.data.get(form.add_prefix("scope"), BulkEditForm.SELECTED)
    context = {"form": form, "back": back, "scope": scope}

    if scope == BulkEditForm.ALL_MATCHING:
        filterset = AssessmentFilterSet(QueryDict(querystring), queryset=readable_assessments(user), user=user)
        if not filterset.is_valid():
            messages.error(request, "Der Filter der Liste ist ungültig; es wurde nichts geändert.")
            return redirect(back)
        matching = filterset.qs
        ids = list(
            matching.filter(pk__in=editable_assessments(user).values("pk")).order_by("pk").values_list("pk", flat=True)
        )
        context.update(n_matching=matching.count(), n_editable=len(ids))
        versions = None
        seen_at = parse_seen_at(form.data.get(form.add_prefix("seen_at"), ""))
        if seen_at is None:
            messages.error(request, "Die Liste ist veraltet; bitte laden Sie sie neu. Es wurde nichts geändert.")
            return redirect(back)
        if not ids:
            messages.error(request, "Unter den Treffern des Filters ist keine Leistung, die Sie bearbeiten dürfen.")
            return redirect(back)
    else:
        try:
            versions = parse_selection(request.POST.getlist("auswahl"))
        except ValueError:
            return HttpResponseBadRequest("Die Auswahl ist ungültig.")
        if not versions:
            messages.error(request, "Bitte wählen Sie mindestens eine Zeile aus. Es wurde nichts geändert.")
            return redirect(back)
        ids = sorted(versions)
        if readable_assessments(user).filter(pk__in=ids).count() != len(ids):
            raise Http404("Nicht alle ausgewählten Leistungen sind für Sie sichtbar.")
        # Rows of a round closed in the meantime pass here and are refused by the write path, which says so.
        if Assessment.objects.filter(pk__in=ids, department__in=editable_departments(user)).count() != len(ids):
            raise PermissionDenied("Sie dürfen nicht alle ausgewählten Leistungen bearbeiten.")
        seen_at = None
        context.update(
            selection=[f"{pk}:{version}" for pk, version in versions.items()],
            selected=Assessment.objects.filter(pk__in=ids).select_related("leika_entry").order_by("leika_entry__key"),
        )

    if not form.is_valid():
        return render(request, "monitoring/workspace/bulk.html", {**context, "phase": "form"})
    action = form.cleaned_data["action"]
    values = form.values() if action == BulkEditForm.SET else {}
    context.update(
        action=action,
        chosen_values=[
            (str(Assessment._meta.get_field(n).verbose_name), shown_value(n, v) or "leer") for n, v in values.items()
        ],
    )
    if scope == BulkEditForm.ALL_MATCHING and not form.cleaned_data["confirmed"]:
        return render(request, "monitoring/workspace/bulk.html", {**context, "phase": "confirm"})
    try:
        result = apply_changes(
            user,
            ids,
            values,
            versions=versions,
            seen_at=seen_at,
            source=ChangeSource.BULK if action == BulkEditForm.SET else ChangeSource.CONFIRM,
            comment=form.cleaned_data["comment"],
        )
    except EditRefused as refused:
        if isinstance(refused, RowsInvalid):
            return render(
                request, "monitoring/workspace/bulk.html", {**context, "phase": "invalid", "invalid": refused}
            )
        if isinstance(refused, EditConflict):
            return render(
                request,
                "monitoring/workspace/bulk.html",
                {**context, "phase": "conflict", "conflicts": refused.conflicts},
            )
        messages.error(request, " ".join(refused.lines()) + " Es wurde nichts geändert.")
        return redirect(back)
    total = len(result.assessments)
    if action == BulkEditForm.SET:
        messages.success(
            request,
            f"Sammelbearbeitung gespeichert: {result.changed} von {services(total)} geändert, "
            f"{total - result.changed} unverändert bestätigt.",
        )
    else:
        messages.success(request, f"{services(total)} unverändert bestätigt.")
    return redirect(back)
