"""Middleware for production: Content-Security-Policy, refusing oversized or unstorable requests early, no caching of
what a signed-in user sees, and a 503 page while the database is unreachable; plus the client address and user name
for the login lock-out."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
DATABASE_ERRORS = (OperationalError, InterfaceError)


def content_security_policy() -> str:
    return "; ".join(f"{name} {' '.join(values)}" for name, values in settings.CONTENT_SECURITY_POLICY.items())


class ContentSecurityPolicyMiddleware:
    """Every response says which sources the browser may use: only this server, never inline script or style."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.header)
        return response


def service_unavailable() -> HttpResponse:
    """The German 503 page. Rendered without the request: context processors would ask the database for the user."""
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """A lost or refused database connection during a request gives the 503 page, never a traceback.

    Django closes the broken connection at the end of the request (CONN_HEALTH_CHECKS for kept ones), so the next
    request connects afresh and the service returns by itself once the database is back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            logger.error("Datenbank nicht erreichbar: %s", exception.__class__.__name__, extra={"path": request.path})
            return service_unavailable()
        return None


def server_error(request, *args, **kwargs):
    """handler500: a database error raised outside a view (session, authentication) also becomes the 503 page."""
    import sys

    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return service_unavailable()
    return HttpResponse(render_to_string("500.html"), status=500)


class RequestSizeLimitMiddleware:
    """Refuses a request whose declared body exceeds MAX_UPLOAD_BYTES before a single byte of it is read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_UPLOAD_BYTES:
            limit = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
            body = render_to_string("413.html", {"limit_mb": limit})
            return HttpResponse(body, status=413)
        return self.get_response(request)


# PostgreSQL cannot store the NUL character in a text column: a value with it fails deep inside a query as a 500.
UNSTORABLE = "\x00"


def unstorable_part(request) -> str | None:
    """Where the request carries a character the database cannot store (as the 400 page says it), or None."""
    if UNSTORABLE in request.path_info:
        return "in der Adresse"
    if _carries(request.GET):
        return "in einem Parameter der Adresse"
    # The session key is looked up, and a quoted cookie value may spell the NUL as an escape the header does not show.
    if any(UNSTORABLE in key or UNSTORABLE in value for key, value in request.COOKIES.items()):
        return "in einem Cookie"
    # The user agent (django-axes stores it) and other headers reach queries and logs too.
    if any(
        UNSTORABLE in value for key, value in request.META.items() if key.startswith("HTTP_") and isinstance(value, str)
    ):
        return "in einer Kopfzeile"
    # Reading the form here is no extra work: the CSRF check reads it next anyway. Uploaded files keep their bytes (a
    # workbook is full of NUL bytes), and Django drops unprintable characters from their names.
    if request.method == "POST" and _carries(request.POST):
        return "in einem Formularfeld"
    return None


def _carries(data) -> bool:
    return any(UNSTORABLE in key or any(UNSTORABLE in value for value in values) for key, values in data.lists())


def bad_request(unstorable: str) -> HttpResponse:
    """The German 400 page naming where the NUL character is; rendered without the request, since its session cookie
    may be that very part."""
    return HttpResponse(render_to_string("400.html", {"unstorable": unstorable}), status=400)


class UnstorableInputMiddleware:
    """A NUL character anywhere in path, parameters, cookies, headers or form fields gives the German 400 page, once
    for the whole site, instead of a 500 from the database wherever such a value reaches a query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        part = unstorable_part(request)
        if part:
            logger.warning("Anfrage mit Nullzeichen abgelehnt (%s)", part)
            return bad_request(part)
        return self.get_response(request)


class PrivateCacheMiddleware:
    """What a signed-in user sees (pages, htmx fragments, exports) is never kept by a browser or proxy cache: a shared
    computer or a caching proxy would hand it to the next person. Static files never get here (WhiteNoise answers
    them earlier), so they keep their long cache lifetime."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        try:
            signed_in = request.user.is_authenticated
        except DATABASE_ERRORS:
            # The session cannot be read (the answer is the 503 page): not storing is the safe side.
            signed_in = True
        if signed_in:
            patch_cache_control(response, private=True, no_store=True)
        return response


def client_ip(request) -> str:
    """The client's address for django-axes; behind our own proxy, the address that proxy appended last."""
    if settings.BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR", "")


# As long as a user name can be (accounts.User, like Django's): longer input cannot name an account, and django-axes
# stores the name of every failed attempt in a column of 255 characters (PostgreSQL refuses longer values).
USERNAME_MAX_LENGTH = 150


def attempted_username(request, credentials=None) -> str:
    """The user name of a login attempt for django-axes, cut to the length a user name can have."""
    field = settings.AXES_USERNAME_FORM_FIELD
    value = (credentials or request.POST).get(field)
    return (value or "")[:USERNAME_MAX_LENGTH]
