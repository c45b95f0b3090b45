"""What the detail page of an assessment shows: its values beside last round's, its history and its Rückfragen."""

from django.shortcuts import get_object_or_404

from .access import is_it_office, may_edit, readable_assessments
from .editing import EDITABLE_FIELDS, ROW_RELATIONS, current_values, shown
from .forms import AnswerForm, AssessmentForm, QuestionForm
from .models import Assessment
from .tables import confirmation_text, status_badge

DETAIL_RELATIONS = (
    *ROW_RELATIONS,
    "leika_entry__version",
    "confirmed_by",
    "carried_over_from__round",
    "carried_over_from__leika_entry",
    "carried_over_from__maturity_level",
    "carried_over_from__efa_offer",
    "carried_over_from__it_project",
)


def readable_or_404(user, pk) -> Assessment:
    """The assessment with all the detail page shows; 404 for a row the user may not read."""
    return get_object_or_404(readable_assessments(user).select_related(*DETAIL_RELATIONS), pk=pk)


def detail_context(request, assessment, *, form=None, conflict=None, question_form=None, answer_forms=None):
    user = request.user
    editable = may_edit(user, assessment)
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
