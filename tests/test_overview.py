"""The start page at / is a person's working day (issue 16): a clerk sees their open round with deadline, their rows
confirmed, changed and open, the Rückfragen addressed to them and the way back into the list; the IT office and
readers see their organisation's round with overdue departments and open questions first. The committee table is
the dashboard's (tests/test_dashboard.py)."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring.choices import Status
from monitoring.editing import apply_changes
from monitoring.links import my_services_url
from monitoring.models import Assessment, ChangeSource, Department, Question, SurveyRound
from monitoring.questions import answer, ask
from monitoring.workday import Badges, badge_counts, deadline_text

pytestmark = pytest.mark.django_db


def user(username):
    return get_user_model().objects.get(username=username)


def login(username):
    client = Client()
    client.force_login(user(username))
    return client


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).replace("&nbsp;", " ")


@pytest.fixture
def a32(demo):
    """sr.a32's world of the issue: 162 rows of the open round 2025, 11 confirmed (4 of them changed), 2 questions."""
    department = Department.objects.get(organisation__name="StädteRegion Aachen", code="A 32")
    round_2025 = SurveyRound.objects.get(organisation=department.organisation, year=2025)
    rows = list(Assessment.objects.filter(round=round_2025, department=department).order_by("pk"))
    clerk, it = user("sr.a32"), user("it.sr")
    apply_changes(clerk, rows[:7], {}, source=ChangeSource.CONFIRM)
    changed = [row for row in rows[7:] if row.status != Status.DIGITAL][:4]
    apply_changes(clerk, changed, {"status": Status.DIGITAL, "maturity_level": None})
    questions = [ask(it, rows[20], "Gibt es schon ein Formular?"), ask(it, rows[21], "Ist das noch analog?")]
    return {"department": department, "round": round_2025, "rows": rows, "questions": questions, "changed": changed}


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


# --- a clerk ----------------------------------------------------------------------------------------------------------


def test_a_clerk_sees_their_services_confirmations_deadline_and_questions(a32):
    response = login("sr.a32").get("/")
    assert response.status_code == 200
    [task] = response.context["tasks"]
    figures = task.figures
    assert (figures.total, figures.confirmed, figures.changed, figures.open) == (162, 11, 4, 151)
    assert figures.carried == 151  # every open row of the demo was carried over from 2024
    page = text(response.content.decode())
    days = (a32["round"].deadline - timezone.localdate()).days
    assert (
        f"Ihre 162 Leistungen: 11 bestätigt, 151 offen; Meldefrist {a32['round'].deadline:%d.%m.%Y} "
        f"(noch {days} Tage); 2 offene Rückfragen an Sie." in page
    )
    assert "7 % bestätigt" in page
    assert "unverändert bestätigt 7" in page and "geändert und bestätigt 4" in page
    assert "offene Leistungen anzeigen, davon 151 übernommen aus der Vorrunde (noch nicht bestätigt)" in page
    assert "Gibt es schon ein Formular?" in page and "Ist das noch analog?" in page
    # The organisation's committee table is the dashboard's, not the clerk's start page.
    assert 'id="status-' not in response.content.decode() and response.context["organisations"] == []


def test_weiter_leads_to_the_clerks_unconfirmed_rows_in_the_list(a32):
    client = login("sr.a32")
    [task] = client.get("/").context["tasks"]
    expected = my_services_url(einheit=a32["department"].pk, runde=a32["round"].pk, bestaetigt="nein")
    assert task.continue_url == expected
    assert f'href="{expected.replace("&", "&amp;")}" id="weiter-{a32["round"].pk}"' in client.get("/").content.decode()
    listed = client.get(expected)
    assert listed.status_code == 200
    assert listed.context["table"].paginator.count == 151


def test_the_question_links_lead_to_the_rows(a32):
    html = login("sr.a32").get("/").content.decode()
    for question in a32["questions"]:
        assert f'href="/bewertungen/{question.assessment_id}/#rueckfragen"' in html


def test_an_answered_question_leaves_the_start_page_and_the_badge(a32):
    clerk = user("sr.a32")
    assert badge_counts(clerk) == Badges(unconfirmed=151, open_questions=2)
    answer(clerk, a32["questions"][0].pk, "Ja, seit März.")
    assert badge_counts(clerk) == Badges(unconfirmed=151, open_questions=1)
    [task] = login("sr.a32").get("/").context["tasks"]
    assert task.open_questions == 1 and [q.text for q in task.questions] == ["Ist das noch analog?"]


def test_a_clerk_whose_rows_are_all_confirmed_is_told_so(a32):
    apply_changes(user("sr.a32"), a32["rows"], {}, source=ChangeSource.CONFIRM)
    page = text(login("sr.a32").get("/").content.decode())
    assert "Alle Ihre Leistungen dieser Runde sind bestätigt." in page
    assert "100 % bestätigt" in page and "Weiter, wo ich aufgehört habe" not in page


def test_a_clerk_after_the_deadline_is_warned(a32):
    SurveyRound.objects.filter(pk=a32["round"].pk).update(deadline=timezone.localdate() - datetime.timedelta(days=3))
    page = text(login("sr.a32").get("/").content.decode())
    assert "seit 3 Tagen abgelaufen" in page
    assert "Die Meldefrist ist abgelaufen; 151 Leistungen sind noch nicht bestätigt." in page


def test_deadline_in_words():
    today = datetime.date(2025, 3, 10)
    assert deadline_text(datetime.date(2025, 3, 22), today) == "noch 12 Tage"
    assert deadline_text(datetime.date(2025, 3, 11), today) == "noch 1 Tag (morgen)"
    assert deadline_text(today, today) == "heute"
    assert deadline_text(datetime.date(2025, 3, 9), today) == "seit gestern abgelaufen"
    assert deadline_text(None, today) == "keine Meldefrist"


# --- the IT office and readers ---------------------------------------------------------------------------------------


def test_the_it_office_sees_overdue_departments_and_open_questions_first(a32):
    round_2025 = a32["round"]
    SurveyRound.objects.filter(pk=round_2025.pk).update(deadline=timezone.localdate() - datetime.timedelta(days=1))
    # Every department but A 32 and one other confirms everything: those two are overdue.
    laggard = Department.objects.filter(organisation=round_2025.organisation).exclude(code="A 32").order_by("code")[0]
    done = Assessment.objects.filter(round=round_2025).exclude(department__in=[a32["department"], laggard])
    apply_changes(user("it.sr"), done, {}, source=ChangeSource.CONFIRM)
    response = login("it.sr").get("/")
    [day] = response.context["organisations"]
    assert day.it_office and day.round == round_2025
    assert [row.code for row in day.overdue] == sorted([laggard.code, "A 32"])
    assert [row.code for row in day.departments[:2]] == [row.code for row in day.overdue]
    assert all(row.progress.complete for row in day.departments[2:])
    assert day.open_questions == 2
    html = response.content.decode()
    page = text(html)
    assert "Überfällig: 2 Organisationseinheiten" in page
    assert html.index("Überfällig:") < html.index("Offene Rückfragen") < html.index('id="einheiten-')
    assert "seit gestern abgelaufen" in page
    assert 'id="status-' not in html  # the committee table is on the dashboard


def test_nobody_sees_another_organisations_figures(demo):
    html = login("it.ac").get("/").content.decode()
    assert "Stadt Aachen" in html
    assert "StädteRegion Aachen" not in html
    html = login("sr.a33").get("/").content.decode()
    assert "StädteRegion Aachen" in html
    assert "Stadt Aachen" not in html


def test_a_reader_sees_the_organisation_view_of_their_department_only(a32):
    reader = get_user_model().objects.create_user("leser.a32")
    reader.memberships.create(organisation=a32["department"].organisation, role="mitarbeit")
    reader.department_roles.create(department=a32["department"], role="lesen")
    response = login("leser.a32").get("/")
    assert response.context["tasks"] == []
    [day] = response.context["organisations"]
    assert [row.code for row in day.departments] == ["A 32"]
    assert day.open_questions == 2
    assert badge_counts(reader) == Badges()  # nothing is addressed to a reader


def test_a_user_without_organisation_is_told_so(demo):
    get_user_model().objects.create_user("ohne.zuordnung", password="x")
    html = login("ohne.zuordnung").get("/").content.decode()
    assert "keine Organisation zugeordnet" in html


def test_the_superuser_sees_every_organisation(demo):
    html = login("admin").get("/").content.decode()
    assert "Stadt Aachen" in html and "StädteRegion Aachen" in html


# --- the navigation's badges ------------------------------------------------------------------------------------------


def test_the_header_shows_the_clerks_badges_with_words_for_screen_readers(a32):
    html = login("sr.a32").get("/").content.decode()
    badge = '<span class="nav-count" aria-hidden="true">{0}</span><span class="kern-sr-only"> ({0} {1})</span>'
    assert badge.format(151, "noch nicht bestätigt") in html
    assert badge.format(2, "offen an Sie") in html


def test_the_badges_cost_one_query(a32, django_assert_num_queries):
    """One query for the person's departments, open rounds and questions; the rows' counts come from the round's
    kept figures, counted once (one more query) after each write of the round and kept for every page after it."""
    clerk = user("sr.a32")
    with django_assert_num_queries(2):
        assert badge_counts(clerk) == Badges(unconfirmed=151, open_questions=2)
    with django_assert_num_queries(1):
        assert badge_counts(clerk) == Badges(unconfirmed=151, open_questions=2)
    row = Assessment.objects.filter(round=a32["round"], confirmed_at__isnull=True, department__code="A 32").first()
    Assessment.objects.filter(pk=row.pk).update(confirmed_at=timezone.now())
    with django_assert_num_queries(2):
        assert badge_counts(clerk) == Badges(unconfirmed=150, open_questions=2)


def test_no_badges_without_work(demo):
    html = login("it.sr").get("/").content.decode()
    assert 'class="nav-count"' not in html


# --- cost ----------------------------------------------------------------------------------------------------------


def queries_of(client, path="/") -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


def test_the_start_page_costs_the_same_queries_however_many_rows(a32):
    clerk, it = login("sr.a32"), login("it.sr")
    before = queries_of(clerk), queries_of(it)
    # Fewer rows and questions: half of A 32's rows and of the round's others, and one question fewer.
    Question.objects.filter(pk=a32["questions"][0].pk).delete()
    keep = Assessment.objects.filter(round=a32["round"]).order_by("pk").values_list("pk", flat=True)[::2]
    Assessment.objects.filter(round=a32["round"]).exclude(pk__in=list(keep)).delete()
    after = queries_of(clerk), queries_of(it)
    assert before == after
    # Session, user, the clerk's figures, rounds and questions, the IT-office check, the navigation's membership
    # check and badges (with the round's rows counted once after a write, kept for the pages after it); the IT office
    # adds its departments, organisations, open rounds, and per organisation the departments' progress and the open
    # questions (count and first few).
    assert before[0] <= 9, before
    assert before[1] <= 12, before
