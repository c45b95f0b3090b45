"""The OZG-Leistung's detail page shows the assessments of its bundled LeiKa services and flags contradictions with
the plan by the dashboard's rule; the dashboard's OZG figures come from the plans and follow every edit."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitoring import dashboard as figures
from monitoring.choices import PlanState, Status
from monitoring.planning import Evidence, apply_plan_changes, contradiction
from monitoring.reports import ozg_figures
from tests import factories

from .helpers import login

pytestmark = pytest.mark.django_db

UNPLANNED = "eine zugeordnete LeiKa-Leistung ist digital, im Planungsstand nicht geplant"
NOT_DIGITAL = "als umgesetzt geführt, aber keine zugeordnete LeiKa-Leistung ist digital oder erreicht Stufe 2"
NOT_RATED = "als umgesetzt geführt, aber keine zugeordnete LeiKa-Leistung ist in der Runde bewertet"
COMPLIANT = "nach der Zählregel konform umgesetzt, im Planungsstand nicht als umgesetzt geführt"
ONLINE = "nach der Zählregel online, im Planungsstand nicht geplant"


@pytest.fixture
def w():
    """plan_world with a catalogue: Wohngeld (10101, umgesetzt, A 12) bundles entries 1 (A 12) and 2 (A 50),
    Hundesteuer (10102, kurzfristig, A 50) bundles entry 3 (A 50); an open round 2025 on the municipal scale."""
    w = factories.plan_world()
    w.version = factories.catalogue_version()
    w.entries = factories.leika_entries(w.version, [1, 2, 3, 4, 5, 6, 7, 8])
    w.own.leika_entries.set(w.entries[:2])
    w.other.leika_entries.set(w.entries[2:3])
    w.round = factories.survey_round(w.org, 2025, version=w.version, maturity_scale=w.scale)
    w.rows = [
        factories.assessment(w.round, w.entries[0], w.dep, status=Status.ANALOG, maturity_level=w.level[1]),
        factories.assessment(w.round, w.entries[1], w.other_dep, status=Status.PDF, maturity_level=w.level[0]),
        factories.assessment(w.round, w.entries[2], w.other_dep, status=Status.DIGITAL, maturity_level=w.level[3]),
    ]
    return w


def detail(client, w, leistung):
    response = client.get(reverse("ozg_plan_detail", args=[w.org.pk, leistung.ozg_id]))
    assert response.status_code == 200
    return response.content.decode()


def shown_keys(html) -> list[str]:
    section = re.search(r'<section[^>]*id="leika".*?</section>', html, re.S).group(0)
    return re.findall(r"\b\d{14}\b", section)


def dashboard_findings(w, round_obj) -> dict[str, str]:
    findings = next(t for t in figures.ozg_tables(w.org, round_obj) if t.slug.startswith("ozg-befunde"))
    return {row.label: row.values[-1] for row in findings.rows}


# --- the rule --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "found", "finding"),
    [
        (PlanState.UMGESETZT, Evidence(rated=2, best=1, digital=0), NOT_DIGITAL),
        (PlanState.UMGESETZT, Evidence(), NOT_RATED),
        (PlanState.UMGESETZT, Evidence(rated=1, best=1, digital=1), ""),  # Digital is enough
        (PlanState.UMGESETZT, Evidence(rated=1, best=2, digital=0), ""),  # so is level 2
        (PlanState.KURZFRISTIG, Evidence(rated=1, best=3, digital=1), COMPLIANT),
        (PlanState.KURZFRISTIG, Evidence(rated=1, best=2, digital=1), ""),  # planned to be done better
        (PlanState.NICHT_GEPLANT, Evidence(rated=1, best=2, digital=0), ONLINE),
        (None, Evidence(rated=1, best=1, digital=1), UNPLANNED),
        (None, Evidence(rated=1, best=1, digital=0), ""),
    ],
)
def test_one_rule_says_where_plan_and_assessments_contradict_each_other(state, found, finding):
    assert contradiction(state, found) == finding


# --- the detail page -------------------------------------------------------------------------------------------------


def test_it_flags_an_implemented_plan_without_a_digital_service_like_the_dashboard(client, w):
    login(client, w.people.it_office)
    html = detail(client, w, w.own)
    assert 'id="widerspruch"' in html
    assert NOT_DIGITAL in html
    assert dashboard_findings(w, w.round)["10101"] == NOT_DIGITAL
    assert "Erhebungsrunde 2025: der offenen Runde" in html
    assert shown_keys(html) == [w.entries[0].key, w.entries[1].key]


def test_it_flags_a_compliant_service_whose_plan_is_not_implemented_like_the_dashboard(client, w):
    login(client, w.people.it_office)
    html = detail(client, w, w.other)
    assert COMPLIANT in html
    assert dashboard_findings(w, w.round)["10102"] == COMPLIANT


def test_a_digital_service_clears_the_implemented_plan(client, w):
    w.rows[0].status = Status.DIGITAL
    w.rows[0].save()
    login(client, w.people.it_office)
    html = detail(client, w, w.own)
    assert 'id="widerspruch"' not in html
    assert 'id="kein-widerspruch"' in html
    assert "10101" not in dashboard_findings(w, w.round)


def test_rows_of_other_departments_are_not_shown_to_a_department_member(client, w):
    login(client, w.people.editor)  # edits A 12; the second bundled row belongs to A 50
    html = detail(client, w, w.own)
    assert shown_keys(html) == [w.entries[0].key]
    assert w.entries[1].name not in html
    assert "1 weitere bewertete Leistung anderer Organisationseinheiten ist für Sie nicht sichtbar" in html
    # The finding is the dashboard's, over every row of the round.
    assert NOT_DIGITAL in html


def test_a_reader_of_another_department_sees_only_its_rows(client, w):
    login(client, w.people.other_editor)
    assert shown_keys(detail(client, w, w.own)) == [w.entries[1].key]
    assert shown_keys(detail(client, w, w.other)) == [w.entries[2].key]


def test_without_an_open_round_the_latest_closed_one_is_used_and_named(client, w):
    factories.close(w.round)
    login(client, w.people.it_office)
    html = detail(client, w, w.own)
    assert "Erhebungsrunde 2025: der zuletzt abgeschlossenen Runde" in html
    assert shown_keys(html) == [w.entries[0].key, w.entries[1].key]


def test_an_organisation_without_rounds_is_told_so(client, w):
    w.rows[0].round.assessments.all().delete()
    w.round.delete()
    login(client, w.people.it_office)
    html = detail(client, w, w.own)
    assert "noch keine Erhebungsrunde" in html
    assert shown_keys(html) == []


def test_the_page_costs_the_same_queries_however_many_services_are_bundled(client, w):
    login(client, w.people.it_office)
    url = reverse("ozg_plan_detail", args=[w.org.pk, w.own.ozg_id])
    client.get(url)  # session and the like
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n, entry in enumerate(w.entries[3:]):
        w.own.leika_entries.add(entry)
        factories.assessment(
            w.round, entry, (w.dep, w.other_dep)[n % 2], status=Status.DIGITAL, maturity_level=w.level[n % 6]
        )
    with CaptureQueriesContext(connection) as many:
        assert len(shown_keys(client.get(url).content.decode())) == 7
    assert len(many) == len(few)


# --- the dashboard follows the plans ---------------------------------------------------------------------------------


def plan_table(w, slug, round_obj):
    return next(t for t in figures.dashboard(w.org, [round_obj], round_obj)["ozg"] if t.slug == slug)


def test_the_maturity_distribution_counts_implemented_plans_on_the_organisations_scale(w):
    table = plan_table(w, "reifegrade-ozg", w.round)
    assert table.column("OZG-Leistungen") == [0, 0, 0, 1, 0, 0, 0, 1]
    assert table.rows[3].label.startswith("3 – ")
    assert str(w.scale) in table.title


def test_the_figures_and_the_dashboard_follow_an_edit_of_a_plan(client, w):
    factories.close(w.round)  # a closed round: the dashboard keeps its figures by a fingerprint
    # (The start page no longer shows the OZG table, issue 16: it is the dashboard's.)
    login(client, w.people.it_office)
    dashboard_url = reverse("dashboard", args=[w.org.pk])
    assert client.get(dashboard_url).status_code == 200  # warms what the dashboard keeps
    assert ozg_figures(w.org).quotas[0].count == 1
    assert plan_table(w, "reifegrade-ozg", w.round).column("OZG-Leistungen")[-1] == 1
    assert dashboard_findings(w, w.round)["10102"] == COMPLIANT

    apply_plan_changes(
        w.people.it_office, w.org, [w.other], {"state": PlanState.UMGESETZT, "maturity_level": w.level[4]}
    )

    assert ozg_figures(w.org).quotas[0].count == 2
    distribution = plan_table(w, "reifegrade-ozg", w.round)
    assert distribution.column("OZG-Leistungen") == [0, 0, 0, 1, 1, 0, 0, 2]
    assert "10102" not in dashboard_findings(w, w.round)
    page = client.get(dashboard_url).content.decode()
    caption = re.search(r'id="tabelle-reifegrade-ozg".*?</figure>', page, re.S).group(0)
    assert re.search(r"umgesetzt \(kommunal\)</th>\s*<td[^>]*>2</td>", caption)
