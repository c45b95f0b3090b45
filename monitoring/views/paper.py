"""The committee paper (Ausschussvorlage) of an organisation: the composer with its preview, the print view, the
Word draft and the workbook, all from the same choice in the query string."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from .. import dashboard as figures
from ..exports.documents import DOCX_CONTENT_TYPE, paper_document
from ..exports.workbooks import XLSX_CONTENT_TYPE, report_workbook
from ..forms import PaperForm
from ..http import attachment
from ..paper import compose
from .dashboard import organisation_for


def _context(request, pk) -> dict:
    """The organisation, the choice's form, the paper (None if the choice is not valid) and the query string."""
    organisation = organisation_for(request, pk)
    rounds = figures.rounds_of(organisation)
    form = PaperForm(request.GET or None, rounds, listed=list(rounds))
    choice = form.choice()
    paper = compose(organisation, choice) if choice is not None else None
    return {"organisation": organisation, "form": form, "paper": paper, "querystring": request.GET.urlencode()}


@login_required
def paper_composer(request, pk):
    return render(request, "monitoring/paper/composer.html", _context(request, pk))


def _refused(request, context):
    """An invalid choice: the composer with the form's German messages (400), whatever output was asked for."""
    return render(request, "monitoring/paper/composer.html", context, status=400)


@login_required
def paper_print(request, pk):
    context = _context(request, pk)
    if context["paper"] is None:
        return _refused(request, context)
    return render(request, "monitoring/paper/print.html", context)


@login_required
def paper_docx(request, pk):
    context = _context(request, pk)
    paper = context["paper"]
    if paper is None:
        return _refused(request, context)
    response = HttpResponse(paper_document(paper), content_type=DOCX_CONTENT_TYPE)
    return attachment(response, f"{paper.file_stem}.docx")


@login_required
def paper_xlsx(request, pk):
    context = _context(request, pk)
    paper = context["paper"]
    if paper is None:
        return _refused(request, context)
    response = HttpResponse(report_workbook(paper.tables(), paper.heading), content_type=XLSX_CONTENT_TYPE)
    return attachment(response, f"{paper.file_stem}.xlsx")
