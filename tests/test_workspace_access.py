"""Who reaches the workspace's views: anonymous visitors are sent to log in; rows that are not visible answer
404, visible rows the user may not change (a reader's, a closed round's) answer 403, and nothing is written in
any of these cases.

The world and its personas: workspace_world() in tests/factories.py.
"""

import pytest
from django.urls import reverse

from monitoring.choices import Status
from monitoring.models import Question
from tests import factories
from tests.helpers import HTMX, detail_form_data, login, row_form_data, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return factories.workspace_world()


# --- access ------------------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login_and_nothing_is_written(client, world):
    row = world.rows[0]
    before = state()
    gets = [
        reverse("my_services"),
        reverse("questions"),
        reverse("assessment_detail", args=[row.pk]),
        reverse("assessment_row", args=[row.pk]),
        reverse("assessment_row_edit", args=[row.pk]),
    ]
    posts = [
        reverse("assessment_detail", args=[row.pk]),
        reverse("assessment_row", args=[row.pk]),
        reverse("assessment_confirm", args=[row.pk]),
        reverse("bulk_edit"),
        reverse("my_services_columns"),
        reverse("question_ask", args=[row.pk]),
        reverse("question_answer", args=[world.question.pk]),
    ]
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/anmelden/"), url
    for url in posts:
        response = client.post(url, {"version": row.version, "sammel-status": Status.PDF, "text": "x"})
        assert response.status_code == 302 and response["Location"].startswith("/anmelden/"), url
    assert state() == before


@pytest.mark.parametrize("persona", ["other_editor", "foreign_it"])
def test_rows_of_other_departments_and_organisations_are_not_found(client, world, persona):
    client = login(client, getattr(world, persona))
    row = world.rows[0]
    before = state()
    assert client.get(reverse("assessment_detail", args=[row.pk])).status_code == 404
    assert (
        client.post(reverse("assessment_detail", args=[row.pk]), detail_form_data(row, status="pdf")).status_code == 404
    )
    assert client.get(reverse("assessment_row_edit", args=[row.pk]), **HTMX).status_code == 404
    assert client.get(reverse("assessment_row", args=[row.pk]), **HTMX).status_code == 404
    assert client.post(reverse("assessment_row", args=[row.pk]), row_form_data(row, status="pdf")).status_code == 404
    assert client.post(reverse("assessment_confirm", args=[row.pk]), {"version": row.version}).status_code == 404
    assert (
        client.post(
            reverse("question_answer", args=[world.question.pk]), {f"antwort-{world.question.pk}-answer": "x"}
        ).status_code
        == 404
    )
    assert state() == before


def test_a_reader_may_not_write_and_nothing_is_written(client, world):
    client = login(client, world.reader)
    row = world.rows[0]
    before = state()
    assert (
        client.post(reverse("assessment_detail", args=[row.pk]), detail_form_data(row, status="pdf")).status_code == 403
    )
    assert client.get(reverse("assessment_row_edit", args=[row.pk]), **HTMX).status_code == 403
    assert (
        client.post(reverse("assessment_row", args=[row.pk]), row_form_data(row, status="pdf"), **HTMX).status_code
        == 403
    )
    assert client.post(reverse("assessment_confirm", args=[row.pk]), {"version": row.version}).status_code == 403
    answer = {f"antwort-{world.question.pk}-answer": "Ja"}
    assert client.post(reverse("question_answer", args=[world.question.pk]), answer).status_code == 403
    assert state() == before


def test_rows_of_a_closed_round_are_refused_to_every_write(client, world):
    # The department's editor posts to a row of a round closed since the page was drawn: nothing is written, and
    # the answer says so and keeps what was typed, instead of a bare 403.
    client = login(client, world.editor)
    row = world.prev[0]
    before = state()
    closed_since = "Nicht gespeichert: die Erhebungsrunde Musterstadt 2023 wurde inzwischen abgeschlossen."
    response = client.post(
        reverse("assessment_detail", args=[row.pk]), detail_form_data(row, status="pdf", justification="getippt")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert closed_since in page and "getippt" in page
    response = client.post(
        reverse("assessment_row", args=[row.pk]), row_form_data(row, status="pdf", justification="getippt"), **HTMX
    )
    assert closed_since in response.content.decode() and "getippt" in response.content.decode()
    response = client.post(reverse("assessment_confirm", args=[row.pk]), {"version": row.version}, **HTMX)
    assert "Nicht bestätigt: Die Erhebungsrunde Musterstadt 2023 ist abgeschlossen" in response.content.decode()
    bulk = {"auswahl": [f"{row.pk}:{row.version}"], "sammel-scope": "auswahl", "sammel-action": "bestaetigen"}
    response = client.post(reverse("bulk_edit"), bulk, follow=True)
    assert "Die Erhebungsrunde Musterstadt 2023 ist abgeschlossen" in response.content.decode()
    assert "Es wurde nichts geändert." in response.content.decode()
    assert state() == before
    reader = login(client, world.reader)
    assert reader.post(reverse("assessment_detail", args=[row.pk]), detail_form_data(row)).status_code == 403
    question = Question.objects.create(assessment=row, text="Warum analog?", asked_by=world.it_office)
    before = state()
    answer = {f"antwort-{question.pk}-answer": "Darum"}
    assert client.post(reverse("question_answer", args=[question.pk]), answer).status_code == 403
    it = login(client, world.it_office)
    assert it.post(reverse("question_ask", args=[row.pk]), {"text": "Noch offen?"}).status_code == 403
    assert it.post(reverse("question_answer", args=[question.pk]), answer).status_code == 403
    assert state() == before
