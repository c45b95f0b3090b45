"""The synthetic scale data set: its counts, crosswalk, closed rounds, history, determinism and refusal to run twice."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from leika.crosswalk import Change
from leika.models import CatalogueChange, CatalogueVersion, LeikaEntry
from monitoring.models import Assessment, AssessmentChange, ChangeSource, Department, Organisation, SurveyRound

pytestmark = pytest.mark.django_db

SMALL = ["--organisations", "2", "--entries", "60", "--rounds", "3"]


def generate(*extra) -> str:
    out = StringIO()
    call_command("generate_scale", *SMALL, *extra, stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple]:
    return list(
        Assessment.objects.order_by(
            "round__organisation__regionalschluessel", "round__year", "leika_entry__key"
        ).values_list("round__organisation__regionalschluessel", "round__year", "leika_entry__key", "status")
    )


def snapshot_of_run(*extra) -> list[tuple]:
    """The data one run creates, rolled back afterwards so that the next run starts from the same state."""

    class Discard(Exception):
        pass

    try:
        with transaction.atomic():
            generate(*extra)
            result = snapshot()
            raise Discard
    except Discard:
        pass
    return result


def test_it_creates_versions_organisations_rounds_and_assessments():
    summary = generate()
    versions = list(CatalogueVersion.objects.filter(name__startswith="Skala ").order_by("valid_from"))
    assert [v.name for v in versions] == ["Skala 1", "Skala 2", "Skala 3"]
    assert [v.predecessor_id for v in versions] == [None, versions[0].pk, versions[1].pk]
    for version in versions:
        assert version.entries.count() == 60
        assert all(key.startswith("98") for key in version.entries.values_list("key", flat=True))
    organisations = Organisation.objects.filter(name__startswith="Skalenkreis")
    assert organisations.count() == 2
    assert all(o.regionalschluessel.startswith("09") and len(o.regionalschluessel) == 12 for o in organisations)
    assert Department.objects.filter(organisation__in=organisations).count() == 30
    assert SurveyRound.objects.filter(organisation__in=organisations).count() == 6
    for round_obj in SurveyRound.objects.filter(organisation__in=organisations):
        # Every entry of the round's catalogue version is assessed exactly once.
        assert round_obj.assessments.count() == 60
        assert set(round_obj.assessments.values_list("leika_entry__version", flat=True)) == {
            round_obj.catalogue_version_id
        }
    assert Assessment.objects.count() == 360
    assert "360 Bewertungen" in summary


def test_later_versions_split_entries():
    generate()
    split = CatalogueChange.objects.filter(kind=Change.AUFGETEILT).exists()
    finer = LeikaEntry.objects.filter(change__in=[Change.NACHFOLGER, Change.AUSDIFFERENZIERT]).exists()
    assert split or finer


def test_only_the_last_round_of_each_organisation_is_open():
    generate()
    for organisation in Organisation.objects.filter(name__startswith="Skalenkreis"):
        assert list(organisation.rounds.order_by("year").values_list("year", "is_closed")) == [
            (2020, True),
            (2021, True),
            (2022, False),
        ]


def test_later_rounds_are_carried_over_and_have_history():
    generate()
    later = Assessment.objects.filter(round__year__gt=2020)
    assert later.filter(carried_over_from__isnull=False).exists()
    changes = AssessmentChange.objects.filter(assessment__round__year__gt=2020, source=ChangeSource.IMPORT)
    assert changes.exists()
    assert not AssessmentChange.objects.filter(assessment__round__year=2020).exists()
    assert all(change.fields and change.fields[0]["field"] == "status" for change in changes)


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    first = snapshot_of_run("--seed", "7")
    assert first
    assert snapshot_of_run("--seed", "7") == first
    assert snapshot_of_run("--seed", "8") != first


def test_a_second_run_is_refused_in_german():
    generate()
    with pytest.raises(CommandError, match="bereits Skalendaten"):
        generate()
    assert CatalogueVersion.objects.filter(name__startswith="Skala ").count() == 3


def test_the_preset_fills_in_the_numbers():
    with pytest.raises(CommandError, match="Bitte --preset"):
        call_command("generate_scale", "--entries", "60", stdout=StringIO())
