"""The person's choice of e-mails ("Benachrichtigungen"): one switch per kind (monitoring.notifications)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ..access import it_office_organisations
from ..choices import NotificationKind
from ..notifications import preferences, save_preferences


class NotificationForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label="Per E-Mail benachrichtigen bei", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kinds"].choices = [(kind, NotificationKind(kind).label) for kind in kinds]


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    user = request.user
    # The weekly digest is the IT office's; nobody else is offered it.
    kinds = [k for k in NotificationKind.values if k != NotificationKind.WEEKLY_DIGEST]
    if it_office_organisations(user).exists():
        kinds.append(NotificationKind.WEEKLY_DIGEST)
    current = preferences(user)
    form = NotificationForm(
        request.POST if request.method == "POST" else None,
        kinds=kinds,
        initial={"kinds": [k for k in kinds if current[k]]},
    )
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["kinds"])
        save_preferences(user, {kind: kind in chosen for kind in kinds})
        messages.success(request, "Ihre Einstellungen der Benachrichtigungen sind gespeichert.")
        return redirect("notification_settings")
    chosen = {str(value) for value in (form["kinds"].value() or [])}
    options = [
        {"id": f"art-{kind}", "value": kind, "label": label, "checked": kind in chosen}
        for kind, label in form.fields["kinds"].choices
    ]
    days = [f"{day} Tag{'' if day == 1 else 'e'}" for day in settings.REMINDER_DAYS]
    days_text = " und ".join([", ".join(days[:-1]), days[-1]] if len(days) > 1 else days)
    return render(
        request,
        "monitoring/notifications.html",
        {"form": form, "options": options, "reminder_days_text": days_text},
    )
