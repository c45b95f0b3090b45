"""The one safe reader for every uploaded table (CSV and XLSX): checks the file before it is parsed, maps the header."""

import csv
import datetime
import io
import math
import os
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

MAX_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 100
RATIO_MIN_SIZE = 10 * 1024 * 1024
MAX_MEMBERS = 10_000
MAX_ROW_ERRORS = 1000
SHOWN_IN_MESSAGE = 20
CSV_SUFFIXES = {".csv", ".txt"}
XLSX_SUFFIXES = {".xlsx"}
ACCEPTED = "CSV (.csv, .txt) oder Excel (.xlsx)"

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and password-protected .xlsx
PDF_MAGIC = b"%PDF"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# C0 controls other than tab, LF and CR, DEL and the C1 controls: invisible in a spreadsheet, and a sign of a damaged
# or wrongly decoded file (a C1 character is what a Windows-1252 quote becomes after a detour through ISO-8859-1).
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
NOT_IN_HEADER_NAME = re.compile(r"[\s\-_.()\ufeff]")
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


@dataclass(frozen=True)
class RowError:
    row: int | None
    field: str | None
    message: str

    def __str__(self):
        place = []
        if self.row is not None:
            place.append(f"Zeile {self.row}")
        if self.field:
            place.append(f"Spalte „{self.field}“")
        return f"{', '.join(place)}: {self.message}" if place else self.message


class ImportFailed(Exception):
    """Every problem found in a file, each with the row and column a spreadsheet user would look at."""

    def __init__(self, errors: list[RowError]):
        self.errors = list(errors)
        super().__init__(self.errors)

    def __str__(self):
        if not self.errors:
            return "Der Import ist fehlgeschlagen."
        lines = [str(error) for error in self.errors[:SHOWN_IN_MESSAGE]]
        if len(self.errors) > SHOWN_IN_MESSAGE:
            lines.append(f"… und {len(self.errors) - SHOWN_IN_MESSAGE} weitere Fehler")
        return "\n".join(lines)


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    aliases: tuple[str, ...]
    required: bool = True


@dataclass
class Table:
    rows: list[dict[str, str]]
    present: set[str]
    sheet: str | None


def read_table(source, filename: str, columns: list[Column], *, max_bytes: int = MAX_BYTES) -> Table:
    """Read a CSV or XLSX upload into rows keyed by column name; raises ImportFailed and nothing else.

    `source` is a path or a binary file object (such as a Django UploadedFile); `filename` decides the format.
    """
    shown = Path(str(filename)).name or "ohne Namen"
    suffix = Path(str(filename)).suffix.casefold()
    if suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        hint = " Eine .xls-Datei bitte in Excel als .xlsx speichern." if suffix == ".xls" else ""
        kind = f"„{suffix}“" if suffix else "ohne Endung"
        _fail(f"Das Dateiformat {kind} der Datei „{shown}“ wird nicht unterstützt; erlaubt sind {ACCEPTED}.{hint}")
    data = _read_bytes(source, shown, max_bytes)
    if not data:
        _fail(f"Die Datei „{shown}“ ist leer.")
    if suffix in XLSX_SUFFIXES:
        sheet, records = _xlsx_records(data, shown)
    else:
        sheet, records = None, _csv_records(data, shown)
    return _table(records, columns, shown, sheet)


def _fail(message: str, row: int | None = None, field: str | None = None):
    raise ImportFailed([RowError(row, field, message)])


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        text = f"{n / 1024 / 1024:.1f}".replace(".", ",").removesuffix(",0")
        return f"{text} MB"
    if n >= 1024:
        return f"{n // 1024} KB"
    return f"{n} Bytes"


def _too_large(shown: str, size: int | None, max_bytes: int):
    actual = f"ist {_size(size)} groß" if size is not None else "ist zu groß"
    _fail(f"Die Datei „{shown}“ {actual}; erlaubt sind höchstens {_size(max_bytes)}.")


def _read_bytes(source, shown: str, max_bytes: int) -> bytes:
    """The whole file, after its size has been checked without reading it."""
    try:
        if isinstance(source, str | os.PathLike):
            size = os.stat(source).st_size
            if size > max_bytes:
                _too_large(shown, size, max_bytes)
            with open(source, "rb") as file:
                data = file.read(max_bytes + 1)
        else:
            size = getattr(source, "size", None)
            seekable = getattr(source, "seekable", lambda: False)()
            if not isinstance(size, int) and seekable:
                size = source.seek(0, os.SEEK_END)
            if isinstance(size, int) and size > max_bytes:
                _too_large(shown, size, max_bytes)
            if seekable:
                source.seek(0)
            data = source.read(max_bytes + 1)
    except ImportFailed:
        raise
    except (OSError, ValueError, AttributeError, TypeError) as error:
        raise ImportFailed([RowError(None, None, f"Die Datei „{shown}“ konnte nicht gelesen werden.")]) from error
    if isinstance(data, str):  # a file opened in text mode
        data = data.encode("utf-8")
    if len(data) > max_bytes:  # the file grew, or a stream gave no size
        _too_large(shown, None, max_bytes)
    return data


# --- CSV ---------------------------------------------------------------------------------------------------------


def _csv_records(data: bytes, shown: str) -> list[tuple[int, list[str]]]:
    not_csv = f"Die Datei „{shown}“ ist keine CSV-Textdatei"
    if data.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        _fail(f"{not_csv}, sondern ein ZIP-Archiv oder eine Excel-Datei; eine Excel-Datei bitte als .xlsx hochladen.")
    if data.startswith(PDF_MAGIC):
        _fail(f"{not_csv}, sondern ein PDF-Dokument.")
    if data.startswith(OLE_MAGIC):
        _fail(f"{not_csv}, sondern eine ältere Office-Datei (z. B. .xls); bitte als CSV oder .xlsx speichern.")
    text = _decode(data, not_csv)
    if not text.strip():
        _fail(f"Die Datei „{shown}“ ist leer.")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    number = 0
    try:
        # Every record is one spreadsheet row, also a blank line and also a record with line breaks inside quotes.
        for number, record in enumerate(reader, start=1):
            records.append((number, record))
    except csv.Error as error:
        row = number + 1
        reason = str(error)
        if "field limit" in reason:
            _fail(f"Eine Zelle ist länger als {csv.field_size_limit():,} Zeichen.".replace(",", "."), row)
        if "unexpected end of data" in reason:
            _fail("Ein Anführungszeichen wird bis zum Dateiende nicht geschlossen.", row)
        _fail(
            f"Nach einem schließenden Anführungszeichen muss das Trennzeichen „{_show_delimiter(delimiter)}“ "
            "oder das Zeilenende folgen.",
            row,
        )
    return records


def _decode(data: bytes, not_csv: str) -> str:
    if data.startswith(UTF16_BOMS):  # Excel's "Unicode-Text"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            _fail(f"{not_csv} (fehlerhaftes UTF-16); bitte als UTF-8 oder ISO-8859-1 speichern.")
    if b"\x00" in data:
        _fail(f"{not_csv} (sie enthält Binärdaten); bitte als UTF-8 oder ISO-8859-1 speichern.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("iso-8859-1")  # the official FIM download; decodes every byte


def _delimiter(text: str) -> str:
    """';' unless the header line has none but has tabs or commas."""
    for line in io.StringIO(text):
        if line.strip(" \t;,\"'\r\n"):
            if ";" in line:
                return ";"
            if "\t" in line:
                return "\t"
            if "," in line:
                return ","
            break
    return ";"


def _show_delimiter(delimiter: str) -> str:
    return "Tabulator" if delimiter == "\t" else delimiter


# --- XLSX --------------------------------------------------------------------------------------------------------


def _xlsx_records(data: bytes, shown: str) -> tuple[str, list[tuple[int, list[str]]]]:
    not_xlsx = f"Die Datei „{shown}“ ist keine Excel-Datei (xlsx)"
    if data.startswith(OLE_MAGIC):
        _fail(
            f"{not_xlsx}, sondern eine ältere Excel-Datei (.xls) oder eine mit Kennwort geschützte Datei; "
            "bitte in Excel ohne Kennwort als .xlsx speichern."
        )
    if not data.startswith(ZIP_MAGIC):
        hint = " Eine CSV-Datei bitte mit der Endung .csv hochladen." if _looks_like_text(data) else ""
        _fail(f"{not_xlsx}.{hint}")
    _check_zip(data, shown, not_xlsx)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it does not read
            # data_only=False: a formula arrives as its text "=…" and is refused like any cell starting with "=".
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            try:
                if not workbook.worksheets:
                    _fail(f"Die Excel-Datei „{shown}“ enthält kein Tabellenblatt.")
                sheet = workbook.worksheets[0]
                sheet.reset_dimensions()  # some writers store wrong dimensions, which would cut rows off
                records = [
                    (number, [_cell_text(value) for value in values])
                    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
                ]
                return sheet.title, records
            finally:
                workbook.close()
    except ImportFailed:
        raise
    except Exception as error:  # openpyxl raises many kinds on damaged files; the user needs one clear message
        raise ImportFailed(
            [RowError(None, None, f"Die Excel-Datei „{shown}“ ist beschädigt oder keine gültige Arbeitsmappe (xlsx).")]
        ) from error


def _looks_like_text(data: bytes) -> bool:
    return b"\x00" not in data[:4096]


def _check_zip(data: bytes, shown: str, not_xlsx: str) -> None:
    """Refuse archives that would unpack to far more than they weigh, before anything is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                _fail(
                    f"Die Excel-Datei „{shown}“ enthält {len(members)} Teile; das ist keine gewöhnliche Arbeitsmappe."
                )
            total = sum(member.file_size for member in members)
            if total > MAX_UNCOMPRESSED:
                _fail(
                    f"Die Excel-Datei „{shown}“ würde entpackt {_size(total)} belegen (erlaubt sind "
                    f"{_size(MAX_UNCOMPRESSED)}); sie wird nicht geöffnet."
                )
            for member in members:
                ratio = member.file_size / max(member.compress_size, 1)
                if member.file_size > RATIO_MIN_SIZE and ratio > MAX_RATIO:
                    _fail(
                        f"Die Excel-Datei „{shown}“ ist verdächtig stark gepackt ({member.filename}: "
                        f"{_size(member.file_size)} entpackt, Verhältnis {ratio:.0f}:1); sie wird nicht geöffnet."
                    )
            for member in members:
                if member.filename.endswith((".xml", ".rels")):
                    with archive.open(member) as part:
                        prolog = part.read(8192)
                    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
                        _fail(
                            f"Die Excel-Datei „{shown}“ enthält unzulässige XML-Deklarationen; sie wird nicht geöffnet."
                        )
    except ImportFailed:
        raise
    except Exception as error:  # BadZipFile, but also struct, zlib and NotImplemented errors from damaged archives
        raise ImportFailed([RowError(None, None, f"{not_xlsx}: das ZIP-Archiv ist beschädigt.")]) from error


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "WAHR" if value else "FALSCH"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # A 14-digit key typed into Excel is a number; it must stay "99050036005000", not "9.9050036005e+13".
        return str(int(value)) if math.isfinite(value) and value.is_integer() else str(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, ArrayFormula):
        return str(value.text)
    if isinstance(value, DataTableFormula):
        return "=TABLE()"
    return str(value)


# --- header and rows ---------------------------------------------------------------------------------------------


def _normalise(header: str) -> str:
    """A header as compared: no case, umlauts spelt out, no spaces or punctuation, nothing from '(' on."""
    text = unicodedata.normalize("NFC", header).split("(", 1)[0]
    return NOT_IN_HEADER_NAME.sub("", text.strip().casefold().translate(UMLAUTS))


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _table(records: list[tuple[int, list[str]]], columns: list[Column], shown: str, sheet: str | None) -> Table:
    records = [(number, [cell.strip() for cell in cells]) for number, cells in records]
    records = [(number, cells) for number, cells in records if any(cells)]
    if not records:
        _fail(f"Die Datei „{shown}“ ist leer.")
    header_row, header = records[0]
    positions = _map_header(header_row, header, columns)
    labels = {index: column.label for column, index in positions.items()}
    errors: list[RowError] = []
    for number, cells in records:
        _check_cells(number, cells, header, labels, errors)
        if len(errors) >= MAX_ROW_ERRORS:
            errors.append(RowError(None, None, f"Nach {MAX_ROW_ERRORS} Fehlern wurde die Prüfung abgebrochen."))
            break
    if errors:
        raise ImportFailed(errors)
    rows = []
    for number, cells in records[1:]:
        row: dict = {column.name: "" for column in columns}
        for column, index in positions.items():
            if index < len(cells):
                row[column.name] = cells[index]
        row["_row"] = number
        rows.append(row)
    if not rows:
        _fail(f"Die Datei „{shown}“ enthält keine Datenzeilen, nur die Kopfzeile.")
    return Table(rows=rows, present={column.name for column in positions}, sheet=sheet)


def _map_header(header_row: int, header: list[str], columns: list[Column]) -> dict[Column, int]:
    found: dict[Column, list[int]] = {}
    for index, text in enumerate(header):
        key = _normalise(text)
        if not key:
            continue
        for column in columns:
            if key in {_normalise(spelling) for spelling in (column.label, *column.aliases)}:
                found.setdefault(column, []).append(index)
                break
    errors = []
    for column in columns:
        if column.required and column not in found:
            shown_headers = ", ".join(f"„{text}“" for text in header if text) or "keine"
            errors.append(
                RowError(
                    header_row,
                    column.label,
                    f"Die Pflichtspalte „{column.label}“ fehlt. Gefundene Spalten: {shown_headers}. "
                    f"Erkannt werden: {', '.join(dict.fromkeys((column.label, *column.aliases)))}.",
                )
            )
        elif len(found.get(column, ())) > 1:
            places = ", ".join(f"{_column_letter(i)} („{header[i]}“)" for i in found[column])
            errors.append(
                RowError(header_row, column.label, f"Die Spalte „{column.label}“ kommt mehrfach vor: {places}.")
            )
    if errors:
        raise ImportFailed(errors)
    return {column: indexes[0] for column, indexes in found.items()}


def _check_cells(
    number: int, cells: list[str], header: list[str], labels: dict[int, str], errors: list[RowError]
) -> None:
    """Control characters in any cell, and a leading "=" in the cells the caller reads."""
    for index, cell in enumerate(cells):
        control = CONTROL_CHARS.search(cell)
        if control:
            field = labels.get(index) or (header[index] if index < len(header) and header[index] else None)
            errors.append(
                RowError(
                    number,
                    field or _column_letter(index),
                    f"Die Zelle enthält das unsichtbare Steuerzeichen U+{ord(control.group()):04X}; bitte entfernen.",
                )
            )
        if index in labels and cell.startswith("="):
            errors.append(
                RowError(
                    number,
                    labels[index],
                    "Die Zelle beginnt mit „=“ und sähe in Excel wie eine Formel aus; "
                    "bitte als Text ohne führendes „=“ liefern.",
                )
            )
