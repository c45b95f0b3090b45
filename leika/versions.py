"""Queries over stored catalogue versions: the chain between two versions, where an entry comes from, the crosswalk."""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db.models import Count, Q

from .crosswalk import NEW_SIDE, OLD_SIDE, Change
from .models import CatalogueChange, CatalogueVersion


def version_chain(old: CatalogueVersion, new: CatalogueVersion) -> list[CatalogueVersion]:
    """The versions after `old` up to `new`, following predecessors; empty if they are the same."""
    chain, node = [], new
    while node is not None and node.pk != old.pk:
        chain.append(node)
        node = node.predecessor
    if node is None:
        raise ValidationError(
            {"catalogue_version": f"Die Katalogversion „{new}“ stammt nicht von „{old}“ ab; keine Übernahme möglich."}
        )
    return list(reversed(chain))


def sources_in(version: CatalogueVersion) -> dict[int, list[int]]:
    """For each entry of `version`: the entries of its predecessor its values come from."""
    sources = defaultdict(list)
    for pk, predecessor in version.entries.filter(predecessor__isnull=False).values_list("pk", "predecessor_id"):
        sources[pk].append(predecessor)
    merges = CatalogueChange.objects.filter(version=version, kind=Change.ZUSAMMENGELEGT)
    for successor, entry in merges.values_list("successor_id", "entry_id"):
        if entry not in sources[successor]:
            sources[successor].append(entry)
    return sources


def class_counts(version: CatalogueVersion) -> list[tuple[str, str, int]]:
    """(class, label, count) for all eight classes: two grouped queries, whatever the size of the catalogue."""
    old = dict(version.changes.values_list("kind").annotate(n=Count("pk")))
    new = dict(version.entries.filter(change__in=NEW_SIDE).values_list("change").annotate(n=Count("pk")))
    return [(kind.value, kind.label, old.get(kind, 0)) for kind in OLD_SIDE] + [
        (kind.value, kind.label, new.get(kind, 0)) for kind in NEW_SIDE
    ]


def crosswalk_rows(version: CatalogueVersion, kind: str = "", query: str = ""):
    """The rows of the crosswalk of `version` in their order, for its page and its exports alike.

    A class of the old side lists what became of the predecessor's keys (CatalogueChange); otherwise the entries of
    this version, all or those of one new-side class (LeikaEntry). The search matches the start of the key or any
    part of the name.
    """
    if kind in OLD_SIDE:
        rows = CatalogueChange.objects.filter(version=version, kind=kind).select_related("entry", "successor")
        if query:
            rows = rows.filter(Q(entry__key__startswith=query) | Q(entry__name__icontains=query))
        return rows.order_by("entry__key", "pk")
    rows = version.entries.select_related("predecessor")
    if kind:
        rows = rows.filter(change=kind)
    if query:
        rows = rows.filter(Q(key__startswith=query) | Q(name__icontains=query))
    return rows.order_by("key", "pk")
