"""A NUL character, which PostgreSQL cannot store in text, gives the German 400 page wherever it comes in (address,
query parameter, cookie, header, form field), never a 500; the rest of the request is not processed."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from leika.models import CatalogueVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(client):
    user = get_user_model().objects.create_user("sr.a33", password="richtiges-kennwort-2026")
    client.force_login(user)
    return user


@pytest.fixture
def version():
    return CatalogueVersion.objects.create(name="LeiKa 2024", valid_from=date(2024, 1, 1), source="FIM-Portal")


def assert_refused(response, where: str):
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ungültige Anfrage" in html
    assert f"Die Anfrage enthält {where} ein Nullzeichen." in html
    assert "Zur Startseite" in html


def test_the_crosswalk_export_with_a_nul_in_its_search_gives_400(client, clerk, version):
    """The case of the issue: `?q=vor%00nach` reached `icontains` and PostgreSQL refused the query."""
    client.raise_request_exception = False
    response = client.get(f"/kataloge/{version.pk}/abgleich.xlsx?q=vor%00nach")
    assert_refused(response, "in einem Parameter der Adresse")
    assert client.get(f"/kataloge/{version.pk}/abgleich.xlsx?q=vor").status_code == 200


@pytest.mark.parametrize("path", ["/kataloge/%00/", "/leistungen/%00", "/gibt%00es-nicht/"])
def test_a_nul_in_the_address_gives_400(client, clerk, path):
    assert_refused(client.get(path), "in der Adresse")


def test_a_nul_in_a_parameter_name_gives_400(client, clerk):
    assert_refused(client.get("/leistungen/?st%00atus=analog"), "in einem Parameter der Adresse")


def test_a_nul_in_a_form_field_gives_400_and_nothing_is_sent(client, mailoutbox):
    response = client.post(
        "/barrierefreiheit/", {"page": "/kataloge/", "description": "Kontrast\x00zu schwach", "email": ""}
    )
    assert_refused(response, "in einem Formularfeld")
    assert mailoutbox == []


def test_a_nul_in_the_user_name_of_a_login_gives_400_and_no_failed_attempt_is_stored(client):
    from axes.models import AccessAttempt

    response = client.post("/anmelden/", {"username": "nutzer\x00", "password": "x"})
    assert_refused(response, "in einem Formularfeld")
    assert not AccessAttempt.objects.exists()


def test_nul_bytes_inside_an_uploaded_file_are_left_to_the_import(client, clerk):
    upload = SimpleUploadedFile("katalog\x00.csv", b"Schl\x00ssel;Name\n", content_type="text/csv")
    assert client.post("/importe/", {"datei": upload}).status_code == 403, "refused for the role, not for the bytes"


def test_a_nul_in_the_user_agent_of_a_failed_login_gives_400(client):
    response = client.post("/anmelden/", {"username": "sr.a33", "password": "x"}, HTTP_USER_AGENT="Browser\x00")
    assert_refused(response, "in einer Kopfzeile")


def test_a_nul_in_the_session_cookie_gives_400(client):
    client.raise_request_exception = False
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"  # quoted in the header as \\000, unquoted by Django
    assert_refused(client.get("/leistungen/"), "in einem Cookie")
