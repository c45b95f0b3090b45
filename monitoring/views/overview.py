"""The start page: a person's working day. Department staff see their open rounds (deadline, their rows confirmed,
changed and open, the Rückfragen addressed to them, and the way back into the list); the IT office and readers see
their organisation's round with overdue departments and open questions first. The committee table is the dashboard's."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ..access import it_office_organisations, scope_of
from ..workday import organisation_days, own_rounds


@login_required
def overview(request):
    user = request.user
    tasks = own_rounds(user)
    managed = set(it_office_organisations(user).values_list("pk", flat=True))
    # Someone with departments of their own and no organisation to oversee sees only their own work; everyone else
    # sees the organisation's figures (the IT office, readers, members without a department, a superuser).
    oversees = user.is_superuser or bool(managed) or not tasks
    organisations = organisation_days(user, scope_of(request), managed) if oversees else []
    return render(request, "monitoring/overview.html", {"tasks": tasks, "organisations": organisations})
