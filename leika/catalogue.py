"""Writing a new catalogue version together with its crosswalk to the previous one."""

from django.db import transaction

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
