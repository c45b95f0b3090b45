"""Reads the demo's data files in fixtures/demo/ (beside manage.py), and the real catalogue files, into the shapes the
builder works with."""

import csv
import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import models

from leika.importing import LEIKA_COLUMNS
from leika.tabular import Column, read_table
from ozg.choices import EfaKind, LageKind, Zustaendigkeit
from ozg.importing import OZG_COLUMNS

from ..choices import OrganisationKind, PlanState, Status


def directory() -> Path:
    # The files are project data, not package data: they sit at the project root and are read from there.
    return Path(settings.BASE_DIR) / "fixtures" / "demo"


def read_rows(name: str) -> list[dict[str, str]]:
    with (directory() / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file, delimiter=";"))


def read_document(name: str) -> dict:
    return json.loads((directory() / name).read_text(encoding="utf-8"))


def choice(choices: type[models.TextChoices], label: str) -> str:
    """The stored value for a label as the files spell it ("Kommune", "Lebenslage"), so the files read as German."""
    for value, text in choices.choices:
        if text == label:
            return value
    raise ValueError(f"{label!r} ist keine der Angaben {choices.labels} ({choices.__name__})")


def ozg_id(text: str) -> int | None:
    return int(text) if text else None


@dataclass(frozen=True)
class OrganisationSpec:
    name: str
    kind: str
    regionalschluessel: str
    user_prefix: str
    report: dict


def organisations() -> dict[str, OrganisationSpec]:
    return {
        name: OrganisationSpec(
            name=name,
            kind=choice(OrganisationKind, spec["Art"]),
            regionalschluessel=spec["Regionalschlüssel"],
            user_prefix=spec["Benutzerkürzel"],
            report=spec["Bericht"],
        )
        for name, spec in read_document("organisationen.json").items()
    }


def status_counts(counts: dict[str, int]) -> dict[str, int]:
    return {choice(Status, label): n for label, n in counts.items()}


def plan_counts(counts: dict[str, int]) -> list[tuple[str, int]]:
    return [(choice(PlanState, label), n) for label, n in counts.items()]


# --- OZG catalogue ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OzgRow:
    """An OZG-Leistung of the demo: the Zuständigkeit is the demo's own; name, Lage and Themenfeld only where the
    OZG-Leistung is the demo's own too, else they come from the real catalogue."""

    ozg_id: int
    zustaendigkeit: str
    name: str
    lage: str
    themenfeld: str


@dataclass(frozen=True)
class EfaRow:
    name: str
    ozg_id: int
    land: str
    kind: str
    available_from: datetime.date


def ozg_leistungen() -> list[OzgRow]:
    return [
        OzgRow(
            ozg_id=int(row["OZG-ID"]),
            zustaendigkeit=choice(Zustaendigkeit, row["Zuständigkeit"]),
            name=row["Bezeichnung"],
            lage=row["Lage"],
            themenfeld=row["Themenfeld"],
        )
        for row in read_rows("ozg/ozg_leistungen.csv")
    ]


def department_themenfelder() -> dict[int, str]:
    """By OZG-ID, the Themenfeld of the department whose demo families it bundles: the fallback's Themenfeld."""
    of_department = {row["Kürzel"]: row["Themenfeld"] for row in read_rows("staedteregion/aemter.csv")}
    result: dict[int, str] = {}
    for name in ("staedteregion/leistungsobjekte.csv", "staedteregion/berichtsfamilien_2023.csv"):
        for row in read_rows(name):
            if row["OZG-ID"]:
                result.setdefault(int(row["OZG-ID"]), of_department[row["Amt"]])
    return result


def lage_kinds() -> dict[str, str]:
    return {row["Lage"]: choice(LageKind, row["Art"]) for row in read_rows("ozg/lagen.csv")}


def efa_offers() -> list[EfaRow]:
    return [
        EfaRow(
            name=row["Bezeichnung"],
            ozg_id=int(row["OZG-ID"]),
            land=row["Land"],
            kind=choice(EfaKind, row["Art"]),
            available_from=datetime.date.fromisoformat(row["verfügbar ab"]),
        )
        for row in read_rows("ozg/efa_angebote.csv")
    ]


# --- the real catalogues, read where they are, never copied into the project ------------------------------------

OZG_FILE, LEIKA_FILE = "kdn2019_ozg.csv", "kdn2019_leika.csv"


@dataclass(frozen=True)
class RealCatalogue:
    """The KDN 2019 catalogue files in settings.DEMO_CATALOGUE_DIR; a missing file reads as empty."""

    directory: Path
    ozg: dict[int, tuple[str, str, str]]  # OZG-ID: (Bezeichnung, Lage, Themenfeld)
    leika: dict[str, str]  # Schlüssel: Bezeichnung
    missing: list[str]

    def family(self, prefix: str) -> list[tuple[str, str]]:
        """(key, name) of the real entries of one Leistungsobjekt, parents before their children."""
        return sorted((key, name) for key, name in self.leika.items() if key.startswith(prefix))

    def note(self) -> str:
        files = ", ".join(str(self.directory / name) for name in self.missing)
        return (
            f"Hinweis: Der echte Katalog wurde nicht gefunden (gesucht: {files}). Die Demo nimmt stattdessen "
            "Platzhalter wie „OZG-Leistung 10235“ und eigene Namen der LeiKa-Leistungen; die Zahlen der Vorlagen "
            "bleiben gleich. Das Verzeichnis lässt sich mit DEMO_CATALOGUE_DIR einstellen."
        )


def real_catalogue() -> RealCatalogue:
    directory = Path(settings.DEMO_CATALOGUE_DIR)
    ozg_rows = _catalogue_rows(directory / OZG_FILE, OZG_COLUMNS)
    leika_rows = _catalogue_rows(directory / LEIKA_FILE, LEIKA_COLUMNS)
    return RealCatalogue(
        directory=directory,
        ozg={int(row["ozg_id"]): (row["name"], row["lage"], row["themenfeld"]) for row in ozg_rows},
        leika={row["key"]: row["name"] for row in leika_rows},
        missing=[name for name in (OZG_FILE, LEIKA_FILE) if not (directory / name).is_file()],
    )


def _catalogue_rows(path: Path, columns: list[Column]) -> list[dict[str, str]]:
    # Parsed as the import commands parse them, so the demo stores exactly what a later import would.
    return read_table(path, path.name, columns).rows if path.is_file() else []


# --- the Kreis's LeiKa catalogue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeistungsobjektRow:
    department: str
    name: str
    prefix: str  # empty: the builder makes one up
    ozg_id: int | None


@dataclass(frozen=True)
class EntryRow:
    key: str
    name: str
    department: str
    typisierung: list[str]
    ozg_id: int | None


@dataclass(frozen=True)
class KreisCatalogue:
    departments: list[tuple[str, str, list[str]]]
    objects: list[LeistungsobjektRow]
    verrichtungen: list[tuple[str, str]]
    details: list[str]
    report_families_2023: list[EntryRow]
    foerderprogramme: list[tuple[str, str, int | None]]
    jagdschein_verrichtungen_2024: list[tuple[str, str]]
    jagdschein_details_2024: list[str]
    aufenthalt_verrichtungen_2024: list[tuple[str, str]]
    aufenthalt_purposes_2024: list[str]
    renaming_2024: dict[str, str]
    kein_potenzial_reasons: list[str]
    named_projects_2024: list[tuple[str, str]]
    project_themes: list[str]


def kreis_catalogue() -> KreisCatalogue:
    texts = read_document("staedteregion/texte.json")
    jagdschein, aufenthalt = texts["Jagdschein 2024"], texts["Aufenthaltserlaubnis 2024"]
    return KreisCatalogue(
        departments=[
            (row["Kürzel"], row["Bezeichnung"], row["Typisierung"].split("|"))
            for row in read_rows("staedteregion/aemter.csv")
        ],
        objects=[
            LeistungsobjektRow(row["Amt"], row["Leistungsobjekt"], row["Präfix"], ozg_id(row["OZG-ID"]))
            for row in read_rows("staedteregion/leistungsobjekte.csv")
        ],
        verrichtungen=[(row["Kennung"], row["Bezeichnung"]) for row in read_rows("staedteregion/verrichtungen.csv")],
        details=texts["Verrichtungsdetails"],
        report_families_2023=[
            EntryRow(
                row["Schlüssel"],
                row["Bezeichnung"],
                row["Amt"],
                row["Typisierung"].split("|"),
                ozg_id(row["OZG-ID"]),
            )
            for row in read_rows("staedteregion/berichtsfamilien_2023.csv")
        ],
        foerderprogramme=[
            (row["Präfix"], row["Bezeichnung"], ozg_id(row["OZG-ID"]))
            for row in read_rows("staedteregion/foerderprogramme.csv")
        ],
        jagdschein_verrichtungen_2024=list(jagdschein["Verrichtungen"].items()),
        jagdschein_details_2024=jagdschein["Details"],
        aufenthalt_verrichtungen_2024=list(aufenthalt["Verrichtungen"].items()),
        aufenthalt_purposes_2024=aufenthalt["Zwecke"],
        renaming_2024=texts["Umbenennungen 2024"],
        kein_potenzial_reasons=texts["Begründungen kein Optimierungspotenzial"],
        named_projects_2024=[(row["Amt"], row["Titel"]) for row in read_rows("staedteregion/it_projekte_2024.csv")],
        project_themes=texts["Themen weiterer IT-Projekte"],
    )


def stadt_departments() -> list[tuple[str, str]]:
    return [(row["Kürzel"], row["Bezeichnung"]) for row in read_rows("stadt_aachen/fachbereiche.csv")]


def stadt_implemented_levels() -> dict[int, int]:
    """{level on the local scale 0–5: implemented OZG-Leistungen}: the demo's choice, the report gives no figures."""
    return {
        int(row["Reifegrad"]): int(row["OZG-Leistungen"]) for row in read_rows("stadt_aachen/reifegrade_umgesetzt.csv")
    }
