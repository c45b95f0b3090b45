"""Error pages under production settings (DEBUG off): 400, 403, the CSRF refusal, 404 and 500 show the application's
frame in German with a way back to the start page, and no technical detail."""

from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

TECHNICAL = ["Traceback", "Forbidden", "Not Found", "Bad Request", "Server Error", "CSRF", "Resolver404", "DEBUG"]


def assert_german_error_page(response, status: int, heading: str):
    assert response.status_code == status
    html = response.content.decode()
    assert '<html lang="de"' in html
    assert "kern/kern.min.css" in html, "the KERN frame"
    assert f'<h1 class="kern-heading-large">{heading}</h1>' in html
    assert '<a class="kern-link" href="/">Zur Startseite</a>' in html
    for word in TECHNICAL:
        assert word not in html, word
    return html


@pytest.fixture
def clerk():
    return get_user_model().objects.create_user("sr.a33", password="richtiges-kennwort-2026")


def test_an_unknown_address_gives_the_german_404_page(client):
    assert_german_error_page(client.get("/gibt-es-nicht/"), 404, "Seite nicht gefunden")


def test_a_record_out_of_sight_gives_the_german_404_page_without_djangos_english_reason(client, clerk):
    client.force_login(clerk)
    html = assert_german_error_page(client.get("/kataloge/999999/abgleich/"), 404, "Seite nicht gefunden")
    assert "matches the given query" not in html
    assert "Abmelden (sr.a33)" in html, "a signed-in user keeps the navigation"


def test_an_action_without_the_role_gives_the_german_403_page_with_its_reason(client, clerk):
    client.force_login(clerk)
    html = assert_german_error_page(client.post("/runden/", {"year": "2026"}), 403, "Keine Berechtigung")
    assert "Nur die IT-Steuerung eröffnet Erhebungsrunden." in html


def test_a_form_without_its_csrf_token_gives_the_german_403_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/anmelden/", {"username": "sr.a33", "password": "x"})
    html = assert_german_error_page(response, 403, "Formular abgelaufen")
    assert "Seite neu" in html


def test_an_unknown_host_gives_the_german_400_page(client):
    assert_german_error_page(client.get("/anmelden/", HTTP_HOST="angreifer.example"), 400, "Ungültige Anfrage")


def test_an_error_in_a_view_gives_the_german_500_page_without_its_message(client):
    client.raise_request_exception = False
    with mock.patch("pages.views.session_lifetime", side_effect=RuntimeError("geheime Einzelheit")):
        response = client.get("/datenschutz/")
    html = assert_german_error_page(response, 500, "Interner Fehler")
    assert "geheime Einzelheit" not in html and "RuntimeError" not in html
