"""The main pages pass axe-core without serious or critical violations, work with the keyboard, and load nothing
from other servers; the barrier report form shows its errors at the field and sends one mail."""

from urllib.parse import urlsplit

import pytest

from monitoring.choices import Status

from .. import factories
from .conftest import assert_accessible, login

# Browser tests need committed data (the live server runs in another thread); serialized_rollback restores the
# reference data of the migrations (maturity scales, Themenfelder) that the flush after each test removes.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

USERNAME = "it.muster"
PASSWORD = "ein-langes-Kennwort-1"


@pytest.fixture
def it_office():
    """An organisation with one open round of three assessments, and a user of its IT office."""
    organisation = factories.kreis("Musterkreis", regionalschluessel="053340000000", maturity_scale=factories.scale())
    user = factories.it_office(organisation, USERNAME, password=PASSWORD)
    department = factories.department(organisation, "A 32", "Ordnungsamt")
    version = factories.catalogue_version(source="FIM-Portal")
    round_2024 = factories.survey_round(organisation, 2024, version=version)
    for number, status in enumerate([Status.ANALOG, Status.PDF, Status.DIGITAL], start=1):
        factories.assessment(round_2024, factories.leika_entry(version, number), department, status=status)
    return user


def test_the_login_page_is_accessible(page, live_server):
    page.goto(f"{live_server.url}/anmelden/")
    assert page.title().startswith("Anmelden")
    assert_accessible(page)


def test_the_login_page_with_an_error_is_accessible(page, live_server, it_office):
    page.goto(f"{live_server.url}/anmelden/")
    page.get_by_label("Benutzername").fill(USERNAME)
    page.get_by_label("Passwort").fill("falsch")
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("alert").filter(has_text="nicht korrekt").wait_for()
    assert page.get_by_label("Passwort").get_attribute("aria-invalid") == "true"
    assert_accessible(page)


def test_the_overview_is_accessible(page, live_server, it_office):
    login(page, live_server, USERNAME, PASSWORD)
    assert page.get_by_role("heading", name="Übersicht", level=1).is_visible()
    assert page.locator("table.kern-table").first.is_visible()
    assert_accessible(page)


def test_the_catalogues_page_is_accessible(page, live_server, it_office):
    login(page, live_server, USERNAME, PASSWORD)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Kataloge").click()
    page.get_by_role("heading", name="Katalogversionen", level=1).wait_for()
    assert page.get_by_role("link", name="LeiKa 2024").is_visible()
    assert_accessible(page)


@pytest.mark.parametrize(
    ("path", "heading"), [("/barrierefreiheit/", "Erklärung zur Barrierefreiheit"), ("/datenschutz/", "Datenschutz")]
)
def test_the_public_pages_are_accessible_without_login(page, live_server, path, heading):
    page.goto(f"{live_server.url}{path}")
    assert urlsplit(page.url).path == path, "no redirect to the login page"
    assert page.get_by_role("heading", name=heading, level=1).is_visible()
    assert_accessible(page)


def test_the_footer_links_to_both_pages(page, live_server):
    page.goto(f"{live_server.url}/anmelden/")
    footer = page.get_by_role("contentinfo")
    footer.get_by_role("link", name="Barrierefreiheit").click()
    page.get_by_role("heading", name="Erklärung zur Barrierefreiheit", level=1).wait_for()
    page.get_by_role("contentinfo").get_by_role("link", name="Datenschutz").click()
    page.get_by_role("heading", name="Datenschutz", level=1).wait_for()


@pytest.mark.parametrize("path", ["/anmelden/", "/barrierefreiheit/"])
def test_the_first_tab_reaches_the_visibly_focused_skip_link(page, live_server, path):
    page.goto(f"{live_server.url}{path}")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => {
            const el = document.activeElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
            return {text: el.textContent.trim(), href: el.getAttribute('href'), outline: style.outlineStyle,
                    outlineWidth: parseFloat(style.outlineWidth), left: box.left, top: box.top, width: box.width};
        }"""
    )
    assert focused["text"] == "Zum Inhalt springen"
    assert focused["href"] == "#inhalt"
    assert focused["outline"] != "none" and focused["outlineWidth"] >= 2, focused
    assert focused["left"] >= 0 and focused["top"] >= 0 and focused["width"] > 0, "the focused skip link is on screen"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "inhalt"


def test_the_pages_load_nothing_from_other_servers(page, live_server, it_office):
    own = urlsplit(live_server.url).netloc
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    login(page, live_server, USERNAME, PASSWORD)
    page.goto(f"{live_server.url}/barrierefreiheit/")
    page.wait_for_load_state("networkidle")
    assert requests
    foreign = [url for url in requests if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != own]
    assert foreign == []
    assert any("/static/kern/" in url for url in requests), "KERN is served by the application"


def test_the_report_form_shows_german_errors_at_the_field(page, live_server, mailoutbox):
    page.goto(f"{live_server.url}/barrierefreiheit/")
    page.get_by_label("Adresse der Seite").fill("/kataloge/")
    page.get_by_label("Ihre E-Mail-Adresse").fill("keine-adresse")
    page.get_by_role("button", name="Meldung absenden").click()

    description = page.get_by_label("Beschreibung der Barriere")
    description.wait_for()
    error = page.locator("#id_description-error")
    assert error.inner_text().strip() == "Bitte beschreiben Sie die Barriere."
    assert description.get_attribute("aria-invalid") == "true"
    assert "id_description-error" in description.get_attribute("aria-describedby").split()
    assert "gültige E-Mail-Adresse" in page.locator("#id_email-error").inner_text()
    assert page.get_by_label("Adresse der Seite").input_value() == "/kataloge/", "what was typed stays"
    assert page.title().startswith("Fehler:")
    assert mailoutbox == []
    assert_accessible(page)


def test_the_report_form_sends_one_mail_and_confirms_in_german(page, live_server, mailoutbox, settings):
    settings.ACCESSIBILITY_CONTACT_EMAIL = "barrierefreiheit@musterkreis.example"
    page.goto(f"{live_server.url}/kataloge/")  # not logged in: the login page, whose footer offers the report
    page.get_by_role("contentinfo").get_by_role("link", name="Barriere melden").click()
    assert page.get_by_label("Adresse der Seite").input_value() == "/anmelden/"
    page.get_by_label("Beschreibung der Barriere").fill("Der Fokus ist auf dem Anmeldeknopf kaum zu sehen.")
    page.get_by_label("Ihre E-Mail-Adresse").fill("melder@example.org")
    page.get_by_role("button", name="Meldung absenden").click()

    confirmation = page.get_by_role("status").filter(has_text="Vielen Dank")
    confirmation.wait_for()
    assert "Ihre Meldung ist eingegangen" in confirmation.inner_text()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["barrierefreiheit@musterkreis.example"]
    assert "/anmelden/" in mail.body and "melder@example.org" in mail.body
    assert "kaum zu sehen" in mail.body
    assert_accessible(page)
