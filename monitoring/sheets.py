"""A department's sheet for an open round: download as .xlsx, edit in Excel, upload, preview the changes, apply them.

Decisions:
- The sheet carries each row's assessment ID and version (hidden, locked columns); applying goes through
  `editing.apply_changes` with those versions, so a row someone else changed after the download is never overwritten.
- The preview writes nothing. A row changed meanwhile by someone else (older version in the sheet, and the sheet's
  values differ from the record's) is shown with who changed what and its current values, and is left out: the user
  applies the rest and downloads a fresh sheet for those rows. Rows whose values equal the record are not touched,
  unless their column "bestätigt" says "ja" while they await confirmation: those are confirmed unchanged, as the
  list's "unverändert bestätigen" does, through the same write path and with a history entry of the sheet (uploading
  a sheet alone confirms nothing; a row marked "ja" that someone changed after the download is not confirmed).
  Saving changed values confirms a row, as on every page; "nein" does not take a confirmation back.
- Any error in the file (a value not allowed, an unknown ID, a row of another department or round, a formula) blocks
  applying altogether: the user corrects the file and uploads it again, so that nothing is applied half.
- What the preview showed is kept in the session (IDs, versions, values) and applied exactly; a conflict that arises
  between preview and apply makes `apply_changes` refuse everything.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from leika.dbstats import analyze
from ozg.choices import EfaKind
from ozg.models import MaturityLevel

from .access import editable_departments
from .choices import Channel, Status
from .editing import ASSESSMENT_HISTORY, EditConflict, EditResult, apply_changes, shown
from .jobs import Finished, JobRefused
from .models import Assessment, AssessmentChange, ChangeSource, ITProject, SurveyRound
from .roundtrip import (
    CONFIRM_VALUES,
    Preview,
    SheetColumn,
    SheetReader,
    add_notes,
    allowed,
    build_data_sheet,
    describe,
    fold,
    pick,
    pick_choice,
    restore_text,
    restore_values,
    safe_file_part,
    url_value,
)

SESSION_KEY = "department_sheets"
DATA_SHEET = "Leistungen"
# The relations shown or checked per row, loaded with the rows (the round with its organisation for messages).
ROW_FIELDS = ("leika_entry", "maturity_level", "it_project", "efa_offer", "department", "round")
PARSED_RELATIONS = (*ROW_FIELDS[:-1], "round__organisation")

COLUMNS = (
    SheetColumn("id", "Bewertungs-ID", 12, hidden=True, aliases=("ID",)),
    SheetColumn("version", "Bearbeitungsstand", 10, hidden=True, aliases=("Version",)),
    SheetColumn("key", "Leistungsschlüssel", 18, aliases=("Schlüssel",)),
    SheetColumn("entry_name", "Bezeichnung", 50, required=False),
    SheetColumn("status", "Umsetzungsstatus", 28, editable=True, aliases=("Status",), blank=False),
    SheetColumn("maturity_level", "Reifegrad", 32, editable=True),
    SheetColumn("efa_kind", "EfA-Nachnutzung", 40, editable=True),
    SheetColumn("channel", "Kanal des Onlineangebots", 30, editable=True, aliases=("Kanal",)),
    SheetColumn("online_service_url", "Adresse des Onlinedienstes", 40, editable=True, aliases=("URL", "Link")),
    SheetColumn("it_project", "IT-Projekt", 30, editable=True),
    SheetColumn("justification", "Begründung", 50, editable=True, wrap=True),
    # Last, so that sheets downloaded before it existed still upload (it is optional there).
    SheetColumn("confirmed", "bestätigt", 12, editable=True, confirms=True, required=False, aliases=("bestaetigt",)),
)
SHEET_FIELDS = tuple(column.name for column in COLUMNS if column.editable and not column.confirms)


def sheet_rows(department, round_obj):
    return (
        Assessment.objects.filter(department=department, round=round_obj)
        .select_related(*PARSED_RELATIONS)
        .order_by("entry_key", "pk")
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
            "confirmed": CONFIRM_VALUES,
        }

    def parse(self, name: str, text: str):
        """The field's value for a cell's text; raises ValidationError with a German message."""
        if name == "status":
            if not text:
                raise ValidationError("Bitte einen Umsetzungsstatus wählen.")
            return pick_choice(text, Status.choices, self.lists[name])
        if name in ("efa_kind", "channel"):
            kind = EfaKind if name == "efa_kind" else Channel
            return pick_choice(text, kind.choices, self.lists[name]) if text else ""
        if name == "maturity_level":
            if not text:
                return None
            options = ((level, (str(level), str(level.value))) for level in self.levels)
            refusal = f"„{text}“ ist kein Reifegrad der Skala der Runde. {allowed(self.lists[name])}"
            return pick(text, options, refusal)
        if name == "it_project":
            if not text:
                return None
            wanted = fold(text)
            matches = [p for p in self.projects if fold(str(p)) == wanted] or [
                p for p in self.projects if fold(p.title) == wanted
            ]
            if len(matches) == 1:
                return matches[0]
            if matches:
                raise ValidationError(f"Es gibt mehrere IT-Projekte „{text}“; bitte das Jahr mit angeben.")
            hint = (
                allowed(self.lists[name])
                if self.projects
                else "Die Organisation hat keine IT-Projekte angelegt; bitte leer lassen."
            )
            raise ValidationError(f"„{text}“ ist kein IT-Projekt der Organisation. {hint}")
        if name == "online_service_url":
            return url_value(text)
        return text.strip()  # justification


# --- download ------------------------------------------------------------------------------------------------------


def build_workbook(department, round_obj, user) -> Workbook:
    choices = Choices(round_obj)
    rows = list(sheet_rows(department, round_obj))
    now = timezone.localtime()
    workbook = Workbook()
    build_data_sheet(
        workbook,
        DATA_SHEET,
        COLUMNS,
        [
            [
                row.pk,
                row.version,
                row.leika_entry.key,
                row.leika_entry.name,
                *(shown(row, n) for n in SHEET_FIELDS),
                "nein" if row.awaiting_confirmation else "ja",
            ]
            for row in rows
        ],
        choices.lists,
        freeze="E2",
    )
    scale_levels = "; ".join(str(level) for level in choices.levels)
    add_notes(
        workbook,
        [
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
                "bestätigt",
                "„ja“ bei einer Zeile, die noch nicht bestätigt ist, bestätigt sie unverändert (wie „unverändert "
                "bestätigen“ in der Liste). Zeilen, deren Werte Sie ändern, gelten mit dem Speichern als bestätigt. "
                "„nein“ hebt eine Bestätigung nicht auf.",
            ),
            (
                "Nicht ändern",
                "Die ausgeblendeten Spalten „Bewertungs-ID“ und „Bearbeitungsstand“ ordnen jede Zeile ihrer "
                "Bewertung zu. Zeilen dürfen Sie sortieren, filtern oder löschen (gelöschte Zeilen bleiben "
                "unverändert), aber keine hinzufügen. Bitte keine Formeln eintragen.",
            ),
            (
                "Hochladen",
                "Speichern Sie die Datei als .xlsx und laden Sie sie auf der Seite „Tabelle der Einheit“ hoch. Eine "
                "Vorschau zeigt jede Änderung, jeden Fehler mit Zeile und Spalte und jede Zeile, die inzwischen "
                "jemand anders geändert hat; solche Zeilen werden nicht überschrieben. Gespeichert wird erst nach "
                "Bestätigung, und dann alles auf einmal oder nichts.",
            ),
        ],
    )
    describe(
        workbook,
        f"Leistungen {department.code} {department.name} – Erhebungsrunde {round_obj.year}",
        f"Erhebungsrunde {round_obj.year}, Katalogversion {round_obj.catalogue_version}",
        now,
    )
    return workbook


def file_name(department, round_obj) -> str:
    return f"Leistungen-{safe_file_part(department.code, department.pk)}-{round_obj.year}.xlsx"


# --- upload: read, compare, check ----------------------------------------------------------------------------------


class DepartmentSheetReader(SheetReader):
    columns, id_column, model, history = COLUMNS, "id", Assessment, ASSESSMENT_HISTORY

    def __init__(self, department, round_obj):
        super().__init__()
        self.department, self.round = department, round_obj
        self.choices = Choices(round_obj)

    def known(self, ids):
        return {row.pk: row for row in sheet_rows(self.department, self.round).filter(pk__in=ids)}

    def unknown(self, pk):
        return (
            f"Die Bewertungs-ID {pk} gehört nicht zur Tabelle von {self.department.code} in der Runde "
            f"{self.round.year}; die Zeile wird nicht übernommen."
        )

    def mismatch(self, record, row):
        if restore_text(record["key"]) != row.leika_entry.key:
            return "key", f"Der Schlüssel passt nicht zur Bewertungs-ID (erwartet {row.leika_entry.key})."
        return None

    def parse(self, name, text, row):
        return self.choices.parse(name, text)

    def rule_errors(self, candidate):
        return candidate.rule_errors(self.round)

    def naming(self, row):
        return row.leika_entry.key, row.leika_entry.name

    def missing(self, seen):
        return sheet_rows(self.department, self.round).exclude(pk__in=seen).count()

    def awaiting(self, stored):
        return stored.awaiting_confirmation


def plan_upload(upload, filename: str, department, round_obj) -> Preview:
    """What applying the uploaded sheet would change, without writing anything; raises ImportFailed for a file that
    cannot be read at all (not an .xlsx, missing columns, formulas)."""
    return DepartmentSheetReader(department, round_obj).read(upload, filename)


# --- applying a kept preview -----------------------------------------------------------------------------------------


def apply_sheet(user, department, round_obj, kept: dict, progress=None) -> EditResult:
    """Apply exactly what the preview showed (`kept`: IDs, versions, values) through the one write path."""
    per_row = restore_values(Assessment, kept["rows"])
    versions = {row["id"]: row["version"] for row in kept["rows"]}
    # The IDs were checked in the preview; checked again, since department roles may have changed since.
    if sheet_rows(department, round_obj).filter(pk__in=list(per_row)).count() != len(per_row):
        raise PermissionDenied("Die Tabelle enthält Leistungen, die Sie nicht mehr bearbeiten dürfen.")
    # Rows to be confirmed unchanged come with no values; the write path records them as confirmed from the sheet.
    return apply_changes(
        user,
        sorted(per_row),
        per_row=per_row,
        versions=versions,
        source=ChangeSource.SHEET,
        confirm_source=ChangeSource.SHEET,
        comment=f"Excel-Tabelle „{kept['filename']}“",
        progress=progress,
    )


def confirmed_count(kept: dict) -> int:
    """The kept rows to be confirmed unchanged (those without values)."""
    return sum(1 for row in kept["rows"] if not row["values"])


def applied_message(filename: str, department, round_obj, count: int, confirmed: int = 0) -> str:
    message = (
        f"Aus der Tabelle „{filename}“ übernommen: {count} Leistung{'' if count == 1 else 'en'} "
        f"von {department.code} in der Erhebungsrunde {round_obj.year} geändert"
    )
    if confirmed:
        message += f", {confirmed} unverändert bestätigt"
    return message + "."


def sheet_job(job, progress) -> Finished:
    """The background job of applying a large sheet (monitoring.jobs), with the roles its owner has now."""
    kept = job.params
    department = editable_departments(job.owner).select_related("organisation").filter(pk=kept["department"]).first()
    if department is None:
        raise PermissionDenied("Sie dürfen die Leistungen dieser Organisationseinheit nicht bearbeiten.")
    round_obj = SurveyRound.objects.get(pk=kept["round"], organisation=department.organisation_id)
    try:
        result = apply_sheet(job.owner, department, round_obj, kept, progress)
    except EditConflict as conflict:
        count = len(conflict.conflicts)
        rows = "1 Leistung wurde" if count == 1 else f"{count} Leistungen wurden"
        raise JobRefused(
            f"Es wurde nichts gespeichert: {rows} nach der Vorschau von anderen geändert. Laden Sie die Tabelle neu "
            "herunter, tragen Sie Ihre Änderungen ein und laden Sie sie erneut hoch.",
            [f"{c.row.row_label}: {line}" for c in conflict.conflicts for line in c.lines()],
        ) from None
    analyze(Assessment, AssessmentChange)
    return Finished(
        applied_message(kept["filename"], department, round_obj, result.changed, confirmed_count(kept)),
        result_url=reverse("department_sheet", args=[department.pk]),
        result_label="Zurück zur Tabelle der Einheit",
    )
