"""Admin for organisations, departments, roles, projects, survey rounds with their assessments, and OZG plans.

The domain rules live in the models; the admin only keeps closed rounds read-only and every list page at a
fixed number of queries however many rows it shows.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.auth import get_user_model
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import models, transaction
from django.db.models import Count, F
from django.utils import timezone

from accounts.admin import UserAdmin

from . import notifications
from .choices import NotificationKind
from .editing import ROW_RELATIONS, record_admin_change, snapshot
from .models import (
    CLOSED_ROUND_MESSAGE,
    Assessment,
    AssessmentChange,
    BackgroundJob,
    ClosedRoundError,
    Department,
    DepartmentRole,
    ITProject,
    Membership,
    NotificationPreference,
    Organisation,
    OzgPlan,
    OzgPlanChange,
    Question,
    SentReminder,
    SurveyRound,
    TablePreference,
)


def closed_round_references(**lookup) -> list[str]:
    """Assessments of closed rounds that a deletion would have to update (on_delete=SET_NULL).

    The database trigger refuses such an update, so without this the admin would end in a 500; listed as
    protected objects, they make Django show its "cannot delete" page instead.
    """
    assessments = Assessment.objects.filter(round__is_closed=True, **lookup).select_related(
        "leika_entry", "round__organisation"
    )
    return [f"Bewertung der abgeschlossenen Runde {a.round}: {a.leika_entry}" for a in assessments]


class MonitoringUserAdmin(UserAdmin):
    """A user who confirmed assessments of a closed round stays: deactivate the account instead of deleting it."""

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        protected = [*protected, *closed_round_references(confirmed_by__in=objs)]
        return deleted, model_count, perms_needed, protected


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), MonitoringUserAdmin)


USER_SEARCH_FIELDS = ["user__username", "user__first_name", "user__last_name", "user__email"]


class SurveyRoundListFilter(admin.RelatedFieldListFilter):
    """Round filter that loads each round's organisation along, since a round's name includes it."""

    def field_choices(self, field, request, model_admin):
        rounds = SurveyRound.objects.select_related("organisation")
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            rounds = rounds.order_by(*ordering)
        return [(round_obj.pk, str(round_obj)) for round_obj in rounds]


class RoundStateListFilter(admin.SimpleListFilter):
    title = "Stand der Erhebungsrunde"
    parameter_name = "runde"

    def lookups(self, request, model_admin):
        return [("offen", "offen"), ("abgeschlossen", "abgeschlossen")]

    def queryset(self, request, queryset):
        if self.value() in ("offen", "abgeschlossen"):
            return queryset.filter(round__is_closed=self.value() == "abgeschlossen")
        return queryset


class DepartmentInline(admin.TabularInline):
    model = Department
    fk_name = "organisation"
    fields = ["code", "name", "parent"]
    autocomplete_fields = ["parent"]
    extra = 0
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "regionalschluessel", "maturity_scale"]
    list_filter = ["kind", "maturity_scale"]
    list_select_related = ["maturity_scale"]
    search_fields = ["name", "regionalschluessel"]
    inlines = [DepartmentInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "organisation", "parent"]
    list_display_links = ["code", "name"]
    list_filter = [("organisation", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["organisation", "parent"]
    search_fields = ["code", "name", "organisation__name"]
    autocomplete_fields = ["organisation", "parent"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["role", ("organisation", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["user", "organisation"]
    search_fields = [*USER_SEARCH_FIELDS, "organisation__name"]
    autocomplete_fields = ["user", "organisation"]


@admin.register(DepartmentRole)
class DepartmentRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "organisation", "role"]
    list_filter = ["role", ("department__organisation", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["user", "department__organisation"]
    search_fields = [*USER_SEARCH_FIELDS, "department__code", "department__name"]
    autocomplete_fields = ["user", "department"]

    @admin.display(description="Organisation", ordering="department__organisation__name")
    def organisation(self, obj):
        return obj.department.organisation


@admin.register(ITProject)
class ITProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "year", "state", "organisation", "department"]
    list_filter = ["state", "year", ("organisation", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["organisation", "department"]
    search_fields = ["title", "department__code", "department__name"]
    autocomplete_fields = ["organisation", "department"]

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        protected = [*protected, *closed_round_references(it_project__in=objs)]
        return deleted, model_count, perms_needed, protected


@admin.register(SurveyRound)
class SurveyRoundAdmin(admin.ModelAdmin):
    list_display = [
        "organisation",
        "year",
        "catalogue_version",
        "maturity_scale",
        "is_closed",
        "deadline",
        "assessment_count",
    ]
    list_display_links = ["organisation", "year"]
    list_filter = ["is_closed", "year", "organisation", "catalogue_version", "maturity_scale"]
    list_select_related = ["organisation", "catalogue_version", "maturity_scale"]
    search_fields = ["organisation__name", "year"]
    autocomplete_fields = ["organisation"]
    actions = ["close_rounds", "reopen_rounds"]
    # Django drops Meta.ordering from grouped queries, and the count annotation groups; autocomplete pages by it.
    ordering = ["organisation__name", "year"]

    def get_queryset(self, request):
        # One grouped query for the list page instead of one COUNT per round.
        return super().get_queryset(request).annotate(assessment_count=Count("assessments"))

    @admin.display(description="Bewertungen", ordering="assessment_count")
    def assessment_count(self, obj):
        return intcomma(obj.assessment_count)

    def _set_closed(self, queryset, closed: bool) -> int:
        # Update by primary key: the changelist queryset carries a grouped annotation an UPDATE cannot use.
        return SurveyRound.objects.filter(pk__in=queryset.values("pk"), is_closed=not closed).update(is_closed=closed)

    @admin.action(description="Runde abschließen", permissions=["change"])
    def close_rounds(self, request, queryset):
        count = self._set_closed(queryset, True)
        self._report(request, count, "abgeschlossen")

    @admin.action(description="Runde wieder öffnen", permissions=["change"])
    def reopen_rounds(self, request, queryset):
        chosen = list(
            SurveyRound.objects.filter(pk__in=queryset.values("pk"), is_closed=True).select_related("organisation")
        )
        # One open round per organisation: refuse where another round is open or two of one are chosen.
        refused = []
        for round_obj in chosen:
            other = round_obj.other_open_round()
            same = [r for r in chosen if r.organisation_id == round_obj.organisation_id and r.pk != round_obj.pk]
            if other is not None or same:
                refused.append((round_obj, other or same[0]))
        if refused:
            names = "; ".join(f"{round_obj} (offen wäre auch {other})" for round_obj, other in refused)
            self.message_user(
                request,
                "Nichts wurde wieder geöffnet: eine Organisation hat höchstens eine offene Erhebungsrunde. " + names,
                messages.ERROR,
            )
            return
        count = self._set_closed(queryset, False)
        self._report(request, count, "wieder geöffnet")

    def _report(self, request, count: int, done: str) -> None:
        if count == 0:
            self.message_user(request, f"Keine der ausgewählten Erhebungsrunden musste {done} werden.", messages.INFO)
        elif count == 1:
            self.message_user(request, f"1 Erhebungsrunde wurde {done}.", messages.SUCCESS)
        else:
            self.message_user(request, f"{intcomma(count)} Erhebungsrunden wurden {done}.", messages.SUCCESS)


def _closed_round_of(obj) -> bool:
    return obj is not None and obj.round.is_closed


class AssessmentAdminForm(forms.ModelForm):
    """Carries the version the page was drawn with, so that a save over someone else's change is refused."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("seen_version")
        if self.instance.pk and seen is not None:
            stored = Assessment.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            if stored != seen:
                raise forms.ValidationError(
                    "Diese Bewertung wurde inzwischen von anderen geändert. Bitte die Seite neu laden; "
                    "Ihre Eingaben wurden nicht gespeichert."
                )
        return cleaned


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    form = AssessmentAdminForm
    list_display = [
        "round",
        "leika_key",
        "leika_name",
        "department",
        "status",
        "maturity_level",
        "confirmed_at",
    ]
    list_display_links = ["leika_key", "leika_name"]
    # No filter on leika_entry: it would render one option per catalogue entry.
    list_filter = [
        "status",
        ("round", SurveyRoundListFilter),
        RoundStateListFilter,
        ("department", admin.RelatedOnlyFieldListFilter),
        "channel",
        "efa_kind",
        ("confirmed_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["round__organisation", "leika_entry", "department", "maturity_level"]
    search_fields = [
        "leika_entry__key__startswith",
        "leika_entry__name",
        "department__code",
        "department__name",
    ]
    search_help_text = "Suche nach dem Anfang des Leistungsschlüssels, der Bezeichnung oder der Einheit."
    show_full_result_count = False
    autocomplete_fields = [
        "round",
        "leika_entry",
        "department",
        "maturity_level",
        "efa_offer",
        "it_project",
        "carried_over_from",
        "confirmed_by",
    ]
    readonly_fields = ["created_at", "updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["round", "leika_entry", "department"]}),
        (
            "Umsetzung",
            {
                "fields": [
                    "status",
                    "maturity_level",
                    "justification",
                    "channel",
                    "online_service_url",
                    "it_project",
                ]
            },
        ),
        ("Einer für Alle", {"fields": ["efa_kind", "efa_offer"]}),
        (
            "Bestätigung",
            {"fields": ["confirmed_by", "confirmed_at", "carried_over_from", "created_at", "updated_at"]},
        ),
    ]
    actions = ["delete_selected"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return [*fieldsets, ("", {"fields": ["seen_version"], "classes": ["hidden"]})] if obj else fieldsets

    def save_model(self, request, obj, form, change):
        """Every path records its changes: the admin's edits enter the history with their old values."""
        before = snapshot(Assessment.objects.select_related(*ROW_RELATIONS).get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        if change:
            record_admin_change(request.user, obj, before)

    def get_queryset(self, request):
        # The autocomplete of carried_over_from names assessments by entry, round and organisation. The
        # changelist skips list_select_related once the queryset selects anything, so this covers the columns too.
        return super().get_queryset(request).select_related(*self.list_select_related)

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        protected = [*protected, *closed_round_references(carried_over_from__in=objs)]
        return deleted, model_count, perms_needed, protected

    @admin.display(description="Leistungsschlüssel", ordering="leika_entry__key")
    def leika_key(self, obj):
        return obj.leika_entry.key

    @admin.display(description="Leistung", ordering="leika_entry__name")
    def leika_name(self, obj):
        return obj.leika_entry.name

    # An assessment of a closed round stays as it was reported; the change page then renders it read-only.
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _closed_round_of(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _closed_round_of(obj)

    @admin.action(description="Ausgewählte %(verbose_name_plural)s löschen", permissions=["delete"])
    def delete_selected(self, request, queryset):
        """Django's bulk delete, refused as a whole when the selection touches a closed round."""
        closed = SurveyRound.objects.filter(is_closed=True, pk__in=queryset.values("round_id")).select_related(
            "organisation"
        )
        labels = ", ".join(str(round_obj) for round_obj in closed)
        if labels:
            self._refuse_delete(request, CLOSED_ROUND_MESSAGE % {"round": labels})
            return None
        try:
            # The deletion log and the rows go together, should a round be closed between check and delete.
            with transaction.atomic():
                return django_delete_selected(self, request, queryset)
        except ClosedRoundError as error:
            self._refuse_delete(request, " ".join(error.messages))
            return None

    def _refuse_delete(self, request, reason: str) -> None:
        self.message_user(request, f"Es wurde nichts gelöscht. {reason}", level=messages.ERROR)


class HistoryAdmin(admin.ModelAdmin):
    """The history is written by the application only; here it can be searched and read (and deleted with its row)."""

    show_full_result_count = False
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AssessmentChange)
class AssessmentChangeAdmin(HistoryAdmin):
    list_display = ["at", "assessment", "user", "source", "version"]
    list_filter = ["source", ("assessment__department", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["assessment__leika_entry", "assessment__round__organisation", "user"]
    search_fields = ["assessment__leika_entry__key__startswith", "assessment__leika_entry__name", "comment"]


@admin.register(OzgPlanChange)
class OzgPlanChangeAdmin(HistoryAdmin):
    list_display = ["at", "plan", "user", "source", "version"]
    list_filter = ["source", ("plan__organisation", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["plan__organisation", "plan__ozg_leistung", "user"]
    search_fields = ["plan__ozg_leistung__name", "comment"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["assessment", "asked_by", "asked_at", "answered_at"]
    list_filter = [("answered_at", admin.EmptyFieldListFilter)]
    list_select_related = ["assessment__leika_entry", "assessment__round__organisation", "asked_by"]
    search_fields = ["assessment__leika_entry__key__startswith", "assessment__leika_entry__name", "text", "answer"]
    autocomplete_fields = ["assessment", "asked_by", "answered_by"]
    readonly_fields = ["asked_at"]

    def save_model(self, request, obj, form, change):
        # A question asked or answered here is told by e-mail like one asked or answered on the pages.
        was_open = not change or Question.objects.filter(pk=obj.pk, answered_at__isnull=True).exists()
        super().save_model(request, obj, form, change)
        if not change:
            notifications.send_on_commit(NotificationKind.QUESTION_ASKED, obj.pk)
        elif was_open and obj.answered_at is not None:
            notifications.send_on_commit(NotificationKind.QUESTION_ANSWERED, obj.pk)


@admin.register(TablePreference)
class TablePreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "table"]
    list_select_related = ["user"]
    search_fields = ["user__username", "table"]
    autocomplete_fields = ["user"]


@admin.register(OzgPlan)
class OzgPlanAdmin(admin.ModelAdmin):
    formfield_overrides = AssessmentAdmin.formfield_overrides  # addresses typed without a scheme are https
    list_display = ["organisation", "ozg_id", "ozg_name", "state", "target_quarter", "maturity_level"]
    list_display_links = ["ozg_id", "ozg_name"]
    list_filter = [
        "state",
        ("organisation", admin.RelatedOnlyFieldListFilter),
        "ozg_leistung__zustaendigkeit",
        "ozg_leistung__themenfeld",
    ]
    list_select_related = ["organisation", "ozg_leistung", "maturity_level"]
    search_fields = ["ozg_leistung__ozg_id", "ozg_leistung__name", "organisation__name"]
    autocomplete_fields = ["organisation", "ozg_leistung", "maturity_level", "responsible_department", "efa_offer"]
    # Edits with history go through the OZG workspace (/ozg/); here the record's stamp is shown only.
    readonly_fields = ["version", "updated_at", "updated_by"]

    def save_model(self, request, obj, form, change):
        # Like every write of a plan, the admin's raises its version: a workspace edit based on the version before is
        # refused, and the dashboard, which keeps its OZG figures per version of the plans, counts them anew.
        if change and form.has_changed():
            obj.version = F("version") + 1
            obj.updated_at, obj.updated_by = timezone.now(), request.user
        super().save_model(request, obj, form, change)
        if change:
            obj.refresh_from_db(fields=["version"])

    @admin.display(description="OZG-ID", ordering="ozg_leistung__ozg_id")
    def ozg_id(self, obj):
        return obj.ozg_leistung.ozg_id

    @admin.display(description="OZG-Leistung", ordering="ozg_leistung__name")
    def ozg_name(self, obj):
        return obj.ozg_leistung.name


@admin.register(BackgroundJob)
class BackgroundJobAdmin(admin.ModelAdmin):
    """Background jobs are written by the application only (monitoring.jobs); here operations can see what ran, what
    failed and why, and delete old records."""

    list_display = ["title", "kind", "state", "owner", "done", "total", "created_at", "finished_at"]
    list_filter = ["kind", "state"]
    list_select_related = ["owner"]
    search_fields = ["title", "owner__username", "message"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "enabled"]
    list_filter = ["kind", "enabled"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]


@admin.register(SentReminder)
class SentReminderAdmin(admin.ModelAdmin):
    """What send_reminders has sent (written by it only); deleting a record lets the next run send it again."""

    list_display = ["sent_on", "kind", "occasion", "user", "round"]
    list_filter = ["kind", "sent_on"]
    list_select_related = ["user", "round__organisation"]
    search_fields = ["user__username"]
    readonly_fields = ["user", "round", "kind", "occasion", "sent_on"]

    def has_add_permission(self, request):
        return False
