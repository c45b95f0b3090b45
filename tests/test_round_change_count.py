"""Every write of assessments raises its round's change counter in the same transaction; nothing else does.

The dashboard keeps a round's figures for as long as its counter stands (tests/test_dashboard_cache.py shows the
figures following an edit through each path of the application); here the counter itself, on each ORM path.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from monitoring.choices import Status
from monitoring.editing import apply_changes
from monitoring.models import Assessment, ClosedRoundError, SurveyRound
from ozg.reference import SCALE_OZG_2_0
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    version = factories.catalogue_version()
    entries = factories.leika_entries(version, range(1, 6))
    department = factories.department(factories.organisation())
    organisation = department.organisation
    scale = factories.scale(SCALE_OZG_2_0)
    closed = factories.survey_round(organisation, 2023, version=version, maturity_scale=scale)
    factories.assessment(closed, entries[0], department, status=Status.PDF)
    factories.close(closed)
    open_round = factories.survey_round(organisation, 2024, version=version, maturity_scale=scale)
    rows = [factories.assessment(open_round, entry, department, status=Status.ANALOG) for entry in entries[:3]]
    return {"open": open_round, "closed": closed, "rows": rows, "entries": entries, "department": department}


def count(round_obj) -> int:
    return SurveyRound.objects.values_list("change_count", flat=True).get(pk=round_obj.pk)


def edit_by_apply_changes(w):
    apply_changes(None, [w["rows"][0].pk], {"status": Status.DIGITAL})


def edit_by_save(w):
    row = Assessment.objects.get(pk=w["rows"][0].pk)
    row.status = Status.PDF
    row.save()


def edit_by_queryset_update(w):
    Assessment.objects.filter(pk=w["rows"][0].pk).update(status=Status.PDF)


def edit_by_bulk_update(w):
    row = Assessment.objects.get(pk=w["rows"][0].pk)
    row.status = Status.PDF
    Assessment.objects.bulk_update([row], ["status"])


def add_by_save(w):
    factories.assessment(w["open"], w["entries"][3], w["department"])


def add_by_bulk_create(w):
    Assessment.objects.bulk_create(
        [Assessment(round=w["open"], leika_entry=w["entries"][3], department=w["department"])]
    )


def delete_one(w):
    Assessment.objects.get(pk=w["rows"][0].pk).delete()


def delete_by_queryset(w):
    Assessment.objects.filter(pk__in=[w["rows"][0].pk, w["rows"][1].pk]).delete()


@pytest.mark.parametrize(
    "write",
    [
        edit_by_apply_changes,
        edit_by_save,
        edit_by_queryset_update,
        edit_by_bulk_update,
        add_by_save,
        add_by_bulk_create,
        delete_one,
        delete_by_queryset,
    ],
)
def test_each_write_raises_the_counter_of_its_round_only(w, write):
    before = {r: count(w[r]) for r in ("open", "closed")}
    write(w)
    assert count(w["open"]) > before["open"]
    assert count(w["closed"]) == before["closed"]


def test_a_refused_write_leaves_the_counter_as_it_was(w):
    before = count(w["closed"])
    with pytest.raises(ClosedRoundError):
        Assessment.objects.filter(round=w["closed"]).update(status=Status.DIGITAL)
    assert count(w["closed"]) == before


def test_a_write_rolled_back_takes_its_raise_with_it(w):
    before = count(w["open"])
    with transaction.atomic():
        edit_by_queryset_update(w)
        assert count(w["open"]) == before + 1
        transaction.set_rollback(True)
    assert count(w["open"]) == before


def test_an_update_that_matches_no_row_raises_nothing(w):
    before = count(w["open"])
    Assessment.objects.filter(pk=-1).update(status=Status.PDF)
    assert count(w["open"]) == before


def test_saving_a_round_read_before_an_edit_does_not_undo_the_raise(w):
    stale = SurveyRound.objects.get(pk=w["open"].pk)
    edit_by_queryset_update(w)
    raised = count(w["open"])
    stale.deadline = stale.deadline  # e.g. the deadline form or the admin saving the round it loaded earlier
    stale.save()
    assert count(w["open"]) == raised


def test_generated_data_counts_its_writes():
    call_command("generate_scale", "--organisations", "1", "--entries", "60", "--rounds", "2", stdout=StringIO())
    rounds = SurveyRound.objects.filter(organisation__name__startswith="Skalenkreis")
    assert rounds.count() == 2 and not rounds.filter(change_count=0).exists()


@pytest.mark.usefixtures("demo")
def test_the_demo_counts_its_writes():
    with_rows = SurveyRound.objects.filter(assessments__isnull=False).distinct()
    assert with_rows.exists() and not with_rows.filter(change_count=0).exists()
