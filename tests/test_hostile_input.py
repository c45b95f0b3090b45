"""Hostile input on every form and upload: markup shows as text, over-long and malformed values are refused with a
German message (never a 500), upload names cannot escape the upload folder, and huge or disguised files are refused.

Forms covered: login, barrier report, assessment detail, row edit (htmx), confirm, bulk edit, column choice,
Rückfrage and answer, open round, deadline, import (file and mapping); plus the list's query parameters.
"""

import io
import zipfile

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leika.models import CatalogueVersion
from monitoring.models import Question, SurveyRound

from . import factories
from .helpers import HTMX, detail_form_data, row_form_data, state
from .test_import_commands import V1, fim_csv

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
MARKUP = f'{SCRIPT}<b onmouseover="alert(2)">fett</b><img src=x onerror=alert(3)>'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
TOO_LONG = "höchstens"  # Django's German max_length message: "… aus höchstens 2000 Zeichen besteht"
HUGE_INT = "9" * 30
MALFORMED_NUMBERS = ["abc", "-1", "0", "1.5", HUGE_INT, "1e9", "", "٣"]


@pytest.fixture
def world():
    return factories.workspace_world()


def assert_shown_as_text(response):
    html = response.content.decode()
    assert SCRIPT not in html
    assert "<b onmouseover" not in html and "<img src=x" not in html
    assert ESCAPED in html


def assert_refused(response, message: str):
    assert response.status_code in (200, 400, 422), response.status_code
    assert message in response.content.decode()


# --- public forms --------------------------------------------------------------------------------------------------


def test_login_shows_a_hostile_user_name_as_text(client):
    response = client.post("/anmelden/", {"username": MARKUP, "password": "x"})
    assert response.status_code == 200
    assert_shown_as_text(response)


# A NUL character in the name is refused before the login for the whole site (tests/test_unstorable_input.py).
@pytest.mark.parametrize("username", ["a" * 10_000, "\ud800"[:0] + "ü" * 200])
def test_login_survives_over_long_and_odd_user_names(client, username):
    response = client.post("/anmelden/", {"username": username, "password": "x" * 5000})
    assert response.status_code == 200
    assert "nicht korrekt" in response.content.decode()


def test_login_refuses_a_next_address_on_another_site(client, django_user_model):
    django_user_model.objects.create_user("sr.a33", password="richtiges-kennwort-2026")
    response = client.post(
        "/anmelden/?next=//angreifer.example/",
        {"username": "sr.a33", "password": "richtiges-kennwort-2026", "next": "https://angreifer.example/"},
    )
    assert response.status_code == 302
    assert "angreifer" not in response["Location"]


BARRIER = {"page": "/kataloge/", "description": "Der Kontrast ist zu schwach.", "email": ""}


def test_a_barrier_report_with_markup_is_shown_as_text_and_mailed_as_plain_text(client):
    response = client.post("/barrierefreiheit/", {**BARRIER, "description": MARKUP, "email": "kein-mail"})
    assert_shown_as_text(response)  # the refused form shows the text again, escaped
    client.post("/barrierefreiheit/", {**BARRIER, "description": MARKUP})
    (message,) = mail.outbox
    assert SCRIPT in message.body and not message.alternatives  # text only: no mail client renders it as HTML


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", "x" * 5001, TOO_LONG),
        ("page", "x" * 501, TOO_LONG),
        ("page", "/seite\r\nBcc: alle@example.org", "Zeilenumbrüche"),
        ("description", "Text\x00mit Nullzeichen", "Null"),
        ("email", "a@b\r\nBcc: x@example.org", "gültige E-Mail-Adresse"),
    ],
)
def test_a_barrier_report_refuses_over_long_and_malformed_values(client, field, value, message):
    response = client.post("/barrierefreiheit/", {**BARRIER, field: value})
    assert_refused(response, message)
    assert not mail.outbox


# --- assessment detail, row and confirm ----------------------------------------------------------------------------


def test_markup_in_a_justification_is_stored_as_typed_and_shown_as_text_everywhere(client, world):
    row = world.rows[0]
    client.force_login(world.editor)
    response = client.post(
        reverse("assessment_detail", args=[row.pk]),
        detail_form_data(row, justification=MARKUP, comment=MARKUP),
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.justification == MARKUP
    assert_shown_as_text(client.get(reverse("assessment_detail", args=[row.pk])))  # values and history
    assert_shown_as_text(client.get(reverse("assessment_row_edit", args=[row.pk]), **HTMX))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"justification": "x" * 2001}, TOO_LONG),
        ({"comment": "x" * 2001}, TOO_LONG),
        ({"justification": "mit\x00Nullzeichen"}, "Null"),
        ({"status": "gehackt"}, "gültige"),
        ({"status": SCRIPT}, "gültige"),
        ({"maturity_level": "abc"}, "gültige"),
        ({"maturity_level": HUGE_INT}, "gültige"),
        ({"efa_offer": "-1"}, "gültige"),
        ({"it_project": "1 OR 1=1"}, "gültige"),
        ({"online_service_url": "javascript:alert(1)"}, "gültige Adresse"),
        ({"online_service_url": "https://example.de/" + "a" * 2000}, TOO_LONG),
    ],
)
def test_the_detail_form_refuses_over_long_and_malformed_values(client, world, values, message):
    row = world.rows[0]
    client.force_login(world.editor)
    before = state()
    response = client.post(reverse("assessment_detail", args=[row.pk]), detail_form_data(row, **values))
    assert_refused(response, message)
    assert state() == before


@pytest.mark.parametrize("version", MALFORMED_NUMBERS)
def test_the_detail_form_refuses_a_malformed_version(client, world, version):
    row = world.rows[0]
    client.force_login(world.editor)
    before = state()
    response = client.post(
        reverse("assessment_detail", args=[row.pk]), detail_form_data(row, status="digital", version=version)
    )
    assert response.status_code in (200, 409)
    assert state() == before


def test_the_row_form_shows_markup_as_text_and_refuses_over_long_text(client, world):
    row = world.rows[0]
    client.force_login(world.editor)
    url = reverse("assessment_row", args=[row.pk])
    before = state()
    response = client.post(url, row_form_data(row, justification=MARKUP + "x" * 2001), **HTMX)
    assert_refused(response, TOO_LONG)
    assert_shown_as_text(response)
    assert state() == before


@pytest.mark.parametrize("version", MALFORMED_NUMBERS)
def test_the_row_form_refuses_a_malformed_version(client, world, version):
    row = world.rows[0]
    client.force_login(world.editor)
    before = state()
    response = client.post(
        reverse("assessment_row", args=[row.pk]), row_form_data(row, status="digital", version=version), **HTMX
    )
    assert response.status_code == 200
    assert state() == before


@pytest.mark.parametrize("version", MALFORMED_NUMBERS)
def test_confirming_with_a_malformed_version_changes_nothing(client, world, version):
    row = world.rows[0]
    client.force_login(world.editor)
    before = state()
    response = client.post(reverse("assessment_confirm", args=[row.pk]), {"version": version}, **HTMX)
    assert response.status_code in (200, 400)
    assert state() == before


@pytest.mark.parametrize("pk", ["abc", HUGE_INT, "-1"])
def test_malformed_ids_in_addresses_are_not_found(client, world, pk):
    client.force_login(world.editor)
    assert client.get(f"/bewertungen/{pk}/").status_code == 404


# --- bulk edit and columns -----------------------------------------------------------------------------------------


def bulk(client, **data):
    return client.post(reverse("bulk_edit"), {"sammel-scope": "auswahl", "sammel-action": "setzen", **data})


def test_bulk_edit_refuses_over_long_text_and_shows_markup_as_text(client, world):
    client.force_login(world.editor)
    row = world.rows[0]
    before = state()
    response = bulk(client, auswahl=[f"{row.pk}:{row.version}"], **{"sammel-justification": MARKUP + "x" * 2001})
    assert_refused(response, TOO_LONG)
    assert_shown_as_text(response)
    assert state() == before


def test_bulk_edit_stores_markup_as_typed(client, world):
    client.force_login(world.editor)
    row = world.rows[0]
    response = bulk(client, auswahl=[f"{row.pk}:{row.version}"], **{"sammel-justification": MARKUP})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.justification == MARKUP
    assert_shown_as_text(client.get(reverse("assessment_detail", args=[row.pk])))


@pytest.mark.parametrize(
    "selection", [["x"], ["1:abc"], [f"{HUGE_INT}:1"], [f"1:{HUGE_INT}"], ["1:1:1"], ["٣:1"], ["-1:1"]]
)
def test_bulk_edit_refuses_a_malformed_selection(client, world, selection):
    client.force_login(world.editor)
    before = state()
    response = bulk(client, auswahl=selection, **{"sammel-status": "digital"})
    assert response.status_code in (400, 404)
    assert state() == before


@pytest.mark.parametrize(
    "data",
    [
        {"sammel-status": "gehackt"},
        {"sammel-maturity_level": "abc"},
        {"sammel-maturity_level": HUGE_INT},
        {"sammel-scope": SCRIPT, "sammel-status": "digital"},
        {"sammel-action": "loeschen", "sammel-status": "digital"},
        {"sammel-comment": "x" * 2001, "sammel-status": "digital"},
    ],
)
def test_bulk_edit_refuses_malformed_values(client, world, data):
    client.force_login(world.editor)
    row = world.rows[0]
    before = state()
    response = bulk(client, auswahl=[f"{row.pk}:{row.version}"], **data)
    assert response.status_code in (200, 302)
    assert SCRIPT not in response.content.decode()
    assert state() == before


@pytest.mark.parametrize(
    "data",
    [
        {"sammel-filter": "status=<script>&q=" + "x" * 5000, "sammel-seen_at": "2026-01-01T00:00:00+00:00"},
        {"sammel-filter": "", "sammel-seen_at": "gestern"},
        {"sammel-filter": "einheit=" + HUGE_INT, "sammel-seen_at": "2026-01-01T00:00:00+00:00"},
    ],
)
def test_bulk_edit_of_all_matches_refuses_a_malformed_filter_or_time(client, world, data):
    client.force_login(world.editor)
    before = state()
    response = client.post(
        reverse("bulk_edit"),
        {
            "sammel-scope": "alle",
            "sammel-action": "setzen",
            "sammel-status": "digital",
            "sammel-confirmed": "on",
            **data,
        },
    )
    assert response.status_code in (200, 302)
    assert state() == before


@pytest.mark.parametrize(
    "data",
    [
        {"spalten-columns": [SCRIPT, "password"]},
        {"spalten-columns": ["name"], "next": "//angreifer.example/"},
        {"spalten-columns": ["name"], "next": "javascript:alert(1)"},
    ],
)
def test_the_column_choice_refuses_unknown_columns_and_foreign_addresses(client, world, data):
    client.force_login(world.editor)
    response = client.post(reverse("my_services_columns"), data)
    assert response.status_code in (200, 302, 400)
    if response.status_code == 302:
        assert response["Location"].startswith("/")
        assert not response["Location"].startswith("//")


@pytest.mark.parametrize(
    "query",
    [
        f"q={SCRIPT}",
        "q=" + "x" * 10_000,
        "q=%00",
        "pro_seite=abc",
        f"pro_seite={HUGE_INT}",
        "page=abc",
        f"page={HUGE_INT}",
        "page=-1",
        f"sort={SCRIPT}",
        "sort=-password",
        "status=gehackt",
        f"einheit={HUGE_INT}",
        f"runde={HUGE_INT}",
        "runde=abc",
        "reifegrad=abc",
        f"geaendert={SCRIPT}",
    ],
)
def test_the_list_survives_hostile_query_parameters(client, world, query):
    client.force_login(world.editor)
    response = client.get(reverse("my_services") + "?" + query)
    assert response.status_code in (200, 400, 404)
    assert SCRIPT not in response.content.decode()


# --- Rückfragen ----------------------------------------------------------------------------------------------------


def test_a_question_and_its_answer_with_markup_show_as_text(client, world):
    row = world.rows[0]
    client.force_login(world.it_office)
    assert client.post(reverse("question_ask", args=[row.pk]), {"text": MARKUP}).status_code == 302
    question = Question.objects.get(assessment=row)
    assert question.text == MARKUP
    assert_shown_as_text(client.get(reverse("questions")))
    client.force_login(world.editor)
    assert_shown_as_text(client.get(reverse("assessment_detail", args=[row.pk])))
    answer = client.post(reverse("question_answer", args=[question.pk]), {f"antwort-{question.pk}-answer": MARKUP})
    assert answer.status_code == 302
    assert_shown_as_text(client.get(reverse("questions") + "?alle=1"))


def test_over_long_questions_and_answers_are_refused_in_german(client, world):
    row = world.rows[0]
    client.force_login(world.it_office)
    count = Question.objects.count()
    assert_refused(client.post(reverse("question_ask", args=[row.pk]), {"text": "x" * 2001}), TOO_LONG)
    assert Question.objects.count() == count
    client.force_login(world.editor)
    question = world.question
    response = client.post(
        reverse("question_answer", args=[question.pk]), {f"antwort-{question.pk}-answer": "y" * 2001}
    )
    assert_refused(response, TOO_LONG)
    question.refresh_from_db()
    assert question.answer == ""


# --- rounds --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"year": "abc"},
        {"year": HUGE_INT},
        {"year": SCRIPT},
        {"organisation": HUGE_INT},
        {"catalogue_version": "abc"},
        {"maturity_scale": "-1"},
        {"deadline": "31.02.2026"},
        {"deadline": SCRIPT},
    ],
)
def test_opening_a_round_refuses_malformed_values(client, world, data):
    client.force_login(world.it_office)
    rounds = SurveyRound.objects.count()
    form = {"organisation": world.org.pk, "year": 2030, "catalogue_version": world.version.pk, **data}
    response = client.post(reverse("rounds"), form)
    assert response.status_code == 200
    assert SCRIPT not in response.content.decode()
    assert SurveyRound.objects.count() == rounds


@pytest.mark.parametrize("deadline", ["abc", "2026-13-45", HUGE_INT, SCRIPT, "9999-12-31T99"])
def test_the_deadline_form_refuses_malformed_dates(client, world, deadline):
    client.force_login(world.it_office)
    response = client.post(reverse("round_deadline", args=[world.round.pk]), {"deadline": deadline})
    assert response.status_code == 200
    assert SCRIPT not in response.content.decode()
    world.round.refresh_from_db()
    assert world.round.deadline is None


# --- uploads -------------------------------------------------------------------------------------------------------


@pytest.fixture
def importer(client, world, settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    client.force_login(factories.cataloguer())
    return tmp_path / "uploads"


def upload(client, content: bytes, name="katalog.csv", **fields):
    data = {"kind": "leika", "version_name": "LeiKa 2025", "file": SimpleUploadedFile(name, content), **fields}
    return client.post(reverse("import_start"), data)


@pytest.mark.parametrize("name", ["../../etc/passwd.csv", "..\\..\\windows\\win.ini.csv", "/etc/cron.d/x.csv"])
def test_path_tricks_in_upload_names_stay_inside_the_upload_folder(client, importer, tmp_path, name):
    response = upload(client, fim_csv(V1), name=name)
    assert response.status_code == 200
    stored = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert stored and all(path.parent == importer for path in stored)
    assert all(len(path.stem) == 32 for path in stored), "stored under a random name, never the given one"
    assert "/etc/" not in response.content.decode()


def test_an_upload_name_and_version_name_with_markup_are_shown_as_text(client, importer):
    response = upload(client, fim_csv(V1), name=f"{SCRIPT}.csv", version_name=MARKUP)
    assert response.status_code == 200
    assert_shown_as_text(response)


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("katalog.exe", b"MZ\x90\x00", "CSV- oder XLSX-Datei"),
        ("katalog.html", b"<html><script>alert(1)</script></html>", "CSV- oder XLSX-Datei"),
        ("katalog.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "Datei"),
        ("katalog.xlsx", b"Schluessel;Bezeichnung\n99001001000000;x\n", "Datei"),
        ("katalog.xlsx", xlsx_bytes(), "Datei"),
        ("katalog.csv", b"", "Datei"),
        ("katalog.csv", fim_csv([("99001001000000", '=HYPERLINK("http://angreifer.example")')]), "Zeile 2"),
    ],
)
def test_disguised_empty_or_formula_files_are_refused_in_german(client, importer, name, content, message):
    versions = CatalogueVersion.objects.count()
    response = upload(client, content, name=name)
    assert_refused(response, message)
    assert CatalogueVersion.objects.count() == versions
    assert not [path for path in importer.rglob("*") if path.is_file()] if importer.exists() else True


def test_an_upload_over_the_form_limit_is_refused_in_german(client, importer, monkeypatch):
    monkeypatch.setattr("monitoring.forms.MAX_BYTES", 1024)
    response = upload(client, fim_csv(V1) + b"\n" * 2048)
    assert_refused(response, "erlaubt sind")
    assert not importer.exists() or not any(importer.iterdir())


def test_a_huge_upload_is_refused_before_it_is_read(client, importer, settings):
    settings.MAX_UPLOAD_BYTES = 64 * 1024
    response = upload(client, b"x" * (128 * 1024))
    assert response.status_code == 413
    assert "Datei zu groß" in response.content.decode()
    assert not importer.exists() or not any(importer.iterdir())


def test_a_form_post_with_too_many_fields_is_refused(client, world):
    client.force_login(world.editor)
    client.raise_request_exception = False
    response = client.post(reverse("bulk_edit"), {f"f{n}": "x" for n in range(10_001)})
    assert response.status_code == 400
