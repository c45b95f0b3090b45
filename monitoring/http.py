"""Request helpers of the views: htmx requests, safe addresses to go back to, the choice of an organisation, file
names of downloads."""

import re
import unicodedata
from urllib.parse import quote as url_quote

from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from .access import visible_organisations
from .links import my_services_url


def organisation_choice(request, url_name: str, template: str):
    """The entry of a page per organisation: straight to it when the user sees one, else the list to choose from."""
    organisations = list(visible_organisations(request.user))
    if len(organisations) == 1:
        return redirect(url_name, pk=organisations[0].pk)
    return render(request, template, {"organisations": organisations})


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next(request, value: str | None) -> str:
    """A same-site address to go back to (the list with its filter), else the list itself."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return my_services_url()


def fragment_next(request) -> str:
    """Where an in-place edit goes back to: the form's `next`, else the page htmx was called from."""
    return safe_next(request, request.POST.get("next") or request.headers.get("HX-Current-URL"))


# Characters no file system takes in a name, and control characters.
UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
ASCII_SPELLING = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "–": "-"})


def file_name(name: str) -> str:
    """`name` as a file name: characters a file system refuses become spaces, spaces are collapsed."""
    return " ".join(UNSAFE_IN_FILE_NAMES.sub(" ", name).split())


def attachment(response, name: str):
    """`response` as a download named `name`, German letters and all: the name in UTF-8 (RFC 6266 filename*), and a
    plain ASCII spelling (ä → ae) for programs that read only filename."""
    name = file_name(name)
    plain = unicodedata.normalize("NFKD", name.translate(ASCII_SPELLING)).encode("ascii", "ignore").decode()
    plain = " ".join(plain.split()) or "download"
    response["Content-Disposition"] = f"attachment; filename=\"{plain}\"; filename*=utf-8''{url_quote(name, safe='')}"
    return response
