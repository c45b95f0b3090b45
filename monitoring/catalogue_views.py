"""Catalogue versions, their crosswalk per entry, and the carry-over report of a round."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
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


def crosswalk_filter(params) -> tuple[str, str]:
    """The class and the search of the crosswalk list from its querystring; an unknown class counts as none."""
    kind = params.get("klasse", "")
    if kind and kind not in Change.values:
        kind = ""
    return kind, params.get("q", "").strip()


def crosswalk_rows(version: CatalogueVersion, kind: str, query: str):
    """The rows of the crosswalk list in its order, for the page and its exports alike.

    A class of the old side lists what became of the predecessor's keys (CatalogueChange); otherwise the entries of
    this version, all or those of one new-side class (LeikaEntry). The search matches the start of the key or any
    part of the name.
    """
    if kind in OLD_SIDE:
        rows = CatalogueChange.objects.filter(version=version, kind=kind).select_related("entry", "successor")
        if query:
            rows = rows.filter(Q(entry__key__startswith=query) | Q(entry__name__icontains=query))
        return rows.order_by("entry__key", "pk")
    rows = version.entries.select_related("predecessor")
    if kind:
        rows = rows.filter(change=kind)
    if query:
        rows = rows.filter(Q(key__startswith=query) | Q(name__icontains=query))
    return rows.order_by("key", "pk")


@login_required
def crosswalk(request, pk):
    version = get_object_or_404(CatalogueVersion.objects.select_related("predecessor"), pk=pk)
    kind, query = crosswalk_filter(request.GET)
    rows = crosswalk_rows(version, kind, query)
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
