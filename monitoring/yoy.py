"""Year over year: what the crosswalk can follow from one round to the next, and a bridge between their totals.

Every row of the later round is either followed 1:1 to a row of the earlier round (same key, unchanged or only
renamed in every catalogue version between them: like-for-like) or it is a catalogue effect (finer entries,
successors of a split, the target of a merge, new entries, entries newly in scope). Every row of the earlier round
that is not followed is a catalogue effect too (split, merged, withdrawn, no longer in scope). The bridge is then

    earlier totals + catalogue effects + real status changes (like-for-like pairs only) = later totals,

per status, by construction; the tests check it on the demo and on generated data.
"""

from collections import Counter
from dataclasses import dataclass, field

from leika.catalogue import family_names
from leika.crosswalk import CONTINUING, Change
from leika.models import CatalogueChange, LeikaEntry
from leika.versions import version_chain

from .choices import Status
from .models import SurveyRound

# Catalogue effects in the order the bridge lists them, each with its German label.
AUSDIFFERENZIERT = "ausdifferenziert"
AUFGETEILT = "aufgeteilt"
ZUSAMMENGELEGT = "zusammengelegt"
NEU = "neu"
ENTFALLEN = "entfallen"
SCOPE_IN = "umfang_neu"
SCOPE_OUT = "umfang_weg"
EFFECT_LABELS = {
    AUSDIFFERENZIERT: "feiner untergliedert (neue Einzelleistungen)",
    AUFGETEILT: "aufgeteilt (Vorgänger entfällt, Nachfolger kommen hinzu)",
    ZUSAMMENGELEGT: "zusammengelegt",
    NEU: "neu im Katalog",
    ENTFALLEN: "im Katalog entfallen",
    SCOPE_IN: "neu im Erhebungsumfang",
    SCOPE_OUT: "nicht mehr im Erhebungsumfang",
}
# What the entry's own change field says about a later-side row that is not followed.
NEW_SIDE_EFFECT = {
    Change.AUSDIFFERENZIERT: AUSDIFFERENZIERT,
    Change.NACHFOLGER: AUFGETEILT,
    Change.NEU: NEU,
}
OLD_SIDE_EFFECT = {
    Change.AUFGETEILT: AUFGETEILT,
    Change.ZUSAMMENGELEGT: ZUSAMMENGELEGT,
    Change.ENTFALLEN: ENTFALLEN,
}


@dataclass
class Effect:
    """One catalogue effect on one family (Leistungsobjekt): rows removed and added, per status."""

    kind: str
    family: str
    family_name: str = ""
    delta: Counter = field(default_factory=Counter)

    @property
    def label(self) -> str:
        return EFFECT_LABELS[self.kind]

    @property
    def total(self) -> int:
        return sum(self.delta.values())


@dataclass
class Comparison:
    """Two rounds of one organisation and everything the bridge between them is made of."""

    earlier: SurveyRound
    later: SurveyRound
    start: Counter
    end: Counter
    pairs: Counter  # (earlier status, later status) -> rows followed 1:1
    effects: list[Effect]

    @property
    def like_for_like_earlier(self) -> Counter:
        counts = Counter()
        for (before, _after), n in self.pairs.items():
            counts[before] += n
        return counts

    @property
    def like_for_like_later(self) -> Counter:
        counts = Counter()
        for (_before, after), n in self.pairs.items():
            counts[after] += n
        return counts

    @property
    def followed(self) -> int:
        return sum(self.pairs.values())

    @property
    def transitions(self) -> list[tuple[str, str, int]]:
        """Real status changes (from, to, rows), in the table's status order."""
        order = {s.value: i for i, s in enumerate(Status)}
        moved = [(a, b, n) for (a, b), n in self.pairs.items() if a != b and n]
        return sorted(moved, key=lambda t: (order[t[0]], order[t[1]]))

    def effects_by_kind(self) -> list[tuple[str, Counter]]:
        summed: dict[str, Counter] = {}
        for effect in self.effects:
            summed.setdefault(effect.kind, Counter()).update(effect.delta)
        return [(kind, summed[kind]) for kind in EFFECT_LABELS if kind in summed]

    def check(self) -> bool:
        """Start plus every part of the bridge gives the end, status by status."""
        total = Counter(self.start)
        for effect in self.effects:
            total.update(effect.delta)
        for before, after, n in self.transitions:
            total[before] -= n
            total[after] += n
        return +total == +Counter(self.end)


def round_rows(round_obj: SurveyRound) -> dict[int, str]:
    """{entry: status} of the round's rows, in one query of the round's own rows."""
    statuses = {status.value: status.value for status in Status}  # one string per status, however many rows
    rows = round_obj.assessments.order_by().values_list("leika_entry_id", "status")
    return {entry_id: statuses.get(status, status) for entry_id, status in rows}


def _continuations(chain) -> tuple[list[dict[int, int]], dict[int, str]]:
    """Per version of the chain: {entry of this version: same-key entry of the version before} where it continues;
    and the change of every entry of the chain that does not continue. One query over the chain's versions."""
    steps = {version.pk: {} for version in chain}
    changes = {}
    rows = (
        LeikaEntry.objects.filter(version__in=chain)
        .order_by()
        .values_list("version_id", "pk", "predecessor_id", "change")
    )
    for version_id, pk, predecessor_id, change in rows:
        if change in CONTINUING and predecessor_id is not None:
            steps[version_id][pk] = predecessor_id
        else:
            changes[pk] = change
    return [steps[version.pk] for version in chain], changes


@dataclass
class Lineage:
    """How the later round's rows follow from the earlier round's through the catalogue: the earlier row each
    like-for-like row continues, and the catalogue effect (kind, family) of every other row of either round.

    It depends on which entries the two rounds hold and on the catalogue versions between them, not on the rows'
    values: it holds for as long as no row is added or removed, whatever is edited.
    """

    followed: dict[int, int]  # later entry -> earlier entry
    later_effects: dict[int, tuple[str, str]]  # later entry -> (effect, family)
    earlier_effects: dict[int, tuple[str, str]]  # earlier entry -> (effect, family)
    family_names: dict[str, str]


def lineage(earlier: SurveyRound, later: SurveyRound, before, after) -> Lineage:
    """Follow the entries of the later round's rows (`after`) back to the earlier round's (`before`) through every
    catalogue version between them.

    Catalogue records are read by version (the chain's entries and changes, the two versions' keys), never by lists
    of ids: the number of queries is fixed and none of them grows with a list the size of a round.
    """
    before, after = set(before), set(after)
    chain = version_chain(earlier.catalogue_version, later.catalogue_version)
    steps, new_side = _continuations(chain)

    # origin[later entry] = entry of the earlier version it continues (same key all the way), if any;
    # otherwise the entry of the version where the line breaks, whose own change says what happened.
    origin, broke_new = {}, {}
    for entry_id in after:
        node = entry_id
        for step in reversed(steps):
            previous = step.get(node)
            if previous is None:
                broke_new[entry_id] = node
                break
            node = previous
        else:
            origin[entry_id] = node
    reached = set(origin.values())
    forwards = [{old: new for new, old in step.items()} for step in steps]
    broke_old = {}
    for entry_id in before - reached:
        node = entry_id
        for version, forward in zip(chain, forwards, strict=True):
            following = forward.get(node)
            if following is None:
                broke_old[entry_id] = (version.pk, node)
                break
            node = following

    old_side, merged_targets = {}, set()
    broken_targets = set(broke_new.values())
    changes = CatalogueChange.objects.filter(version__in=chain).order_by()
    for version_id, entry_id, kind, successor_id in changes.values_list(
        "version_id", "entry_id", "kind", "successor_id"
    ):
        old_side[(version_id, entry_id)] = kind
        if kind == Change.ZUSAMMENGELEGT and successor_id in broken_targets:
            merged_targets.add(successor_id)

    versions = {earlier.catalogue_version_id, later.catalogue_version_id}
    keys = dict(LeikaEntry.objects.filter(version__in=versions).order_by().values_list("pk", "key"))
    followed, later_effects, earlier_effects = {}, {}, {}
    for entry_id in after:
        if entry_id in origin:
            source = origin[entry_id]
            if source in before:
                followed[entry_id] = source
                continue
            kind = SCOPE_IN
        elif broke_new[entry_id] in merged_targets:
            kind = ZUSAMMENGELEGT
        else:
            kind = NEW_SIDE_EFFECT.get(new_side.get(broke_new[entry_id]), NEU)
        later_effects[entry_id] = (kind, keys[entry_id][:8])
    for entry_id in before - reached:
        kind = OLD_SIDE_EFFECT.get(old_side.get(broke_old[entry_id]), ENTFALLEN) if entry_id in broke_old else SCOPE_OUT
        earlier_effects[entry_id] = (kind, keys[entry_id][:8])

    families = {family for _, family in (*later_effects.values(), *earlier_effects.values())}
    names = family_names(families, [later.catalogue_version_id, earlier.catalogue_version_id])
    return Lineage(followed, later_effects, earlier_effects, names)


def tally(lineage: Lineage, earlier: SurveyRound, later: SurveyRound, before, after) -> Comparison:
    """The comparison of the rows' statuses (`before`, `after`: {entry: status}) along their lineage."""
    effects: dict[tuple[str, str], Effect] = {}

    def effect(kind: str, family: str) -> Effect:
        found = effects.get((kind, family))
        if found is None:
            name = lineage.family_names.get(family, f"Leistungsobjekt {family}")
            found = effects[(kind, family)] = Effect(kind, family, name)
        return found

    pairs = Counter()
    followed = lineage.followed
    for entry_id, status in after.items():
        source = followed.get(entry_id)
        if source is not None:
            pairs[(before[source], status)] += 1
        else:
            effect(*lineage.later_effects[entry_id]).delta[status] += 1
    for entry_id, (kind, family) in lineage.earlier_effects.items():
        effect(kind, family).delta[before[entry_id]] -= 1

    order = list(EFFECT_LABELS)
    ordered = sorted(effects.values(), key=lambda e: (order.index(e.kind), -abs(e.total), e.family))
    return Comparison(earlier, later, Counter(before.values()), Counter(after.values()), pairs, ordered)


def compare(earlier: SurveyRound, later: SurveyRound) -> Comparison:
    """The later round's rows followed back to the earlier round's, and their statuses counted along the way."""
    before, after = round_rows(earlier), round_rows(later)
    return tally(lineage(earlier, later, before, after), earlier, later, before, after)


def _name_families(effects, earlier: SurveyRound, later: SurveyRound) -> None:
    """A family is named after its Leistungsobjekt in the later, else the earlier version (see family_names)."""
    effects = list(effects)
    names = family_names({e.family for e in effects}, [later.catalogue_version_id, earlier.catalogue_version_id])
    for e in effects:
        e.family_name = names.get(e.family, f"Leistungsobjekt {e.family}")


def consecutive(rounds: list[SurveyRound]) -> list[tuple[SurveyRound, SurveyRound]]:
    ordered = sorted(rounds, key=lambda r: r.year)
    return list(zip(ordered, ordered[1:], strict=False))
