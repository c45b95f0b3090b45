"""The accessibility statement with its report form, the privacy notice, and logging out with a German notice."""

import logging
import smtplib
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.core.mail import send_mail
from django.shortcuts import redirect, render
from django.urls import reverse

from config.middleware import client_ip

from .forms import BarrierReportForm

logger = logging.getLogger(__name__)

# When the statement was prepared (self-assessment plus the automated browser checks); update on each review.
STATEMENT_PREPARED = date(2026, 11, 25)
STATEMENT_REVIEWED = date(2026, 11, 25)

# Reports per sender and hour: enough for a person describing several barriers, too few to flood the mailbox. A
# signed-in sender counts per account (a whole office may share one address behind the town's proxy), anyone else per
# client address.
REPORT_LIMIT = 5
REPORT_WINDOW_SECONDS = 60 * 60


def accessibility(request):
    contact = settings.ACCESSIBILITY_CONTACT_EMAIL
    if request.method == "POST":
        form = BarrierReportForm(request.POST)
        if form.is_valid() and not report_allowed(request):
            form.add_error(
                None,
                f"Von Ihnen sind in der letzten Stunde schon {REPORT_LIMIT} Meldungen eingegangen. Bitte versuchen Sie "
                f"es später erneut oder schreiben Sie direkt an {contact}.",
            )
            response = render_accessibility(request, form, contact, status=429)
            response["Retry-After"] = str(REPORT_WINDOW_SECONDS)
            return response
        if form.is_valid():
            try:
                send_barrier_report(form.cleaned_data, sender=request.user)
            except (OSError, smtplib.SMTPException):
                logger.exception("Meldung einer Barriere konnte nicht versendet werden")
                form.add_error(
                    None,
                    f"Ihre Meldung konnte gerade nicht versendet werden. Bitte versuchen Sie es später erneut "
                    f"oder schreiben Sie direkt an {contact}.",
                )
            else:
                messages.success(
                    request,
                    "Vielen Dank, Ihre Meldung ist eingegangen. Wir prüfen die Barriere und melden uns, "
                    "wenn Sie eine E-Mail-Adresse angegeben haben.",
                )
                return redirect(reverse("accessibility") + "#meldung")
    else:
        form = BarrierReportForm(initial={"page": request.GET.get("seite", "")[:500]})
    return render_accessibility(request, form, contact)


def render_accessibility(request, form, contact, status=200):
    return render(
        request,
        "pages/accessibility.html",
        {"form": form, "contact": contact, "prepared": STATEMENT_PREPARED, "reviewed": STATEMENT_REVIEWED},
        status=status,
    )


def report_allowed(request) -> bool:
    """Counts a report against its sender's hourly allowance; False once the allowance is used up.

    Kept in Django's cache, so the count is shared by all workers only where the cache is shared.
    """
    sender = f"user:{request.user.pk}" if request.user.is_authenticated else f"ip:{client_ip(request)}"
    key = f"barrier-report:{sender}"
    cache.add(key, 0, REPORT_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add() and incr()
        cache.set(key, 1, REPORT_WINDOW_SECONDS)
        count = 1
    return count <= REPORT_LIMIT


def send_barrier_report(data, sender) -> None:
    account = sender.get_username() if sender.is_authenticated else "nicht angemeldet"
    body = "\n".join(
        [
            "Über das Formular der Erklärung zur Barrierefreiheit wurde eine Barriere gemeldet.",
            "",
            f"Seite: {data['page']}",
            f"E-Mail für die Antwort: {data['email'] or 'keine angegeben'}",
            f"Konto: {account}",
            "",
            "Beschreibung:",
            data["description"],
        ]
    )
    send_mail(
        subject="Digitalisierungsmonitor: Meldung einer Barriere",
        message=body,
        from_email=None,
        recipient_list=[settings.ACCESSIBILITY_CONTACT_EMAIL],
    )


def session_lifetime(seconds: int) -> str:
    """„3 Tagen“ or „8 Stunden“, as the sentence „spätestens aber nach …“ needs it."""
    if seconds >= 86400 and seconds % 86400 == 0:
        days = seconds // 86400
        return "1 Tag" if days == 1 else f"{days} Tagen"
    hours = max(1, seconds // 3600)
    return "1 Stunde" if hours == 1 else f"{hours} Stunden"


def privacy(request):
    return render(
        request,
        "pages/privacy.html",
        {
            "session_lifetime": session_lifetime(settings.SESSION_COOKIE_AGE),
            "session_at_browser_close": settings.SESSION_EXPIRE_AT_BROWSER_CLOSE,
            "lockout_minutes": round(settings.AXES_COOLOFF_TIME * 60),
            "contact": settings.PRIVACY_CONTACT_EMAIL,
            "report_limit": REPORT_LIMIT,
        },
    )


class LogoutView(auth_views.LogoutView):
    """Django's logout, followed by a German notice on the login page."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "Sie sind abgemeldet.")
        return response
