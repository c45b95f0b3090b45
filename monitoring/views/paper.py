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


def _paper(request, pk):
    """(organisation, form, paper or None if the choice is not valid)."""
    organisation = organisation_for(request, pk)
    rounds = figures.rounds_of(organisation)
    form = PaperForm(request.GET or None, rounds, listed=list(rounds))
    choice = form.choice()
    return organisation, form, compose(organisation, choice) if choice is not None else None


def _context(request, pk):
    organisation, form, paper = _paper(request, pk)
    return {"organisation": organisation, "form": form, "paper": paper, "querystring": request.GET.urlencode()}


@login_required
def paper_composer(request, pk):
    return render(request, "monitoring/paper/composer.html", _context(request, pk))


@login_required
def paper_print(request, pk):
    context = _context(request, pk)
    if context["paper"] is None:
        return render(request, "monitoring/paper/composer.html", context, status=400)
    return render(request, "monitoring/paper/print.html", context)


@login_required
def paper_docx(request, pk):
    organisation, form, paper = _paper(request, pk)
    if paper is None:
        context = {"organisation": organisation, "form": form, "paper": None}
        return render(request, "monitoring/paper/composer.html", context, status=400)
    response = HttpResponse(paper_document(paper), content_type=DOCX_CONTENT_TYPE)
    return attachment(response, f"{paper.file_stem}.docx")


@login_required
def paper_xlsx(request, pk):
    organisation, form, paper = _paper(request, pk)
    if paper is None:
        context = {"organisation": organisation, "form": form, "paper": None}
        return render(request, "monitoring/paper/composer.html", context, status=400)
    response = HttpResponse(report_workbook(paper.tables(), paper.heading), content_type=XLSX_CONTENT_TYPE)
    return attachment(response, f"{paper.file_stem}.xlsx")
