"""The dashboard of an organisation: year over year, departments, OZG, EfA and projects; its print view and xlsx."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers

from .. import dashboard as figures
from ..access import visible_organisations
from ..exports.workbooks import XLSX_CONTENT_TYPE, report_workbook
from ..forms import RoundsForm
from ..http import attachment, is_htmx, organisation_choice
from ..yoy import consecutive


def organisation_for(request, pk):
    # A member of the organisation reads its dashboard; the IT office decides who is a member.
    return get_object_or_404(visible_organisations(request.user), pk=pk)


def chosen(request, organisation) -> tuple[RoundsForm, figures.Selection]:
    rounds_qs = figures.rounds_of(organisation)
    all_rounds = list(rounds_qs)
    form = RoundsForm(request.GET or None, rounds_qs, listed=all_rounds)
    series, focus = all_rounds, None
    if form.is_bound and form.is_valid():
        series = sorted(form.cleaned_data["runden"], key=lambda r: r.year) or all_rounds
        focus = form.cleaned_data["runde"]
    return form, figures.Selection.of(organisation, series, focus or figures.default_focus(all_rounds), all_rounds)


@login_required
def dashboard_index(request):
    return organisation_choice(request, "dashboard", "monitoring/dashboard/index.html")


def _context(request, pk, print_view=False):
    organisation = organisation_for(request, pk)
    form, selection = chosen(request, organisation)
    querystring = request.GET.urlencode()
    return {
        "organisation": organisation,
        "form": form,
        "series": selection.series,
        "focus": selection.focus,
        "sections": figures.rendered_sections(selection, figures.View(print=print_view, querystring=querystring)),
        "pairs": consecutive(selection.series),
        "querystring": querystring,
    }


@login_required
def dashboard(request, pk):
    return render(request, "monitoring/dashboard/dashboard.html", _context(request, pk))


@login_required
def dashboard_print(request, pk):
    return render(request, "monitoring/dashboard/print.html", _context(request, pk, print_view=True))


@login_required
def dashboard_table(request, pk, slug):
    """One long table of the dashboard in full: for htmx the table alone, to put in place of the link that asked for
    it; otherwise a page of its own (the link works without JavaScript)."""
    organisation = organisation_for(request, pk)
    _form, selection = chosen(request, organisation)
    querystring = request.GET.urlencode()
    found = figures.rendered_table(selection, slug, figures.View(querystring=querystring), autofocus=is_htmx(request))
    if found is None:
        raise Http404("Diese Tabelle gibt es im Dashboard nicht.")
    title, html = found
    if is_htmx(request):
        response = HttpResponse(html)
    else:
        context = {"organisation": organisation, "title": title, "table_html": html, "querystring": querystring}
        response = render(request, "monitoring/dashboard/table.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def dashboard_xlsx(request, pk):
    """All tables of the dashboard, or the one named by ?tabelle=<slug>, as a formatted workbook."""
    organisation = organisation_for(request, pk)
    _form, selection = chosen(request, organisation)
    tables = figures.all_tables(figures.sections_of(selection))
    wanted = request.GET.get("tabelle")
    if wanted:
        tables = [t for t in tables if t.slug == wanted]
        if not tables:
            raise Http404("Diese Tabelle gibt es im Dashboard nicht.")
    years = [r.year for r in selection.series]
    span = f" {years[0]}–{years[-1]}" if len(years) > 1 else (f" {years[0]}" if years else "")
    title = tables[0].title if wanted else f"Auswertung Digitalisierung{span}"
    response = HttpResponse(report_workbook(tables, f"{title} – {organisation.name}"), content_type=XLSX_CONTENT_TYPE)
    return attachment(response, f"{organisation.name} – {title}.xlsx")
