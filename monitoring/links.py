"""Addresses of pages that other pages link to: the filtered list "Meine Leistungen" and a row's detail page."""

from collections.abc import Iterable, Mapping
from urllib.parse import urlencode

from django.urls import reverse


def my_services_url(params: str | Mapping | Iterable[tuple[str, object]] = (), /, **named) -> str:
    """The list "Meine Leistungen" filtered by a querystring, by (name, value) pairs or by names, in the given order.

    Empty values are left out, so that `my_services_url(runde=3, status=None)` is the list of round 3.
    e.g. my_services_url(einheit=4, bestaetigt="nein", runde=2).
    """
    path = reverse("my_services")
    if isinstance(params, str):
        query = params
    else:
        pairs = list(params.items() if isinstance(params, Mapping) else params) + list(named.items())
        query = urlencode([(name, value) for name, value in pairs if value not in (None, "")])
    return f"{path}?{query}" if query else path


def assessment_url(pk: int) -> str:
    return reverse("assessment_detail", args=[pk])


# Stands for a row's id in an address reversed once for a whole list (address_pattern): digits, as the converter
# requires, that appear nowhere else in an address.
PLACEHOLDER = "2147483647"


def address_pattern(name: str) -> str:
    """The address of URL `name` (whose one argument is a row's id) with PLACEHOLDER where the id goes: a list
    reverses it once and puts in each row's id, rather than reversing per row."""
    return reverse(name, args=[PLACEHOLDER])
