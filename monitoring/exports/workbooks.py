"""Files for Excel and other programs: the dashboard's tables, filtered lists and department sheets."""

import codecs
import csv
import datetime
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..report_tables import DELTA, INTEGER, PERCENT, POINTS, TEXT, ReportTable

# A spreadsheet program reads a text cell starting with one of these as a formula (CSV/formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

CREATOR = "Digitalisierungsmonitor"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

NUMBER_FORMAT = {
    INTEGER: "#,##0",
    PERCENT: "0.0 %",
    DELTA: "+#,##0;-#,##0;0",
    POINTS: '+0.0" Pp";-0.0" Pp";0.0" Pp"',
}
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
# One font family for title, header and body: a font without a name falls back differently in Excel and LibreOffice,
# and the committee saw header rows in another font than the figures below them. Calibri 11 is openpyxl's (and
# Excel's) default body font, so body cells need no font of their own.
FONT_NAME = "Calibri"
HEADER_FONT = Font(name=FONT_NAME, size=11, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9E2F3")
TITLE_FONT = Font(name=FONT_NAME, size=14, bold=True)
TOTAL_FONT = Font(name=FONT_NAME, size=11, bold=True)
MIN_WIDTH, MAX_WIDTH = 8, 60
# Excel refuses these in sheet names, and names longer than 31 characters.
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_LENGTH = 31


def neutralise(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def local_naive(value: datetime.datetime | None) -> datetime.datetime | None:
    """Spreadsheets know no time zones: an aware time becomes the local wall-clock time the page shows."""
    if value is None or timezone.is_naive(value):
        return value
    return timezone.localtime(value).replace(tzinfo=None)


# Words a shortened sheet name should not end on: it would read as cut off.
DANGLING_WORDS = {
    "und", "oder", "sowie", "bzw.", "wie", "nach", "auf", "der", "die", "das", "des", "den", "dem", "von", "vom", "zu",
    "zum", "zur", "mit", "je", "für", "im", "in", "bei", "an", "am", "aus", "über", "ohne",
}  # fmt: skip


def whole_words(text: str, limit: int) -> str:
    """The longest run of whole words from the start of `text` within `limit` characters, without a dangling word,
    arrow, dash or open parenthesis at its end; only a single word longer than the limit is cut."""
    words, kept = text.split(), []
    for word in words:
        if len(" ".join([*kept, word])) > limit:
            break
        kept.append(word)
    while len(kept) > 1 and (kept[-1].lower() in DANGLING_WORDS or not any(c.isalnum() for c in kept[-1])):
        kept.pop()
    name = " ".join(kept) if kept else (words[0][:limit] if words else "")
    if name.count("(") > name.count(")"):
        name = name[: name.rindex("(")].rstrip() or name
    return name.rstrip(" ,;:–-→")


def sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name from a table title, cut at a word's end (Excel allows 31 characters and compares
    names without regard to case)."""
    base = " ".join(SHEET_NAME_FORBIDDEN.sub(" ", title).split()).strip("'") or "Tabelle"
    name, number = whole_words(base, SHEET_NAME_LENGTH) or "Tabelle", 1
    while name.lower() in taken:
        number += 1
        suffix = f" ({number})"
        name = (whole_words(base, SHEET_NAME_LENGTH - len(suffix)) or "Tabelle") + suffix
    taken.add(name.lower())
    return name


# --- the dashboard's tables for the committee --------------------------------------------------------------------


def _cell_value(cell):
    if cell.value is None or cell.value == "":
        return None
    if cell.kind == PERCENT:
        return cell.value / 100
    if cell.kind in (INTEGER, DELTA):
        return int(cell.value)
    if cell.kind == POINTS:
        return float(cell.value)
    return neutralise(str(cell.value))


def _shown_length(value, kind: str) -> int:
    if value is None:
        return 1
    if kind == PERCENT:
        return len(f"{value * 100:.1f} %")
    if kind in (INTEGER, DELTA):
        return len(f"{value:+,d}")
    if kind == POINTS:
        return len(f"{value:+.1f} Pp")
    return max(len(line) for line in str(value).splitlines() or [""])


def _write_report_sheet(sheet, table: ReportTable) -> None:
    sheet.append([neutralise(table.title)])
    sheet.cell(row=1, column=1).font = TITLE_FONT
    notes = [f"{label}: {text}" for label, text in table.method.lines]
    if table.caption:
        notes.insert(0, table.caption)
    for note in notes:
        sheet.append([neutralise(note)])
    sheet.append([])
    header_row = len(notes) + 3  # title, notes, the blank row (which max_row does not count)
    sheet.append([neutralise(heading) for heading in table.header])
    for column in range(1, len(table.header) + 1):
        cell = sheet.cell(row=header_row, column=column)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")

    widths = [len(heading) for heading in table.header]
    for number, row in enumerate(table.rows, start=header_row + 1):
        values = [neutralise(row.label), *(_cell_value(cell) for cell in row.cells)]
        sheet.append(values)
        widths[0] = max(widths[0], len(row.label))
        for index, (cell, value) in enumerate(zip(row.cells, values[1:], strict=True), start=2):
            written = sheet.cell(row=number, column=index)
            if value is not None and cell.kind in NUMBER_FORMAT:
                written.number_format = NUMBER_FORMAT[cell.kind]
            if index - 1 < len(widths):
                widths[index - 1] = max(widths[index - 1], _shown_length(value, cell.kind if value else TEXT))
        if row.is_total:
            for column in range(1, len(values) + 1):
                sheet.cell(row=number, column=column).font = TOTAL_FONT

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    # Printed: the title, the method note and the table, with the header row again on every page.
    sheet.print_area = f"A1:{get_column_letter(len(table.header))}{max(sheet.max_row, header_row)}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddFooter.left.text = neutralise(table.title)
    sheet.oddFooter.right.text = "Seite &P von &N"


def report_workbook(tables: list[ReportTable], title: str) -> bytes:
    """The dashboard's tables as a formatted workbook for the committee paper, one sheet per table."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = title
    workbook.properties.creator = CREATOR
    taken: set[str] = set()
    for table in tables:
        _write_report_sheet(workbook.create_sheet(sheet_name(table.sheet or table.title, taken)), table)
    if not tables:
        workbook.create_sheet("Leer")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- filtered lists: streamed, memory stays flat however many rows -----------------------------------------------


def spreadsheet_row(row: Sequence) -> list:
    """The values of a row as a list workbook stores them: text neutralised, times as local wall-clock times. One call
    per row: for 15,000 rows of 16 values a call per value cost as much as the query (benchmarks/exports.py)."""
    return [
        ("'" + value if value.startswith(FORMULA_TRIGGERS) else value)
        if isinstance(value, str)
        else (local_naive(value) if isinstance(value, datetime.datetime) else value)
        for value in row
    ]


def list_workbook(
    header: Sequence[str],
    rows: Iterable[Sequence],
    *,
    sheet_title: str,
    title: str,
    widths: Sequence[int] = (),
    datetime_columns: Sequence[int] = (),
    method: Callable[[int], list[tuple[str, str]]] | None = None,
):
    """A workbook in openpyxl's write-only mode (rows go to disk as they come) in a temporary file.

    `rows` yields plain values; text is neutralised and aware times become local times. `method`, when given, is
    called after the last row with the number of rows and returns (label, text) pairs for a second sheet "Methode".
    Returns the open temporary file, positioned at its start.
    """
    workbook = Workbook(write_only=True)
    workbook.properties.title = title
    workbook.properties.creator = CREATOR
    sheet = workbook.create_sheet(sheet_name(sheet_title, set()))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.oddFooter.right.text = "Seite &P von &N"
    heading_cells = []
    for heading in header:
        cell = WriteOnlyCell(sheet, value=neutralise(heading))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        heading_cells.append(cell)
    sheet.append(heading_cells)

    # One shared style per datetime column instead of a style per cell; the rest is appended as plain values.
    dated = tuple(datetime_columns)
    count = 0
    append = sheet.append
    for row in rows:
        values = spreadsheet_row(row)
        for index in dated:
            if values[index] is not None:
                cell = WriteOnlyCell(sheet, value=values[index])
                cell.number_format = DATETIME_FORMAT
                values[index] = cell
        append(values)
        count += 1

    if method is not None:
        notes = workbook.create_sheet("Methode")
        notes.column_dimensions["A"].width = 22
        notes.column_dimensions["B"].width = 90
        notes.append([WriteOnlyCell(notes, value=title)])
        for label, text in method(count):
            notes.append([neutralise(label), neutralise(text)])

    # Handed to the response open; FileResponse closes it once sent.
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return output


class _Line:
    """A file-like target for csv.writer that hands back what was written."""

    def write(self, value):
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence], *, chunk_rows: int = 500) -> Iterator[bytes]:
    """A CSV for German Excel: `;`-separated, UTF-8 with byte order mark, CRLF; yielded in chunks of rows."""
    writer = csv.writer(_Line(), delimiter=";", lineterminator="\r\n")
    yield codecs.BOM_UTF8 + writer.writerow([neutralise(heading) for heading in header]).encode()
    chunk = []
    for row in rows:
        chunk.append(writer.writerow([_csv_value(value) for value in row]))
        if len(chunk) >= chunk_rows:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, datetime.datetime):
        return local_naive(value).strftime("%d.%m.%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d.%m.%Y")
    return value
