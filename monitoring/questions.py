"""Rückfragen: the IT office asks about a row, the department answers. Every path that asks or answers goes through
here, so that the people concerned are told by e-mail (monitoring.notifications) whichever page, command or job
did it. Who may ask or answer is the caller's to check (monitoring.access)."""

from django.db import transaction
from django.utils import timezone

from . import notifications
from .choices import NotificationKind
from .models import Assessment, Question


@transaction.atomic
def ask(user, assessment: Assessment, text: str) -> Question:
    question = Question.objects.create(assessment=assessment, text=text.strip(), asked_by=user)
    notifications.send_on_commit(NotificationKind.QUESTION_ASKED, question.pk)
    return question


@transaction.atomic
def answer(user, question_pk: int, text: str) -> bool:
    """Answer an open question; False if it was answered meanwhile (of two people answering at once, the first one
    is kept)."""
    answered = Question.objects.filter(pk=question_pk, answered_at__isnull=True).update(
        answer=text.strip(), answered_by=user, answered_at=timezone.now()
    )
    if answered:
        notifications.send_on_commit(NotificationKind.QUESTION_ANSWERED, question_pk)
    return bool(answered)
