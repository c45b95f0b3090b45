"""The public pages: accessibility statement with its report form, privacy notice, and the German logout notice."""

import smtplib

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

REPORT = {"page": "/kataloge/", "description": "Die Tabelle lässt sich nicht mit der Tastatur scrollen.", "email": ""}


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/barrierefreiheit/", "Stand der Vereinbarkeit mit den Anforderungen"),
        ("/barrierefreiheit/", "Nicht barrierefreie Inhalte"),
        ("/barrierefreiheit/", "Erstellung dieser Erklärung zur Barrierefreiheit"),
        ("/barrierefreiheit/", "Feedback und Kontaktangaben"),
        ("/barrierefreiheit/", "Durchsetzungsverfahren"),
        ("/barrierefreiheit/", "Ombudsstelle für barrierefreie Informationstechnik"),
        ("/datenschutz/", "alten und dem neuen Wert"),
        ("/datenschutz/", "Keine Dritten, kein Tracking"),
        ("/datenschutz/", "Speicherdauer"),
    ],
)
def test_anonymous_visitors_read_the_public_pages(client, path, text):
    response = client.get(path)
    assert response.status_code == 200
    assert text in response.content.decode()


def test_every_page_links_to_both_public_pages_in_its_footer(client):
    html = client.get("/anmelden/").content.decode()
    footer = html[html.index("<footer") :]
    assert 'href="/barrierefreiheit/"' in footer and 'href="/datenschutz/"' in footer


def test_the_statement_names_the_contact_address_from_the_settings(client, settings):
    settings.ACCESSIBILITY_CONTACT_EMAIL = "barrierefreiheit@kreis.example"
    assert 'href="mailto:barrierefreiheit@kreis.example"' in client.get("/barrierefreiheit/").content.decode()


def test_the_privacy_page_states_the_session_lifetime_from_the_settings(client, settings):
    settings.SESSION_COOKIE_AGE = 3 * 86400
    assert "spätestens aber nach 3 Tagen" in client.get("/datenschutz/").content.decode()


def test_a_valid_report_sends_one_mail_and_redirects_to_a_german_confirmation(client, mailoutbox, settings):
    settings.ACCESSIBILITY_CONTACT_EMAIL = "barrierefreiheit@kreis.example"
    response = client.post("/barrierefreiheit/", {**REPORT, "email": "melder@example.org"})
    assert response.status_code == 302
    assert response["Location"] == "/barrierefreiheit/#meldung"
    assert len(mailoutbox) == 1
    sent = mailoutbox[0]
    assert sent.to == ["barrierefreiheit@kreis.example"]
    assert "Seite: /kataloge/" in sent.body and "melder@example.org" in sent.body
    assert "Konto: nicht angemeldet" in sent.body
    page = client.get(response["Location"]).content.decode()
    assert "Vielen Dank, Ihre Meldung ist eingegangen." in page


def test_a_report_needs_page_and_description_and_says_so_in_german(client, mailoutbox):
    response = client.post("/barrierefreiheit/", {"page": "", "description": "", "email": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bitte geben Sie an, auf welcher Seite Sie die Barriere gefunden haben." in html
    assert "Bitte beschreiben Sie die Barriere." in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="id_description-hint id_description-error"' in html
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("page", "x" * 501, "höchstens 500 Zeichen"),
        ("description", "x" * 5001, "höchstens 5000 Zeichen"),
        ("email", "keine-adresse", "Bitte geben Sie eine gültige E-Mail-Adresse an"),
        ("page", "/kataloge/\r\nBcc: alle@example.org", "keine Zeilenumbrüche"),
    ],
)
def test_a_report_is_refused_with_a_german_message(client, mailoutbox, field, value, message):
    response = client.post("/barrierefreiheit/", {**REPORT, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert mailoutbox == []


def test_the_fields_carry_their_maximum_length(client):
    html = client.get("/barrierefreiheit/").content.decode()
    assert 'maxlength="500"' in html and 'maxlength="5000"' in html and 'maxlength="254"' in html


def test_the_page_address_is_prefilled_from_the_footer_link(client):
    assert 'value="/kataloge/"' in client.get("/barrierefreiheit/?seite=/kataloge/").content.decode()


def test_a_failing_mail_server_keeps_the_report_and_names_the_address(client, monkeypatch, settings):
    settings.ACCESSIBILITY_CONTACT_EMAIL = "barrierefreiheit@kreis.example"

    def refuse(*args, **kwargs):
        raise smtplib.SMTPConnectError(421, "nicht erreichbar")

    monkeypatch.setattr("pages.views.send_mail", refuse)
    response = client.post("/barrierefreiheit/", REPORT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "konnte gerade nicht versendet werden" in html and "barrierefreiheit@kreis.example" in html
    assert "Die Tabelle lässt sich nicht mit der Tastatur scrollen." in html


def test_a_logged_in_reporter_is_named_in_the_mail(client, mailoutbox):
    client.force_login(get_user_model().objects.create_user("sr.a33", password="x"))
    client.post("/barrierefreiheit/", REPORT)
    assert "Konto: sr.a33" in mailoutbox[0].body


def test_logging_out_shows_a_german_notice_on_the_login_page(client):
    client.force_login(get_user_model().objects.create_user("sr.a33", password="x"))
    response = client.post("/abmelden/", follow=True)
    assert response.redirect_chain[-1][0] == "/anmelden/"
    assert "Sie sind abgemeldet." in response.content.decode()


def test_after_five_reports_in_an_hour_a_sixth_is_refused_with_429_and_not_mailed(client, mailoutbox):
    for _ in range(5):
        assert client.post("/barrierefreiheit/", REPORT, REMOTE_ADDR="192.0.2.10").status_code == 302
    response = client.post("/barrierefreiheit/", REPORT, REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    html = response.content.decode()
    assert "in der letzten Stunde schon 5 Meldungen" in html
    assert REPORT["description"] in html, "what was typed stays in the form"
    assert len(mailoutbox) == 5
    # Another address is not affected.
    assert client.post("/barrierefreiheit/", REPORT, REMOTE_ADDR="198.51.100.7").status_code == 302
    assert len(mailoutbox) == 6


def test_behind_the_proxy_the_limit_counts_the_forwarded_client_address(client, mailoutbox, settings):
    settings.BEHIND_PROXY = True
    for n in range(5):
        client.post("/barrierefreiheit/", REPORT, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 192.0.2.99")
    assert client.post("/barrierefreiheit/", REPORT, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429
    assert client.post("/barrierefreiheit/", REPORT, HTTP_X_FORWARDED_FOR="192.0.2.5").status_code == 302
    assert len(mailoutbox) == 6


def test_a_signed_in_reporter_counts_per_account_not_per_shared_office_address(client, mailoutbox):
    for _ in range(5):
        client.post("/barrierefreiheit/", REPORT, REMOTE_ADDR="192.0.2.10")
    client.force_login(get_user_model().objects.create_user("sr.a33", password="x"))
    assert client.post("/barrierefreiheit/", REPORT, REMOTE_ADDR="192.0.2.10").status_code == 302
    assert len(mailoutbox) == 6


def test_refused_forms_do_not_count_against_the_limit(client, mailoutbox):
    for _ in range(10):
        client.post("/barrierefreiheit/", {**REPORT, "description": ""})
    assert client.post("/barrierefreiheit/", REPORT).status_code == 302
    assert len(mailoutbox) == 1


def test_the_privacy_page_names_the_count_of_reports_per_address(client):
    assert "höchstens 5 je Stunde" in client.get("/datenschutz/").content.decode()
