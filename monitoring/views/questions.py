"""Rückfragen: the IT office asks about a row, the department answers; the list of Rückfragen and its exports."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from ..access import is_it_office, readable_assessments, readable_questions, scope_of
from ..detail import detail_context, readable_or_404
from ..exports.lists import file_views, questions_export
from ..filtersets import QuestionFilterSet
from ..forms import AnswerForm, QuestionForm
from ..links import assessment_url
from ..models import Question
from ..questions import answer, ask
from ..tables import QuestionTable, paginate

QUESTIONS_PER_PAGE = 50


@login_required
@require_POST
def question_ask(request, pk):
    assessment = readable_or_404(request, pk)
    if assessment.round.is_closed or not is_it_office(request.user, assessment.round.organisation):
        raise PermissionDenied("Rückfragen stellt die IT-Steuerung, und nur in offenen Erhebungsrunden.")
    form = QuestionForm(request.POST)
    if not form.is_valid():
        return render(
            request, "monitoring/workspace/detail.html", detail_context(request, assessment, question_form=form)
        )
    ask(request.user, assessment, form.cleaned_data["text"])
    messages.success(request, "Ihre Rückfrage wurde gestellt.")
    return redirect(assessment_url(pk) + "#rueckfragen")


@login_required
@require_POST
def question_answer(request, pk):
    question = get_object_or_404(
        Question.objects.select_related("assessment"), pk=pk, assessment__in=readable_assessments(request.user)
    )
    assessment = readable_or_404(request, question.assessment_id)
    scope_of(request).require_editable(assessment)
    form = AnswerForm(request.POST, instance=question, prefix=f"antwort-{pk}")
    if not form.is_valid():
        return render(
            request,
            "monitoring/workspace/detail.html",
            detail_context(request, assessment, answer_forms={question.pk: form}),
        )
    if answer(request.user, pk, form.cleaned_data["answer"]):
        messages.success(request, "Ihre Antwort wurde gespeichert.")
    else:
        messages.error(request, "Diese Rückfrage wurde inzwischen beantwortet; Ihre Antwort wurde nicht gespeichert.")
    return redirect(assessment_url(assessment.pk) + "#rueckfragen")


@login_required
@require_GET
def questions(request):
    filterset = QuestionFilterSet(request.GET, queryset=readable_questions(request.user))
    include_answered = filterset.include_answered
    table = QuestionTable(filterset.qs, empty_text=f"Keine {'' if include_answered else 'offenen '}Rückfragen.")
    paginate(table, request, QUESTIONS_PER_PAGE)
    count = table.paginator.count
    table.caption = f"{'Alle' if include_answered else 'Offene'} Rückfragen: {intcomma(count)}"
    return render(
        request,
        "monitoring/workspace/questions.html",
        {"table": table, "count": count, "include_answered": include_answered},
    )


questions_xlsx, questions_csv = file_views(questions_export)
