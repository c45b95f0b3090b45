"""E-mails of issue 16: a new Rückfrage to the department's editors, its answer to the asker, a round opened to every
editor of the organisation, reminders before the deadline and the IT office's weekly digest; each person's
preferences; no mail about rows the recipient may not read; reminders sent once; and once end to end through a real
SMTP server on loopback.

The world and its personas: workspace_world() in tests/factories.py (A 12 with editor, editor2 and a reader, A 50
with other_editor, the IT office, the IT office of the Nachbarkreis).
"""

import datetime
import email
import email.header
import io
import mailbox
import socket
import subprocess
import sys
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from monitoring.carryover import open_round
from monitoring.choices import NotificationKind
from monitoring.editing import apply_changes
from monitoring.models import Assessment, ChangeSource, Membership, NotificationPreference, SentReminder, SurveyRound
from monitoring.notifications import due_reminder, send_due_reminders
from monitoring.questions import answer, ask
from tests import factories
from tests.helpers import job_page, login, running_jobs

pytestmark = pytest.mark.django_db

SITE = "https://monitor.example.de"
PREFIX = "[DM Test] "
FROM = "monitor@example.de"


@pytest.fixture(autouse=True)
def mail_settings(settings):
    settings.SITE_URL = SITE
    settings.EMAIL_SUBJECT_PREFIX = PREFIX
    settings.DEFAULT_FROM_EMAIL = FROM
    settings.REMINDER_DAYS = [14, 3]
    settings.DIGEST_WEEKDAY = 0


@pytest.fixture
def world():
    w = factories.workspace_world()
    for person in (w.editor, w.editor2, w.reader, w.other_editor, w.it_office, w.foreign_it):
        person.email = f"{person.username}@example.de"
        person.save(update_fields=["email"])
    return w


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def switch_off(user, kind):
    NotificationPreference.objects.create(user=user, kind=kind, enabled=False)


# --- a new Rückfrage and its answer -----------------------------------------------------------------------------------


def test_a_new_question_mails_the_editors_of_the_department(world):
    row = world.rows[0]
    with running_jobs():
        question = ask(world.it_office, row, "Gibt es schon ein Formular?")
    assert recipients() == ["editor2@example.de", "editor@example.de"]  # not the reader, not A 50, not the asker
    message = mail.outbox[0]
    assert message.subject == f"{PREFIX}Neue Rückfrage zu {row.leika_entry.key} (A 12)"
    assert message.from_email == FROM
    assert "hat eine Rückfrage zu einer Leistung Ihrer Organisationseinheit A 12 Bürgeramt gestellt" in message.body
    assert "Rückfrage: Gibt es schon ein Formular?" in message.body
    assert f"{SITE}/bewertungen/{row.pk}/#rueckfragen" in message.body
    assert f"{SITE}/benachrichtigungen/" in message.body
    assert question.is_open


def test_nothing_is_sent_before_the_question_is_committed(world):
    ask(world.it_office, world.rows[0], "Wird zurückgerollt")  # the test's transaction never commits
    assert mail.outbox == []


def test_asking_through_the_page_sends_the_mail_too(client, world):
    row = world.rows[0]
    with running_jobs():
        response = login(client, world.it_office).post(reverse("question_ask", args=[row.pk]), {"text": "Formular?"})
    assert response.status_code == 302
    assert recipients() == ["editor2@example.de", "editor@example.de"]


def test_the_answer_mails_the_asker(client, world):
    question = world.question
    with running_jobs():
        response = login(client, world.editor).post(
            reverse("question_answer", args=[question.pk]), {f"antwort-{question.pk}-answer": "Ja, seit März."}
        )
    assert response.status_code == 302
    assert recipients() == ["it@example.de"]
    message = mail.outbox[0]
    assert message.subject == f"{PREFIX}Antwort auf Ihre Rückfrage zu {world.rows[1].leika_entry.key}"
    assert "Antwort: Ja, seit März." in message.body
    assert "Ihre Rückfrage: Ist der Onlinedienst schon live?" in message.body
    assert f"{SITE}/bewertungen/{world.rows[1].pk}/#rueckfragen" in message.body


def test_a_second_answer_that_is_refused_sends_nothing(world):
    with running_jobs():
        assert answer(world.editor, world.question.pk, "Ja")
    mail.outbox.clear()
    with running_jobs():
        assert not answer(world.editor2, world.question.pk, "Nein")
    assert mail.outbox == []


def test_an_asker_who_no_longer_reads_the_row_is_told_nothing(world):
    Membership.objects.filter(user=world.it_office).delete()
    with running_jobs():
        answer(world.editor, world.question.pk, "Ja")
    assert mail.outbox == []


def test_preferences_addresses_and_inactive_accounts_are_respected(world):
    switch_off(world.editor2, NotificationKind.QUESTION_ASKED)
    with running_jobs():
        ask(world.it_office, world.rows[0], "Erste Frage")
    assert recipients() == ["editor@example.de"]
    mail.outbox.clear()
    world.editor.email = ""
    world.editor.save(update_fields=["email"])
    world.editor2.is_active = False
    world.editor2.save(update_fields=["is_active"])
    NotificationPreference.objects.all().delete()
    with running_jobs():
        ask(world.it_office, world.rows[0], "Zweite Frage")
    assert mail.outbox == []


# --- a round opened ---------------------------------------------------------------------------------------------------


def open_2025(world):
    factories.close(world.round)
    return open_round(world.org, 2025, world.version, deadline=datetime.date(2025, 6, 30))


def test_opening_a_round_mails_every_editor_of_the_organisation_with_their_own_rows(world):
    with running_jobs():
        new_round = open_2025(world)
    assert recipients() == ["editor2@example.de", "editor@example.de", "other@example.de"]
    by_person = {message.to[0]: message for message in mail.outbox}
    body = by_person["editor@example.de"].body
    assert by_person["editor@example.de"].subject == f"{PREFIX}Erhebungsrunde 2025 eröffnet (Musterstadt)"
    assert "Meldefrist ist der 30.06.2025" in body
    assert "- A 12 Bürgeramt: 4 Leistungen, davon 4 übernommen aus der Vorrunde (noch nicht bestätigt)" in body
    assert "Sozialamt" not in body  # A 50 is not the editor's
    assert f"{SITE}/leistungen/?runde={new_round.pk}" in body
    assert "A 50 Sozialamt: 1 Leistung," in by_person["other@example.de"].body
    assert "Bürgeramt" not in by_person["other@example.de"].body


def test_opening_a_round_in_the_background_mails_once_the_job_is_done(client, world):
    factories.close(world.round)
    switch_off(world.editor2, NotificationKind.ROUND_OPENED)
    form = {
        "organisation": world.org.pk,
        "year": 2025,
        "catalogue_version": world.version.pk,
        "maturity_scale": world.scale.pk,
        "deadline": "2025-06-30",
    }
    with running_jobs():
        response = login(client, world.it_office).post(reverse("rounds"), form)
    assert "ist eröffnet" in job_page(client, response)
    assert recipients() == ["editor@example.de", "other@example.de"]


# --- reminders before the deadline ------------------------------------------------------------------------------------


def test_the_due_reminder_is_the_nearest_reached():
    deadline = datetime.date(2025, 6, 30)
    assert [due_reminder(deadline, deadline - datetime.timedelta(days=n)) for n in (20, 15, 14, 10, 4, 3, 0, -1)] == [
        None,
        None,
        14,
        14,
        14,
        3,
        3,
        None,
    ]
    assert due_reminder(None, deadline) is None


def reminders_on(world, today):
    SurveyRound.objects.filter(pk=world.round.pk).update(deadline=datetime.date(2025, 6, 30))
    mail.outbox.clear()
    return send_due_reminders(today)


def test_reminders_go_to_editors_with_unconfirmed_rows_once_per_occasion(world):
    # A 50's only row is confirmed: its editor is not reminded.
    apply_changes(world.other_editor, [world.rows[4]], {}, source=ChangeSource.CONFIRM)
    deadline = datetime.date(2025, 6, 30)
    run = reminders_on(world, deadline - datetime.timedelta(days=14))
    assert run.reminders == 2 and recipients() == ["editor2@example.de", "editor@example.de"]
    message = mail.outbox[0]
    assert message.subject == f"{PREFIX}Meldefrist 30.06.2025: 3 Leistungen noch nicht bestätigt"
    assert "endet am 30.06.2025, in 14 Tagen" in message.body
    assert "- A 12 Bürgeramt: 3 von 4 offen" in message.body
    assert f"{SITE}/leistungen/?bestaetigt=nein&runde={world.round.pk}" in message.body
    # The same day again, and the days up to the next occasion: nothing.
    for days in (14, 13, 4):
        assert reminders_on(world, deadline - datetime.timedelta(days=days)).reminders == 0
    assert mail.outbox == []
    assert reminders_on(world, deadline - datetime.timedelta(days=3)).reminders == 2
    assert "in 3 Tagen" in mail.outbox[0].body
    assert reminders_on(world, deadline - datetime.timedelta(days=2)).reminders == 0
    assert reminders_on(world, deadline + datetime.timedelta(days=1)).reminders == 0
    assert SentReminder.objects.filter(kind=NotificationKind.DEADLINE_REMINDER).count() == 4


def test_a_missed_day_is_made_up_once(world):
    deadline = datetime.date(2025, 6, 30)
    assert reminders_on(world, deadline - datetime.timedelta(days=10)).reminders == 3
    assert reminders_on(world, deadline - datetime.timedelta(days=9)).reminders == 0


def test_reminders_respect_preferences_and_closed_rounds(world):
    switch_off(world.editor, NotificationKind.DEADLINE_REMINDER)
    today = datetime.date(2025, 6, 27)
    reminders_on(world, today)
    assert recipients() == ["editor2@example.de", "other@example.de"]
    factories.close(world.round)
    SentReminder.objects.all().delete()
    assert reminders_on(world, today).reminders == 0


def test_a_reminder_names_only_the_recipients_departments(world):
    reminders_on(world, datetime.date(2025, 6, 27))
    by_person = {message.to[0]: message.body for message in mail.outbox}
    assert "Sozialamt" not in by_person["editor@example.de"]
    assert "Bürgeramt" not in by_person["other@example.de"]
    assert "reader@example.de" not in by_person and "it@example.de" not in by_person


def test_send_reminders_is_a_command_that_can_run_twice(world):
    SurveyRound.objects.filter(pk=world.round.pk).update(deadline=datetime.date(2025, 6, 30))
    output = io.StringIO()
    for _ in range(2):
        call_command("send_reminders", "--datum", "2025-06-27", stdout=output)
    assert output.getvalue().splitlines() == [
        "3 Erinnerungen und 0 Wochenübersichten gesendet.",
        "0 Erinnerungen und 0 Wochenübersichten gesendet.",
    ]
    assert len(mail.outbox) == 3


# --- the IT office's weekly digest ------------------------------------------------------------------------------------


def test_the_weekly_digest_goes_to_the_it_office_that_asked_for_it_once_a_week(world):
    SurveyRound.objects.filter(pk=world.round.pk).update(deadline=datetime.date(2025, 6, 30))
    monday = datetime.date(2025, 6, 2)
    assert send_due_reminders(monday).digests == 0  # off by default
    NotificationPreference.objects.create(user=world.it_office, kind=NotificationKind.WEEKLY_DIGEST, enabled=True)
    # Asking for it as an editor does nothing: the digest is the IT office's.
    NotificationPreference.objects.create(user=world.editor, kind=NotificationKind.WEEKLY_DIGEST, enabled=True)
    mail.outbox.clear()
    assert send_due_reminders(monday).digests == 1
    assert recipients() == ["it@example.de"]
    message = mail.outbox[0]
    assert message.subject == f"{PREFIX}Wochenübersicht Musterstadt 2024: 20 % bestätigt"
    assert "- bestätigt: 1 von 5 Leistungen (20 %)" in message.body
    assert "- offene Rückfragen: 1" in message.body
    assert "- A 12 Bürgeramt: 25 % bestätigt, 3 offen" in message.body
    assert f"{SITE}/runden/{world.round.pk}/fortschritt/" in message.body
    assert send_due_reminders(monday + datetime.timedelta(days=2)).digests == 0
    assert send_due_reminders(monday + datetime.timedelta(days=7)).digests == 1


# --- the settings page ------------------------------------------------------------------------------------------------


def test_the_settings_page_switches_kinds_off_and_on(client, world):
    client = login(client, world.editor)
    page = client.get(reverse("notification_settings")).content.decode()
    assert "editor@example.de" in page
    assert 'value="rueckfrage" checked' in page and 'value="woche"' not in page
    assert f'href="{reverse("notification_settings")}"' in client.get("/").content.decode()  # linked from the header
    response = client.post(reverse("notification_settings"), {"kinds": ["antwort", "runde"]})
    assert response.status_code == 302
    stored = dict(NotificationPreference.objects.filter(user=world.editor).values_list("kind", "enabled"))
    assert stored == {"rueckfrage": False, "antwort": True, "runde": True, "frist": False}
    page = client.get(reverse("notification_settings")).content.decode()
    assert 'value="rueckfrage">' in page and 'value="runde" checked' in page


def test_the_it_office_is_offered_the_weekly_digest(client, world):
    page = login(client, world.it_office).get(reverse("notification_settings")).content.decode()
    assert 'value="woche">' in page  # offered, off until asked for
    client.post(reverse("notification_settings"), {"kinds": ["woche"]})
    assert NotificationPreference.objects.get(user=world.it_office, kind="woche").enabled


def test_a_person_without_address_is_told_that_nothing_arrives(client, world):
    world.reader.email = ""
    world.reader.save(update_fields=["email"])
    page = login(client, world.reader).get(reverse("notification_settings")).content.decode()
    assert "keine E-Mail-Adresse hinterlegt" in page


# --- end to end through an SMTP server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(tmp_path):
    """aiosmtpd on a free loopback port, writing what it receives into a Maildir; stopped after the test."""
    port, maildir = free_port(), tmp_path / "maildir"
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Mailbox", maildir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"aiosmtpd did not start: {server.stderr.read().decode()}")
                time.sleep(0.1)
        else:
            pytest.fail("aiosmtpd did not listen within 10 s")
        yield port, maildir
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_question_arrives_through_a_real_smtp_server(world, smtp_server):
    port, maildir = smtp_server
    switch_off(world.editor2, NotificationKind.QUESTION_ASKED)
    row = world.rows[0]
    with (
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
        ),
        running_jobs(),
    ):
        ask(world.it_office, row, "Gibt es für die Anmeldung schon ein Online-Formular?")
    received = list(mailbox.Maildir(maildir, create=False))
    assert len(received) == 1
    message = email.message_from_bytes(received[0].as_bytes())
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject == f"{PREFIX}Neue Rückfrage zu {row.leika_entry.key} (A 12)"
    assert message["From"] == FROM and message["To"] == "editor@example.de"
    body = message.get_payload(decode=True).decode(message.get_content_charset())
    assert "hat eine Rückfrage zu einer Leistung Ihrer Organisationseinheit A 12 Bürgeramt gestellt" in body
    assert "Gibt es für die Anmeldung schon ein Online-Formular?" in body
    assert f"{SITE}/bewertungen/{row.pk}/#rueckfragen" in body


def test_unchanged_rows_are_not_in_the_mail_of_another_organisation(world):
    """The Nachbarkreis' IT office and editors hear nothing of Musterstadt's rounds."""
    with running_jobs():
        ask(world.it_office, world.rows[0], "Frage")
        open_2025(world)
    assert not any(address.startswith("foreign") for address in recipients())
    assert Assessment.objects.filter(round__year=2025).count() == 5
