"""Template filters of background jobs."""

from django import template
from django.conf import settings

register = template.Library()


@register.filter
def exported_in_background(count) -> bool:
    """Whether a list of `count` rows is exported as a background job (its link then opens the job's page instead
    of downloading at once); an unknown count may be either."""
    return count is None or count == "" or int(count) > settings.EXPORT_JOB_ROWS
