"""Import of OZG-Leistungen, and of the LeiKa → OZG mapping that LeiKa files with an OZG-ID column carry."""

from dataclasses import dataclass

from django.db import transaction

from leika.importing import FileSource, LeikaImportResult, import_leika
from leika.models import CatalogueVersion, LeikaEntry
from leika.tabular import Column, ImportFailed, RowError, Table, read_table

from .choices import Zustaendigkeit
from .models import Lage, OzgLeistung, Themenfeld

OZG_COLUMNS = [
    Column("ozg_id", "OZG-ID", ("OZG-ID", "OZG ID", "OZGID", "ID")),
    Column("name", "Bezeichnung", ("Bezeichnung", "Name", "OZG-Leistung", "Leistungsbündel")),
    Column("lage", "Lage", ("Lage", "Lebenslage", "Lebens- und Geschäftslage", "Lebens-/Unternehmenslage")),
    Column("themenfeld", "Themenfeld", ("Themenfeld",)),
    Column("zustaendigkeit", "Zuständigkeit", ("Zuständigkeit", "Zustaendigkeit"), required=False),
]
OZG_ID_COLUMN = Column("ozg_id", "OZG-ID", ("OZG-ID", "OZG ID", "OZGID"), required=False)
RESPONSIBILITY = {choice.label.casefold(): choice.value for choice in Zustaendigkeit}


@dataclass
class OzgImportResult:
    created: int
    changed: int
    unchanged: int
    written: bool

    def summary(self) -> list[tuple[str, int]]:
        return [("neu", self.created), ("geändert", self.changed), ("unverändert", self.unchanged)]

    def summary_lines(self) -> list[str]:
        return [f"{label}: {count}" for label, count in self.summary()]


def _ozg_id(text: str) -> int | None:
    return int(text) if text.isdigit() and 10000 <= int(text) <= 99999 else None


def import_ozg(source: FileSource, *, dry_run: bool = False) -> OzgImportResult:
    """Create or update OZG-Leistungen by OZG-ID; raises ImportFailed naming each bad row and field."""
    table = read_table(source.data, source.filename, OZG_COLUMNS)
    themenfelder = {t.name.casefold(): t for t in Themenfeld.objects.all()}
    errors, seen, parsed = [], {}, []
    for row in table.rows:
        number = row["_row"]
        ozg_id = _ozg_id(row["ozg_id"])
        if ozg_id is None:
            errors.append(RowError(number, "OZG-ID", f"„{row['ozg_id']}“ ist keine fünfstellige OZG-ID."))
            continue
        if ozg_id in seen:
            errors.append(RowError(number, "OZG-ID", f"Die OZG-ID {ozg_id} steht schon in Zeile {seen[ozg_id]}."))
            continue
        seen[ozg_id] = number
        if not row["name"]:
            errors.append(RowError(number, "Bezeichnung", "Die Bezeichnung fehlt."))
        elif len(row["name"]) > 300:
            errors.append(RowError(number, "Bezeichnung", "Die Bezeichnung ist länger als 300 Zeichen."))
        themenfeld = themenfelder.get(row["themenfeld"].casefold())
        if themenfeld is None:
            errors.append(
                RowError(number, "Themenfeld", f"„{row['themenfeld']}“ ist keines der 14 Themenfelder des OZG.")
            )
        responsibility = ""
        if row.get("zustaendigkeit"):
            responsibility = RESPONSIBILITY.get(row["zustaendigkeit"].casefold())
            if responsibility is None:
                errors.append(
                    RowError(number, "Zuständigkeit", f"„{row['zustaendigkeit']}“: erlaubt sind Bund, Land, Kommune.")
                )
        if len(row["lage"]) > 200:
            errors.append(RowError(number, "Lage", "Die Lage ist länger als 200 Zeichen."))
        parsed.append((ozg_id, row, themenfeld, responsibility))
    if errors:
        raise ImportFailed(errors)
    if not parsed:
        raise ImportFailed([RowError(None, None, "Die Datei enthält keine OZG-Leistungen.")])
    has_responsibility = "zustaendigkeit" in table.present
    with transaction.atomic():
        lagen = {lage.name: lage for lage in Lage.objects.all()}
        for name in sorted({row["lage"] for _, row, _, _ in parsed if row["lage"]} - set(lagen)):
            lagen[name] = Lage.objects.create(name=name)
        existing = {o.ozg_id: o for o in OzgLeistung.objects.filter(ozg_id__in=seen)}
        created, changed, unchanged = [], [], 0
        for ozg_id, row, themenfeld, responsibility in parsed:
            values = {"name": row["name"], "lage": lagen.get(row["lage"]), "themenfeld": themenfeld}
            if has_responsibility:
                values["zustaendigkeit"] = responsibility
            current = existing.get(ozg_id)
            if current is None:
                created.append(OzgLeistung(ozg_id=ozg_id, **values))
            elif any(getattr(current, f) != v for f, v in values.items()):
                for f, v in values.items():
                    setattr(current, f, v)
                changed.append(current)
            else:
                unchanged += 1
        OzgLeistung.objects.bulk_create(created)
        fields = ["name", "lage", "themenfeld"] + (["zustaendigkeit"] if has_responsibility else [])
        OzgLeistung.objects.bulk_update(changed, fields)
        if dry_run:
            transaction.set_rollback(True)
    return OzgImportResult(len(created), len(changed), unchanged, written=not dry_run)


def _check_ozg_ids(table: Table) -> list[RowError]:
    """Every OZG-ID the LeiKa file names must be a known OZG-Leistung (import the OZG catalogue first)."""
    if "ozg_id" not in table.present:
        return []
    known = set(OzgLeistung.objects.values_list("ozg_id", flat=True))
    errors = []
    for row in table.rows:
        text = row.get("ozg_id", "")
        if not text:
            continue
        ozg_id = _ozg_id(text)
        if ozg_id is None:
            errors.append(RowError(row["_row"], "OZG-ID", f"„{text}“ ist keine fünfstellige OZG-ID."))
        elif ozg_id not in known:
            errors.append(
                RowError(
                    row["_row"],
                    "OZG-ID",
                    f"Die OZG-ID {ozg_id} ist unbekannt; bitte zuerst den OZG-Katalog importieren.",
                )
            )
    return errors


def _link_ozg(version: CatalogueVersion, saved: dict[str, LeikaEntry], table: Table) -> dict:
    if "ozg_id" not in table.present:
        return {"ozg_links": 0}
    by_id = dict(OzgLeistung.objects.values_list("ozg_id", "pk"))
    through = OzgLeistung.leika_entries.through
    links = [
        through(ozgleistung_id=by_id[int(row["ozg_id"])], leikaentry_id=saved[row["key"]].pk)
        for row in table.rows
        if row.get("ozg_id")
    ]
    through.objects.bulk_create(links, batch_size=2000)
    return {"ozg_links": len(links)}


def import_leika_with_ozg(source: FileSource, **options) -> LeikaImportResult:
    """The LeiKa import, plus the OZG-ID column where the file has one."""
    return import_leika(
        source, extra_columns=(OZG_ID_COLUMN,), check_extra=_check_ozg_ids, after_write=_link_ozg, **options
    )
