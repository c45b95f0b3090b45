"""Tests of the closed-round lock: no path changes, adds or deletes an assessment of a closed survey round.

The ORM paths raise ClosedRoundError before any SQL is sent; raw SQL and Django's internal paths that bypass the
model (SET_NULL on delete, deserialisation) meet the database trigger of migration monitoring 0002, which raises
IntegrityError. SQLite has no delete trigger by design, so there a raw DELETE is guarded by nothing but the ORM.
"""

import json
from dataclasses import dataclass

import pytest
from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from leika.models import LeikaEntry
from monitoring.choices import Status
from monitoring.models import Assessment, ClosedRoundError, Department, ITProject, SurveyRound
from ozg.reference import SCALE_OZG_2_0
from tests import factories

pytestmark = pytest.mark.django_db

CLOSED_MESSAGE = (
    "Die Erhebungsrunde Musterstadt 2023 ist abgeschlossen; ihre Bewertungen können nicht mehr geändert werden."
)
TRIGGER_MESSAGE = "Die Erhebungsrunde ist abgeschlossen; ihre Bewertungen können nicht mehr geändert werden."
TABLE = Assessment._meta.db_table


@dataclass
class World:
    entries: list[LeikaEntry]
    department: Department
    project: ITProject
    open_round: SurveyRound
    closed_round: SurveyRound
    open_assessment: Assessment
    closed_assessment: Assessment


@pytest.fixture
def world():
    """Musterstadt with an open round 2024 and a closed round 2023, one assessment in each."""
    version = factories.catalogue_version()
    entries = factories.leika_entries(version, range(1, 5))
    scale = factories.scale(SCALE_OZG_2_0)
    department = factories.department(factories.organisation())
    project = ITProject.objects.create(organisation=department.organisation, title="E-Akte", year=2023)
    closed_round = factories.survey_round(department.organisation, 2023, version=version, maturity_scale=scale)
    closed_assessment = factories.assessment(
        closed_round,
        entries[0],
        department,
        status=Status.PROJEKT,
        maturity_level=scale.levels.get(value=2),
        it_project=project,
        justification="Onlinedienst in Arbeit",
    )
    factories.close(closed_round)
    open_round = factories.survey_round(department.organisation, 2024, version=version, maturity_scale=scale)
    open_assessment = factories.assessment(open_round, entries[1], department, status=Status.ANALOG)
    return World(entries, department, project, open_round, closed_round, open_assessment, closed_assessment)


def table() -> list[dict]:
    """Every assessment row as stored, to show that a refused write left all of them alone."""
    return list(Assessment.objects.order_by("pk").values())


def stored(assessment: Assessment) -> dict:
    return Assessment.objects.filter(pk=assessment.pk).values().get()


def raw(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=connection.ops.quote_name(TABLE)), params)
        return cursor.rowcount


def raw_copy(source: Assessment, round_obj: SurveyRound, entry: LeikaEntry) -> int:
    """INSERT ... SELECT of a stored row into another round, whatever columns the table has by now."""
    fields = [field for field in Assessment._meta.concrete_fields if not field.primary_key]
    replaced = {"round": round_obj.pk, "leika_entry": entry.pk}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join("%s" if field.name in replaced else quote(field.column) for field in fields)
    params = [replaced[field.name] for field in fields if field.name in replaced] + [source.pk]
    return raw(f"INSERT INTO {{table}} ({columns}) SELECT {values} FROM {{table}} WHERE id = %s", params)


def assert_refused(error) -> None:
    assert error.value.code == "closed_round"
    assert error.value.messages == [CLOSED_MESSAGE]


def admin_url(view: str, *args) -> str:
    return reverse(f"admin:monitoring_assessment_{view}", args=args)


def admin_payload(assessment: Assessment, **changes) -> dict:
    payload = {
        "round": assessment.round_id,
        "leika_entry": assessment.leika_entry_id,
        "department": assessment.department_id,
        "status": assessment.status,
        "maturity_level": assessment.maturity_level_id or "",
        "justification": assessment.justification,
        "it_project": assessment.it_project_id or "",
    }
    return {**payload, **changes}


# --- the ORM refuses before any SQL is sent -----------------------------------------------------------------


def change_by_save(w: World):
    w.closed_assessment.status = Status.DIGITAL
    w.closed_assessment.save()


def change_by_save_with_update_fields(w: World):
    w.closed_assessment.justification = "nachträglich geändert"
    w.closed_assessment.save(update_fields=["justification"])


def move_out_by_save(w: World):
    w.closed_assessment.round = w.open_round
    w.closed_assessment.leika_entry = w.entries[3]
    w.closed_assessment.save()


def change_by_update_or_create(w: World):
    Assessment.objects.update_or_create(pk=w.closed_assessment.pk, defaults={"status": Status.DIGITAL})


def change_by_queryset_update(w: World):
    Assessment.objects.filter(pk=w.closed_assessment.pk).update(status=Status.DIGITAL)


def change_by_update_of_all_rows(w: World):
    Assessment.objects.all().update(status=Status.DIGITAL)


def change_by_related_manager_update(w: World):
    w.closed_round.assessments.update(status=Status.DIGITAL)


def change_by_related_manager_clear(w: World):
    w.project.assessments.clear()


def change_by_bulk_update(w: World):
    w.closed_assessment.status = Status.DIGITAL
    Assessment.objects.bulk_update([w.closed_assessment], ["status"])


def move_out_by_bulk_update(w: World):
    w.closed_assessment.round = w.open_round
    w.closed_assessment.leika_entry = w.entries[3]
    Assessment.objects.bulk_update([w.closed_assessment], ["round", "leika_entry"])


def delete_instance(w: World):
    w.closed_assessment.delete()


def delete_by_queryset(w: World):
    Assessment.objects.filter(pk=w.closed_assessment.pk).delete()


def delete_all_rows(w: World):
    Assessment.objects.all().delete()


def delete_by_related_manager(w: World):
    w.closed_round.assessments.all().delete()


def add_by_create(w: World):
    Assessment.objects.create(round=w.closed_round, leika_entry=w.entries[2], department=w.department)


def add_by_get_or_create(w: World):
    Assessment.objects.get_or_create(round=w.closed_round, leika_entry=w.entries[2], department=w.department)


def add_by_bulk_create(w: World):
    Assessment.objects.bulk_create(
        [Assessment(round=w.closed_round, leika_entry=w.entries[2], department=w.department)]
    )


def add_by_bulk_create_with_open_rows(w: World):
    Assessment.objects.bulk_create(
        [
            Assessment(round=w.open_round, leika_entry=w.entries[2], department=w.department),
            Assessment(round=w.closed_round, leika_entry=w.entries[2], department=w.department),
        ]
    )


def move_in_by_save(w: World):
    w.open_assessment.round = w.closed_round
    w.open_assessment.save()


def move_in_by_update(w: World):
    Assessment.objects.filter(pk=w.open_assessment.pk).update(round=w.closed_round)


def move_in_by_update_of_round_id(w: World):
    Assessment.objects.filter(pk=w.open_assessment.pk).update(round_id=w.closed_round.pk)


def move_in_by_bulk_update(w: World):
    w.open_assessment.round = w.closed_round
    Assessment.objects.bulk_update([w.open_assessment], ["round"])


ORM_PATHS = [
    change_by_save,
    change_by_save_with_update_fields,
    move_out_by_save,
    change_by_update_or_create,
    change_by_queryset_update,
    change_by_update_of_all_rows,
    change_by_related_manager_update,
    change_by_related_manager_clear,
    change_by_bulk_update,
    move_out_by_bulk_update,
    delete_instance,
    delete_by_queryset,
    delete_all_rows,
    delete_by_related_manager,
    add_by_create,
    add_by_get_or_create,
    add_by_bulk_create,
    add_by_bulk_create_with_open_rows,
    move_in_by_save,
    move_in_by_update,
    move_in_by_update_of_round_id,
    move_in_by_bulk_update,
]


@pytest.mark.parametrize("path", ORM_PATHS, ids=lambda path: path.__name__.replace("_", "-"))
def test_every_orm_path_is_refused_with_closed_round_error(world, path):
    before = table()

    with pytest.raises(ClosedRoundError) as error, transaction.atomic():
        path(world)

    assert_refused(error)
    assert table() == before
    world.closed_assessment.refresh_from_db()
    assert world.closed_assessment.status == Status.PROJEKT
    assert world.closed_assessment.round_id == world.closed_round.pk


def test_closed_round_error_is_a_validation_error():
    assert issubclass(ClosedRoundError, ValidationError)


def test_full_clean_reports_the_closed_round_as_a_non_field_error(world):
    world.closed_assessment.status = Status.DIGITAL

    with pytest.raises(ValidationError) as error:
        world.closed_assessment.full_clean()

    assert error.value.message_dict == {"__all__": [CLOSED_MESSAGE]}


def test_a_round_closed_after_the_row_was_loaded_still_locks_it(world):
    loaded = Assessment.objects.select_related("round").get(pk=world.open_assessment.pk)
    SurveyRound.objects.filter(pk=world.open_round.pk).update(is_closed=True)
    before = stored(loaded)
    loaded.status = Status.DIGITAL

    with pytest.raises(ClosedRoundError), transaction.atomic():
        loaded.save()
    with pytest.raises(ClosedRoundError), transaction.atomic():
        loaded.delete()

    assert stored(loaded) == before


# --- the database trigger refuses what bypasses the model ---------------------------------------------------


def trigger_names() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [TABLE])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        return {row[0] for row in cursor.fetchall()}


def test_the_closed_round_trigger_is_installed():
    expected = {
        "postgresql": {"monitoring_assessment_closed_round"},
        "sqlite": {"monitoring_assessment_closed_round_insert", "monitoring_assessment_closed_round_update"},
    }
    assert trigger_names() >= expected[connection.vendor]


def test_raw_sql_update_of_a_closed_round_assessment_is_refused(world):
    before = stored(world.closed_assessment)

    with pytest.raises(IntegrityError, match=TRIGGER_MESSAGE), transaction.atomic():
        raw("UPDATE {table} SET status = %s WHERE id = %s", [Status.DIGITAL, world.closed_assessment.pk])

    assert stored(world.closed_assessment) == before
    world.closed_assessment.refresh_from_db()
    assert world.closed_assessment.status == Status.PROJEKT


def test_raw_sql_update_moving_a_row_out_of_a_closed_round_is_refused(world):
    before = stored(world.closed_assessment)

    with pytest.raises(IntegrityError, match=TRIGGER_MESSAGE), transaction.atomic():
        raw(
            "UPDATE {table} SET round_id = %s, leika_entry_id = %s WHERE id = %s",
            [world.open_round.pk, world.entries[3].pk, world.closed_assessment.pk],
        )

    assert stored(world.closed_assessment) == before


def test_raw_sql_update_moving_a_row_into_a_closed_round_is_refused(world):
    before = stored(world.open_assessment)

    with pytest.raises(IntegrityError, match=TRIGGER_MESSAGE), transaction.atomic():
        raw("UPDATE {table} SET round_id = %s WHERE id = %s", [world.closed_round.pk, world.open_assessment.pk])

    assert stored(world.open_assessment) == before


def test_raw_sql_insert_into_a_closed_round_is_refused(world):
    before = table()

    with pytest.raises(IntegrityError, match=TRIGGER_MESSAGE), transaction.atomic():
        raw_copy(world.open_assessment, world.closed_round, world.entries[2])

    assert table() == before


def test_raw_sql_delete_is_refused_on_postgresql_and_left_to_the_orm_on_sqlite(world):
    pk = world.closed_assessment.pk
    before = stored(world.closed_assessment)

    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError, match=TRIGGER_MESSAGE), transaction.atomic():
            raw("DELETE FROM {table} WHERE id = %s", [pk])
        assert stored(world.closed_assessment) == before
    else:
        # Documented in migration 0002: SQLite's test flush deletes with DELETE, so there is no delete trigger.
        assert connection.vendor == "sqlite"
        assert raw("DELETE FROM {table} WHERE id = %s", [pk]) == 1
        assert not Assessment.objects.filter(pk=pk).exists()


def test_raw_sql_may_still_change_an_open_round_assessment(world):
    assert raw("UPDATE {table} SET status = %s WHERE id = %s", [Status.PDF, world.open_assessment.pk]) == 1
    world.open_assessment.refresh_from_db()
    assert world.open_assessment.status == Status.PDF

    assert raw_copy(world.open_assessment, world.open_round, world.entries[2]) == 1
    assert Assessment.objects.filter(round=world.open_round, leika_entry=world.entries[2]).exists()


def test_a_deserialised_save_which_bypasses_assessment_save_is_refused(world):
    """loaddata saves with Model.save_base(raw=True), past Assessment.save(); the trigger still holds."""
    before = stored(world.closed_assessment)
    (record,) = json.loads(serializers.serialize("json", [world.closed_assessment]))
    record["fields"]["status"] = Status.DIGITAL
    (deserialised,) = serializers.deserialize("json", json.dumps([record]))

    with pytest.raises(IntegrityError, match=TRIGGER_MESSAGE), transaction.atomic():
        deserialised.save()

    assert stored(world.closed_assessment) == before


def test_a_round_object_loaded_before_closing_cannot_add_a_row(world):
    """Assessment.validate() trusts the round object in memory for a new row; the trigger catches what it misses."""
    stale_round = SurveyRound.objects.get(pk=world.open_round.pk)
    SurveyRound.objects.filter(pk=world.open_round.pk).update(is_closed=True)
    before = table()

    with pytest.raises(IntegrityError, match=TRIGGER_MESSAGE), transaction.atomic():
        Assessment.objects.create(round=stale_round, leika_entry=world.entries[2], department=world.department)

    assert table() == before


@pytest.mark.parametrize("referenced", ["project", "source"])
def test_deleting_what_a_closed_row_refers_to_by_set_null_is_refused(world, referenced):
    source = world.open_assessment
    if referenced == "source":
        # Set while 2023 was open, as a carry-over would; one round open at a time.
        SurveyRound.objects.filter(pk=world.open_round.pk).update(is_closed=True)
        SurveyRound.objects.filter(pk=world.closed_round.pk).update(is_closed=False)
        Assessment.objects.filter(pk=world.closed_assessment.pk).update(carried_over_from=source)
        SurveyRound.objects.filter(pk=world.closed_round.pk).update(is_closed=True)
        SurveyRound.objects.filter(pk=world.open_round.pk).update(is_closed=False)
    target = world.project if referenced == "project" else source
    before = stored(world.closed_assessment)

    with pytest.raises(IntegrityError, match=TRIGGER_MESSAGE), transaction.atomic():
        target.delete()

    assert stored(world.closed_assessment) == before
    assert type(target).objects.filter(pk=target.pk).exists()


# --- the admin ----------------------------------------------------------------------------------------------


def test_admin_post_to_the_change_page_of_a_closed_row_changes_nothing(admin_client, world):
    before = stored(world.closed_assessment)
    response = admin_client.post(
        admin_url("change", world.closed_assessment.pk),
        admin_payload(world.closed_assessment, status=Status.DIGITAL, justification="geändert"),
    )

    assert response.status_code == 403
    assert stored(world.closed_assessment) == before


def test_admin_delete_page_of_a_closed_row_deletes_nothing(admin_client, world):
    url = admin_url("delete", world.closed_assessment.pk)

    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Assessment.objects.filter(pk=world.closed_assessment.pk).exists()


def test_admin_bulk_delete_of_a_closed_row_deletes_nothing(admin_client, world):
    before = table()
    response = admin_client.post(
        reverse("admin:monitoring_assessment_changelist"),
        {"action": "delete_selected", "_selected_action": [world.closed_assessment.pk], "index": 0, "post": "yes"},
        follow=True,
    )

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [f"Es wurde nichts gelöscht. {CLOSED_MESSAGE}"]
    assert table() == before


def test_admin_cannot_add_a_row_to_a_closed_round(admin_client, world):
    before = table()
    response = admin_client.post(
        admin_url("add"),
        {
            "round": world.closed_round.pk,
            "leika_entry": world.entries[2].pk,
            "department": world.department.pk,
            "status": Status.ANALOG,
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["__all__"] == [CLOSED_MESSAGE]
    assert table() == before


def test_admin_cannot_move_an_open_row_into_a_closed_round(admin_client, world):
    before = stored(world.open_assessment)
    response = admin_client.post(
        admin_url("change", world.open_assessment.pk),
        admin_payload(world.open_assessment, round=world.closed_round.pk),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["__all__"] == [CLOSED_MESSAGE]
    assert stored(world.open_assessment) == before


# --- open rounds, and reopening -----------------------------------------------------------------------------


def test_an_open_round_assessment_can_be_changed_on_every_orm_path(world):
    row = world.open_assessment
    row.status = Status.PDF
    row.save()
    assert Assessment.objects.get(pk=row.pk).status == Status.PDF

    Assessment.objects.filter(pk=row.pk).update(status=Status.DIGITAL)
    assert Assessment.objects.get(pk=row.pk).status == Status.DIGITAL

    row.refresh_from_db()
    row.status = Status.ANALOG
    Assessment.objects.bulk_update([row], ["status"])
    assert Assessment.objects.get(pk=row.pk).status == Status.ANALOG

    (added,) = Assessment.objects.bulk_create(
        [Assessment(round=world.open_round, leika_entry=world.entries[2], department=world.department)]
    )
    assert Assessment.objects.filter(round=world.open_round).count() == 2

    Assessment.objects.filter(pk=added.pk).delete()
    row.delete()
    assert not Assessment.objects.filter(round=world.open_round).exists()


def test_an_open_round_assessment_can_be_changed_in_the_admin(admin_client, world):
    response = admin_client.post(
        admin_url("change", world.open_assessment.pk), admin_payload(world.open_assessment, status=Status.PDF)
    )

    assert response.status_code == 302
    world.open_assessment.refresh_from_db()
    assert world.open_assessment.status == Status.PDF


def reopen_by_update(round_obj: SurveyRound) -> None:
    SurveyRound.objects.filter(pk=round_obj.pk).update(is_closed=False)


def reopen_by_save(round_obj: SurveyRound) -> None:
    round_obj.is_closed = False
    round_obj.full_clean()
    round_obj.save()


@pytest.mark.parametrize("reopen", [reopen_by_update, reopen_by_save], ids=["update", "save"])
def test_reopening_a_round_makes_its_assessments_editable_again(world, reopen):
    factories.close(world.open_round)  # one open round per organisation
    reopen(world.closed_round)
    world.closed_round.refresh_from_db()
    assert world.closed_round.is_closed is False
    row = Assessment.objects.get(pk=world.closed_assessment.pk)

    row.status = Status.DIGITAL
    row.save()
    assert Assessment.objects.get(pk=row.pk).status == Status.DIGITAL

    Assessment.objects.filter(pk=row.pk).update(justification="wieder geöffnet")
    assert Assessment.objects.get(pk=row.pk).justification == "wieder geöffnet"

    assert raw("UPDATE {table} SET status = %s WHERE id = %s", [Status.PDF, row.pk]) == 1
    assert Assessment.objects.get(pk=row.pk).status == Status.PDF

    Assessment.objects.create(round=world.closed_round, leika_entry=world.entries[2], department=world.department)
    Assessment.objects.filter(round=world.closed_round).delete()
    assert not Assessment.objects.filter(round=world.closed_round).exists()


def test_closing_a_reopened_round_locks_it_again(world):
    factories.close(world.open_round)
    reopen_by_save(world.closed_round)
    world.closed_round.is_closed = True
    world.closed_round.save()
    before = stored(world.closed_assessment)

    with pytest.raises(ClosedRoundError), transaction.atomic():
        change_by_save(world)
    with pytest.raises(IntegrityError, match=TRIGGER_MESSAGE), transaction.atomic():
        raw("UPDATE {table} SET status = %s WHERE id = %s", [Status.DIGITAL, world.closed_assessment.pk])

    assert stored(world.closed_assessment) == before


def test_reopening_in_the_admin_makes_the_change_page_editable(admin_client, world):
    factories.close(world.open_round)
    admin_client.post(
        reverse("admin:monitoring_surveyround_changelist"),
        {"action": "reopen_rounds", "_selected_action": [world.closed_round.pk], "index": 0},
    )
    response = admin_client.post(
        admin_url("change", world.closed_assessment.pk),
        admin_payload(world.closed_assessment, status=Status.DIGITAL),
    )

    assert response.status_code == 302
    world.closed_assessment.refresh_from_db()
    assert world.closed_assessment.status == Status.DIGITAL
