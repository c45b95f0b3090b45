"""The overview at / shows each visible organisation's committee table and OZG figures, computed from the records."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from monitoring.choices import Status
from monitoring.models import Assessment, Organisation, SurveyRound

pytestmark = pytest.mark.django_db


def login(username):
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def table_rows(html, table_id):
    """The rows of one table as lists of cell texts (header cell first)."""
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert match, f"Tabelle {table_id} fehlt"
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", match.group(0), re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows.append(cells)
    return rows


def staedteregion_table(client):
    round_2023 = SurveyRound.objects.get(organisation__name="StädteRegion Aachen", year=2023)
    response = client.get("/")
    assert response.status_code == 200
    return table_rows(response.content.decode(), f"status-{round_2023.organisation_id}")


def test_anonymous_visitors_are_sent_to_the_german_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/anmelden/?next=/")
    login_page = client.get(response["Location"])
    assert "Anmelden" in login_page.content.decode()
    assert 'lang="de"' in login_page.content.decode()


def test_a_wrong_password_gives_a_german_message(client, demo):
    response = client.post("/anmelden/", {"username": "it.sr", "password": "falsch"})
    assert response.status_code == 200
    assert "nicht korrekt" in response.content.decode()


def test_a_demo_user_logs_in_with_the_form_and_lands_on_the_overview(client, demo):
    response = client.post("/anmelden/", {"username": "it.sr", "password": "demo"}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "StädteRegion Aachen" in response.content.decode()


def test_the_it_office_sees_the_committee_table_in_its_layout(demo):
    rows = staedteregion_table(login("it.sr"))
    assert rows[0] == ["Umsetzungsstatus", "2023", "2024", "2025"]
    body = {row[0]: row[1:3] for row in rows[1:]}
    assert list(body) == [
        "Analog",
        "Kein Optimierungspotenzial",
        "PDF",
        "Digital",
        "Projekt in Umsetzung",
        "Alle Dienstleistungen",
    ]
    assert body == {
        "Analog": ["125", "126"],
        "Kein Optimierungspotenzial": ["180", "199"],
        "PDF": ["218", "428"],
        "Digital": ["258", "283"],
        "Projekt in Umsetzung": ["54", "151"],
        "Alle Dienstleistungen": ["835", "1.187"],
    }


def test_the_table_says_which_catalogue_version_each_year_counts(demo):
    html = login("it.sr").get("/").content.decode()
    assert "LeiKa 2023 (Demo-Auszug)" in html
    assert "LeiKa 2024 (Demo-Auszug)" in html
    assert "vorläufig: 0 von 1.187 Leistungen bestätigt" in html


def test_the_table_changes_when_one_assessment_changes(demo):
    client = login("it.sr")
    before = {row[0]: row[3] for row in staedteregion_table(client)[1:]}
    assessment = Assessment.objects.filter(round__year=2025, status=Status.PDF).first()
    assessment.status = Status.DIGITAL
    assessment.save()
    after = {row[0]: row[3] for row in staedteregion_table(client)[1:]}
    assert int(after["PDF"]) == int(before["PDF"]) - 1
    assert int(after["Digital"]) == int(before["Digital"]) + 1
    assert after["Alle Dienstleistungen"] == before["Alle Dienstleistungen"]


def test_an_unreported_service_shows_as_nicht_gemeldet_not_as_analog(demo):
    client = login("it.sr")
    before = {row[0]: row[3] for row in staedteregion_table(client)[1:]}
    assert "nicht gemeldet" not in before
    assessment = Assessment.objects.filter(round__year=2025, status=Status.ANALOG).first()
    assessment.status = Status.NICHT_GEMELDET
    assessment.save()
    after = {row[0]: row[3] for row in staedteregion_table(client)[1:]}
    assert after["nicht gemeldet"] == "1"
    assert int(after["Analog"]) == int(before["Analog"]) - 1


def test_the_stadt_aachen_sees_its_ozg_figures_with_quotas(demo):
    client = login("it.ac")
    html = client.get("/").content.decode()
    org_id = (
        SurveyRound.objects.none()
        .model._meta.get_field("organisation")
        .related_model.objects.get(name="Stadt Aachen")
        .pk
    )
    rows = {row[0]: row[1:] for row in table_rows(html, f"ozg-{org_id}")[1:]}
    assert rows["OZG-Leistungen insgesamt"][0] == "575"
    assert rows["davon kommunal"][0] == "209"
    assert rows["umgesetzt"] == ["73", "34,9 %"]
    assert rows["kurzfristig geplant"] == ["22", "10,5 %"]
    assert rows["langfristig geplant"] == ["15", "7,2 %"]
    cumulative = {row[0]: row[1:] for row in table_rows(html, f"ozg-cumulative-{org_id}")[1:]}
    assert cumulative["umgesetzt oder geplant (kurz- und langfristig)"] == ["110", "52,6 %"]
    assert cumulative["umgesetzt oder kurzfristig geplant"] == ["95", "45,5 %"]


def test_nobody_sees_another_organisations_figures(demo):
    html = login("it.ac").get("/").content.decode()
    assert "Stadt Aachen" in html
    assert "StädteRegion Aachen" not in html
    html = login("sr.a33").get("/").content.decode()
    assert "StädteRegion Aachen" in html
    assert "Stadt Aachen" not in html


def test_a_user_without_organisation_is_told_so(demo):
    get_user_model().objects.create_user("ohne.zuordnung", password="x")
    html = login("ohne.zuordnung").get("/").content.decode()
    assert "keine Organisation zugeordnet" in html


def test_the_superuser_sees_every_organisation(demo):
    html = login("admin").get("/").content.decode()
    assert "Stadt Aachen" in html and "StädteRegion Aachen" in html


def test_the_overview_costs_the_same_queries_however_many_assessments(demo):
    client = login("admin")
    with CaptureQueriesContext(connection) as full:
        client.get("/")
    Assessment.objects.filter(round__year=2025).delete()
    with CaptureQueriesContext(connection) as emptied:
        client.get("/")
    assert len(full.captured_queries) == len(emptied.captured_queries)
    # Session, user, organisations, then one status table and one OZG table per organisation.
    assert len(full.captured_queries) <= 3 + 2 * Organisation.objects.count()
