"""The dashboard keeps what it computed, keyed by what it was computed from: every write path changes the figures
at once, an unchanged dashboard reads no assessment, warm() prepares it, and long tables load on demand.

The world of tests/factories.py's workspace_world(): Musterstadt with a closed round 2023 and an open round 2024;
the dashboard opens with both in the series and 2023 in focus.
"""

import datetime
import io
import re

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring import dashboard as figures
from monitoring.carryover import open_round
from monitoring.choices import PlanState, Status
from monitoring.models import Assessment, ITProject, OzgPlan, Question, SurveyRound
from monitoring.online_services import OnlineServicePlan, Proposal, apply_online_services
from monitoring.planning import apply_plan_changes
from tests import factories
from tests.helpers import HTMX, detail_form_data, login, selection

from .test_carry_over import world as carry_over_world  # noqa: F401 (fixture)
from .test_dashboard import page_tables
from .test_editing import admin_payload
from .test_sheets import STATUS, apply, download, line_of, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return factories.workspace_world()


def dashboard_url(w, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("dashboard", args=[w.org.pk]) + (f"?{query}" if query else "")


def viewer(w) -> Client:
    return login(Client(), w.it_office)


def column(client, w, year: int, **params) -> dict[str, str]:
    """The status table's column of `year` as the page shows it: {status: count}."""
    header, *rows = page_tables(client.get(dashboard_url(w, **params)).content.decode())["status"]
    index = header.index(str(year))
    return {row[0]: row[index] for row in rows}


def reads_records(queries) -> bool:
    """Whether a request read assessments or catalogue entries for its figures; the header's badges (the person's own
    unconfirmed rows, monitoring.workday.badge_counts) read assessments on every page and are not the dashboard's."""
    return any(
        table in query["sql"]
        for query in queries
        if not is_badge_query(query["sql"])
        for table in ("monitoring_assessment", "leika_leikaentry")
    )


def is_badge_query(sql: str) -> bool:
    """The person's own departments with their open rounds and open questions: the badges' one query."""
    return "monitoring_departmentrole" in sql and "monitoring_question" in sql


# --- every write path changes the figures of a dashboard that was kept -------------------------------------------


def by_the_detail_form(w, client):
    row = w.rows[0]
    login(client, w.editor).post(reverse("assessment_detail", args=[row.pk]), detail_form_data(row, status=Status.PDF))


def by_the_bulk_edit(w, client):
    login(client, w.editor).post(
        reverse("bulk_edit"),
        {
            "auswahl": selection(w.rows[0]),
            "sammel-scope": "auswahl",
            "sammel-status": Status.PDF,
            "sammel-action": "setzen",
            "sammel-filter": "",
        },
    )


def by_the_department_sheet(w, client):
    login(client, w.editor)
    workbook = download(client, w)
    sheet = workbook["Leistungen"]
    sheet.cell(line_of(sheet, w.rows[0].leika_entry.key), STATUS).value = "PDF"
    assert apply(client, w, upload(client, w, workbook)).status_code == 302


def by_the_online_service_list(w, client):
    row = Assessment.objects.get(pk=w.rows[0].pk)
    apply_online_services(OnlineServicePlan(w.round, [Proposal(2, row, "https://www.service.wirtschaft.nrw/a/")]))


def by_the_admin_change_form(w, client):
    client.force_login(factories.superuser())
    row = Assessment.objects.get(pk=w.rows[0].pk)
    url = reverse("admin:monitoring_assessment_change", args=[row.pk])
    assert client.post(url, admin_payload(row, status=Status.PDF)).status_code == 302


def by_the_admin_add_form(w, client):
    client.force_login(factories.superuser())
    entry = factories.leika_entry(w.version, 6, "Leistung Gewerbeanmeldung")
    row = Assessment(round=w.round, leika_entry=entry, department=w.dep, status=Status.PDF)
    payload = {**admin_payload(row), "seen_version": ""}
    assert client.post(reverse("admin:monitoring_assessment_add"), payload).status_code == 302


def by_the_admin_delete(w, client):
    client.force_login(factories.superuser())
    url = reverse("admin:monitoring_assessment_delete", args=[w.rows[0].pk])
    assert client.post(url, {"post": "yes"}).status_code == 302


def by_a_queryset_update(w, client):
    Assessment.objects.filter(pk=w.rows[0].pk).update(status=Status.PDF)


# (write, the 2024 column's Analog and PDF afterwards): Analog 1 → 0 wherever row 0 leaves it.
WRITES = [
    (by_the_detail_form, "0", "1"),
    (by_the_bulk_edit, "0", "1"),
    (by_the_department_sheet, "0", "1"),
    (by_the_online_service_list, "0", "0"),  # row 0 goes Digital via the Land's portal
    (by_the_admin_change_form, "0", "1"),
    (by_the_admin_add_form, "1", "1"),
    (by_the_admin_delete, "0", "0"),
    (by_a_queryset_update, "0", "1"),
]


@pytest.mark.parametrize("write, analog, pdf", WRITES, ids=[w[0].__name__ for w in WRITES])
def test_the_figures_follow_an_edit_through_each_write_path(world, write, analog, pdf):
    client = viewer(world)
    before, closed = column(client, world, 2024), column(client, world, 2023)
    assert (before["Analog"], before["PDF"]) == ("1", "0")
    with CaptureQueriesContext(connection) as queries:
        assert column(client, world, 2024) == before
    assert not reads_records(queries), "the second request is served from what the first one kept"

    write(world, Client())

    after = column(client, world, 2024)
    assert (after["Analog"], after["PDF"]) == (analog, pdf)
    assert column(client, world, 2023) == closed


def test_an_edit_reads_the_edited_rounds_rows_again_but_not_the_catalogue(world):
    """The rows' lineage through the catalogue holds while only values change: it is not walked again."""
    client = viewer(world)
    column(client, world, 2024)
    by_a_queryset_update(world, None)
    with CaptureQueriesContext(connection) as queries:
        assert column(client, world, 2024)["PDF"] == "1"
    read = " ".join(query["sql"] for query in queries)
    assert 'FROM "monitoring_assessment"' in read
    assert '"leika_leikaentry"' not in read and '"leika_cataloguechange"' not in read


def test_a_closed_round_reopened_edited_and_closed_again_shows_its_new_figures(world):
    client, it_office = viewer(world), login(Client(), world.it_office)
    assert column(client, world, 2023)["Analog"] == "1"
    assert it_office.post(reverse("round_close", args=[world.round.pk])).status_code == 302
    assert it_office.post(reverse("round_reopen", args=[world.previous_round.pk])).status_code == 302
    reopened = column(client, world, 2023)
    row = Assessment.objects.get(pk=world.prev[0].pk)
    login(Client(), world.editor).post(
        reverse("assessment_detail", args=[row.pk]), detail_form_data(row, status=Status.PDF)
    )
    assert it_office.post(reverse("round_close", args=[world.previous_round.pk])).status_code == 302
    after = column(client, world, 2023)
    assert (reopened["Analog"], after["Analog"], after["PDF"]) == ("1", "0", "2")


def test_a_new_round_opened_by_carrying_over_joins_the_series(world):
    client = viewer(world)
    column(client, world, 2024)
    SurveyRound.objects.filter(pk=world.round.pk).update(is_closed=True)
    open_round(world.org, 2025, world.version)
    assert column(client, world, 2025)["Alle Dienstleistungen"] == "5"


# --- an unchanged dashboard reads no assessment -----------------------------------------------------------------

# Session, user, the organisation (if visible), its rounds; the stamps of departments, OZG (plans and catalogue),
# EfA offers, IT projects and Rückfragen (the key figures' open questions, issue 17); the frame's membership check;
# the header's badges (issue 16).
MINIMAL_QUERIES = 11


def test_an_unchanged_dashboard_is_served_from_the_cache_with_a_fixed_number_of_queries(world):
    client = viewer(world)
    with CaptureQueriesContext(connection) as cold:
        first = client.get(dashboard_url(world)).content.decode()
    with CaptureQueriesContext(connection) as warm:
        second = client.get(dashboard_url(world)).content.decode()
    assert reads_records(cold) and not reads_records(warm)
    assert len(warm) == MINIMAL_QUERIES, [q["sql"] for q in warm]
    assert page_tables(first) == page_tables(second)

    # More rows, the same queries.
    entries = [factories.leika_entry(world.version, n, f"Leistung {n}") for n in range(10, 60)]
    Assessment.objects.bulk_create(
        Assessment(round=world.round, leika_entry=entry, department=world.dep) for entry in entries
    )
    client.get(dashboard_url(world))
    with CaptureQueriesContext(connection) as more:
        client.get(dashboard_url(world))
    assert len(more) == MINIMAL_QUERIES


def test_a_new_release_does_not_serve_what_an_older_one_kept(world, monkeypatch):
    client = viewer(world)
    client.get(dashboard_url(world))
    monkeypatch.setattr(figures, "code_stamp", lambda: "next-release")
    with CaptureQueriesContext(connection) as queries:
        client.get(dashboard_url(world))
    assert reads_records(queries)


def test_sections_are_kept_per_selection_and_for_print_apart(world):
    client = viewer(world)
    only_2024 = column(client, world, 2024, runden=world.round.pk)
    assert only_2024 == column(client, world, 2024)
    html = client.get(dashboard_url(world, runden=world.round.pk)).content.decode()
    assert "tabellen.xlsx?runden=" in html, "export links carry the selection"
    printed = client.get(reverse("dashboard_print", args=[world.org.pk])).content.decode()
    assert "als Excel-Datei" not in printed and "Hauptnavigation" not in printed


def test_every_member_sees_the_same_sections(world):
    """Nothing in a section depends on who looks, so one kept section serves everyone who may see the dashboard."""
    it_office = viewer(world).get(dashboard_url(world)).content.decode()
    reader = login(Client(), world.reader).get(dashboard_url(world))
    assert reader.status_code == 200
    assert page_tables(reader.content.decode()) == page_tables(it_office)


def test_edits_of_projects_and_departments_reach_a_kept_dashboard(world):
    client = viewer(world)
    client.get(dashboard_url(world))
    ITProject.objects.create(organisation=world.org, year=2023, title="Portal 2.0")
    world.dep.name = "Bürgerservice"
    world.dep.save()
    html = client.get(dashboard_url(world)).content.decode()
    assert page_tables(html)["projekte-2023"][-1][:2] == ["Summe", "1"]
    assert "A 12 Bürgerservice" in html


def implemented(client, w) -> str:
    rows = page_tables(client.get(dashboard_url(w)).content.decode())["ozg-quoten"]
    return next(row[1] for row in rows if row[0] == "umgesetzt")


def test_plan_edits_in_the_workspace_and_in_the_admin_reach_a_kept_dashboard(world):
    client = viewer(world)
    assert implemented(client, world) == "0"
    apply_plan_changes(world.it_office, world.org, [world.ozg], {"state": PlanState.UMGESETZT})
    assert implemented(client, world) == "1"

    plan = OzgPlan.objects.get(organisation=world.org, ozg_leistung=world.ozg)
    admin = login(Client(), factories.superuser())
    payload = {
        "organisation": world.org.pk,
        "ozg_leistung": world.ozg.pk,
        "responsible_kind": plan.responsible_kind,
        "responsible_department": "",
        "state": PlanState.NICHT_GEPLANT,
        "target_quarter": "",
        "maturity_level": "",
        "online_service_url": "",
        "efa_offer": "",
        "municipal_override": "",
        "municipal_reason": "",
        "note": "",
    }
    response = admin.post(reverse("admin:monitoring_ozgplan_change", args=[plan.pk]), payload)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert OzgPlan.objects.get(pk=plan.pk).version == plan.version + 1
    assert implemented(client, world) == "0"


# --- the key figures ------------------------------------------------------------------------------------------------


def tiles(client, w) -> dict[str, tuple[str, str]]:
    """The key figures as the page shows them: {name: (value, detail)}."""
    html = client.get(dashboard_url(w)).content.decode()
    found = re.findall(
        r'<p class="key-figure__name">([^<]+)</p>\s*<p class="key-figure__value">([^<]+)</p>\s*'
        r'<p class="key-figure__detail">([^<]+)</p>',
        html,
    )
    return {name: (value, detail) for name, value, detail in found}


def test_the_key_figures_open_the_dashboard_and_link_to_their_sections(world):
    client = viewer(world)
    html = client.get(dashboard_url(world)).content.decode()
    assert html.index('id="kennzahlen"') < html.index('id="jahresvergleich"')
    shown = tiles(client, world)
    # Focus 2023 (3 rows, 1 digital), no round before it; the open round 2024 has 5 rows, one confirmed.
    assert shown["Anteil digital 2023"] == ("33,3 %", "wie gemeldet: 1 von 3 Leistungen")
    assert shown["Offene Runde 2024: bestätigt"][1].startswith("1 von 5 Leistungen bestätigt")
    assert shown["OZG-Quote laut eigener Planung"][0] == "0,0 %"
    assert shown["OZG-Quote nach Zählregel des Bundes 2023"] == (
        "0,0 %",
        "0 von 1 online (mind. Stufe 2), 0 konform (mind. Stufe 3)",
    )
    assert shown["Offene Rückfragen"][0] == "1"  # the world's question to the Bürgeramt
    for target in ("#tabelle-status", "#tabelle-ozg-quoten", "#tabelle-ozg-zaehlregel-2023"):
        assert f'href="{target}"' in html and f'id="{target[1:]}"' in html
    assert f'href="{reverse("round_progress", args=[world.round.pk])}"' in html
    assert f'href="{reverse("questions")}"' in html


def test_the_key_figures_follow_rueckfragen_and_confirmations_of_a_kept_dashboard(world):
    client = viewer(world)
    assert tiles(client, world)["Offene Rückfragen"][0] == "1"
    question = Question.objects.create(assessment=world.rows[0], text="Stimmt der Status?", asked_by=world.it_office)
    assert tiles(client, world)["Offene Rückfragen"][0] == "2"
    Question.objects.filter(pk__in=[question.pk, world.question.pk]).update(answer="Ja.", answered_at=timezone.now())
    assert tiles(client, world)["Offene Rückfragen"][0] == "0"
    Question.objects.filter(pk=question.pk).delete()
    assert tiles(client, world)["Offene Rückfragen"][0] == "0"

    Assessment.objects.filter(pk=world.rows[0].pk).update(confirmed_at=timezone.now())
    assert tiles(client, world)["Offene Runde 2024: bestätigt"][1].startswith("2 von 5 Leistungen bestätigt")


def test_a_passed_deadline_counts_the_departments_overdue(world):
    SurveyRound.objects.filter(pk=world.round.pk).update(deadline=timezone.localdate() - datetime.timedelta(days=1))
    detail = tiles(viewer(world), world)["Offene Runde 2024: bestätigt"][1]
    assert "2 Organisationseinheiten überfällig" in detail


# --- warm(): what a background task calls after a round was closed or a catalogue changed ---------------------------


def test_after_warm_the_dashboard_runs_only_the_minimal_queries(world):
    client = viewer(world)
    built_in_the_request = page_tables(client.get(dashboard_url(world)).content.decode())
    cache.clear()
    figures.warm(world.org)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(dashboard_url(world))
    assert not reads_records(queries)
    assert len(queries) == MINIMAL_QUERIES
    assert page_tables(response.content.decode()) == built_in_the_request


def test_warm_twice_costs_no_figures(world):
    figures.warm(world.org)
    with CaptureQueriesContext(connection) as queries:
        figures.warm(world.org)
    assert not reads_records(queries)


def test_closing_a_round_prepares_its_dashboard_in_the_background(world, django_capture_on_commit_callbacks):
    """The close view queues warm() for after its commit (run at once by the tests' immediate task backend): the
    first person to open the dashboard afterwards reads no record."""
    client = viewer(world)
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post(reverse("round_close", args=[world.round.pk]))
    assert response.status_code == 302
    assert queued, "closing queued nothing"
    with CaptureQueriesContext(connection) as queries:
        client.get(dashboard_url(world))
    assert not reads_records(queries)
    assert len(queries) == MINIMAL_QUERIES


def test_without_the_background_warming_the_first_request_after_closing_computes_the_figures(world):
    """The counterpart: what the first reader would pay if nothing warmed the cache (commit callbacks not run)."""
    client = viewer(world)
    cache.clear()
    client.post(reverse("round_close", args=[world.round.pk]))
    with CaptureQueriesContext(connection) as queries:
        client.get(dashboard_url(world))
    assert reads_records(queries)


# --- long tables load on demand ------------------------------------------------------------------------------------


@pytest.fixture
def long_tables(carry_over_world, monkeypatch):  # noqa: F811
    """The carry-over world (2023 closed, 2024 open, six families with catalogue effects) with tables of more than
    two rows counted as long, and three IT projects in 2023."""
    monkeypatch.setattr(figures, "LONG_TABLE_ROWS", 2)
    org = carry_over_world["org"]
    for title in ("E-Akte", "Portal", "Terminvergabe"):
        ITProject.objects.create(organisation=org, year=2023, title=title)
    client = login(Client(), factories.it_office(org))
    return org, client


def table_url(org, slug, query="") -> str:
    return reverse("dashboard_table", args=[org.pk, slug]) + (f"?{query}" if query else "")


@pytest.mark.parametrize(
    "slug, noun, rows", [("katalogeffekte-2023-2024", "Leistungsfamilien", 6), ("projektliste-2023", "Projekte", 3)]
)
def test_a_long_table_is_a_link_on_the_page_and_complete_behind_it(long_tables, slug, noun, rows):
    org, client = long_tables
    html = client.get(reverse("dashboard", args=[org.pk])).content.decode()
    assert slug not in page_tables(html)
    link = re.search(rf'<a class="kern-link" href="([^"]+)" hx-get="([^"]+)"[^>]*>Alle {rows} {noun} anzeigen', html)
    assert link and link.group(1) == link.group(2) == table_url(org, slug)

    page = client.get(link.group(1))  # without JavaScript: a page of its own, in the frame
    content = page.content.decode()
    assert page.status_code == 200 and "Hauptnavigation" in content and "Zurück zur Auswertung" in content
    assert len(page_tables(content)[slug]) == rows + 1
    assert "autofocus" not in content

    fragment = client.get(link.group(1), **HTMX)  # htmx: the table alone, taking the focus
    content = fragment.content.decode()
    assert "<html" not in content and "autofocus" in content
    assert len(page_tables(content)[slug]) == rows + 1
    assert "HX-Request" in fragment["Vary"]

    printed = client.get(reverse("dashboard_print", args=[org.pk])).content.decode()
    assert len(page_tables(printed)[slug]) == rows + 1
    workbook = client.get(reverse("dashboard_xlsx", args=[org.pk]) + f"?tabelle={slug}").content
    sheet = openpyxl.load_workbook(io.BytesIO(workbook)).active
    assert sum(1 for row in sheet.iter_rows(values_only=True) if row[0] and row[1] is not None) >= rows


def test_the_full_table_link_keeps_the_selection(long_tables):
    org, client = long_tables
    focus = SurveyRound.objects.get(organisation=org, year=2023)
    html = client.get(reverse("dashboard", args=[org.pk]) + f"?runde={focus.pk}").content.decode()
    assert f'href="{table_url(org, "projektliste-2023", f"runde={focus.pk}")}"' in html
    assert client.get(table_url(org, "projektliste-2023", f"runde={focus.pk}")).status_code == 200


def test_unknown_tables_and_other_organisations_get_404(long_tables, carry_over_world):  # noqa: F811
    org, client = long_tables
    assert client.get(table_url(org, "katalogeffekte-1999-2000")).status_code == 404
    assert client.get(table_url(org, "status")).status_code == 404
    stranger = login(Client(), factories.person("stranger"))
    assert stranger.get(table_url(org, "projektliste-2023")).status_code == 404
