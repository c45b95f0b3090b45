"""The start page: the committee figures of every organisation the user can see."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ..access import visible_organisations
from ..reports import ozg_figures, status_table


@login_required
def overview(request):
    organisations = [
        {"organisation": org, "status_table": status_table(org), "ozg": ozg_figures(org)}
        for org in visible_organisations(request.user)
    ]
    return render(request, "monitoring/overview.html", {"organisations": organisations})
