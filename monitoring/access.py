"""Who may see which organisation; every view narrows its querysets through here."""

from .models import Organisation


def visible_organisations(user):
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(memberships__user=user).distinct()
