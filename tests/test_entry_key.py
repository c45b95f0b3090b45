"""Each assessment keeps its entry's key (`Assessment.entry_key`, kept by the database: migration monitoring 0012),
whichever path writes the row, so that the lists' order by key is the order of the entries' keys."""

import pytest
from django.db import connection
from django.utils import timezone

from monitoring.carryover import open_round
from monitoring.models import Assessment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return factories.workspace_world()


def stored_keys(rows) -> dict[int, tuple[str, str]]:
    """{row id: (its entry_key, its entry's key)} as the database has them."""
    found = Assessment.objects.filter(pk__in=[row.pk for row in rows]).values_list(
        "pk", "entry_key", "leika_entry__key"
    )
    return {pk: (kept, key) for pk, kept, key in found}


def assert_keys_kept(rows):
    keys = stored_keys(rows)
    assert len(keys) == len(rows)
    for kept, key in keys.values():
        assert kept == key != ""


def test_every_row_of_the_world_keeps_its_key(w):
    assert_keys_kept([*w.rows, *w.prev.values(), w.foreign_row])


def test_create_bulk_create_save_update_and_raw_sql_keep_the_key(w):
    extra = factories.leika_entries(w.version, range(6, 10))
    created = Assessment.objects.create(round=w.round, leika_entry=extra[0], department=w.dep)
    assert created.entry_key == "", "an instance made here does not know it; the database does"
    [bulk] = Assessment.objects.bulk_create([Assessment(round=w.round, leika_entry=extra[1], department=w.dep)])
    assert_keys_kept([created, bulk])

    # Another entry: save(), update() and raw SQL each follow it; a key sent by the instance is not believed.
    created.leika_entry = extra[2]
    created.entry_key = "falsch"
    created.save()
    Assessment.objects.filter(pk=bulk.pk).update(leika_entry=extra[3])
    assert_keys_kept([created, bulk])
    assert stored_keys([created])[created.pk][0] == extra[2].key
    with connection.cursor() as cursor:
        cursor.execute("UPDATE monitoring_assessment SET leika_entry_id = %s WHERE id = %s", [extra[1].pk, created.pk])
        cursor.execute("UPDATE monitoring_assessment SET entry_key = %s WHERE id = %s", ["99", bulk.pk])
    assert_keys_kept([created, bulk])
    assert stored_keys([created])[created.pk][0] == extra[1].key

    # An ordinary edit of a loaded row writes back the key it read: unchanged.
    loaded = Assessment.objects.get(pk=bulk.pk)
    loaded.justification = "geprüft"
    loaded.save()
    assert_keys_kept([loaded])


def test_raw_sql_insert_keeps_the_key(w):
    extra = factories.leika_entry(w.version, 12)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO monitoring_assessment (round_id, leika_entry_id, department_id, status, efa_kind, channel,"
            " online_service_url, justification, created_at, updated_at, version, entry_key)"
            " VALUES (%s, %s, %s, 'nicht_gemeldet', '', '', '', '', %s, %s, 1, '')",
            [w.round.pk, extra.pk, w.dep.pk, now, now],
        )
    row = Assessment.objects.get(round=w.round, leika_entry=extra)
    assert row.entry_key == extra.key


def test_carried_over_rows_keep_their_keys_and_sort_by_them(w):
    # Entries made in the reverse order of their keys: their ids and their keys disagree.
    for number in (9, 8, 7):
        factories.assessment(w.round, factories.leika_entry(w.version, number), w.dep)
    factories.close(w.round)
    new_round = open_round(w.org, 2025, w.version, notify=False)
    rows = list(new_round.assessments.all())
    assert len(rows) == 8, "the 2024 rows are carried over"
    assert_keys_kept(rows)
    ordered = list(Assessment.objects.filter(round=new_round).values_list("leika_entry__key", flat=True))
    assert ordered == sorted(ordered), "the default order is by the kept key"
    by_id = list(Assessment.objects.filter(round=new_round).order_by("leika_entry_id").values_list("entry_key"))
    assert by_id != sorted(by_id), "the test's entries' ids do not follow their keys"
