"""The dashboard of an organisation: year over year, departments, OZG, EfA and projects; its print view and xlsx."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import slugify

from .. import dashboard as figures
from ..access import visible_organisations
from ..exports.workbooks import XLSX_CONTENT_TYPE, report_workbook
from ..forms import RoundsForm
from ..http import organisation_choice


def organisation_for(request, pk):
    # A member of the organisation reads its dashboard; the IT office decides who is a member.
    return get_object_or_404(visible_organisations(request.user), pk=pk)


def chosen(request, organisation):
    rounds_qs = figures.rounds_of(organisation)
    form = RoundsForm(request.GET or None, rounds_qs)
    all_rounds = list(rounds_qs)
    series, focus = all_rounds, None
    if form.is_bound and form.is_valid():
        series = sorted(form.cleaned_data["runden"], key=lambda r: r.year) or all_rounds
        focus = form.cleaned_data["runde"]
    if focus is None:
        closed = [r for r in all_rounds if r.is_closed]
        focus = closed[-1] if closed else (all_rounds[-1] if all_rounds else None)
    return form, series, focus


@login_required
def dashboard_index(request):
    return organisation_choice(request, "dashboard", "monitoring/dashboard/index.html")


def _context(request, pk):
    organisation = organisation_for(request, pk)
    form, series, focus = chosen(request, organisation)
    sections = figures.dashboard(organisation, series, focus)
    return {
        "organisation": organisation,
        "form": form,
        "series": series,
        "focus": focus,
        "sections": sections,
        "querystring": request.GET.urlencode(),
    }


@login_required
def dashboard(request, pk):
    return render(request, "monitoring/dashboard/dashboard.html", _context(request, pk))


@login_required
def dashboard_print(request, pk):
    return render(request, "monitoring/dashboard/print.html", _context(request, pk))


@login_required
def dashboard_xlsx(request, pk):
    """All tables of the dashboard, or the one named by ?tabelle=<slug>, as a formatted workbook."""
    context = _context(request, pk)
    tables = figures.all_tables(context["sections"])
    wanted = request.GET.get("tabelle")
    if wanted:
        tables = [t for t in tables if t.slug == wanted]
        if not tables:
            raise Http404("Diese Tabelle gibt es im Dashboard nicht.")
    organisation = context["organisation"]
    title = tables[0].title if wanted else "Digitalisierungsmonitor"
    title = f"{title} – {organisation.name}"
    response = HttpResponse(report_workbook(tables, title), content_type=XLSX_CONTENT_TYPE)
    name = slugify(f"{organisation.name}-{wanted or 'dashboard'}")
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
