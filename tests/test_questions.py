"""Rückfragen: the IT office asks (question_ask), the department answers (question_answer), the list of them
(questions).

The world and its personas: workspace_world() in tests/factories.py.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.models import Question
from tests import factories
from tests.factories import leika_key as key
from tests.helpers import keys_listed, login, records, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return factories.workspace_world()


# --- Rückfragen ------------------------------------------------------------------------------------------------------


def test_the_it_office_asks_and_the_department_answers(client, world):
    row = world.rows[0]
    it = login(client, world.it_office)
    response = it.post(reverse("question_ask", args=[row.pk]), {"text": "Gibt es ein Formular?"})
    assert response.status_code == 302 and response["Location"].endswith("#rueckfragen")
    question = Question.objects.get(assessment=row)
    assert (question.asked_by, question.is_open) == (world.it_office, True)

    editor = login(client.__class__(), world.editor)
    assert keys_listed(editor.get(reverse("my_services"), {"rueckfragen": "ja"})) == [key(1), key(2)]
    page = editor.get(reverse("assessment_detail", args=[row.pk])).content.decode()
    assert "Gibt es ein Formular?" in page and f'name="antwort-{question.pk}-answer"' in page
    response = editor.post(
        reverse("question_answer", args=[question.pk]), {f"antwort-{question.pk}-answer": "Ja, als PDF."}
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.answer, question.answered_by, question.is_open) == ("Ja, als PDF.", world.editor, False)

    # A second answer does not overwrite the first.
    editor2 = login(client.__class__(), world.editor2)
    response = editor2.post(
        reverse("question_answer", args=[question.pk]), {f"antwort-{question.pk}-answer": "Nein"}, follow=True
    )
    assert "inzwischen beantwortet" in response.content.decode()
    question.refresh_from_db()
    assert question.answer == "Ja, als PDF."


def test_only_the_it_office_asks(client, world):
    before = state()
    for persona in (world.editor, world.reader):
        response = login(client, persona).post(reverse("question_ask", args=[world.rows[0].pk]), {"text": "Frage"})
        assert response.status_code == 403
    response = login(client, world.foreign_it).post(reverse("question_ask", args=[world.rows[0].pk]), {"text": "F"})
    assert response.status_code == 404
    assert Question.objects.count() == 1 and state() == before


def test_a_question_needs_text_of_at_most_2000_characters(client, world):
    client = login(client, world.it_office)
    url = reverse("question_ask", args=[world.rows[0].pk])
    response = client.post(url, {"text": ""})
    assert response.status_code == 200
    assert response.context["question_form"].errors["text"] == ["Dieses Feld ist zwingend erforderlich."]
    response = client.post(url, {"text": "x" * 2001})
    assert "höchstens 2000 Zeichen" in response.context["question_form"].errors["text"][0]
    assert Question.objects.count() == 1


def test_an_empty_answer_is_refused(client, world):
    question = world.question
    response = login(client, world.editor).post(
        reverse("question_answer", args=[question.pk]), {f"antwort-{question.pk}-answer": "  "}
    )
    assert response.status_code == 200
    question.refresh_from_db()
    assert question.is_open


def test_the_questions_page_lists_open_and_optionally_answered_questions(client, world):
    answered = Question.objects.create(
        assessment=world.rows[0], text="Schon erledigt?", answer="Ja", answered_at=timezone.now()
    )
    Question.objects.create(assessment=world.foreign_row, text="Fremde Frage")
    client = login(client, world.editor)
    response = client.get(reverse("questions"))
    assert records(response) == [world.question]
    response = client.get(reverse("questions"), {"alle": "1"})
    assert set(records(response)) == {world.question, answered}
    assert "Fremde Frage" not in response.content.decode()
    assert records(login(client, world.other_editor).get(reverse("questions"))) == []
