"""Import of a LeiKa catalogue file as a new catalogue version, with its crosswalk to the previous version.

Everything is checked before anything is written, and the writing happens in one transaction: a file with one bad
row leaves the database as it was. A dry run does the whole import and rolls it back, so its counts are exact.
"""

import datetime
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from .catalogue import create_version
from .choices import TYPISIERUNG_LABELS
from .crosswalk import NEW_SIDE, OLD_SIDE, Change, Crosswalk
from .dbstats import analyze
from .keys import KEY_PATTERN, parse_typisierung
from .models import CatalogueChange, CatalogueVersion, LeikaEntry
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
# Key parts a file may carry beside the key: (start, end) of the part's digits, the model field its name goes to, and
# how an error names the key prefix the part belongs to. A part's name belongs to the key up to that part, not to the
# code alone: in the real 2019 catalogue Verrichtung 002 is "Festsetzung" in one family and "Registrierung" in another.
KEY_PARTS = {
    "group": (2, 5, "group_name", "die Leistungsgruppierung"),
    "object_id": (5, 8, "object_name", "das Leistungsobjekt"),
    "verrichtung": (8, 11, "verrichtung_name", "die Verrichtung"),
    "detail": (11, 14, "detail_name", "das Verrichtungsdetail"),
}
# Parts whose code 000 means "none" (an LO has no Verrichtung, an LO or LOV no detail), with how to say so.
OPTIONAL_PARTS = {"verrichtung": "keine Verrichtung", "detail": "kein Verrichtungsdetail"}
PART_LABELS = {column.name: column.label for column in LEIKA_COLUMNS if column.name in KEY_PARTS}
DIGITS = re.compile(r"[0-9]+\Z")
NAME_LIMIT = 500
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
    if not dry_run:
        analyze(CatalogueVersion, LeikaEntry, CatalogueChange)
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
    parts = PartNames()
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
        for part in KEY_PARTS:
            error = parts.add(number, key, part, row.get(part, ""))
            if error is not None:
                errors.append(error)
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
        for name, label in (("name", "Bezeichnung"), ("name2", "Bezeichnung2"), *PART_LABELS.items()):
            if len(row.get(name, "")) > NAME_LIMIT:
                errors.append(RowError(number, label, f"Der Text ist länger als {NAME_LIMIT} Zeichen."))
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
    parts.apply(entries)
    return entries


class PartNames:
    """The names a file gives the parts of its keys, one per key prefix, checked for agreement across rows.

    A cell of digits only is a code and must match the key; anything else is a name. Every entry then carries the
    names of all its parts, also where only a sibling row states them (an LOVD row with an empty Verrichtung cell).
    """

    def __init__(self):
        # (part, key prefix) -> (name, row it first appeared in)
        self.names: dict[tuple[str, str], tuple[str, int]] = {}

    def add(self, number: int, key: str, part: str, value: str) -> RowError | None:
        if not value:
            return None
        start, end, _, what = KEY_PARTS[part]
        code = key[start:end]
        label = PART_LABELS[part]
        if DIGITS.match(value):
            # XLSX cells lose leading zeros ("8" for 008), other exports keep them.
            if value.zfill(end - start) != code:
                return RowError(number, label, f"„{value}“ passt nicht zum Schlüssel {key} (dort {code}).")
            return None
        if part in OPTIONAL_PARTS and code == "000":
            return RowError(
                number, label, f"„{value}“ passt nicht zum Schlüssel {key}: er hat {OPTIONAL_PARTS[part]} (dort 000)."
            )
        prefix = key[:end]
        first = self.names.setdefault((part, prefix), (value, number))
        if _comparable(first[0]) != _comparable(value):
            return RowError(
                number,
                label,
                f"„{value}“ weicht von „{first[0]}“ in Zeile {first[1]} ab; {what} {prefix} hat nur einen Namen.",
            )
        return None

    def apply(self, entries: list[LeikaEntry]) -> None:
        lo_names = {e.key[:8]: e.name for e in entries if e.key.endswith("000000")}
        for entry in entries:
            for part, (_, end, field_name, _) in KEY_PARTS.items():
                if part in OPTIONAL_PARTS and entry.key[end - 3 : end] == "000":
                    continue
                name = self.names.get((part, entry.key[:end]), ("", 0))[0]
                if not name and part == "object_id":
                    # Files with codes (or none) in Leistungskennung: the family is still named after its LO entry.
                    name = lo_names.get(entry.key[:8], "")
                setattr(entry, field_name, name)


def _comparable(name: str) -> str:
    """Spacing and case are no disagreement; the first spelling is the one kept."""
    return " ".join(name.split()).casefold()


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
    # Part names count only where the file states some, so that a file with codes keeps the fingerprint it had
    # before names were stored, and is still recognised as a catalogue already imported.
    named = any(row.get(part) and not DIGITS.match(row[part]) for row in table.rows for part in KEY_PARTS)
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
            *([[getattr(e, field_name) for _, _, field_name, _ in KEY_PARTS.values()]] if named else []),
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
