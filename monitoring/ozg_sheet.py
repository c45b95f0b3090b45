"""An organisation's OZG plans as an Excel sheet: download, edit offline, upload, preview, apply.

Decisions (the same as the department sheets, whose machinery is in `roundtrip.py`):
- The sheet holds the rows of the filtered list that the user may change: all for the IT office, the rows of their
  departments for a department's editor. Rows the user only reads are left out, as they could not be uploaded.
- A row is named by its OZG-ID (visible, locked) and carries its plan's version (hidden; 0 for a plan without a
  record yet). Applying goes through `planning.apply_plan_changes` with those versions, so a row someone else
  changed after the download is never overwritten; the preview names who changed what.
- An OZG-ID the user may not change and an unknown one get the same answer, so the upload tells nothing about rows
  out of reach. Any error blocks applying altogether; rows equal to the record are not touched.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import Workbook

from ozg.models import EfaOffer

from . import roundtrip
from .access import plan_departments
from .choices import PlanState
from .editing import shown
from .forms import plan_levels
from .models import Organisation, OzgPlan
from .planning import PLAN_HISTORY, editable_plan_rows, plan_of, plan_rows, plan_rules
from .roundtrip import Preview, SheetColumn, SheetReader

SESSION_KEY = "ozg_plan_sheets"
DATA_SHEET = "OZG-Planung"
MUNICIPAL_CHOICES = OzgPlan._meta.get_field("municipal_override").choices

COLUMNS = (
    SheetColumn("ozg_id", "OZG-ID", 10, aliases=("ID",)),
    SheetColumn("version", "Bearbeitungsstand", 10, hidden=True, aliases=("Version",)),
    SheetColumn("leistung", "OZG-Leistung", 45, required=False),
    SheetColumn("themenfeld", "Themenfeld", 24, required=False),
    SheetColumn("state", "Stand", 22, editable=True, blank=False),
    SheetColumn("target_quarter", "Zielquartal", 12, editable=True),
    SheetColumn("maturity_level", "Reifegrad", 30, editable=True),
    SheetColumn("responsible_department", "verantwortliche Einheit", 28, editable=True, aliases=("Einheit",)),
    SheetColumn("online_service_url", "Adresse des Onlinedienstes", 40, editable=True, aliases=("URL", "Link")),
    SheetColumn("efa_offer", "genutztes EfA-Angebot", 40, editable=True, aliases=("EfA-Angebot",)),
    SheetColumn("municipal_override", "kommunal abweichend", 26, editable=True),
    SheetColumn("municipal_reason", "Begründung der Abweichung", 40, editable=True, wrap=True),
    SheetColumn("note", "Anmerkung", 50, editable=True, wrap=True),
)
SHEET_FIELDS = tuple(column.name for column in COLUMNS if column.editable)
TEXT_FIELDS = ("target_quarter", "municipal_reason", "note")


def sheet_rows(user, organisation: Organisation):
    """The OZG-Leistungen (with the organisation's plan) whose plan the user may change, by OZG-ID."""
    return editable_plan_rows(user, organisation, plan_rows(organisation)).order_by("ozg_id", "pk")


def stored_plan(organisation, row) -> OzgPlan:
    """The row's plan, or the unsaved plan a row without a record reads as (version 0)."""
    return plan_of(row) or OzgPlan(organisation=organisation, ozg_leistung=row, version=0)


class Choices:
    """The values a cell may hold, by the label the sheet shows (stored codes and department codes as well)."""

    def __init__(self, user, organisation: Organisation, rows):
        self.organisation = organisation
        self.levels = list(plan_levels(organisation))
        own = plan_departments(user, organisation)
        departments = organisation.departments.order_by("code")
        # A department's editor hands rows only to departments they edit (the write path refuses any other).
        self.departments = list(departments if own is None else departments.filter(pk__in=own))
        self.offers: dict[int, list[EfaOffer]] = {}
        for offer in EfaOffer.objects.filter(ozg_leistung__in=[row.pk for row in rows]).order_by("name"):
            self.offers.setdefault(offer.ozg_leistung_id, []).append(offer)
        self.lists = {
            "state": [label for _, label in PlanState.choices],
            "maturity_level": [str(level) for level in self.levels],
            "responsible_department": [str(department) for department in self.departments],
            "municipal_override": [label for _, label in MUNICIPAL_CHOICES],
        }

    def parse(self, name: str, text: str, row):
        """The field's value for a cell's text in the row of an OZG-Leistung; ValidationError in German."""
        if name == "state":
            if not text:
                raise ValidationError("Bitte einen Stand wählen.")
            return roundtrip.pick_choice(text, PlanState.choices, self.lists[name])
        if name == "municipal_override":
            return roundtrip.pick_choice(text, MUNICIPAL_CHOICES, self.lists[name]) if text else None
        if name == "online_service_url":
            return roundtrip.url_value(text)
        if name in TEXT_FIELDS:
            return text.strip()  # quarter and lengths are checked by the plan's rules, as on every path
        if not text:
            return None
        if name == "maturity_level":
            options = ((level, (str(level), str(level.value))) for level in self.levels)
            scale = self.organisation.maturity_scale or "aller Skalen"
            refusal = f"„{text}“ ist kein Reifegrad der Skala {scale}. {roundtrip.allowed(self.lists[name])}"
            return roundtrip.pick(text, options, refusal)
        if name == "responsible_department":
            options = ((department, (str(department), department.code)) for department in self.departments)
            refusal = (
                f"„{text}“ ist keine Einheit, der Sie die Planung geben können. {roundtrip.allowed(self.lists[name])}"
            )
            return roundtrip.pick(text, options, refusal)
        offers = self.offers.get(row.pk, [])
        refusal = f"„{text}“ ist kein EfA-Angebot zu dieser OZG-Leistung. " + (
            roundtrip.allowed([str(offer) for offer in offers]) if offers else "Es gibt keines; bitte leer lassen."
        )
        return roundtrip.pick(text, ((offer, (str(offer), offer.name)) for offer in offers), refusal)


# --- download ------------------------------------------------------------------------------------------------------


def build_workbook(user, organisation: Organisation, rows, filter_text: str = "") -> Workbook:
    rows = list(rows)
    choices = Choices(user, organisation, rows)
    now = timezone.localtime()
    cells = []
    for row in rows:
        plan = stored_plan(organisation, row)
        cells.append([row.ozg_id, plan.version, row.name, str(row.themenfeld), *(shown(plan, n) for n in SHEET_FIELDS)])
    workbook = Workbook()
    roundtrip.build_data_sheet(workbook, DATA_SHEET, COLUMNS, cells, choices.lists, freeze="E2")
    scale = organisation.maturity_scale
    roundtrip.add_notes(
        workbook,
        [
            ("Organisation", str(organisation)),
            ("Reifegradskala", f"{scale}: " + "; ".join(choices.lists["maturity_level"]) if scale else "alle Skalen"),
            ("Heruntergeladen am", now.strftime("%d.%m.%Y %H:%M")),
            ("Heruntergeladen von", user.get_full_name() or user.get_username()),
            ("Filter", filter_text or "keiner"),
            (
                "Zähleinheit",
                f"eine Zeile je OZG-Leistung des Filters, deren Planung Sie ändern dürfen ({len(rows)} Zeilen)",
            ),
            (
                "So füllen Sie aus",
                "Ändern Sie nur die Spalten ab „Stand“ (weiß hinterlegt); OZG-ID, Bezeichnung und Themenfeld sind zur "
                "Orientierung da. Stand, Reifegrad, verantwortliche Einheit und „kommunal abweichend“ wählen Sie aus "
                "der Liste der Zelle; das Zielquartal schreiben Sie als JJJJ-Q1 bis JJJJ-Q4; das EfA-Angebot mit "
                "seinem Namen. Leer bedeutet „keine Angabe“. Eine Abweichung von „kommunal“ braucht eine Begründung.",
            ),
            (
                "Nicht ändern",
                "Die OZG-ID und die ausgeblendete Spalte „Bearbeitungsstand“ ordnen jede Zeile ihrer Planung zu. "
                "Zeilen dürfen Sie sortieren, filtern oder löschen (gelöschte Zeilen bleiben unverändert), aber "
                "keine hinzufügen. Bitte keine Formeln eintragen.",
            ),
            (
                "Hochladen",
                "Speichern Sie die Datei als .xlsx und laden Sie sie auf der Seite „OZG-Planung“ hoch. Eine Vorschau "
                "zeigt jede Änderung, jeden Fehler mit Zeile und Spalte und jede Zeile, die inzwischen jemand anders "
                "geändert hat; solche Zeilen werden nicht überschrieben. Gespeichert wird erst nach Bestätigung, "
                "und dann alles auf einmal oder nichts.",
            ),
        ],
    )
    roundtrip.describe(workbook, f"OZG-Planung {organisation}", f"OZG-Planung, Stand {now:%d.%m.%Y}", now)
    return workbook


def file_name(organisation: Organisation) -> str:
    return f"OZG-Planung-{roundtrip.safe_file_part(organisation.name, organisation.pk)}.xlsx"


# --- upload: read, compare, check ----------------------------------------------------------------------------------


class PlanSheetReader(SheetReader):
    columns, id_column, model, history = COLUMNS, "ozg_id", OzgPlan, PLAN_HISTORY

    def __init__(self, user, organisation: Organisation):
        super().__init__()
        self.user, self.organisation = user, organisation

    def known(self, ids):
        # Only the rows the user may change are looked up, so an unknown and an unreachable OZG-ID read alike.
        rows = {row.ozg_id: row for row in sheet_rows(self.user, self.organisation).filter(ozg_id__in=ids)}
        self.choices = Choices(self.user, self.organisation, rows.values())
        return rows

    def unknown(self, pk):
        return (
            f"Die OZG-ID {pk} gehört nicht zu den Planungen von {self.organisation}, die Sie ändern dürfen; "
            "die Zeile wird nicht übernommen."
        )

    def stored(self, row):
        return stored_plan(self.organisation, row)

    def parse(self, name, text, row):
        return self.choices.parse(name, text, row)

    def rule_errors(self, candidate):
        candidate.organisation = self.organisation
        return plan_rules(candidate)

    def naming(self, row):
        return str(row.ozg_id), row.name


def plan_upload(upload, filename: str, user, organisation: Organisation) -> Preview:
    """What applying the uploaded sheet would change, without writing anything; raises ImportFailed for a file that
    cannot be read at all (not an .xlsx, missing columns, formulas)."""
    return PlanSheetReader(user, organisation).read(upload, filename)
