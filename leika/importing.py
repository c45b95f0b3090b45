"""Import of a LeiKa catalogue file as a new catalogue version, with its crosswalk to the previous version.

Everything is checked before anything is written, and the writing happens in one transaction: a file with one bad
row leaves the database as it was. A dry run does the whole import and rolls it back, so its counts are exact.
"""

import datetime
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from .catalogue import create_version
from .choices import TYPISIERUNG_LABELS
from .crosswalk import NEW_SIDE, OLD_SIDE, Change, Crosswalk
from .keys import KEY_PATTERN, parse_typisierung
from .models import CatalogueVersion, LeikaEntry
from .tabular import Column, ImportFailed, RowError, Table, read_table

BERLIN = ZoneInfo("Europe/Berlin")

LEIKA_COLUMNS = [
    Column("key", "Schluessel", ("Schluessel", "Schlüssel", "Leistungsschlüssel", "Leistungsschluessel", "Nummer")),
    Column("name", "Bezeichnung", ("Bezeichnung", "Bezeichnung1", "Name", "Leistungsbezeichnung")),
    Column("name2", "Bezeichnung2", ("Bezeichnung2", "Bezeichnung 2"), required=False),
    Column("typisierung", "Typ", ("Typ", "Typisierung"), required=False),
    Column("legal_basis", "Rechtsgrundlage", ("Rechtsgrundlage", "Rechtsgrundlagen"), required=False),
    Column(
        "published_at", "Veröffentlichungsdatum", ("Veröffentlichungsdatum", "Veroeffentlichungsdatum"), required=False
    ),
    Column("special_features", "Besondere Merkmale", ("Besondere Merkmale",), required=False),
    Column("synonyms", "Synonyme", ("Synonyme", "Synonym"), required=False),
    Column("group", "Leistungsgruppierung", ("Leistungsgruppierung",), required=False),
    Column("object_id", "Leistungskennung", ("Leistungskennung",), required=False),
    Column("verrichtung", "Verrichtung", ("Verrichtung", "Verrichtungskennung"), required=False),
    Column("detail", "Verrichtungsdetail", ("Verrichtungsdetail", "Detail"), required=False),
]
MAPPING_COLUMNS = [
    Column("alt", "alt", ("alt", "alter Schlüssel", "Schlüssel alt")),
    Column("neu", "neu", ("neu", "neuer Schlüssel", "Schlüssel neu")),
]
# Key parts a file may carry beside the key; where present they must agree with it.
KEY_PARTS = {"group": (2, 5), "object_id": (5, 8), "verrichtung": (8, 11), "detail": (11, 14)}
MAX_ERRORS = 200


@dataclass
class FileSource:
    """An uploaded or local file: a path or a binary file object, and the name that says what it is."""

    data: object
    filename: str


@dataclass
class LeikaImportResult:
    version_name: str
    counts: dict[str, int]
    entries: int
    written: bool
    same_as: CatalogueVersion | None = None
    predecessor: CatalogueVersion | None = None
    crosswalk: Crosswalk | None = None
    extra: dict = field(default_factory=dict)

    def summary(self) -> list[tuple[str, int]]:
        """All eight classes in their order, with their counts."""
        return [(Change(kind).label, self.counts.get(kind, 0)) for kind in (*OLD_SIDE, *NEW_SIDE)]

    def summary_lines(self) -> list[str]:
        return [f"{label}: {count}" for label, count in self.summary()]


def import_leika(
    source: FileSource,
    *,
    version_name: str,
    valid_from: datetime.date | None = None,
    mapping: FileSource | None = None,
    source_note: str = "",
    extra_columns: tuple[Column, ...] = (),
    check_extra: Callable[[Table], list[RowError]] | None = None,
    after_write: Callable[[CatalogueVersion, dict[str, LeikaEntry], Table], dict] | None = None,
    dry_run: bool = False,
) -> LeikaImportResult:
    """Import a LeiKa file as the version `version_name`; raises ImportFailed with every problem found.

    extra_columns/check_extra/after_write let a higher layer (the OZG app) read and store more of the same file,
    such as the OZG-ID of each entry, within the same checks and the same transaction.
    """
    version_name = (version_name or "").strip()
    if not version_name:
        raise ImportFailed([RowError(None, "Version", "Bitte einen Namen für die Katalogversion angeben.")])
    table = read_table(source.data, source.filename, [*LEIKA_COLUMNS, *extra_columns])
    entries = _entries(table)
    if check_extra is not None:
        _raise_if(check_extra(table))
    digest = _digest(entries, table, extra_columns)
    same = CatalogueVersion.objects.filter(content_hash=digest).order_by("pk").first()
    if same is not None:
        # The file is a catalogue we already have: nothing to write, every entry unchanged.
        counts = {kind: 0 for kind in (*OLD_SIDE, *NEW_SIDE)}
        counts[Change.UNVERAENDERT] = len(entries)
        return LeikaImportResult(version_name, counts, len(entries), written=False, same_as=same)
    if CatalogueVersion.objects.filter(name=version_name).exists():
        raise ImportFailed(
            [RowError(None, "Version", f"Die Katalogversion „{version_name}“ gibt es bereits mit anderem Inhalt.")]
        )
    valid_from = valid_from or timezone.localdate()
    predecessor = CatalogueVersion.objects.filter(valid_from__lte=valid_from).order_by("-valid_from", "-pk").first()
    merges = _mapping(mapping, predecessor, {e.key for e in entries}) if mapping else {}
    extra = {}
    with transaction.atomic():
        version = CatalogueVersion(
            name=version_name,
            valid_from=valid_from,
            source=source_note or source.filename,
            predecessor=predecessor,
            content_hash=digest,
        )
        saved, crosswalk = create_version(version, entries, merges)
        if after_write is not None:
            extra = after_write(version, saved, table)
        if dry_run:
            transaction.set_rollback(True)
    return LeikaImportResult(
        version_name,
        crosswalk.counts(),
        len(entries),
        written=not dry_run,
        predecessor=predecessor,
        crosswalk=crosswalk,
        extra=extra,
    )


def _raise_if(errors: list[RowError]) -> None:
    if errors:
        raise ImportFailed(errors[:MAX_ERRORS])


def _entries(table: Table) -> list[LeikaEntry]:
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    entries = []
    for row in table.rows:
        number = row["_row"]
        key = row["key"]
        if not KEY_PATTERN.match(key):
            errors.append(RowError(number, "Schluessel", f"„{key}“ ist kein 14-stelliger Leistungsschlüssel."))
            continue
        if key in seen:
            errors.append(RowError(number, "Schluessel", f"Der Schlüssel {key} steht schon in Zeile {seen[key]}."))
            continue
        seen[key] = number
        for part, (start, end) in KEY_PARTS.items():
            value = row.get(part, "")
            if value and value.zfill(end - start) != key[start:end]:
                label = next(c.label for c in LEIKA_COLUMNS if c.name == part)
                errors.append(RowError(number, label, f"„{value}“ passt nicht zum Schlüssel {key}."))
        if not row["name"]:
            errors.append(RowError(number, "Bezeichnung", "Die Bezeichnung fehlt."))
        codes = parse_typisierung(row.get("typisierung", ""))
        unknown = [code for code in codes if code not in TYPISIERUNG_LABELS]
        if unknown:
            errors.append(RowError(number, "Typ", f"Unbekannte Typisierung: {', '.join(unknown)}."))
        published = None
        if row.get("published_at"):
            published = _datetime(row["published_at"])
            if published is None:
                errors.append(
                    RowError(
                        number, "Veröffentlichungsdatum", f"„{row['published_at']}“ ist kein Datum (TT.MM.JJJJ hh:mm)."
                    )
                )
        for name, limit in (("name", 500), ("name2", 500)):
            if len(row.get(name, "")) > limit:
                errors.append(RowError(number, "Bezeichnung", f"Der Text ist länger als {limit} Zeichen."))
        if len(errors) >= MAX_ERRORS:
            break
        entries.append(
            LeikaEntry(
                key=key,
                name=row["name"],
                name2=row.get("name2", ""),
                typisierung=codes,
                legal_basis=row.get("legal_basis", ""),
                published_at=published,
                special_features=_split_list(row.get("special_features", "")),
                synonyms=_split_list(row.get("synonyms", "")),
            )
        )
    _raise_if(errors)
    if not entries:
        raise ImportFailed([RowError(None, None, "Die Datei enthält keine LeiKa-Leistungen.")])
    return entries


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split("|") if part.strip()]


def _datetime(text: str) -> datetime.datetime | None:
    for pattern in ("%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, pattern).replace(tzinfo=BERLIN)
        except ValueError:
            continue
    return None


def _digest(entries: list[LeikaEntry], table: Table, extra_columns) -> str:
    """A fingerprint of what the file says, independent of row order, encoding and format."""
    extra_names = [c.name for c in extra_columns]
    extras = {row["key"]: [row.get(name, "") for name in extra_names] for row in table.rows}
    content = sorted(
        [
            e.key,
            e.name,
            e.name2,
            e.typisierung,
            e.legal_basis,
            e.published_at.isoformat() if e.published_at else "",
            e.special_features,
            e.synonyms,
            extras.get(e.key, []),
        ]
        for e in entries
    )
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def _mapping(mapping: FileSource, predecessor: CatalogueVersion | None, new_keys: set[str]) -> dict[str, str]:
    """The explicit merges {alt: neu}; alt must be in the previous version, neu in the new file."""
    table = read_table(mapping.data, mapping.filename, MAPPING_COLUMNS)
    if predecessor is None:
        raise ImportFailed([RowError(None, None, "Eine Zuordnungsdatei braucht eine Vorgängerversion.")])
    old_keys = set(predecessor.entries.values_list("key", flat=True))
    errors, merges, seen = [], {}, {}
    for row in table.rows:
        number, alt, neu = row["_row"], row["alt"], row["neu"]
        for label, key in (("alt", alt), ("neu", neu)):
            if not KEY_PATTERN.match(key):
                errors.append(RowError(number, label, f"„{key}“ ist kein 14-stelliger Leistungsschlüssel."))
        if errors and errors[-1].row == number:
            continue
        if alt not in old_keys:
            errors.append(RowError(number, "alt", f"{alt} steht nicht in der Vorgängerversion „{predecessor}“."))
        if neu not in new_keys:
            errors.append(RowError(number, "neu", f"{neu} steht nicht in der neuen Katalogdatei."))
        if alt in seen:
            errors.append(RowError(number, "alt", f"{alt} ist schon in Zeile {seen[alt]} zugeordnet."))
        seen.setdefault(alt, number)
        merges[alt] = neu
    _raise_if(errors)
    return merges
