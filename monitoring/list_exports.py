"""The list "Meine Leistungen" as .xlsx and .csv: exactly the rows its filter shows, all of them, in its order.

Both take the list's querystring and build the very same filterset over the rows the user may read; paging and sorting
of the page do not change which rows are exported. Rows are read with `values_list` in chunks and written as they
come, so memory stays flat however many rows there are.
"""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from ozg.choices import EfaKind

from .access import readable_assessments
from .choices import Channel, Status
from .exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_lines, list_workbook
from .workspace_filters import AssessmentFilterSet

CHUNK_SIZE = 2000
LIST_ORDER = ("round", "leika_entry__key", "pk")
SHEET_TITLE = "Leistungen"
COUNTING_UNIT = "eine Zeile je Bewertung einer LeiKa-Leistung"

# (heading, width in the sheet); the order is the order of `export_row`.
COLUMNS = (
    ("Leistungsschlüssel", 17),
    ("Bezeichnung", 50),
    ("Organisationseinheit", 30),
    ("Erhebungsrunde", 10),
    ("Katalogversion", 16),
    ("Status", 24),
    ("Reifegradskala", 24),
    ("Reifegrad", 10),
    ("Reifegrad (Bezeichnung)", 24),
    ("EfA-Nachnutzung", 30),
    ("Kanal", 24),
    ("Adresse des Onlinedienstes", 40),
    ("IT-Projekt", 30),
    ("Begründung", 50),
    ("bestätigt am", 17),
    ("geändert am", 17),
)
HEADER = [heading for heading, _ in COLUMNS]
WIDTHS = [width for _, width in COLUMNS]
DATETIME_COLUMNS = (len(COLUMNS) - 2, len(COLUMNS) - 1)
FIELDS = (
    "leika_entry__key",
    "leika_entry__name",
    "department__code",
    "department__name",
    "round__year",
    "round__catalogue_version__name",
    "status",
    "round__maturity_scale__name",
    "maturity_level__value",
    "maturity_level__label",
    "efa_kind",
    "channel",
    "online_service_url",
    "it_project__title",
    "justification",
    "confirmed_at",
    "updated_at",
)
STATUS_LABEL = dict(Status.choices)
EFA_LABEL = dict(EfaKind.choices)
CHANNEL_LABEL = dict(Channel.choices)


class ExportedRows:
    """The rows of a filtered list as plain values; notes the catalogue versions and scales it met on the way."""

    def __init__(self, queryset):
        self.queryset = queryset
        self.catalogues: set[str] = set()
        self.scales: set[str] = set()

    def __iter__(self):
        catalogues, scales = self.catalogues, self.scales
        rows = self.queryset.order_by(*LIST_ORDER).values_list(*FIELDS).iterator(chunk_size=CHUNK_SIZE)
        for (
            key,
            name,
            code,
            department,
            year,
            catalogue,
            status,
            scale,
            level,
            level_label,
            efa_kind,
            channel,
            url,
            project,
            justification,
            confirmed_at,
            updated_at,
        ) in rows:
            catalogues.add(catalogue)
            scales.add(scale)
            yield (
                key,
                name,
                f"{code} {department}",
                year,
                catalogue,
                STATUS_LABEL.get(status, status),
                scale,
                level,
                level_label,
                EFA_LABEL.get(efa_kind, efa_kind),
                CHANNEL_LABEL.get(channel, channel),
                url,
                project,
                justification,
                confirmed_at,
                updated_at,
            )


def filter_in_words(filterset) -> str:
    """The applied filter as a reader of the file understands it."""
    parts = []
    data = filterset.form.cleaned_data
    for name, field in filterset.form.fields.items():
        value = data.get(name)
        if value in (None, "", [], ()):
            continue
        filter_ = filterset.filters[name]
        if name == "status":
            shown = ", ".join(STATUS_LABEL.get(item, item) for item in value)
        elif value == getattr(filter_, "null_value", object()):
            shown = filter_.null_label
        else:
            shown = str(value)
        parts.append(f"{field.label}: {shown}")
    if not data.get("runde"):
        parts.insert(0, "alle offenen Erhebungsrunden")
    return "Bewertungen der Organisationseinheiten, die Sie lesen dürfen; " + "; ".join(parts)


def file_name(filterset, extension: str) -> str:
    chosen = filterset.form.cleaned_data.get("runde")
    return f"leistungen-{chosen.year if chosen else 'offene-runden'}.{extension}"


def filtered(request):
    """The list's filterset over the user's rows, or a 400 answer when the querystring is not a valid filter."""
    filterset = AssessmentFilterSet(request.GET, queryset=readable_assessments(request.user), user=request.user)
    if not filterset.is_valid():
        problems = "; ".join(
            f"{filterset.form.fields[name].label if name in filterset.form.fields else name}: {' '.join(errors)}"
            for name, errors in filterset.form.errors.items()
        )
        return filterset, HttpResponseBadRequest(
            f"Der Filter ist ungültig, es wurde nichts exportiert. {problems}".strip(),
            content_type="text/plain; charset=utf-8",
        )
    return filterset, None


def cutoff_text(cutoff) -> str:
    """The export time as the Methode sheet states it."""
    return date_format(timezone.localtime(cutoff), "d.m.Y, H:i") + " Uhr (Zeitpunkt des Exports)"


def xlsx_response(workbook, filename: str) -> FileResponse:
    """A list workbook (an open file from `list_workbook`) as a download."""
    return FileResponse(workbook, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def csv_response(lines, filename: str) -> StreamingHttpResponse:
    """The lines of `csv_lines` streamed as a download."""
    response = StreamingHttpResponse(lines, content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def method_lines(filterset, rows: ExportedRows, cutoff) -> Callable[[int], list[tuple[str, str]]]:
    def lines(count: int) -> list[tuple[str, str]]:
        return [
            ("Zähleinheit", COUNTING_UNIT),
            ("Umfang", filter_in_words(filterset)),
            ("Katalogversion", ", ".join(sorted(rows.catalogues)) or "–"),
            ("Reifegradskala", ", ".join(sorted(rows.scales)) or "–"),
            ("Stichtag", cutoff_text(cutoff)),
            ("Anzahl Zeilen", str(count)),
        ]

    return lines


@login_required
@require_GET
def my_services_xlsx(request):
    filterset, refusal = filtered(request)
    if refusal:
        return refusal
    rows = ExportedRows(filterset.qs)
    workbook = list_workbook(
        HEADER,
        rows,
        sheet_title=SHEET_TITLE,
        title="Meine Leistungen",
        widths=WIDTHS,
        datetime_columns=DATETIME_COLUMNS,
        method=method_lines(filterset, rows, timezone.now()),
    )
    return xlsx_response(workbook, file_name(filterset, "xlsx"))


@login_required
@require_GET
def my_services_csv(request):
    filterset, refusal = filtered(request)
    if refusal:
        return refusal
    return csv_response(csv_lines(HEADER, ExportedRows(filterset.qs)), file_name(filterset, "csv"))
