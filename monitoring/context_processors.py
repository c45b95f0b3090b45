"""What every page's header shows of the person's own work: the counts of the navigation's badges.

Lazy: a page that does not draw the navigation (an htmx fragment, an error page) asks nothing; a page that does asks
one query (monitoring.workday.badge_counts), always fresh, so that a badge drops the moment the work is done.
"""

from django.utils.functional import SimpleLazyObject

from .workday import badge_counts


def badges(request):
    return {"badges": SimpleLazyObject(lambda: badge_counts(request.user))}
