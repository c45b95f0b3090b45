"""The crosswalk between two catalogue versions: every old and every new key in exactly one class."""

import pytest

from leika.crosswalk import NEW_SIDE, OLD_SIDE, Change, classify

OLD = {
    "99001001000000": "Hundesteuer",  # stays, same name
    "99001001001000": "Hundesteuer Anmeldung",  # stays, renamed
    "99002001000000": "Jagdschein",  # stays; gets 2 finer entries
    "99002001001000": "Jagdschein Erteilung",  # stays; gets a finer entry
    "99003001000000": "Aufenthaltserlaubnis",  # stays
    "99003001002000": "Aufenthaltserlaubnis Verlängerung",  # gone, split into purposes
    "99004001000000": "Sperrmüll",  # gone without descendants
    "99005001000000": "Wohngeld Antrag",  # merged (mapping)
    "99005002000000": "Lastenzuschuss",  # merged (mapping)
}
NEW = {
    "99001001000000": "Hundesteuer",
    "99001001001000": "Hundesteuer Anmeldung eines Hundes",
    "99002001000000": "Jagdschein",
    "99002001001000": "Jagdschein Erteilung",
    "99002001001001": "Jagdschein Erteilung Jugendjagdschein",
    "99002001002000": "Jagdschein Verlängerung",
    "99003001000000": "Aufenthaltserlaubnis",
    "99003001002001": "Aufenthaltserlaubnis Verlängerung zum Studium",
    "99003001002002": "Aufenthaltserlaubnis Verlängerung zur Erwerbstätigkeit",
    "99005003000000": "Wohngeld",
    "05334001000000": "Förderung steckerfertiger Photovoltaikanlagen",
}
MAPPING = {"99005001000000": "99005003000000", "99005002000000": "99005003000000"}


@pytest.fixture
def crosswalk():
    return classify(OLD, NEW, MAPPING)


@pytest.mark.parametrize(
    ("key", "kind", "successor"),
    [
        ("99001001000000", Change.UNVERAENDERT, "99001001000000"),
        ("99001001001000", Change.UMBENANNT, "99001001001000"),
        ("99003001002000", Change.AUFGETEILT, None),
        ("99004001000000", Change.ENTFALLEN, None),
        ("99005001000000", Change.ZUSAMMENGELEGT, "99005003000000"),
        ("99005002000000", Change.ZUSAMMENGELEGT, "99005003000000"),
    ],
)
def test_each_old_key_falls_in_its_class(crosswalk, key, kind, successor):
    assert crosswalk.old[key] == (kind, successor)


@pytest.mark.parametrize(
    ("key", "kind", "source"),
    [
        ("99002001001001", Change.AUSDIFFERENZIERT, "99002001001000"),
        ("99002001002000", Change.AUSDIFFERENZIERT, "99002001000000"),
        ("99003001002001", Change.NACHFOLGER, "99003001002000"),
        ("99003001002002", Change.NACHFOLGER, "99003001002000"),
        ("99005003000000", Change.NACHFOLGER, "99005001000000"),
        ("05334001000000", Change.NEU, None),
    ],
)
def test_each_new_key_falls_in_its_class(crosswalk, key, kind, source):
    assert crosswalk.new[key] == (kind, source)


def test_every_key_is_classified_exactly_once(crosswalk):
    assert set(crosswalk.old) == set(OLD)
    assert set(crosswalk.new) == set(NEW) - set(OLD)
    assert {kind for kind, _ in crosswalk.old.values()} <= set(OLD_SIDE)
    assert {kind for kind, _ in crosswalk.new.values()} <= set(NEW_SIDE)


def test_the_summary_has_all_eight_classes_in_order(crosswalk):
    assert crosswalk.summary_lines() == [
        "unverändert: 4",
        "umbenannt: 1",
        "zusammengelegt: 2",
        "aufgeteilt: 1",
        "entfallen: 1",
        "Nachfolger: 3",
        "ausdifferenziert: 2",
        "neu: 1",
    ]


def test_the_mapping_overrides_the_automatic_class_of_a_key_that_still_exists():
    old = {"99001001000000": "A", "99001002000000": "B"}
    new = {"99001001000000": "A", "99001002000000": "B"}
    crosswalk = classify(old, new, {"99001002000000": "99001001000000"})
    assert crosswalk.old["99001002000000"] == (Change.ZUSAMMENGELEGT, "99001001000000")
    assert crosswalk.old["99001001000000"] == (Change.UNVERAENDERT, "99001001000000")


def test_a_grandchild_of_a_removed_lo_is_its_successor():
    crosswalk = classify({"99001001000000": "A"}, {"99001001001001": "A Erteilung an Vereine"})
    assert crosswalk.old["99001001000000"] == (Change.AUFGETEILT, None)
    assert crosswalk.new["99001001001001"] == (Change.NACHFOLGER, "99001001000000")


def test_the_nearest_remaining_ancestor_decides_a_finer_entry():
    old = {"99001001000000": "A", "99001001001000": "A Erteilung"}
    new = {"99001001000000": "A", "99001001001000": "A Erteilung", "99001001001007": "A Erteilung für Vereine"}
    assert classify(old, new).new["99001001001007"] == (Change.AUSDIFFERENZIERT, "99001001001000")


def test_without_a_previous_version_everything_is_new():
    crosswalk = classify({}, NEW)
    assert crosswalk.counts()[Change.NEU] == len(NEW)
    assert sum(crosswalk.counts().values()) == len(NEW)
