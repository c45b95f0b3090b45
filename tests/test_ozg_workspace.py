"""The OZG plans' write path (conflicts, rules, history, all or nothing), filters, exports and query counts."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitoring.choices import PlanState
from monitoring.editing import EditConflict, RowsInvalid
from monitoring.models import ChangeSource, OzgPlan, OzgPlanChange
from monitoring.planning import OutOfScope, apply_plan_changes
from monitoring.reports import ozg_figures

from . import factories
from .helpers import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return factories.plan_world()


def plan_state():
    rows = OzgPlan.objects.order_by("pk").values_list("pk", "version", "state", "target_quarter", "maturity_level")
    return list(rows), OzgPlanChange.objects.count()


# --- the write path ------------------------------------------------------------------------------------------------


def test_a_change_is_written_with_its_history(w):
    apply_plan_changes(
        w.people.editor,
        w.org,
        [w.own],
        {"target_quarter": "2024-Q3"},
        versions={w.own.pk: 1},
        source=ChangeSource.INLINE,
        comment=" live ",
    )
    w.own_plan.refresh_from_db()
    assert (w.own_plan.version, w.own_plan.target_quarter, w.own_plan.updated_by) == (2, "2024-Q3", w.people.editor)
    change = w.own_plan.changes.get()
    assert (change.user, change.source, change.version, change.comment) == (w.people.editor, "zeile", 2, "live")
    assert change.fields == [{"field": "target_quarter", "label": "Zielquartal", "old": "", "new": "2024-Q3"}]


def test_a_version_conflict_names_who_changed_what(w):
    apply_plan_changes(w.people.it_office, w.org, [w.own], {"state": PlanState.LANGFRISTIG}, versions={w.own.pk: 1})
    before = plan_state()
    with pytest.raises(EditConflict) as refused:
        apply_plan_changes(w.people.editor, w.org, [w.own], {"target_quarter": "2026-Q1"}, versions={w.own.pk: 1})
    [line] = refused.value.lines()
    assert line.startswith("it am ") and line.endswith("(Detailseite): Stand: „umgesetzt“ → „langfristig geplant“")
    assert plan_state() == before


def test_the_first_edit_creates_the_plan_and_a_second_based_on_no_plan_is_a_conflict(w):
    assert not OzgPlan.objects.filter(ozg_leistung=w.federal).exists()
    apply_plan_changes(
        w.people.it_office, w.org, [w.federal], {"state": PlanState.KURZFRISTIG}, versions={w.federal.pk: 0}
    )
    plan = OzgPlan.objects.get(organisation=w.org, ozg_leistung=w.federal)
    assert (plan.version, plan.state, plan.changes.count()) == (1, PlanState.KURZFRISTIG, 1)
    with pytest.raises(EditConflict):
        apply_plan_changes(w.people.it_office, w.org, [w.federal], {"note": "x"}, versions={w.federal.pk: 0})


def test_an_edit_that_changes_nothing_leaves_no_record_behind(w):
    result = apply_plan_changes(w.people.it_office, w.org, [w.federal], {"state": PlanState.NICHT_GEPLANT})
    assert result.changed == 0
    assert not OzgPlan.objects.filter(ozg_leistung=w.federal).exists()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"responsible_department": "foreign"}, "verantwortliche Einheit", "gehört zu einer anderen Organisation"),
        ({"maturity_level": "ozg"}, "Reifegrad", "nicht zur Skala der Organisation"),
        ({"target_quarter": "2025-Q5"}, "Zielquartal", "JJJJ-Q1 bis JJJJ-Q4"),
        ({"online_service_url": "javascript:alert(1)"}, "Adresse des Onlinedienstes", "gültige Adresse"),
        ({"state": "erfunden"}, "Stand", "keine gültige Option"),
        ({"municipal_override": False}, "Begründung der Abweichung", "braucht eine Begründung"),
    ],
)
def test_the_rules_refuse_naming_row_and_field(w, values, field, message):
    replace = {"foreign": w.foreign_dep, "ozg": factories.scale("ozg-2-0").levels.first()}
    values = {name: replace.get(value, value) if isinstance(value, str) else value for name, value in values.items()}
    before = plan_state()
    with pytest.raises(RowsInvalid) as refused:
        apply_plan_changes(w.people.it_office, w.org, [w.own, w.other], values)
    lines = refused.value.lines()
    assert any(line.startswith(f"10101 Wohngeld, {field}: ") and message in line for line in lines), lines
    assert plan_state() == before


def test_an_override_with_a_reason_changes_what_counts_as_municipal(w):
    assert ozg_figures(w.org).municipal == 2
    apply_plan_changes(
        w.people.it_office, w.org, [w.federal], {"municipal_override": True, "municipal_reason": "Passbehörde"}
    )
    apply_plan_changes(
        w.people.it_office, w.org, [w.other], {"municipal_override": False, "municipal_reason": "Kreisaufgabe"}
    )
    figures = ozg_figures(w.org)
    assert (figures.total, figures.municipal, figures.quotas[0].count, figures.quotas[1].count) == (3, 2, 1, 0)


def test_a_bulk_edit_is_one_transaction(w):
    """One refused row refuses all: the valid row is not written either."""
    before = plan_state()
    with pytest.raises(RowsInvalid):
        apply_plan_changes(
            w.people.it_office,
            w.org,
            [w.own, w.other],
            {"state": PlanState.UMGESETZT},
            per_row={w.other.pk: {"target_quarter": "bald"}},
        )
    assert plan_state() == before
    result = apply_plan_changes(w.people.it_office, w.org, [w.own, w.other, w.federal], {"target_quarter": "2027-Q2"})
    assert result.changed == 3 and OzgPlanChange.objects.count() == 3


def test_a_department_cannot_hand_its_row_to_another_or_touch_anothers(w):
    before = plan_state()
    with pytest.raises(OutOfScope):
        apply_plan_changes(w.people.editor, w.org, [w.own], {"responsible_department": w.other_dep})
    with pytest.raises(OutOfScope):
        apply_plan_changes(w.people.editor, w.org, [w.other], {"note": "meins"})
    assert plan_state() == before


# --- the pages -----------------------------------------------------------------------------------------------------


def test_saving_in_place_returns_the_row(client, w):
    client.force_login(w.people.editor)
    data = {"ozg-10101-state": "umgesetzt", "ozg-10101-target_quarter": "2024-Q2", "ozg-10101-version": 1}
    data |= {"ozg-10101-maturity_level": w.level[4].pk, "ozg-10101-responsible_department": w.dep.pk}
    response = client.post(reverse("ozg_plan_row", args=[w.org.pk, 10101]), data, **HTMX)
    assert response.status_code == 200 and "Gespeichert: 10101 Wohngeld" in response.content.decode()
    w.own_plan.refresh_from_db()
    assert (w.own_plan.version, w.own_plan.maturity_level, w.own_plan.target_quarter) == (2, w.level[4], "2024-Q2")


def test_the_detail_page_shows_the_conflict_and_the_history(client, w):
    apply_plan_changes(w.people.it_office, w.org, [w.own], {"note": "Pilot"}, versions={w.own.pk: 1})
    client.force_login(w.people.editor)
    data = {"state": "umgesetzt", "maturity_level": w.level[3].pk, "responsible_department": w.dep.pk}
    response = client.post(reverse("ozg_plan_detail", args=[w.org.pk, 10101]), data | {"note": "anders", "version": 1})
    page = response.content.decode()
    assert response.status_code == 200 and "Nicht gespeichert" in page
    assert "Anmerkung: „“ → „Pilot“" in page
    assert response.context["form"]["version"].value() == "2"
    w.own_plan.refresh_from_db()
    assert w.own_plan.note == "Pilot"


def test_bulk_edit_sets_the_selected_rows(client, w):
    client.force_login(w.people.it_office)
    response = client.post(
        reverse("ozg_plans_bulk", args=[w.org.pk]),
        {"auswahl": ["10101:1", "10103:0"], "sammel-state": "langfristig", "sammel-target_quarter": "2028-Q4"},
    )
    assert response.status_code == 302
    states = dict(OzgPlan.objects.values_list("ozg_leistung__ozg_id", "state"))
    assert states == {10101: "langfristig", 10102: "kurzfristig", 10103: "langfristig"}


# --- filters, export, query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, [10101, 10102, 10103]),
        ({"stand": "nicht_geplant"}, [10103]),
        ({"stand": ["umgesetzt", "kurzfristig"]}, [10101, 10102]),
        ({"kommunal": "nein"}, [10103]),
        ({"quartal": "2025"}, [10102]),
        ({"q": "hunde"}, [10102]),
        ({"q": "10103"}, [10103]),
        ({"einheit": "dep"}, [10101]),
        ({"reifegrad": "level"}, [10101]),
    ],
)
def test_filters_and_export_give_the_pages_rows(client, w, query, expected):
    chosen = {"dep": w.dep.pk, "level": w.level[3].pk}
    query = {k: chosen.get(v, v) if isinstance(v, str) else v for k, v in query.items()}
    client.force_login(w.people.reader)
    page = client.get(reverse("ozg_plans", args=[w.org.pk]), query)
    assert [row.record.ozg_id for row in page.context["table"].paginated_rows] == expected
    export = client.get(reverse("ozg_plans_csv", args=[w.org.pk]), query)
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert [int(line[0]) for line in lines[1:]] == expected
    xlsx = client.get(reverse("ozg_plans_xlsx", args=[w.org.pk]), query)
    assert xlsx.status_code == 200


def test_the_list_costs_the_same_queries_for_10_and_100_rows(client, w):
    client.force_login(w.people.editor)
    url = reverse("ozg_plans", args=[w.org.pk])

    def queries(total):
        """`total` rows with a plan, and the one without."""
        for n in range(OzgPlan.objects.count(), total):
            leistung = factories.ozg_leistung(10200 + n)
            factories.ozg_plan(w.org, leistung, state=PlanState.UMGESETZT, responsible_department=w.dep)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"pro_seite": 100})
        assert len(response.context["table"].paginated_rows) == total + 1
        return len(captured)

    assert queries(9) == queries(99)
