"""Writing a new catalogue version together with its crosswalk to the previous one; naming families across versions."""

from django.db import transaction
from django.db.models import Min
from django.db.models.functions import Substr

from .crosswalk import Change, Crosswalk, classify
from .models import CatalogueChange, CatalogueVersion, LeikaEntry


def create_version(
    version: CatalogueVersion, entries: list[LeikaEntry], mapping: dict[str, str] | None = None
) -> tuple[dict[str, LeikaEntry], Crosswalk]:
    """Save an unsaved version and its unsaved entries, classified against version.predecessor.

    Each new entry records its class and where it comes from; each entry of the predecessor gets one
    CatalogueChange row. Returns the saved entries by key and the crosswalk.
    """
    with transaction.atomic():
        version.save()
        previous = version.predecessor
        old = {}
        if previous is not None:
            old = {key: (pk, name) for pk, key, name in previous.entries.values_list("pk", "key", "name")}
        crosswalk = classify({k: name for k, (_, name) in old.items()}, {e.key: e.name for e in entries}, mapping)
        if previous is not None:
            for entry in entries:
                if entry.key in old:
                    # A key in both versions continues, even where the mapping also merges it into another one.
                    pk, name = old[entry.key]
                    entry.change = Change.UNVERAENDERT if name == entry.name else Change.UMBENANNT
                    entry.predecessor_id = pk
                else:
                    kind, source = crosswalk.new[entry.key]
                    entry.change = kind
                    entry.predecessor_id = old[source][0] if source else None
        for entry in entries:
            entry.version = version
        saved = {e.key: e for e in LeikaEntry.objects.bulk_create(entries, batch_size=2000)}
        if previous is not None:
            CatalogueChange.objects.bulk_create(
                [
                    CatalogueChange(
                        version=version,
                        entry_id=old[key][0],
                        kind=kind,
                        successor_id=saved[successor].pk if successor else None,
                    )
                    for key, (kind, successor) in crosswalk.old.items()
                ],
                batch_size=2000,
            )
    return saved, crosswalk


def family_names(families: set[str], version_ids: list[int]) -> dict[str, str]:
    """The name of each family (first eight key digits), from the first of the versions that knows one.

    Within a version the LO entry's own Bezeichnung comes first; a version without an LO entry for the family still
    names it where its entries carry the Leistungsobjekt's name (object_name, from the FIM file's Leistungskennung).
    Two queries, whatever the number of families.
    """
    rank = {version_id: index for index, version_id in enumerate(version_ids)}
    found: dict[str, tuple[int, int, str]] = {}

    def offer(family: str, version_id: int, source: int, name: str) -> None:
        candidate = (rank[version_id], source, name)
        if name and (family not in found or candidate < found[family]):
            found[family] = candidate

    lo_rows = LeikaEntry.objects.filter(
        version_id__in=version_ids, key__in=[family + "000000" for family in families]
    ).values_list("key", "version_id", "name")
    for key, version_id, name in lo_rows:
        offer(key[:8], version_id, 0, name)
    # Only families that some version names through an LO entry need no second look at the others.
    missing = {family for family in families if family not in found or found[family][0] > 0}
    if missing:
        named_rows = (
            LeikaEntry.objects.filter(version_id__in=version_ids, object_name__gt="")
            .annotate(family=Substr("key", 1, 8))
            .filter(family__in=missing)
            .values_list("family", "version_id")
            .annotate(name=Min("object_name"))
            .order_by()
        )
        for family, version_id, name in named_rows:
            offer(family, version_id, 1, name)
    return {family: name for family, (_, _, name) in found.items()}
