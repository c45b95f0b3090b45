"""The error pages as a browser sees them from gunicorn with the production settings (DEBUG off): 404, 403 and the
CSRF refusal in German, in the KERN frame, with a link to the start page, accessible, at desktop and phone width."""

import pytest

from ..test_production import gunicorn_server, manage, production_environment
from .conftest import assert_accessible, login, screenshot

USERNAME = "sr.a33"
PASSWORD = "ein-langes-Kennwort-1"
WIDTHS = (1280, 390)

# A member of the organisation sees its round but, not being its IT office, may not close it (403).
SETUP = f"""
from datetime import date
from django.contrib.auth import get_user_model
from leika.models import CatalogueVersion
from monitoring.choices import OrganisationKind, OrganisationRole
from monitoring.models import Membership, Organisation, SurveyRound
from ozg.models import MaturityScale
scale = MaturityScale.objects.get(code="ozg-2-0")
organisation = Organisation.objects.create(
    name="Musterkreis", kind=OrganisationKind.KREIS, regionalschluessel="053340000000", maturity_scale=scale
)
user = get_user_model().objects.create_user("{USERNAME}", password="{PASSWORD}")
Membership.objects.create(user=user, organisation=organisation, role=OrganisationRole.MITARBEIT)
version = CatalogueVersion.objects.create(name="LeiKa 2024", valid_from=date(2024, 1, 1))
survey = SurveyRound.objects.create(
    organisation=organisation, year=2024, catalogue_version=version, maturity_scale=scale
)
print(survey.pk)
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """gunicorn with the production settings, over plain HTTP on 127.0.0.1; yields its address and the round's id."""
    tmp_path = tmp_path_factory.mktemp("production")
    env = production_environment(tmp_path, ALLOWED_HOSTS="127.0.0.1", DJANGO_HTTPS="0")
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    round_pk = int(manage(env, "shell", "--no-imports", "-c", SETUP).stdout.split()[-1])
    with gunicorn_server(env, tmp_path / "gunicorn.log") as base:
        yield base, round_pk


class Server:
    """What login() expects of pytest-django's live_server."""

    def __init__(self, url):
        self.url = url


def assert_german_error_page(page, heading: str):
    assert page.evaluate("() => document.documentElement.lang") == "de"
    assert page.get_by_role("heading", name=heading, level=1).is_visible()
    back = page.get_by_role("main").get_by_role("link", name="Zur Startseite")
    assert back.get_attribute("href") == "/"
    text = page.inner_text("body")
    for word in ("Not Found", "Forbidden", "Traceback", "CSRF", "DEBUG"):
        assert word not in text, word
    assert page.evaluate("() => getComputedStyle(document.body).fontFamily").startswith('"Fira Sans"'), "KERN"
    assert_accessible(page)


def test_an_unknown_address_shows_the_german_404_page(page, production):
    base, _ = production
    response = page.goto(f"{base}/gibt-es-nicht/")
    assert response.status == 404
    assert page.title() == "Seite nicht gefunden – Digitalisierungsmonitor"
    assert_german_error_page(page, "Seite nicht gefunden")
    for width in WIDTHS:
        screenshot(page, "fehler-404", width)
    page.get_by_role("main").get_by_role("link", name="Zur Startseite").click()
    page.get_by_role("heading", name="Anmelden", level=1).wait_for()


def test_an_action_without_the_role_shows_the_german_403_page_with_its_reason(page, production):
    base, round_pk = production
    login(page, Server(base), USERNAME, PASSWORD)
    response = page.goto(f"{base}/runden/{round_pk}/abschliessen/")
    assert response.status == 403
    assert_german_error_page(page, "Keine Berechtigung")
    assert page.get_by_text("Nur die IT-Steuerung der Organisation verwaltet ihre Erhebungsrunden.").is_visible()
    assert page.get_by_role("navigation", name="Hauptnavigation").is_visible(), "still signed in, with navigation"
    for width in WIDTHS:
        screenshot(page, "fehler-403", width)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("main").get_by_role("link", name="Zur Startseite").click()
    page.get_by_role("heading", name="Übersicht", level=1).wait_for()


def test_a_form_sent_without_its_csrf_cookie_shows_the_german_403_page(page, production):
    base, _ = production
    page.goto(f"{base}/anmelden/")
    page.context.clear_cookies()
    page.get_by_label("Benutzername").fill(USERNAME)
    page.get_by_label("Passwort").fill(PASSWORD)
    with page.expect_response(lambda response: response.request.method == "POST") as sent:
        page.get_by_role("button", name="Anmelden").click()
    assert sent.value.status == 403
    assert_german_error_page(page, "Formular abgelaufen")
    screenshot(page, "fehler-403-csrf", 390)
