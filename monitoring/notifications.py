"""E-mails about a person's work: a new Rückfrage (to the department's editors), its answer (to the asker), a round
opened (to every editor of the organisation), reminders before the deadline (to editors with unconfirmed rows) and the
IT office's weekly digest.

The first three follow an event: the domain function that caused it (monitoring.questions, carryover.open_round) calls
`send_on_commit`, which queues the task `send_notification` once the event is committed, so that nothing is said
about what was rolled back, and the request does not wait for the mail server. Reminders and the digest are sent by
`manage.py send_reminders` (daily, from cron or a systemd timer); each is recorded (`SentReminder`) before it is sent,
in the same transaction, so that nobody gets one twice.

Every mail goes to one person, in German plain text, with their own figures and an absolute link (SITE_URL). It names
only rows the person may read: the editors of a department are told about that department's rows, the asker about
the row they asked on, if they still read it. People without an e-mail address, inactive accounts and those who
switched the kind off (NotificationPreference) get nothing.
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from .access import readable_assessments
from .choices import NOTIFICATIONS_OFF_BY_DEFAULT, DepartmentRoleKind, NotificationKind, OrganisationRole
from .links import assessment_url, my_services_url
from .models import (
    Assessment,
    DepartmentRole,
    NotificationPreference,
    Question,
    SentReminder,
    SurveyRound,
)
from .progress import PROGRESS_COUNTS, Progress, department_progress, share_percent

logger = logging.getLogger(__name__)


# --- who wants what ------------------------------------------------------------------------------------------------


def preferences(user) -> dict[str, bool]:
    """Each kind: whether the user wants it (their record, else the kind's default)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "enabled"))
    return {kind: chosen.get(kind, kind not in NOTIFICATIONS_OFF_BY_DEFAULT) for kind in NotificationKind.values}


def save_preferences(user, wanted: dict[str, bool]) -> None:
    for kind, enabled in wanted.items():
        NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"enabled": enabled})


def reachable(users, kind: str):
    """Of `users` (a queryset), the active ones with an address who have not switched `kind` off (or, for a kind
    that is off by default, who switched it on)."""
    chosen = NotificationPreference.objects.filter(kind=kind)
    users = users.filter(is_active=True).exclude(email="")
    if kind in NOTIFICATIONS_OFF_BY_DEFAULT:
        return users.filter(pk__in=chosen.filter(enabled=True).values("user"))
    return users.exclude(pk__in=chosen.filter(enabled=False).values("user"))


def department_editors(departments):
    """Users who edit one of `departments` by a department role of their own."""
    roles = DepartmentRole.objects.filter(department__in=departments, role=DepartmentRoleKind.BEARBEITUNG)
    return get_user_model().objects.filter(pk__in=roles.values("user"))


# --- composing and sending -----------------------------------------------------------------------------------------


def absolute(path: str) -> str:
    return settings.SITE_URL + path


@dataclass
class Mail:
    to: object  # the user
    subject: str
    template: str
    context: dict

    def message(self) -> EmailMessage:
        body = render_to_string(
            f"monitoring/mail/{self.template}.txt",
            {
                **self.context,
                "person": self.to,
                "settings_url": absolute(reverse("notification_settings")),
                "site_url": settings.SITE_URL,
            },
        )
        return EmailMessage(
            subject=f"{settings.EMAIL_SUBJECT_PREFIX}{self.subject}",
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[self.to.email],
        )


def deliver(mails: list[Mail]) -> int:
    """Send the mails over one connection; the number sent."""
    if not mails:
        return 0
    with get_connection() as connection:
        return connection.send_messages([mail.message() for mail in mails]) or 0


def send_on_commit(kind: str, object_id: int) -> None:
    """Queue the mails about an event once the transaction that made it commits."""
    transaction.on_commit(lambda: send_notification.enqueue(kind, object_id))


@task()
def send_notification(kind: str, object_id: int) -> int:
    """The task: compose the mails about one event for the people concerned as they are now, and send them."""
    mails = EVENT_MAILS[kind](object_id)
    sent = deliver(mails)
    logger.info("Benachrichtigung %s zu %s: %s E-Mail(s) gesendet", kind, object_id, sent)
    return sent


# --- events --------------------------------------------------------------------------------------------------------


def person_name(user) -> str:
    if user is None:
        return "unbekannt"
    return user.get_full_name() or user.get_username()


def question_asked_mails(question_id: int) -> list[Mail]:
    question = (
        Question.objects.select_related(
            "assessment__leika_entry", "assessment__department", "assessment__round__organisation", "asked_by"
        )
        .filter(pk=question_id, answered_at__isnull=True)
        .first()
    )
    if question is None:  # answered or deleted before the task ran: nothing left to ask for
        return []
    row = question.assessment
    people = reachable(department_editors([row.department_id]), NotificationKind.QUESTION_ASKED)
    people = people.exclude(pk=question.asked_by_id) if question.asked_by_id else people
    context = {
        "question": question,
        "row": row,
        "asker": person_name(question.asked_by),
        "url": absolute(assessment_url(row.pk) + "#rueckfragen"),
    }
    subject = f"Neue Rückfrage zu {row.leika_entry.key} ({row.department.code})"
    return [Mail(person, subject, "question_asked", context) for person in people.order_by("pk")]


def question_answered_mails(question_id: int) -> list[Mail]:
    question = (
        Question.objects.select_related(
            "assessment__leika_entry", "assessment__department", "assessment__round__organisation", "answered_by"
        )
        .filter(pk=question_id, answered_at__isnull=False, asked_by__isnull=False)
        .exclude(answered_by=F("asked_by"))
        .first()
    )
    if question is None:
        return []
    asker = reachable(get_user_model().objects.filter(pk=question.asked_by_id), NotificationKind.QUESTION_ANSWERED)
    asker = asker.first()
    # The asker may have lost sight of the row meanwhile (a new role, another organisation): then nothing is said.
    if asker is None or not readable_assessments(asker).filter(pk=question.assessment_id).exists():
        return []
    row = question.assessment
    context = {
        "question": question,
        "row": row,
        "answerer": person_name(question.answered_by),
        "url": absolute(assessment_url(row.pk) + "#rueckfragen"),
    }
    return [Mail(asker, f"Antwort auf Ihre Rückfrage zu {row.leika_entry.key}", "question_answered", context)]


def round_opened_mails(round_id: int) -> list[Mail]:
    round_obj = SurveyRound.objects.select_related("organisation").filter(pk=round_id, is_closed=False).first()
    if round_obj is None:
        return []
    departments = round_obj.organisation.departments.all()
    people = list(reachable(department_editors(departments), NotificationKind.ROUND_OPENED).order_by("pk"))
    if not people:
        return []
    per_person = own_progress(round_obj, people)
    mails = []
    for person in people:
        rows = per_person.get(person.pk, [])
        context = {
            "round": round_obj,
            "departments": rows,
            "total": sum((row.progress for row in rows), Progress()),
            "list_url": absolute(my_services_url(runde=round_obj.pk)),
        }
        subject = f"Erhebungsrunde {round_obj.year} eröffnet ({round_obj.organisation.name})"
        mails.append(Mail(person, subject, "round_opened", context))
    return mails


EVENT_MAILS = {
    NotificationKind.QUESTION_ASKED: question_asked_mails,
    NotificationKind.QUESTION_ANSWERED: question_answered_mails,
    NotificationKind.ROUND_OPENED: round_opened_mails,
}


def own_progress(round_obj: SurveyRound, people) -> dict[int, list]:
    """Per person: the progress of each department of the round the person edits (two queries for everyone)."""
    roles = DepartmentRole.objects.filter(
        user__in=people, role=DepartmentRoleKind.BEARBEITUNG, department__organisation=round_obj.organisation_id
    ).values_list("user", "department")
    departments_of = defaultdict(set)
    for user_id, department_id in roles:
        departments_of[user_id].add(department_id)
    wanted = {d for ds in departments_of.values() for d in ds}
    rows = department_progress(round_obj, list(wanted))  # in the order of their codes
    return {user_id: [row for row in rows if row.pk in ds] for user_id, ds in departments_of.items()}


# --- reminders and the weekly digest (send_reminders) -----------------------------------------------------------------


def due_reminder(deadline: datetime.date | None, today: datetime.date) -> int | None:
    """The reminder due today: the nearest of REMINDER_DAYS that the days left have reached; None before the first
    and after the deadline. A day missed (the command did not run) is made up on the next run, once."""
    if deadline is None:
        return None
    left = (deadline - today).days
    reached = [days for days in settings.REMINDER_DAYS if 0 <= left <= days]
    return min(reached) if reached else None


def _record_and_send(mail: Mail, round_obj: SurveyRound, kind: str, occasion: str, today: datetime.date) -> bool:
    """Record the mail as sent and send it, in one transaction: a failed send is recorded as nothing and tried again
    on the next run; a second run finds the record and sends nothing."""
    try:
        with transaction.atomic():
            SentReminder.objects.create(user=mail.to, round=round_obj, kind=kind, occasion=occasion, sent_on=today)
            deliver([mail])
    except IntegrityError:  # sent already (by this run's predecessor, or by one running at the same time)
        return False
    except OSError:  # the mail server refused or is away (smtplib's errors are OSErrors): the next run tries again
        logger.exception("Erinnerung an %s nicht gesendet", mail.to.pk)
        return False
    return True


def reminder_mails(round_obj: SurveyRound, today: datetime.date) -> list[Mail]:
    """Per editor with unconfirmed rows in the round: their departments' open rows."""
    open_departments = (
        Assessment.objects.filter(round=round_obj, confirmed_at__isnull=True).values("department").distinct()
    )
    people = list(reachable(department_editors(open_departments), NotificationKind.DEADLINE_REMINDER).order_by("pk"))
    per_person = own_progress(round_obj, people)
    mails = []
    for person in people:
        rows = [row for row in per_person.get(person.pk, []) if row.progress.unconfirmed]
        if not rows:
            continue
        total = sum((row.progress for row in rows), Progress())
        context = {
            "round": round_obj,
            "days": (round_obj.deadline - today).days,
            "departments": rows,
            "total": total,
            "list_url": absolute(my_services_url(bestaetigt="nein", runde=round_obj.pk)),
        }
        subject = (
            f"Meldefrist {round_obj.deadline:%d.%m.%Y}: {total.unconfirmed} Leistung"
            f"{'' if total.unconfirmed == 1 else 'en'} noch nicht bestätigt"
        )
        mails.append(Mail(person, subject, "reminder", context))
    return mails


def digest_mails(round_obj: SurveyRound, today: datetime.date) -> list[Mail]:
    """The IT office's week: the round's progress, overdue departments, the least confirmed, open questions."""
    it_office = get_user_model().objects.filter(
        memberships__organisation=round_obj.organisation_id, memberships__role=OrganisationRole.IT_STEUERUNG
    )
    people = list(reachable(it_office, NotificationKind.WEEKLY_DIGEST).order_by("pk"))
    if not people:
        return []
    rows = department_progress(round_obj, round_obj.organisation.departments.all())
    total = Progress(**Assessment.objects.filter(round=round_obj).aggregate(**PROGRESS_COUNTS))
    week_ago = timezone.now() - datetime.timedelta(days=7)
    questions = Question.objects.filter(assessment__round=round_obj).aggregate(
        open=Count("pk", filter=Q(answered_at__isnull=True)),
        asked=Count("pk", filter=Q(asked_at__gte=week_ago)),
        answered=Count("pk", filter=Q(answered_at__gte=week_ago)),
    )
    laggards = sorted(
        (row for row in rows if row.progress.unconfirmed), key=lambda row: (row.progress.confirmed_percent, row.code)
    )
    context = {
        "round": round_obj,
        "days": (round_obj.deadline - today).days if round_obj.deadline else None,
        "total": total,
        "overdue": [row for row in rows if row.overdue],
        "laggards": laggards[:10],
        "more_laggards": max(0, len(laggards) - 10),
        "questions": questions,
        "progress_url": absolute(reverse("round_progress", args=[round_obj.pk])),
        "questions_url": absolute(reverse("questions")),
    }
    subject = (
        f"Wochenübersicht {round_obj.organisation.name} {round_obj.year}: "
        f"{share_percent(total.confirmed, total.total) or 0} % bestätigt"
    )
    return [Mail(person, subject, "digest", context) for person in people]


@dataclass
class ReminderRun:
    reminders: int = 0
    digests: int = 0


def send_due_reminders(today: datetime.date | None = None) -> ReminderRun:
    """Send the reminders due today and, from DIGEST_WEEKDAY on, this week's digest; idempotent."""
    today = today or timezone.localdate()
    run = ReminderRun()
    rounds = SurveyRound.objects.filter(is_closed=False).select_related("organisation").order_by("pk")
    week = "{}-W{:02d}".format(*today.isocalendar()[:2])
    for round_obj in rounds:
        days = due_reminder(round_obj.deadline, today)
        if days is not None:
            for mail in reminder_mails(round_obj, today):
                run.reminders += _record_and_send(
                    mail, round_obj, NotificationKind.DEADLINE_REMINDER, f"{days}-tage", today
                )
        if today.weekday() >= settings.DIGEST_WEEKDAY:
            already = set(
                SentReminder.objects.filter(
                    round=round_obj, kind=NotificationKind.WEEKLY_DIGEST, occasion=week
                ).values_list("user", flat=True)
            )
            for mail in digest_mails(round_obj, today):
                if mail.to.pk not in already:
                    run.digests += _record_and_send(mail, round_obj, NotificationKind.WEEKLY_DIGEST, week, today)
    return run
