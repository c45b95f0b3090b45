"""The one write path for assessment values: rules, version check, history; and the paths that use it."""

import io

import openpyxl
import pytest
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leika.models import LeikaEntry
from monitoring.choices import Channel, Status
from monitoring.editing import EditConflict, RowsInvalid, apply_changes
from monitoring.models import (
    Assessment,
    AssessmentChange,
    ChangeSource,
    ClosedRoundError,
    ITProject,
    SurveyRound,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    scale = factories.scale("ozg-1-1")
    org = factories.kreis()
    other_org = factories.organisation("Stadt Anders")
    department = factories.department(org, "A 32", "Ordnungsamt")
    version = factories.catalogue_version("2024")
    round_obj = factories.survey_round(org, 2024, version=version, maturity_scale=scale)
    entries = [factories.leika_entry(version, n, key=f"99{n:03d}001000000") for n in range(1, 6)]
    return {
        "anna": factories.person("anna", first_name="Anna", last_name="Alt"),
        "bert": factories.person("bert"),
        "rows": [factories.assessment(round_obj, entry, department, status=Status.ANALOG) for entry in entries],
        "round": round_obj,
        "level": factories.levels(scale),
        "foreign_level": factories.scale("ozg-2-0").levels.get(value=1),
        "foreign_project": ITProject.objects.create(organisation=other_org, title="Fremd", year=2024),
        "department": department,
        "org": org,
    }


def test_an_edit_writes_the_values_confirms_and_records_old_and_new(world):
    row = world["rows"][0]
    apply_changes(
        world["anna"],
        [row.pk],
        {"status": Status.PDF, "maturity_level": world["level"][2]},
        versions={row.pk: 1},
        comment="Formular steht online",
    )
    row.refresh_from_db()
    assert (row.status, row.maturity_level.value, row.version, row.confirmed_by) == (
        Status.PDF,
        2,
        2,
        world["anna"],
    )
    change = row.changes.get()
    assert (change.user, change.source, change.version, change.comment) == (
        world["anna"],
        ChangeSource.PAGE,
        2,
        "Formular steht online",
    )
    assert change.fields == [
        {"field": "status", "label": "Umsetzungsstatus", "old": "Analog", "new": "PDF"},
        {"field": "maturity_level", "label": "Reifegrad", "old": "", "new": str(world["level"][2])},
    ]


def test_a_save_based_on_an_older_version_is_refused_and_names_the_other_change(world):
    row = world["rows"][0]
    apply_changes(world["anna"], [row.pk], {"status": Status.DIGITAL}, versions={row.pk: 1})
    with pytest.raises(EditConflict) as caught:
        apply_changes(world["bert"], [row.pk], {"status": Status.PDF}, versions={row.pk: 1})
    [conflict] = caught.value.conflicts
    [line] = conflict.lines()
    assert line.startswith("Anna Alt am ")
    assert "Umsetzungsstatus: „Analog“ → „Digital“" in line
    row.refresh_from_db()
    assert (row.status, row.version, row.changes.count()) == (Status.DIGITAL, 2, 1)


def test_a_bulk_edit_with_one_stale_row_writes_nothing(world):
    rows = world["rows"]
    apply_changes(world["anna"], [rows[2].pk], {"status": Status.PDF}, versions={rows[2].pk: 1})
    with pytest.raises(EditConflict) as caught:
        apply_changes(world["bert"], [r.pk for r in rows], {"status": Status.DIGITAL}, versions={r.pk: 1 for r in rows})
    assert [c.assessment.pk for c in caught.value.conflicts] == [rows[2].pk]
    assert list(Assessment.objects.order_by("pk").values_list("status", flat=True)) == [
        Status.ANALOG,
        Status.ANALOG,
        Status.PDF,
        Status.ANALOG,
        Status.ANALOG,
    ]


def test_own_changes_since_the_list_was_drawn_are_no_conflict_with_oneself(world):
    rows = world["rows"]
    seen_at = timezone.now()
    apply_changes(world["anna"], [rows[0].pk], {"status": Status.PDF}, versions={rows[0].pk: 1})
    result = apply_changes(world["anna"], [r.pk for r in rows], {"status": Status.DIGITAL}, seen_at=seen_at)
    assert result.changed == 5


def test_all_matching_rows_conflict_when_changed_after_the_list_was_drawn(world):
    rows = world["rows"]
    seen_at = timezone.now()
    apply_changes(world["anna"], [rows[0].pk], {"status": Status.PDF})
    with pytest.raises(EditConflict):
        apply_changes(world["bert"], [r.pk for r in rows], {"status": Status.DIGITAL}, seen_at=seen_at)
    result = apply_changes(world["bert"], [r.pk for r in rows], {"status": Status.DIGITAL}, seen_at=timezone.now())
    assert (result.changed, Assessment.objects.filter(status=Status.DIGITAL).count()) == (5, 5)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"status": Status.KEIN_POTENZIAL, "justification": "   "}, "justification"),
        ({"maturity_level": "foreign_level"}, "maturity_level"),
        ({"status": Status.PROJEKT, "it_project": "foreign_project"}, "it_project"),
    ],
)
def test_the_model_rules_refuse_rows_at_their_field_and_nothing_is_written(world, values, field):
    values = {name: world.get(value, value) if isinstance(value, str) else value for name, value in values.items()}
    rows = world["rows"]
    with pytest.raises(RowsInvalid) as caught:
        apply_changes(world["anna"], [r.pk for r in rows], values)
    assert len(caught.value.errors) == 5
    assert all(set(errors) == {field} for errors in caught.value.errors.values())
    assert caught.value.lines()[0].startswith("99001001000000 Leistung 1, ")
    assert not AssessmentChange.objects.exists()
    assert set(Assessment.objects.values_list("version", flat=True)) == {1}


def test_a_closed_round_refuses_every_edit(world):
    SurveyRound.objects.filter(pk=world["round"].pk).update(is_closed=True)
    with pytest.raises(ClosedRoundError):
        apply_changes(world["anna"], [world["rows"][0].pk], {"status": Status.PDF})
    assert not AssessmentChange.objects.exists()


def test_confirming_unchanged_records_a_confirmation_and_raises_the_version(world):
    row = world["rows"][1]
    result = apply_changes(world["anna"], [row.pk], {}, versions={row.pk: 1}, source=ChangeSource.CONFIRM)
    row.refresh_from_db()
    assert (result.changed, row.version, row.confirmed_by) == (0, 2, world["anna"])
    change = row.changes.get()
    assert (change.source, change.fields) == (ChangeSource.CONFIRM, [])


def test_proposals_that_await_confirmation_clear_it_and_skip_unchanged_rows(world):
    rows = world["rows"]
    apply_changes(world["anna"], [rows[0].pk, rows[1].pk], {})
    Assessment.objects.filter(pk=rows[1].pk).update(status=Status.DIGITAL, channel=Channel.LAND_BUND_PORTAL)
    result = apply_changes(
        None,
        [rows[0].pk, rows[1].pk],
        {"status": Status.DIGITAL, "channel": Channel.LAND_BUND_PORTAL},
        source=ChangeSource.IMPORT,
        confirmation="clear",
    )
    assert result.changed == 1
    first, second = Assessment.objects.filter(pk__in=[rows[0].pk, rows[1].pk]).order_by("pk")
    assert (first.confirmed_at, first.version) == (None, 3)
    assert (second.confirmed_by, second.version) == (world["anna"], 2)


def test_only_editable_fields_can_be_set(world):
    with pytest.raises(ValueError, match="department"):
        apply_changes(world["anna"], [world["rows"][0].pk], {"department": world["department"]})


def test_a_bulk_edit_costs_the_same_queries_for_5_and_for_65_rows(world):
    # 65 rows fit in one write batch even on SQLite (at most 999 parameters per query); beyond that, the
    # database's batches add one UPDATE and one INSERT per batch, never a query per row.
    def queries_to_edit(ids, status):
        with CaptureQueriesContext(connection) as queries:
            apply_changes(world["anna"], ids, {"status": status, "maturity_level": world["level"][1]})
        return len(queries)

    few = queries_to_edit([r.pk for r in world["rows"]], Status.PDF)
    entries = [
        LeikaEntry.objects.create(version=world["round"].catalogue_version, key=f"99{n:03d}002000000", name=f"L{n}")
        for n in range(1, 61)
    ]
    Assessment.objects.bulk_create(
        Assessment(round=world["round"], leika_entry=e, department=world["department"]) for e in entries
    )
    ids = list(Assessment.objects.values_list("pk", flat=True))
    assert queries_to_edit(ids, Status.DIGITAL) == few
    assert AssessmentChange.objects.count() == 5 + 65


# --- the admin records its changes and checks the version too ----------------------------------------------------


def admin_payload(row: Assessment, **changes) -> dict:
    payload = {
        "round": row.round_id,
        "leika_entry": row.leika_entry_id,
        "department": row.department_id,
        "status": row.status,
        "maturity_level": row.maturity_level_id or "",
        "justification": row.justification,
        "channel": row.channel,
        "online_service_url": row.online_service_url,
        "it_project": "",
        "efa_kind": row.efa_kind,
        "efa_offer": "",
        "carried_over_from": "",
        "confirmed_by": "",
        "confirmed_at_0": "",
        "confirmed_at_1": "",
        "seen_version": row.version,
    }
    payload.update(changes)
    return payload


def test_an_admin_edit_enters_the_history(admin_client, admin_user, world):
    row = world["rows"][0]
    url = reverse("admin:monitoring_assessment_change", args=[row.pk])
    response = admin_client.post(url, admin_payload(row, status=Status.PDF))
    assert response.status_code == 302
    row.refresh_from_db()
    change = row.changes.get()
    assert (row.status, row.version, change.source, change.user) == (Status.PDF, 2, ChangeSource.ADMIN, admin_user)
    assert change.fields == [{"field": "status", "label": "Umsetzungsstatus", "old": "Analog", "new": "PDF"}]


def test_an_admin_save_over_someone_elses_change_is_refused(admin_client, world):
    row = world["rows"][0]
    stale = admin_payload(row, status=Status.PDF)
    apply_changes(world["anna"], [row.pk], {"status": Status.DIGITAL})
    response = admin_client.post(reverse("admin:monitoring_assessment_change", args=[row.pk]), stale)
    assert response.status_code == 200
    assert "inzwischen von anderen geändert" in str(response.context["adminform"].form.errors[NON_FIELD_ERRORS])
    row.refresh_from_db()
    assert row.status == Status.DIGITAL


# --- the online-service list, from the command line ---------------------------------------------------------------


@pytest.fixture
def portal_list(tmp_path, world):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Nummer", "Onlinedienst (übergeordnet)", "Live", "Landingpage", "Direktlink", "Stelle"])
    sheet.append(["Leistung 1", 99001001000000, "", "Ja", "/antrag/eins/", None, "Kommune"])
    sheet.append(["Leistung 2", 99002001000000, "", "Nein", "/antrag/zwei/", None, "Kommune"])
    sheet.append(["Unbekannt", 99999999000000, "", "Ja", None, "/antrag/x/", "Kommune"])
    path = tmp_path / "wsp.xlsx"
    book.save(path)
    return str(path)


def run_online(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_online_services", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_the_online_services_dry_run_lists_proposals_and_unknown_keys_and_changes_nothing(world, portal_list):
    code, out, err = run_online(portal_list, "--organisation", world["org"].regionalschluessel, "--dry-run")
    assert code == 0
    assert (
        "Zeile 2: 99001001000000 Leistung 1: Analog → Digital (https://www.service.wirtschaft.nrw/antrag/eins/)" in out
    )
    assert "Zeile 4: 99999999000000 Unbekannt: Schlüssel unbekannt" in out
    assert "Nichts geändert." in err
    assert not Assessment.objects.filter(status=Status.DIGITAL).exists()


def test_the_online_services_are_applied_with_yes_and_enter_the_history(world, portal_list):
    code, out, _ = run_online(portal_list, "--organisation", str(world["org"].pk), "--yes")
    assert (code, out.splitlines()[-1]) == (0, "übernommen: 1")
    row = Assessment.objects.get(status=Status.DIGITAL)
    assert (row.channel, row.online_service_url, row.confirmed_at) == (
        Channel.LAND_BUND_PORTAL,
        "https://www.service.wirtschaft.nrw/antrag/eins/",
        None,
    )
    change = row.changes.get()
    assert (change.source, change.comment) == (ChangeSource.IMPORT, "Onlinedienste-Liste wsp.xlsx")


def test_an_unknown_organisation_exits_1_in_german(world, portal_list):
    code, _, err = run_online(portal_list, "--organisation", "999999999999")
    assert code == 1
    assert "Keine Organisation „999999999999“" in err
