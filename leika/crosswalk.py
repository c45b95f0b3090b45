"""The crosswalk between two catalogue versions: which old key became what, and where each new key comes from.

Pure functions over keys and names, so that imports, previews and the demo classify the same way. Every old key
gets exactly one of the five old-side classes, every key that is new in the newer version one of the three
new-side classes.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db import models

from .keys import LeikaKey


class Change(models.TextChoices):
    # old side: what became of a key of the previous version
    UNVERAENDERT = "unveraendert", "unverändert"
    UMBENANNT = "umbenannt", "umbenannt"
    ZUSAMMENGELEGT = "zusammengelegt", "zusammengelegt"
    AUFGETEILT = "aufgeteilt", "aufgeteilt"
    ENTFALLEN = "entfallen", "entfallen"
    # new side: where a key that is new in this version comes from
    NACHFOLGER = "nachfolger", "Nachfolger"
    AUSDIFFERENZIERT = "ausdifferenziert", "ausdifferenziert"
    NEU = "neu", "neu"


OLD_SIDE = (Change.UNVERAENDERT, Change.UMBENANNT, Change.ZUSAMMENGELEGT, Change.AUFGETEILT, Change.ENTFALLEN)
NEW_SIDE = (Change.NACHFOLGER, Change.AUSDIFFERENZIERT, Change.NEU)
# Classes whose key continues in the new version under the same key.
CONTINUING = (Change.UNVERAENDERT, Change.UMBENANNT)


@dataclass
class Crosswalk:
    """old[key] = (class, successor key or None); new[key] = (class, predecessor key or None) for new keys only."""

    old: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    new: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Keys per class, all eight classes in their order."""
        tally = Counter(kind for kind, _ in self.old.values()) + Counter(kind for kind, _ in self.new.values())
        return {kind: tally.get(kind, 0) for kind in (*OLD_SIDE, *NEW_SIDE)}

    def summary_lines(self) -> list[str]:
        return [f"{Change(kind).label}: {count}" for kind, count in self.counts().items()]


def classify(old: dict[str, str], new: dict[str, str], mapping: dict[str, str] | None = None) -> Crosswalk:
    """Classify the keys of two versions, given as {key: name}; mapping is the explicit {alt: neu} of merges.

    Precedence for an old key: named in the mapping (zusammengelegt), still there (unverändert or umbenannt), gone
    with descendants in the new version (aufgeteilt), else entfallen. A new key is the successor of the mapping's
    alt keys; otherwise its nearest ancestor in the old version decides: gone (split or merged) makes it a
    Nachfolger, still there makes it ausdifferenziert; without any ancestor in the old version it is neu.
    """
    mapping = mapping or {}
    with_descendants = set()
    for key in new:
        with_descendants.update(ancestor.value for ancestor in LeikaKey(key).ancestors())
    result = Crosswalk()
    for key, name in old.items():
        if key in mapping:
            result.old[key] = (Change.ZUSAMMENGELEGT, mapping[key])
        elif key in new:
            result.old[key] = (Change.UNVERAENDERT if new[key] == name else Change.UMBENANNT, key)
        elif key in with_descendants:
            result.old[key] = (Change.AUFGETEILT, None)
        else:
            result.old[key] = (Change.ENTFALLEN, None)
    merged_into = {}
    for alt, neu in sorted(mapping.items()):
        merged_into.setdefault(neu, alt)
    for key in new:
        if key in old:
            continue
        if key in merged_into:
            result.new[key] = (Change.NACHFOLGER, merged_into[key])
            continue
        nearest = next((a.value for a in LeikaKey(key).ancestors() if a.value in old), None)
        if nearest is None:
            result.new[key] = (Change.NEU, None)
        elif nearest in new:
            result.new[key] = (Change.AUSDIFFERENZIERT, nearest)
        else:
            result.new[key] = (Change.NACHFOLGER, nearest)
    return result
