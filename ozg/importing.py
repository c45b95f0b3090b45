"""Import of OZG-Leistungen, and of the LeiKa → OZG mapping that LeiKa files with an OZG-ID column carry."""

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.db import transaction
from django.utils import timezone

from leika.dbstats import analyze
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


NEW, RENAMED, CHANGED, WITHDRAWN, RESTORED = "neu", "umbenannt", "geändert", "entfällt", "wieder aufgenommen"
FIELD_LABELS = {"name": "Bezeichnung", "lage": "Lage", "themenfeld": "Themenfeld", "zustaendigkeit": "Zuständigkeit"}


@dataclass
class OzgRowChange:
    """One OZG-Leistung the import adds, renames, changes, withdraws or takes back, with each field old → new."""

    kind: str
    ozg_id: int
    name: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (label, old, new)
    name_replaced: bool = False  # the name changes entirely: probably another service under a reused ID


@dataclass
class OzgImportResult:
    created: int
    changed: int
    unchanged: int
    written: bool
    renamed: int = 0
    withdrawn: int = 0
    rows: list[OzgRowChange] = field(default_factory=list)

    def summary(self) -> list[tuple[str, int]]:
        return [
            ("neu", self.created),
            ("umbenannt", self.renamed),
            ("geändert", self.changed - self.renamed),
            ("entfällt", self.withdrawn),
            ("unverändert", self.unchanged),
        ]

    def summary_lines(self) -> list[str]:
        return [f"{label}: {count}" for label, count in self.summary()]


def _words(name: str) -> set[str]:
    return {word for word in re.findall(r"\w+", name.casefold()) if len(word) > 3}


def name_replaced(old: str, new: str) -> bool:
    """Whether a new name shares no word with the old one ("Jagdschein" → "Sterbefallanzeige"): then the ID most
    likely names another service, and every plan and figure under it would silently change its meaning."""
    old_words, new_words = _words(old), _words(new)
    if not old_words or not new_words or old_words & new_words:
        return False
    # "Abbruchgenehmigung" → "Abbruch- und Rückbaugenehmigung" shares no word but most of its letters.
    return SequenceMatcher(None, old.casefold(), new.casefold()).ratio() < 0.5


def _shown(name: str, value) -> str:
    """A field's value as the preview shows it: the label of a choice, the name of a related record."""
    if value in (None, ""):
        return ""
    return str(dict(Zustaendigkeit.choices).get(value, value)) if name == "zustaendigkeit" else str(value)


def _ozg_id(text: str) -> int | None:
    return int(text) if text.isdigit() and 10000 <= int(text) <= 99999 else None


def import_ozg(source: FileSource, *, dry_run: bool = False, withdraw_missing: bool = False) -> OzgImportResult:
    """Create or update OZG-Leistungen by OZG-ID; raises ImportFailed naming each bad row and field.

    With `withdraw_missing` the file is the whole catalogue: OZG-Leistungen it does not name are marked withdrawn
    (kept, since plans point to them, but no longer counted). The result lists every row that changes.
    """
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
        existing = {
            o.ozg_id: o for o in OzgLeistung.objects.filter(ozg_id__in=seen).select_related("lage", "themenfeld")
        }
        created, changed, unchanged, rows = [], [], 0, []
        renamed = 0
        for ozg_id, row, themenfeld, responsibility in parsed:
            values = {"name": row["name"], "lage": lagen.get(row["lage"]), "themenfeld": themenfeld}
            if has_responsibility:
                values["zustaendigkeit"] = responsibility
            current = existing.get(ozg_id)
            if current is None:
                created.append(OzgLeistung(ozg_id=ozg_id, **values))
                rows.append(OzgRowChange(NEW, ozg_id, row["name"]))
                continue
            differing = [
                (FIELD_LABELS[f], _shown(f, getattr(current, f)), _shown(f, v))
                for f, v in values.items()
                if getattr(current, f) != v
            ]
            restored = current.withdrawn_on is not None
            if not differing and not restored:
                unchanged += 1
                continue
            kind = RESTORED if restored else RENAMED if "name" in values and current.name != values["name"] else CHANGED
            renamed += kind == RENAMED
            rows.append(OzgRowChange(kind, ozg_id, row["name"], differing, name_replaced(current.name, row["name"])))
            for f, v in values.items():
                setattr(current, f, v)
            current.withdrawn_on = None
            changed.append(current)
        withdrawn = []
        if withdraw_missing:
            withdrawn = list(OzgLeistung.objects.current().exclude(ozg_id__in=seen).order_by("ozg_id"))
            for leistung in withdrawn:
                leistung.withdrawn_on = timezone.localdate()
                rows.append(OzgRowChange(WITHDRAWN, leistung.ozg_id, leistung.name))
        OzgLeistung.objects.bulk_create(created)
        fields = ["name", "lage", "themenfeld", "withdrawn_on"] + (["zustaendigkeit"] if has_responsibility else [])
        OzgLeistung.objects.bulk_update(changed, fields)
        OzgLeistung.objects.bulk_update(withdrawn, ["withdrawn_on"])
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run:
        analyze(OzgLeistung)
    order = {NEW: 0, RENAMED: 1, CHANGED: 2, RESTORED: 3, WITHDRAWN: 4}
    rows.sort(key=lambda change: (not change.name_replaced, order[change.kind], change.ozg_id))
    return OzgImportResult(
        len(created),
        len(changed),
        unchanged,
        written=not dry_run,
        renamed=renamed,
        withdrawn=len(withdrawn),
        rows=rows,
    )


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
    result = import_leika(
        source, extra_columns=(OZG_ID_COLUMN,), check_extra=_check_ozg_ids, after_write=_link_ozg, **options
    )
    if result.written and result.extra.get("ozg_links"):
        analyze(OzgLeistung.leika_entries.through)
    return result
