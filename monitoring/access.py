"""Who may see which organisation; every view narrows its querysets through here."""

from .choices import OrganisationRole
from .models import Organisation


def visible_organisations(user):
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(memberships__user=user).distinct()


def it_office_organisations(user):
    """Organisations whose IT office the user is (all of them for a superuser)."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(
        memberships__user=user, memberships__role=OrganisationRole.IT_STEUERUNG
    ).distinct()


def may_import_catalogues(user) -> bool:
    """Catalogues are shared by the whole installation: any IT office may bring in a new version."""
    return user.is_authenticated and (user.is_superuser or it_office_organisations(user).exists())


def find_organisation(value: str) -> Organisation | None:
    """By database ID or by its 12-digit Regionalschlüssel (for commands and imports)."""
    value = (value or "").strip()
    if len(value) == 12 and value.isdigit():
        return Organisation.objects.filter(regionalschluessel=value).first()
    if value.isdigit():
        return Organisation.objects.filter(pk=value).first()
    return None
