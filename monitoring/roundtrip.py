"""The Excel round-trip shared by every sheet people edit offline (a department's assessments, an organisation's
OZG plans): the column spec, neutralised cells, the styled and protected workbook, reading an upload, the parts of a
preview, rows changed by others since the download, and the preview kept in the session for the apply step.

What a sheet holds and how its cells map to fields stays with the sheet (`sheets.py`, `ozg_sheet.py`); everything
that must behave the same in all of them lives here, so it cannot drift apart.
"""

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from openpyxl import Workbook
from openpyxl.styles import Alignment, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from leika.tabular import Column, RowError, read_table

from .editing import Conflict, History, shown, shown_value
from .exports.workbooks import FORMULA_TRIGGERS, HEADER_FONT, TITLE_FONT, neutralise

CONFIRM_VALUES = ["ja", "nein"]
MAX_SHEET_BYTES = 5 * 1024 * 1024  # a sheet is a few hundred KB; anything far larger is not ours
NOTES_SHEET, LISTS_SHEET = "Hinweise", "Auswahllisten"
HEADER_FILL = PatternFill("solid", fgColor="D9E2F3")
CONTEXT_FILL = PatternFill("solid", fgColor="F2F2F2")
APOSTROPHE_NOTE = (
    "Führendes Apostroph",
    "Texte, die mit =, +, - oder @ beginnen, stehen mit einem vorangestellten ' in der Tabelle, damit Excel "
    "sie nicht als Formel ausführt; beim Hochladen wird dieses Zeichen wieder entfernt.",
)


@dataclass(frozen=True)
class SheetColumn:
    name: str  # the record's field, or a name of the sheet's own (identity, version, context)
    label: str
    width: int
    editable: bool = False
    hidden: bool = False
    aliases: tuple[str, ...] = ()
    required: bool = True  # must be present in an uploaded file
    blank: bool = True  # a cell may be left empty
    wrap: bool = False
    # "ja" confirms the row unchanged (SheetReader.awaiting says which rows await it); not a field of the record.
    confirms: bool = False


# --- cells ---------------------------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """A cell's text as compared with the allowed values: spacing, case and the kind of dash do not matter."""
    return re.sub(r"\s+", " ", text).strip().casefold().replace("-", "–") if text else ""


def text_cell(value):
    """Neutralised for Excel; a text that already begins with our apostrophe gets one more, so that removing exactly
    one on upload gives back the original."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
        return "'" + value
    return neutralise(value)


def restore_text(value: str) -> str:
    """Undo `text_cell`: the apostrophe we put before a formula-like text."""
    if value.startswith("'") and value[1:].startswith((*FORMULA_TRIGGERS, "'")):
        return value[1:]
    return value


def number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def allowed(values: list[str]) -> str:
    return "Erlaubt: " + ", ".join(f"„{value}“" for value in values) + "."


def url_value(text: str) -> str:
    """An address as the forms take it: without a scheme it is taken as https."""
    return forms.URLField(max_length=500, required=False, assume_scheme="https").clean(text)


def pick(text: str, options: Iterable[tuple[object, Iterable[str]]], refusal: str):
    """The value whose names (its label, its code) match the cell's text; ValidationError(`refusal`) for none."""
    wanted = fold(text)
    for value, names in options:
        if any(wanted == fold(str(name)) for name in names):
            return value
    raise ValidationError(refusal)


def pick_choice(text: str, choices, values: list[str]):
    """A choice's stored value for its label or its code."""
    options = ((value, (label, value)) for value, label in choices)
    return pick(text, options, f"„{text}“ ist kein erlaubter Wert. {allowed(values)}")


# --- download ------------------------------------------------------------------------------------------------------


def build_data_sheet(workbook: Workbook, title: str, columns, rows: list[list], lists: dict[str, list[str]], freeze):
    """The workbook's first sheet: a styled header, the rows, editable cells unlocked, context cells shaded, hidden
    columns hidden, each column with a list of allowed values validated against a hidden sheet of those lists."""
    sheet = workbook.active
    sheet.title = title
    sheet.append([column.label for column in columns])
    for cell in sheet[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([value if isinstance(value, int) else text_cell(value) for value in row])
    last = len(rows) + 1
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        sheet.column_dimensions[letter].hidden = column.hidden
        if column.editable:
            for (cell,) in sheet.iter_rows(min_row=2, max_row=last, min_col=index, max_col=index):
                cell.protection = Protection(locked=False)
                cell.alignment = Alignment(wrap_text=column.wrap, vertical="top")
        elif not column.hidden:
            for (cell,) in sheet.iter_rows(min_row=2, max_row=last, min_col=index, max_col=index):
                cell.fill = CONTEXT_FILL
    sheet.freeze_panes = freeze
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{last}"
    # Protected without a password: it guards against slips (IDs, keys), not against intent; the upload checks all.
    sheet.protection.sheet = True
    sheet.protection.sort = False
    sheet.protection.autoFilter = False
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False

    list_sheet = workbook.create_sheet(LISTS_SHEET)
    list_sheet.sheet_state = "hidden"
    listed = [column for column in columns if column.name in lists]
    for position, column in enumerate(listed, start=1):
        values = lists[column.name]
        list_column = get_column_letter(position)
        list_sheet[f"{list_column}1"] = column.label
        for line, value in enumerate(values, start=2):
            list_sheet[f"{list_column}{line}"] = text_cell(value)
        if not values or last < 2:
            continue
        validation = DataValidation(
            type="list",
            formula1=f"{LISTS_SHEET}!${list_column}$2:${list_column}${len(values) + 1}",
            allow_blank=column.blank,
            showErrorMessage=True,
            errorTitle="Wert nicht erlaubt",
            error=f"Bitte einen Wert aus der Liste „{column.label}“ wählen.",
            showInputMessage=True,
            promptTitle=column.label[:32],
            prompt="Bitte aus der Liste wählen." + (" Leer lassen: keine Angabe." if column.blank else ""),
        )
        letter = get_column_letter(columns.index(column) + 1)
        validation.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(validation)
    return sheet


def add_notes(workbook: Workbook, facts: list[tuple[str, str]]) -> None:
    """The second sheet: what the file is, who downloaded it when, and how to fill it in."""
    notes = workbook.create_sheet(NOTES_SHEET, 1)
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 100
    notes.append(["Hinweise zum Ausfüllen", ""])
    notes["A1"].font = TITLE_FONT
    for label, value in [*facts, APOSTROPHE_NOTE]:
        notes.append([label, text_cell(value)])
    for key_cell, value_cell in notes.iter_rows(min_row=2, max_col=2):
        key_cell.font = HEADER_FONT
        key_cell.alignment = Alignment(vertical="top")
        value_cell.alignment = Alignment(wrap_text=True, vertical="top")


def describe(workbook: Workbook, title: str, subject: str, now) -> None:
    workbook.properties.title = title
    workbook.properties.subject = subject
    workbook.properties.creator = "Digitalisierungsmonitor"
    workbook.properties.created = now.replace(tzinfo=None)


def safe_file_part(text: str, fallback) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or str(fallback)


# --- upload --------------------------------------------------------------------------------------------------------


def read_rows(upload, filename: str, columns) -> list[dict]:
    """The uploaded sheet's rows keyed by column name; ImportFailed for a file that cannot be read at all (not an
    .xlsx, too large, missing columns, formulas)."""
    spec = [Column(c.name, c.label, c.aliases, required=c.required) for c in columns]
    return read_table(upload, filename, spec, max_bytes=MAX_SHEET_BYTES).rows


@dataclass
class RowChange:
    line: int  # the row number in the sheet
    record: object  # what the write path is given (its pk)
    version: int
    values: dict  # field -> parsed value, only the changed fields
    changes: list[dict]  # {"field", "label", "old", "new"}
    key: str = ""  # how the preview names the row
    name: str = ""


@dataclass
class Preview:
    filename: str
    rows_in_file: int = 0
    changes: list[RowChange] = field(default_factory=list)
    confirmations: list[RowChange] = field(default_factory=list)  # unchanged rows marked "ja" to be confirmed
    errors: list[RowError] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)  # {"line", "key", "name", "conflict", "changes"}
    unchanged: int = 0
    changed_meanwhile: int = 0  # rows others changed after the download that the sheet leaves as they were
    missing: int = 0  # rows of the sheet that are not in the file

    @property
    def field_changes(self) -> int:
        return sum(len(row.changes) for row in self.changes)

    @property
    def to_apply(self) -> int:
        """Rows the apply step writes: those with changes and those to be confirmed unchanged."""
        return len(self.changes) + len(self.confirmations)

    def finish(self, stale: list[tuple[RowChange, object]], history: History) -> "Preview":
        """Sort the rows someone else changed after the download (`stale`: the sheet's row and the stored record):
        where the sheet only holds the values as downloaded, the other person's change simply stays; where it
        changes them, a conflict naming who changed what. Nothing of a stale row is applied."""
        since_by_row: dict[int, list] = {}
        for change in history.of([record for _, record in stale]).select_related("user").order_by("at", "pk"):
            since_by_row.setdefault(history.row_id(change), []).append(change)
        for row, record in stale:
            since = [change for change in since_by_row.get(record.pk, []) if change.version > row.version]
            # The values as downloaded: each field's old value in its first later change, else the current one.
            downloaded = {item["field"]: item["old"] for item in row.changes}
            for change in reversed(since):
                downloaded.update({item["field"]: item["old"] for item in change.fields if item["field"] in downloaded})
            if all(item["new"] == downloaded[item["field"]] for item in row.changes):
                self.changed_meanwhile += 1
                continue
            self.conflicts.append(
                {
                    "line": row.line,
                    "key": row.key,
                    "name": row.name,
                    "conflict": Conflict(record, since),
                    "changes": row.changes,
                }
            )
        self.changes.sort(key=lambda row: row.line)
        self.confirmations.sort(key=lambda row: row.line)
        self.errors.sort(key=lambda error: error.row or 0)
        return self


class SheetReader:
    """An uploaded sheet against the stored rows, without writing anything: each row's identity and version, its
    cells against the allowed values, the changed values against the rules, and the rows someone else changed since
    the download. The order of the checks and their answers are the same for every sheet; a sheet says how its rows
    are looked up, named, parsed and checked (the methods below that raise NotImplementedError)."""

    columns: tuple[SheetColumn, ...]
    id_column: str  # the column that names the row
    model: type  # the stored record's model, whose fields the editable columns are
    history: History

    def __init__(self):
        self.fields = tuple(column.name for column in self.columns if column.editable and not column.confirms)
        self.labels = {column.name: column.label for column in self.columns}
        self.confirm_column = next((column.name for column in self.columns if column.confirms), None)

    def known(self, ids: set[int]) -> dict:
        """The rows of this sheet among `ids`, by ID: only those, so that nothing tells where other IDs live."""
        raise NotImplementedError

    def unknown(self, pk: int) -> str:
        """The one answer for an ID that is not in this sheet, whether it exists elsewhere or not at all."""
        raise NotImplementedError

    def stored(self, row):
        """The row's stored record (with `version`; unsaved with version 0 where there is none yet)."""
        return row

    def mismatch(self, record: dict, row) -> tuple[str, str] | None:
        """(column, message) where a locked cell does not fit the row's ID."""
        return None

    def parse(self, name: str, text: str, row):
        """The field's value for a cell's text; ValidationError with a German message."""
        raise NotImplementedError

    def rule_errors(self, candidate) -> dict[str, list[str]]:
        raise NotImplementedError

    def naming(self, row) -> tuple[str, str]:
        """(key, name) by which the preview names the row."""
        raise NotImplementedError

    def missing(self, seen: list[int]) -> int:
        return 0

    def awaiting(self, stored) -> bool:
        """Whether the stored row awaits confirmation (for a sheet with a `confirms` column)."""
        return False

    def confirmed_cell(self, text: str) -> bool:
        """A cell of the `confirms` column: "ja" or "nein" (or empty); ValidationError for anything else."""
        value = fold(text)
        if value in ("", "nein"):
            return False
        if value == "ja":
            return True
        raise ValidationError(f"„{text}“ ist kein erlaubter Wert. {allowed(CONFIRM_VALUES)}")

    def read(self, upload, filename: str) -> Preview:
        """What applying the upload would change; ImportFailed for a file that cannot be read at all."""
        records = read_rows(upload, filename, self.columns)
        preview = Preview(filename=filename, rows_in_file=len(records))
        known = self.known({number(record[self.id_column]) for record in records} - {None})
        seen: dict[int, int] = {}
        stale: list[tuple[RowChange, object]] = []
        for record in records:
            line = record["_row"]
            errors_before = len(preview.errors)

            def error(column, message, line=line):
                preview.errors.append(RowError(line, self.labels.get(column), message))

            pk, version = number(record[self.id_column]), number(record["version"])
            if pk is None or version is None:
                error(
                    self.id_column if pk is None else "version",
                    "Die Zelle muss die ganze Zahl aus der heruntergeladenen Tabelle enthalten; neue Zeilen können "
                    "nicht über die Tabelle angelegt werden.",
                )
                continue
            if pk in seen:
                error(
                    self.id_column,
                    f"Dieselbe ID steht schon in Zeile {seen[pk]}; jede Zeile darf nur einmal vorkommen.",
                )
                continue
            seen[pk] = line
            row = known.get(pk)
            if row is None:
                error(self.id_column, self.unknown(pk))
                continue
            mismatch = self.mismatch(record, row)
            if mismatch:
                error(*mismatch)
                continue
            stored = self.stored(row)
            if version > stored.version:
                error("version", "Der Bearbeitungsstand ist neuer als der gespeicherte; die Zeile wurde verändert.")
                continue

            values = {}
            for name in self.fields:
                try:
                    values[name] = self.parse(name, restore_text(record[name]), row)
                except ValidationError as invalid:
                    for message in invalid.messages:
                        error(name, message)
            confirm = False
            if self.confirm_column is not None and self.confirm_column in record:
                try:
                    confirm = self.confirmed_cell(restore_text(record[self.confirm_column]))
                except ValidationError as invalid:
                    error(self.confirm_column, invalid.messages[0])
            if len(preview.errors) > errors_before:
                continue
            current = {name: shown(stored, name) for name in self.fields}
            wanted = {name: shown_value(name, value, self.model) for name, value in values.items()}
            changed = [name for name in self.fields if wanted[name] != current[name]]
            if not changed:
                if confirm and self.awaiting(stored):
                    # Confirmed as it is: written like every confirmation, through the write path, on apply.
                    key, shown_name = self.naming(row)
                    confirmation = RowChange(line, row, version, {}, [], key=key, name=shown_name)
                    if version < stored.version:
                        stale.append((confirmation, stored))  # changed since the download: not confirmed blindly
                    else:
                        preview.confirmations.append(confirmation)
                else:
                    preview.unchanged += 1
                continue
            # The rules of the model, on a copy, exactly as the write path will check them.
            candidate = twin(stored)
            for name in changed:
                setattr(candidate, name, values[name])
            for name, messages in self.rule_errors(candidate).items():
                for message in messages:
                    error(name, message)
            if len(preview.errors) > errors_before:
                continue
            key, shown_name = self.naming(row)
            change = RowChange(
                line,
                row,
                version,
                {name: values[name] for name in changed},
                [{"field": n, "label": self.labels[n], "old": current[n], "new": wanted[n]} for n in changed],
                key=key,
                name=shown_name,
            )
            if version < stored.version:
                stale.append((change, stored))
                continue
            preview.changes.append(change)
        preview.missing = self.missing(list(seen))
        return preview.finish(stale, self.history)


def twin(record):
    """An unsaved copy of a record with its loaded relations, to check new values against the rules."""
    model = type(record)
    copy = model(**{f.attname: getattr(record, f.attname) for f in model._meta.concrete_fields})
    for relation in model._meta.concrete_fields:
        if relation.is_relation and relation.is_cached(record):
            relation.set_cached_value(copy, relation.get_cached_value(record))
    return copy


# --- keeping the preview for the apply step ------------------------------------------------------------------------


def remember(request, session_key: str, scope: dict, preview: Preview) -> str:
    """Keep exactly what the preview showed (IDs, versions, values) under a fresh token; `scope` names the sheet."""
    token = secrets.token_urlsafe(16)
    request.session.setdefault(session_key, {})[token] = {
        **scope,
        "filename": preview.filename,
        "rows": [
            {
                "id": row.record.pk,
                "version": row.version,
                "values": {name: getattr(value, "pk", value) for name, value in row.values.items()},
            }
            for row in [*preview.changes, *preview.confirmations]
        ],
    }
    request.session.modified = True
    return token


def take(request, session_key: str, token: str, scope: dict) -> dict | None:
    """The kept preview, once: None for an unknown token, one already applied, or one of another sheet."""
    job = request.session.get(session_key, {}).pop(token, None)
    request.session.modified = True
    if job is None or any(job.get(name) != value for name, value in scope.items()):
        return None
    return job


def restore_values(model, rows: list[dict]) -> dict[int, dict]:
    """The kept rows' values with related records loaded again (one query per related field): {id: values}."""
    related = {}
    for name in {name for row in rows for name in row["values"]}:
        target = model._meta.get_field(name).related_model
        if target is not None:
            related[name] = target.objects.in_bulk({row["values"][name] for row in rows if row["values"].get(name)})
    per_row = {}
    for row in rows:
        values = dict(row["values"])
        for name, records in related.items():
            if name in values:
                values[name] = records.get(values[name]) if values[name] else None
        per_row[row["id"]] = values
    return per_row
