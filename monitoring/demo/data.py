"""Reads the demo's data files in fixtures/demo/ (beside manage.py) into the shapes the builder works with."""

import csv
import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import models

from ozg.choices import EfaKind, LageKind, Zustaendigkeit

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
    ozg_id: int
    name: str
    lage: str
    themenfeld: str
    zustaendigkeit: str


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
            name=row["Bezeichnung"],
            lage=row["Lage"],
            themenfeld=row["Themenfeld"],
            zustaendigkeit=choice(Zustaendigkeit, row["Zuständigkeit"]),
        )
        for row in read_rows("ozg/ozg_leistungen.csv")
    ]


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
