"""Opening a round on a newer catalogue version carries the previous round's values through the crosswalk."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from leika.catalogue import create_version
from leika.crosswalk import Change
from leika.models import CatalogueVersion, LeikaEntry
from monitoring.carryover import carry_over_report, open_round
from monitoring.choices import Channel, Status
from monitoring.models import Assessment, SurveyRound
from tests import factories

from .test_import_commands import V1, V2

pytestmark = pytest.mark.django_db

MAPPING = {"99005001000000": "99005003000000", "99005002000000": "99005003000000"}
# Values of the 2023 round per key: (status, maturity level on OZG 1.1)
VALUES_2023 = {
    "99001001000000": (Status.DIGITAL, 4),
    "99001001001000": (Status.PDF, 2),
    "99002001000000": (Status.PDF, 1),
    "99002001001000": (Status.ANALOG, 0),
    "99003001000000": (Status.PROJEKT, 1),
    "99003001002000": (Status.PDF, 2),
    "99004001000000": (Status.ANALOG, 0),
    "99005001000000": (Status.PDF, 1),
    "99005002000000": (Status.DIGITAL, 3),
}


def make_version(name, year, rows, predecessor=None, mapping=None):
    version = CatalogueVersion(name=name, valid_from=datetime.date(year, 1, 1), predecessor=predecessor)
    entries, _ = create_version(version, [LeikaEntry(key=k, name=n, typisierung=["2/3"]) for k, n in rows], mapping)
    return version, entries


@pytest.fixture
def world():
    scale = factories.scale("ozg-1-1")
    levels = factories.levels(scale)
    org = factories.kreis()
    department = factories.department(org, "A 32", "Ordnungsamt")
    v2023, entries = make_version("2023", 2023, V1)
    v2024, _ = make_version("2024", 2024, V2, predecessor=v2023, mapping=MAPPING)
    round_2023 = factories.survey_round(org, 2023, version=v2023, maturity_scale=scale)
    for key, (status, level) in VALUES_2023.items():
        factories.assessment(
            round_2023,
            entries[key],
            department,
            status=status,
            maturity_level=levels[level],
            channel=Channel.OWN_PORTAL if status == Status.DIGITAL else "",
            confirmed_at=datetime.datetime(2023, 4, 1, tzinfo=datetime.UTC),
        )
    factories.close(round_2023)
    new_round = open_round(org, 2024, v2024)
    return {"org": org, "round": new_round, "previous": round_2023, "v2023": v2023, "v2024": v2024}


def carried(world, key):
    return Assessment.objects.select_related("maturity_level", "carried_over_from__leika_entry").get(
        round=world["round"], leika_entry__key=key
    )


def test_unchanged_and_renamed_entries_keep_their_values(world):
    assert (carried(world, "99001001000000").status, carried(world, "99001001000000").maturity_level.value) == (
        Status.DIGITAL,
        4,
    )
    renamed = carried(world, "99001001001000")
    assert (renamed.status, renamed.leika_entry.name) == (Status.PDF, "Hundesteuer Anmeldung eines Hundes")


def test_split_entries_inherit_the_values_of_the_removed_parent(world):
    for key in ("99003001002001", "99003001002002"):
        row = carried(world, key)
        assert (row.status, row.maturity_level.value, row.carried_over_from.leika_entry.key) == (
            Status.PDF,
            2,
            "99003001002000",
        )


def test_finer_entries_inherit_the_values_of_their_remaining_parent(world):
    assert carried(world, "99002001001001").status == Status.ANALOG  # parent: Jagdschein Erteilung
    assert carried(world, "99002001002000").status == Status.PDF  # parent: Jagdschein


def test_merged_entries_take_the_most_advanced_of_their_sources(world):
    merged = carried(world, "99005003000000")
    assert (merged.status, merged.maturity_level.value) == (Status.DIGITAL, 3)
    assert merged.carried_over_from.leika_entry.key == "99005002000000"


def test_every_carried_value_is_marked_as_taken_over_and_awaits_confirmation(world):
    rows = Assessment.objects.filter(round=world["round"])
    assert rows.count() == 10
    assert not rows.filter(carried_over_from__isnull=True).exists()
    assert not rows.filter(confirmed_at__isnull=False).exists()


def test_withdrawn_and_new_entries_are_not_carried_but_listed(world):
    keys = set(Assessment.objects.filter(round=world["round"]).values_list("leika_entry__key", flat=True))
    assert "99004001000000" not in keys  # withdrawn
    assert "05334001000000" not in keys  # new, no ancestor in scope
    report = carry_over_report(world["round"])
    assert [change.entry.key for change in report.withdrawn] == ["99004001000000"]
    assert [entry.key for entry in report.new_out_of_scope] == ["05334001000000"]


def test_the_report_lists_each_class_with_counts_and_entries(world):
    report = carry_over_report(world["round"])
    counts = {kind: len(rows) for kind, rows in report.classes.items()}
    assert counts == {
        Change.UNVERAENDERT: 4,
        Change.UMBENANNT: 1,
        Change.ZUSAMMENGELEGT: 1,
        Change.NACHFOLGER: 2,
        Change.AUSDIFFERENZIERT: 2,
    }
    assert report.carried == 10
    assert [row.leika_entry.key for row in report.classes[Change.NACHFOLGER]] == ["99003001002001", "99003001002002"]


def test_the_scope_grows_by_the_children_of_entries_in_scope(world):
    # The 2023 round had 9 entries; 2024 has 10: minus the withdrawn one and the removed split parent and the two
    # merged ones, plus two split successors, two finer entries and the merge target.
    assert world["round"].assessments.count() == 9 - 1 - 1 - 2 + 2 + 2 + 1


def test_a_round_on_the_same_version_is_a_copy(world):
    factories.close(world["round"])
    copy = open_round(world["org"], 2025, world["v2024"])
    assert copy.assessments.count() == world["round"].assessments.count()
    report = carry_over_report(copy)
    assert list(report.classes[Change.UNVERAENDERT]) and report.carried == copy.assessments.count()


def test_a_round_on_an_unrelated_version_is_refused(world):
    other, _ = make_version("fremd", 2025, V1)
    with pytest.raises(ValidationError) as error:
        open_round(world["org"], 2025, other)
    assert "stammt nicht von" in str(error.value)
    assert not SurveyRound.objects.filter(year=2025).exists()


def test_the_open_round_command_prints_the_report(world, capsys):
    from django.core.management import call_command

    world["round"].assessments.all().delete()
    world["round"].delete()
    call_command("open_round", "--organisation", "053340000001", "--year", "2024", "--version", "2024")
    out = capsys.readouterr().out
    assert "Nachfolger: 2" in out
    assert "entfallen (zur Prüfung): 1" in out


def test_the_report_page_of_a_copy_names_every_row_unchanged(client, world, admin_user):
    # The entries of 2024 carry their own crosswalk class (Nachfolger, umbenannt, …); a copy on the same version
    # must still report them as unchanged.
    factories.close(world["round"])
    copy = open_round(world["org"], 2025, world["v2024"])
    client.force_login(admin_user)
    page = client.get(reverse("carry_over", args=[copy.pk])).content.decode()
    assert "unverändert: 10 Einträge" in page
    assert "Nachfolger: " not in page
