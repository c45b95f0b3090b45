"""What the detail page of an assessment shows: its values beside last round's, its history and its Rückfragen."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from .access import is_it_office, scope_of
from .editing import EDITABLE_FIELDS, ROW_RELATIONS, current_values, shown
from .forms import AnswerForm, AssessmentForm, QuestionForm
from .models import Assessment
from .tables import confirmation_text, status_badge

DETAIL_RELATIONS = (*ROW_RELATIONS, "leika_entry__version", "confirmed_by")
# Last round's row with what the page shows of it, read in a query of its own: joined into the row's query, the
# seventeen tables took PostgreSQL ten times longer to plan than two queries of half as many each.
PREVIOUS = Prefetch(
    "carried_over_from",
    queryset=Assessment.objects.select_related("round", "leika_entry", "maturity_level", "efa_offer", "it_project"),
)


def readable_or_404(request, pk) -> Assessment:
    """The assessment with all the detail page shows; 404 for a row the request's user may not read."""
    rows = scope_of(request).readable_assessments().select_related(*DETAIL_RELATIONS).prefetch_related(PREVIOUS)
    return get_object_or_404(rows, pk=pk)


def detail_context(request, assessment, *, form=None, conflict=None, question_form=None, answer_forms=None):
    user = request.user
    editable = scope_of(request).may_edit(assessment)
    previous = assessment.carried_over_from
    open_round = not assessment.round.is_closed
    may_ask = open_round and is_it_office(user, assessment.round.organisation)
    if editable and form is None:
        form = AssessmentForm(assessment=assessment)
    questions = list(assessment.questions.select_related("asked_by", "answered_by").order_by("-asked_at", "-pk"))
    answer_forms = answer_forms or {}
    if editable:
        for question in questions:
            if question.is_open and question.pk not in answer_forms:
                answer_forms[question.pk] = AnswerForm(instance=question, prefix=f"antwort-{question.pk}")
    for question in questions:
        question.answer_form = answer_forms.get(question.pk)
    return {
        "assessment": assessment,
        "entry": assessment.leika_entry,
        "ozg_leistungen": assessment.leika_entry.ozg_leistungen.select_related("themenfeld").order_by("ozg_id"),
        "values": [
            {
                "label": str(Assessment._meta.get_field(name).verbose_name),
                "current": shown(assessment, name),
                "previous": shown(previous, name) if previous else None,
            }
            for name in EDITABLE_FIELDS
        ],
        "previous": previous,
        "status_badge": status_badge(assessment),
        "confirmation": confirmation_text(assessment),
        # A form posted after the round was closed stays on the page with its message, so nothing typed is lost.
        "form": form if editable or (form is not None and form.is_bound) else None,
        "conflict": conflict,
        "conflict_values": current_values(conflict.assessment) if conflict else None,
        "history": assessment.changes.select_related("user").order_by("-at", "-pk"),
        "questions": questions,
        "question_form": (question_form or QuestionForm()) if may_ask else None,
        "may_answer": editable,
    }
