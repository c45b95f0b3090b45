"""Catalogue versions, the crosswalk list of a version with its exports, and the carry-over report of a round."""

from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Count
from django.shortcuts import get_object_or_404, render

from leika.crosswalk import Change
from leika.models import CatalogueVersion
from leika.versions import class_counts

from ..access import may_import, readable_assessments, visible_organisations
from ..carryover import carry_over_report
from ..exports.lists import crosswalk_export, file_views
from ..filtersets import CrosswalkFilterSet
from ..models import SurveyRound
from ..tables import CrosswalkChangeTable, CrosswalkEntryTable, paginate

PAGE_SIZE = 100


@login_required
def catalogues(request):
    versions = CatalogueVersion.objects.select_related("predecessor").annotate(n_entries=Count("entries"))
    return render(
        request,
        "monitoring/catalogues.html",
        {"versions": versions, "may_import": may_import(request.user)},
    )


def version_or_404(pk) -> CatalogueVersion:
    return get_object_or_404(CatalogueVersion.objects.select_related("predecessor"), pk=pk)


@login_required
def crosswalk(request, pk):
    version = version_or_404(pk)
    filterset = CrosswalkFilterSet(request.GET, version=version)
    kind = filterset.kind
    table_class = CrosswalkChangeTable if filterset.old_side else CrosswalkEntryTable
    table = table_class(filterset.qs, version=version)
    paginate(table, request, PAGE_SIZE)
    count = table.paginator.count
    table.caption = (
        f"{f'Klasse „{Change(kind).label}“' if kind else 'Alle Einträge der Version'}: {intcomma(count)} Einträge"
    )
    return render(
        request,
        "monitoring/crosswalk.html",
        {
            "version": version,
            "counts": class_counts(version) if version.predecessor_id else [],
            "filterset": filterset,
            "kind": kind,
            "query": filterset.query,
            "table": table,
            "count": count,
        },
    )


crosswalk_xlsx, crosswalk_csv = file_views(lambda request, pk: crosswalk_export(request, version_or_404(pk)))


@login_required
def carry_over(request, pk):
    round_obj = get_object_or_404(
        SurveyRound.objects.select_related("catalogue_version", "organisation"),
        pk=pk,
        organisation__in=visible_organisations(request.user),
    )
    report = carry_over_report(round_obj, readable_assessments(request.user))
    return render(request, "monitoring/carry_over.html", {"round": round_obj, "report": report})
