"""A department's sheet for an open round: download as .xlsx, edit in Excel, upload, preview the changes, apply them.

Decisions:
- The sheet carries each row's assessment ID and version (hidden, locked columns); applying goes through
  `editing.apply_changes` with those versions, so a row someone else changed after the download is never overwritten.
- The preview writes nothing. A row changed meanwhile by someone else (older version in the sheet, and the sheet's
  values differ from the record's) is shown with who changed what and its current values, and is left out: the user
  applies the rest and downloads a fresh sheet for those rows. Rows whose values equal the record are not touched
  (uploading a sheet is no confirmation of unchanged rows).
- Any error in the file (a value not allowed, an unknown ID, a row of another department or round, a formula) blocks
  applying altogether: the user corrects the file and uploads it again, so that nothing is applied half.
- What the preview showed is kept in the session (IDs, versions, values) and applied exactly; a conflict that arises
  between preview and apply makes `apply_changes` refuse everything.
"""

import re
import secrets
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from leika.tabular import Column, RowError, read_table
from ozg.choices import EfaKind
from ozg.models import MaturityLevel

from .choices import Channel, Status
from .editing import Conflict, shown, shown_value
from .exports.workbooks import FORMULA_TRIGGERS, neutralise
from .models import Assessment, AssessmentChange, ITProject, SurveyRound

MAX_SHEET_BYTES = 5 * 1024 * 1024  # a department's sheet is a few hundred KB; anything far larger is not ours
SESSION_KEY = "department_sheets"
DATA_SHEET, NOTES_SHEET, LISTS_SHEET = "Leistungen", "Hinweise", "Auswahllisten"
HEADER_FILL = PatternFill("solid", fgColor="D9E2F3")
CONTEXT_FILL = PatternFill("solid", fgColor="F2F2F2")
# The relations shown or checked per row, loaded with the rows (the round with its organisation for messages).
ROW_FIELDS = ("leika_entry", "maturity_level", "it_project", "efa_offer", "department", "round")
PARSED_RELATIONS = (*ROW_FIELDS[:-1], "round__organisation")


@dataclass(frozen=True)
class SheetColumn:
    name: str  # the assessment field, or "id"/"version"/"key"/"entry_name"
    label: str
    width: int
    editable: bool = False
    hidden: bool = False
    aliases: tuple[str, ...] = ()


COLUMNS = (
    SheetColumn("id", "Bewertungs-ID", 12, hidden=True, aliases=("ID",)),
    SheetColumn("version", "Bearbeitungsstand", 10, hidden=True, aliases=("Version",)),
    SheetColumn("key", "Leistungsschlüssel", 18, aliases=("Schlüssel",)),
    SheetColumn("entry_name", "Bezeichnung", 50),
    SheetColumn("status", "Umsetzungsstatus", 28, editable=True, aliases=("Status",)),
    SheetColumn("maturity_level", "Reifegrad", 32, editable=True),
    SheetColumn("efa_kind", "EfA-Nachnutzung", 40, editable=True),
    SheetColumn("channel", "Kanal des Onlineangebots", 30, editable=True, aliases=("Kanal",)),
    SheetColumn("online_service_url", "Adresse des Onlinedienstes", 40, editable=True, aliases=("URL", "Link")),
    SheetColumn("it_project", "IT-Projekt", 30, editable=True),
    SheetColumn("justification", "Begründung", 50, editable=True),
)
SHEET_FIELDS = tuple(column.name for column in COLUMNS if column.editable)
LABEL = {column.name: column.label for column in COLUMNS}


def sheet_rows(department, round_obj):
    return (
        Assessment.objects.filter(department=department, round=round_obj)
        .select_related(*PARSED_RELATIONS)
        .order_by("leika_entry__key", "pk")
    )


# --- the allowed values of each column -----------------------------------------------------------------------------


class Choices:
    """The values a cell may hold, by the label the sheet shows (the stored codes are accepted as well)."""

    def __init__(self, round_obj: SurveyRound):
        self.levels = list(MaturityLevel.objects.filter(scale_id=round_obj.maturity_scale_id).order_by("value"))
        self.projects = list(
            ITProject.objects.filter(organisation_id=round_obj.organisation_id).order_by("-year", "title")
        )
        self.lists = {
            "status": [label for _, label in Status.choices],
            "maturity_level": [str(level) for level in self.levels],
            "efa_kind": [label for _, label in EfaKind.choices],
            "channel": [label for _, label in Channel.choices],
            "it_project": [str(project) for project in self.projects],
        }

    def parse(self, name: str, text: str):
        """The field's value for a cell's text; raises ValidationError with a German message."""
        if name == "status":
            if not text:
                raise ValidationError("Bitte einen Umsetzungsstatus wählen.")
            return self._choice(text, Status.choices, name)
        if name in ("efa_kind", "channel"):
            return self._choice(text, (EfaKind if name == "efa_kind" else Channel).choices, name) if text else ""
        if name == "maturity_level":
            if not text:
                return None
            wanted = _fold(text)
            for level in self.levels:
                if wanted in (_fold(str(level)), str(level.value)):
                    return level
            raise ValidationError(f"„{text}“ ist kein Reifegrad der Skala der Runde. {self._allowed(name)}")
        if name == "it_project":
            if not text:
                return None
            wanted = _fold(text)
            matches = [p for p in self.projects if _fold(str(p)) == wanted] or [
                p for p in self.projects if _fold(p.title) == wanted
            ]
            if len(matches) == 1:
                return matches[0]
            if matches:
                raise ValidationError(f"Es gibt mehrere IT-Projekte „{text}“; bitte das Jahr mit angeben.")
            raise ValidationError(f"„{text}“ ist kein IT-Projekt der Organisation. {self._allowed(name)}")
        if name == "online_service_url":
            return forms.URLField(max_length=500, required=False, assume_scheme="https").clean(text)
        return text  # justification

    def _choice(self, text, choices, name):
        wanted = _fold(text)
        for value, label in choices:
            if wanted in (_fold(label), value):
                return value
        raise ValidationError(f"„{text}“ ist kein erlaubter Wert. {self._allowed(name)}")

    def _allowed(self, name) -> str:
        values = self.lists[name]
        if not values:
            return "Die Organisation hat keine IT-Projekte angelegt; bitte leer lassen."
        return "Erlaubt: " + ", ".join(f"„{value}“" for value in values) + "."


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold().replace("-", "–") if text else ""


# --- download ------------------------------------------------------------------------------------------------------


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


def build_workbook(department, round_obj, user) -> Workbook:
    choices = Choices(round_obj)
    rows = list(sheet_rows(department, round_obj))
    now = timezone.localtime()
    title = f"Leistungen {department.code} {department.name} – Erhebungsrunde {round_obj.year}"

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = DATA_SHEET
    sheet.append([column.label for column in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append(
            [row.pk, row.version]
            + [text_cell(value) for value in (row.leika_entry.key, row.leika_entry.name)]
            + [text_cell(shown(row, name)) for name in SHEET_FIELDS]
        )
    last = len(rows) + 1
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        sheet.column_dimensions[letter].hidden = column.hidden
        if column.editable:
            for (cell,) in sheet.iter_rows(min_row=2, max_row=last, min_col=index, max_col=index):
                cell.protection = Protection(locked=False)
                cell.alignment = Alignment(wrap_text=column.name == "justification", vertical="top")
        elif not column.hidden:
            for (cell,) in sheet.iter_rows(min_row=2, max_row=last, min_col=index, max_col=index):
                cell.fill = CONTEXT_FILL
    sheet.freeze_panes = "E2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last}"
    # Protected without a password: it guards against slips (IDs, keys), not against intent; the upload checks all.
    sheet.protection.sheet = True
    sheet.protection.sort = False
    sheet.protection.autoFilter = False
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False

    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    for index, column in enumerate(COLUMNS, start=1):
        values = choices.lists.get(column.name)
        if values is None:
            continue
        list_column = get_column_letter(len([c for c in COLUMNS[:index] if c.name in choices.lists]))
        lists[f"{list_column}1"] = column.label
        for position, value in enumerate(values, start=2):
            lists[f"{list_column}{position}"] = text_cell(value)
        if not values or last < 2:
            continue
        validation = DataValidation(
            type="list",
            formula1=f"{LISTS_SHEET}!${list_column}$2:${list_column}${len(values) + 1}",
            allow_blank=column.name != "status",
            showErrorMessage=True,
            errorTitle="Wert nicht erlaubt",
            error=f"Bitte einen Wert aus der Liste „{column.label}“ wählen.",
            showInputMessage=True,
            promptTitle=column.label[:32],
            prompt="Bitte aus der Liste wählen." + ("" if column.name == "status" else " Leer lassen: keine Angabe."),
        )
        letter = get_column_letter(index)
        validation.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(validation)

    notes = workbook.create_sheet(NOTES_SHEET, 1)
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 100
    notes.append(["Hinweise zum Ausfüllen", ""])
    notes["A1"].font = Font(bold=True, size=14)
    scale_levels = "; ".join(str(level) for level in choices.levels)
    for label, value in (
        ("Organisation", str(round_obj.organisation)),
        ("Organisationseinheit", f"{department.code} {department.name}"),
        ("Erhebungsrunde", str(round_obj.year)),
        ("Katalogversion", str(round_obj.catalogue_version)),
        ("Reifegradskala", f"{round_obj.maturity_scale}: {scale_levels}"),
        ("Heruntergeladen am", now.strftime("%d.%m.%Y %H:%M")),
        ("Heruntergeladen von", user.get_full_name() or user.get_username()),
        ("Zähleinheit", f"eine Zeile je LeiKa-Leistung der Einheit in dieser Runde ({len(rows)} Zeilen)"),
        (
            "So füllen Sie aus",
            "Ändern Sie nur die Spalten ab „Umsetzungsstatus“ (weiß hinterlegt); Schlüssel und Bezeichnung sind "
            "zur Orientierung da. Wählen Sie Status, Reifegrad, EfA-Nachnutzung, Kanal und IT-Projekt aus der "
            "Liste der Zelle; leer bedeutet „keine Angabe“. „Kein Optimierungspotenzial“ braucht eine Begründung.",
        ),
        (
            "Nicht ändern",
            "Die ausgeblendeten Spalten „Bewertungs-ID“ und „Bearbeitungsstand“ ordnen jede Zeile ihrer Bewertung zu. "
            "Zeilen dürfen Sie sortieren, filtern oder löschen (gelöschte Zeilen bleiben unverändert), aber keine "
            "hinzufügen. Bitte keine Formeln eintragen.",
        ),
        (
            "Hochladen",
            "Speichern Sie die Datei als .xlsx und laden Sie sie auf der Seite „Tabelle der Einheit“ hoch. Eine "
            "Vorschau zeigt jede Änderung, jeden Fehler mit Zeile und Spalte und jede Zeile, die inzwischen jemand "
            "anders geändert hat; solche Zeilen werden nicht überschrieben. Gespeichert wird erst nach Bestätigung, "
            "und dann alles auf einmal oder nichts.",
        ),
        (
            "Führendes Apostroph",
            "Texte, die mit =, +, - oder @ beginnen, stehen mit einem vorangestellten ' in der Tabelle, damit Excel "
            "sie nicht als Formel ausführt; beim Hochladen wird dieses Zeichen wieder entfernt.",
        ),
    ):
        notes.append([label, text_cell(value)])
    for key_cell, value_cell in notes.iter_rows(min_row=2, max_col=2):
        key_cell.font = Font(bold=True)
        key_cell.alignment = Alignment(vertical="top")
        value_cell.alignment = Alignment(wrap_text=True, vertical="top")

    workbook.properties.title = title
    workbook.properties.subject = f"Erhebungsrunde {round_obj.year}, Katalogversion {round_obj.catalogue_version}"
    workbook.properties.creator = "Digitalisierungsmonitor"
    workbook.properties.created = now.replace(tzinfo=None)
    return workbook


def file_name(department, round_obj) -> str:
    code = re.sub(r"[^A-Za-z0-9]+", "-", department.code).strip("-") or str(department.pk)
    return f"Leistungen-{code}-{round_obj.year}.xlsx"


# --- upload: read, compare, check ----------------------------------------------------------------------------------


@dataclass
class RowChange:
    line: int  # the row number in the sheet
    assessment: Assessment
    version: int
    values: dict  # field -> parsed value, only the changed fields
    changes: list[dict]  # {"field", "label", "old", "new"}


@dataclass
class Plan:
    filename: str
    rows_in_file: int = 0
    changes: list[RowChange] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)  # {"line", "conflict", "changes"}
    unchanged: int = 0
    changed_meanwhile: int = 0  # rows others changed after the download that the sheet leaves as they were
    missing: int = 0  # rows of the department and round that are not in the file

    @property
    def field_changes(self) -> int:
        return sum(len(row.changes) for row in self.changes)


def _read(upload, filename) -> list[dict]:
    columns = [Column(c.name, c.label, c.aliases, required=c.name != "entry_name") for c in COLUMNS]
    table = read_table(upload, filename, columns, max_bytes=MAX_SHEET_BYTES)
    return table.rows


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def plan_upload(upload, filename: str, department, round_obj) -> Plan:
    """What applying the uploaded sheet would change, without writing anything; raises ImportFailed for a file that
    cannot be read at all (not an .xlsx, missing columns, formulas)."""
    records = _read(upload, filename)
    plan = Plan(filename=filename, rows_in_file=len(records))
    choices = Choices(round_obj)
    ids = {_number(record["id"]) for record in records} - {None}
    # Only the rows of this sheet are looked up: whether an ID exists elsewhere, and where, is not the uploader's to
    # learn, so an unknown and a foreign ID get the same answer.
    known = {row.pk: row for row in sheet_rows(department, round_obj).filter(pk__in=ids)}
    seen: dict[int, int] = {}
    stale: list[tuple[int, Assessment, int, dict]] = []

    for record in records:
        line = record["_row"]
        errors_before = len(plan.errors)

        def error(column, message, line=line):
            plan.errors.append(RowError(line, LABEL[column] if column else None, message))

        pk, version = _number(record["id"]), _number(record["version"])
        row = known.get(pk)
        if pk is None or version is None:
            error(
                "id" if pk is None else "version",
                "Die Zelle muss die ganze Zahl aus der heruntergeladenen Tabelle enthalten; neue Zeilen können "
                "nicht über die Tabelle angelegt werden.",
            )
            continue
        if pk in seen:
            error("id", f"Die Bewertung steht schon in Zeile {seen[pk]}; jede Leistung darf nur einmal vorkommen.")
            continue
        seen[pk] = line
        if row is None:
            error(
                "id",
                f"Die Bewertungs-ID {pk} gehört nicht zur Tabelle von {department.code} in der Runde "
                f"{round_obj.year}; die Zeile wird nicht übernommen.",
            )
            continue
        if restore_text(record["key"]) != row.leika_entry.key:
            error("key", f"Der Schlüssel passt nicht zur Bewertungs-ID (erwartet {row.leika_entry.key}).")
            continue
        if version > row.version:
            error("version", "Der Bearbeitungsstand ist neuer als der gespeicherte; die Zeile wurde verändert.")
            continue

        values = {}
        for name in SHEET_FIELDS:
            try:
                values[name] = choices.parse(name, restore_text(record[name]))
            except ValidationError as invalid:
                for message in invalid.messages:
                    error(name, message)
        if len(plan.errors) > errors_before:
            continue
        current = {name: shown(row, name) for name in SHEET_FIELDS}
        wanted = {name: shown_value(name, value) for name, value in values.items()}
        wanted["justification"] = wanted["justification"].strip()
        changed = [name for name in SHEET_FIELDS if wanted[name] != current[name]]
        if not changed:
            plan.unchanged += 1
            continue
        # The rules of the model, on a copy, exactly as apply_changes will check them.
        candidate = _copy(row)
        for name in changed:
            setattr(candidate, name, values[name])
        for name, messages_ in candidate.rule_errors(round_obj).items():
            for message in messages_:
                error(name if name in LABEL else None, message)
        if len(plan.errors) > errors_before:
            continue
        change_list = [
            {"field": name, "label": LABEL[name], "old": current[name], "new": wanted[name]} for name in changed
        ]
        if version < row.version:
            stale.append((line, row, version, change_list))
            continue
        plan.changes.append(RowChange(line, row, version, {name: values[name] for name in changed}, change_list))

    plan.missing = sheet_rows(department, round_obj).exclude(pk__in=list(seen)).count()
    if stale:
        history: dict[int, list[AssessmentChange]] = {}
        for change in (
            AssessmentChange.objects.filter(assessment__in=[row for _, row, _, _ in stale])
            .select_related("user")
            .order_by("at", "pk")
        ):
            history.setdefault(change.assessment_id, []).append(change)
        for line, row, version, change_list in stale:
            since = [change for change in history.get(row.pk, []) if change.version > version]
            # The values as downloaded: each field's old value in its first later change, else the current one.
            downloaded = {item["field"]: item["old"] for item in change_list}
            for change in reversed(since):
                downloaded.update({item["field"]: item["old"] for item in change.fields if item["field"] in downloaded})
            if all(item["new"] == downloaded[item["field"]] for item in change_list):
                plan.changed_meanwhile += 1  # not edited in the sheet: the record stays as the other person left it
                continue
            plan.conflicts.append({"line": line, "conflict": Conflict(row, since), "changes": change_list})
    plan.changes.sort(key=lambda row: row.line)
    plan.errors.sort(key=lambda error: error.row or 0)
    return plan


def _copy(row: Assessment) -> Assessment:
    """An unsaved twin of the row with its loaded relations, to check new values against the rules."""
    twin = Assessment(**{f.attname: getattr(row, f.attname) for f in Assessment._meta.concrete_fields})
    for name in ROW_FIELDS:
        relation = Assessment._meta.get_field(name)
        if relation.is_cached(row):
            relation.set_cached_value(twin, relation.get_cached_value(row))
    return twin


# --- keeping the preview for the apply step ------------------------------------------------------------------------


def _to_session(value):
    return getattr(value, "pk", value)


def remember(request, department, round_obj, plan: Plan) -> str:
    token = secrets.token_urlsafe(16)
    request.session.setdefault(SESSION_KEY, {})[token] = {
        "department": department.pk,
        "round": round_obj.pk,
        "filename": plan.filename,
        "rows": [
            {
                "id": row.assessment.pk,
                "version": row.version,
                "values": {name: _to_session(value) for name, value in row.values.items()},
            }
            for row in plan.changes
        ],
    }
    request.session.modified = True
    return token


def from_session(rows: list[dict]) -> dict[int, dict]:
    levels = MaturityLevel.objects.in_bulk(
        {r["values"]["maturity_level"] for r in rows if r["values"].get("maturity_level")}
    )
    projects = ITProject.objects.in_bulk({r["values"]["it_project"] for r in rows if r["values"].get("it_project")})
    per_row = {}
    for r in rows:
        values = dict(r["values"])
        if "maturity_level" in values:
            values["maturity_level"] = levels.get(values["maturity_level"]) if values["maturity_level"] else None
        if "it_project" in values:
            values["it_project"] = projects.get(values["it_project"]) if values["it_project"] else None
        per_row[r["id"]] = values
    return per_row
