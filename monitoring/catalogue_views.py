"""Catalogue versions, their crosswalk per entry, and the carry-over report of a round."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, render

from leika.crosswalk import NEW_SIDE, OLD_SIDE, Change
from leika.models import CatalogueChange, CatalogueVersion

from .access import may_import_catalogues, visible_organisations
from .carryover import carry_over_report
from .models import SurveyRound

PAGE_SIZE = 100


def class_counts(version: CatalogueVersion) -> list[tuple[str, str, int]]:
    """(class, label, count) for all eight classes: two grouped queries, whatever the size of the catalogue."""
    old = dict(version.changes.values_list("kind").annotate(n=Count("pk")))
    new = dict(version.entries.filter(change__in=NEW_SIDE).values_list("change").annotate(n=Count("pk")))
    return [(kind.value, kind.label, old.get(kind, 0)) for kind in OLD_SIDE] + [
        (kind.value, kind.label, new.get(kind, 0)) for kind in NEW_SIDE
    ]


@login_required
def catalogues(request):
    versions = CatalogueVersion.objects.select_related("predecessor").annotate(n_entries=Count("entries"))
    return render(
        request,
        "monitoring/catalogues.html",
        {"versions": versions, "may_import": may_import_catalogues(request.user)},
    )


@login_required
def crosswalk(request, pk):
    version = get_object_or_404(CatalogueVersion.objects.select_related("predecessor"), pk=pk)
    kind = request.GET.get("klasse", "")
    if kind and kind not in Change.values:
        kind = ""
    query = request.GET.get("q", "").strip()
    if kind in OLD_SIDE:
        rows = CatalogueChange.objects.filter(version=version, kind=kind).select_related("entry", "successor")
        if query:
            rows = rows.filter(entry__key__startswith=query) | rows.filter(entry__name__icontains=query)
        rows = rows.order_by("entry__key")
    else:
        rows = version.entries.select_related("predecessor").order_by("key")
        if kind:
            rows = rows.filter(change=kind)
        if query:
            rows = rows.filter(key__startswith=query) | rows.filter(name__icontains=query)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("seite"))
    return render(
        request,
        "monitoring/crosswalk.html",
        {
            "version": version,
            "counts": class_counts(version) if version.predecessor_id else [],
            "kind": kind,
            "kind_label": Change(kind).label if kind else "",
            "old_side": kind in OLD_SIDE,
            "query": query,
            "page": page,
        },
    )


@login_required
def carry_over(request, pk):
    round_obj = get_object_or_404(
        SurveyRound.objects.select_related("catalogue_version", "organisation"),
        pk=pk,
        organisation__in=visible_organisations(request.user),
    )
    report = carry_over_report(round_obj)
    return render(request, "monitoring/carry_over.html", {"round": round_obj, "report": report})
