"""The start page as a clerk of the Ordnungsamt sees it (issue 16): the to-do with the numbers, the header's badges,
"Weiter, wo ich aufgehört habe" into the unconfirmed rows, and a Rückfrage answered that takes the badge down.
axe-core, no sideways scrolling at 1280 and 390 px, screenshots as artefacts."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from monitoring.choices import Status
from monitoring.editing import apply_changes
from monitoring.models import Assessment, ChangeSource
from monitoring.questions import ask

from .. import factories
from .conftest import look, signed_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROWS = 24


@pytest.fixture
def world():
    """A Kreis whose Ordnungsamt (A 32) has 24 services, carried over from 2024 into the open round 2025 whose
    deadline is in 12 days; the clerk has confirmed three (one of them changed); the IT office asked two questions."""
    organisation = factories.kreis("StädteRegion Muster", regionalschluessel="053340000000")
    department = factories.department(organisation, "A 32", "Ordnungsamt")
    other = factories.department(organisation, "A 50", "Sozialamt")
    version = factories.catalogue_version("LeiKa 2024", 2024)
    names = ["Hundesteuer Anmeldung", "Gewerbeanmeldung", "Gaststättenerlaubnis", "Fundsache Anzeige"]
    entries = [factories.leika_entry(version, n, f"{names[n % 4]} {n}") for n in range(1, ROWS + 2)]
    previous = factories.closed_round(
        organisation,
        2024,
        version=version,
        fill=lambda r: [
            factories.assessment(r, entry, department, status=Status.PDF if n % 3 else Status.ANALOG)
            for n, entry in enumerate(entries[:ROWS])
        ],
    )
    current = factories.survey_round(
        organisation, 2025, version=version, deadline=timezone.localdate() + datetime.timedelta(days=12)
    )
    rows = [
        factories.assessment(current, source.leika_entry, department, status=source.status, carried_over_from=source)
        for source in previous.assessments.order_by("leika_entry__key")
    ]
    factories.assessment(current, entries[ROWS], other)
    clerk = factories.editor(department, "sb.a32", first_name="Sabine", last_name="Beispiel")
    it_office = factories.it_office(organisation, "it.muster", first_name="IT-Steuerung")
    apply_changes(clerk, rows[:2], {}, source=ChangeSource.CONFIRM)
    apply_changes(clerk, [rows[2]], {"status": Status.DIGITAL})
    questions = [
        ask(it_office, rows[5], "Gibt es die Hundesteuer-Anmeldung schon als Online-Formular im Serviceportal?"),
        ask(it_office, rows[9], "Ist die Gewerbeanmeldung noch analog, oder nutzen Sie schon den EfA-Dienst?"),
    ]
    return {"clerk": clerk, "round": current, "rows": rows, "questions": questions, "department": department}


def test_a_clerk_starts_the_day_on_the_to_do_and_continues_where_they_stopped(page, live_server, world):
    signed_in(page, live_server, world["clerk"], "/")
    deadline = world["round"].deadline.strftime("%d.%m.%Y")
    expect(page.locator(".todo-summary")).to_have_text(
        f"Ihre 24 Leistungen: 3 bestätigt, 21 offen; Meldefrist {deadline} (noch 12 Tage); 2 offene Rückfragen an Sie."
    )
    expect(page.get_by_text("13 % bestätigt")).to_be_visible()
    expect(page.get_by_role("link", name="Meine Leistungen (21 noch nicht bestätigt)")).to_be_visible()
    expect(page.get_by_role("link", name="Rückfragen (2 offen an Sie)")).to_be_visible()
    expect(
        page.get_by_role("link", name=re.compile("Hundesteuer-Anmeldung|Fundsache|Gewerbe|Gaststätten"))
    ).to_have_count(2)
    look(page, "startseite-sachbearbeitung")

    page.get_by_role("link", name="Weiter, wo ich aufgehört habe").click()
    page.wait_for_url(re.compile(r"/leistungen/\?.*bestaetigt=nein"))
    assert f"runde={world['round'].pk}" in page.url and f"einheit={world['department'].pk}" in page.url
    unconfirmed = world["rows"][5].leika_entry.key
    confirmed = world["rows"][0].leika_entry.key
    expect(page.get_by_text(unconfirmed, exact=False).first).to_be_visible()
    assert confirmed not in page.content()


def test_answering_a_question_takes_the_badge_down(page, live_server, world):
    signed_in(page, live_server, world["clerk"], "/")
    question = world["questions"][0]
    page.locator(f'a[href="/bewertungen/{question.assessment_id}/#rueckfragen"]').click()
    page.get_by_label("Ihre Antwort").fill("Ja, seit März im Serviceportal.")
    page.get_by_role("button", name="Antworten").click()
    expect(page.get_by_role("link", name="Rückfragen (1 offen an Sie)")).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page.locator(".todo-summary")).to_contain_text("1 offene Rückfrage an Sie.")
    assert Assessment.objects.get(pk=question.assessment_id).questions.get().answer == "Ja, seit März im Serviceportal."


def test_the_it_office_sees_the_organisation_with_open_questions(page, live_server, world):
    it_office = world["questions"][0].asked_by
    signed_in(page, live_server, it_office, "/")
    expect(page.get_by_role("heading", name="Offene Rückfragen: 2")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("Stand je Organisationseinheit"))).to_be_visible()
    look(page, "startseite-it-steuerung")


def test_the_clerk_switches_a_notification_off(page, live_server, world):
    clerk = world["clerk"]
    clerk.email = "sabine.beispiel@example.de"
    clerk.save(update_fields=["email"])
    signed_in(page, live_server, clerk, "/")
    page.get_by_role("link", name="Benachrichtigungen").click()
    expect(page.get_by_role("heading", name="Benachrichtigungen", level=1)).to_be_visible()
    expect(page.get_by_text("sabine.beispiel@example.de")).to_be_visible()
    reminder = page.get_by_label("Erinnerung vor der Meldefrist, solange Leistungen unbestätigt sind")
    expect(reminder).to_be_checked()
    expect(page.get_by_label(re.compile("Wöchentliche Übersicht"))).to_have_count(0)  # the IT office's
    look(page, "benachrichtigungen")
    reminder.uncheck()
    page.get_by_role("button", name="Einstellungen speichern").click()
    expect(page.get_by_text("Ihre Einstellungen der Benachrichtigungen sind gespeichert.")).to_be_visible()
    expect(page.get_by_label("Erinnerung vor der Meldefrist, solange Leistungen unbestätigt sind")).not_to_be_checked()
    assert not clerk.notification_preferences.get(kind="frist").enabled
