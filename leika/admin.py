"""Admin for LeiKa catalogue versions and their entries, built for catalogues of tens of thousands of rows."""

from django.contrib import admin
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.html import format_html

from .keys import KIND_LABELS, LO, LOV, LOVD
from .models import CatalogueChange, CatalogueVersion, LeikaEntry

CATALOGUE_PERMISSION = "leika.maintain_catalogues"


class CatalogueRoleAdmin(admin.ModelAdmin):
    """Shared catalogues: every staff member may look, only the catalogue role (Katalogpflege) may change them."""

    def has_add_permission(self, request, *args):
        return request.user.has_perm(CATALOGUE_PERMISSION) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(CATALOGUE_PERMISSION) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(CATALOGUE_PERMISSION) and super().has_delete_permission(request, obj)


@admin.register(CatalogueVersion)
class CatalogueVersionAdmin(CatalogueRoleAdmin):
    list_display = ["name", "valid_from", "entry_count", "predecessor", "source", "imported_at"]
    list_select_related = ["predecessor"]
    search_fields = ["name"]
    readonly_fields = ["imported_at", "content_hash"]
    autocomplete_fields = ["predecessor"]
    # Django drops Meta.ordering from grouped queries, and the count annotation groups.
    ordering = ["valid_from", "name"]

    def get_queryset(self, request):
        # One grouped query for the whole list instead of a COUNT per version.
        return super().get_queryset(request).annotate(entry_count=Count("entries"))

    @admin.display(description="Leistungen", ordering="entry_count")
    def entry_count(self, obj):
        return intcomma(obj.entry_count)


class KindListFilter(admin.SimpleListFilter):
    """The kind follows from the trailing zeros of the key, so this filters on the key column alone."""

    title = "Art"
    parameter_name = "art"

    def lookups(self, request, model_admin):
        return [(kind, f"{kind} – {label}") for kind, label in KIND_LABELS.items()]

    def queryset(self, request, queryset):
        value = self.value()
        if value == LO:
            return queryset.filter(key__endswith="000000")
        if value == LOV:
            return queryset.filter(key__endswith="000").exclude(key__endswith="000000")
        if value == LOVD:
            return queryset.exclude(key__endswith="000")
        return queryset


@admin.register(LeikaEntry)
class LeikaEntryAdmin(CatalogueRoleAdmin):
    list_display = ["key", "name", "kind", "version", "change", "typisierung_display"]
    list_display_links = ["key", "name"]
    list_filter = ["version", "change", KindListFilter]
    list_select_related = ["version"]
    autocomplete_fields = ["predecessor"]
    # A key prefix is what people type ("99001"); startswith can use the key's index, icontains could not.
    search_fields = ["key__startswith", "name", "name2"]
    search_help_text = "Suche nach dem Anfang des Leistungsschlüssels oder nach Wörtern der Bezeichnung."
    show_full_result_count = False
    readonly_fields = ["kind", "group", "leistungsobjekt", "verrichtung", "detail"]
    fieldsets = [
        (None, {"fields": ["version", "key", "name", "name2", "typisierung", "published_at"]}),
        (
            "Aus dem Schlüssel abgeleitet",
            {"fields": ["kind", "group", "leistungsobjekt", "verrichtung", "detail"]},
        ),
        (
            "Namen der Schlüsselteile (aus der Katalogdatei)",
            {"fields": ["group_name", "object_name", "verrichtung_name", "detail_name"]},
        ),
        ("Weitere Angaben", {"fields": ["legal_basis", "synonyms", "special_features"]}),
        ("Abgleich mit der Vorversion", {"fields": ["change", "predecessor"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        # A new entry has no key yet, so there is nothing to derive.
        if obj is None:
            return [fieldset for fieldset in self.fieldsets if fieldset[0] != "Aus dem Schlüssel abgeleitet"]
        return self.fieldsets

    @staticmethod
    def _derived(obj, attribute):
        try:
            return getattr(obj, attribute)
        except ValidationError:
            return None

    @admin.display(description="Art")
    def kind(self, obj):
        kind = self._derived(obj, "kind")
        if kind is None:
            return None
        return format_html('<abbr title="{}">{}</abbr>', KIND_LABELS[kind], kind)

    @admin.display(description="Leistungsgruppierung")
    def group(self, obj):
        return self._derived(obj, "group")

    @admin.display(description="Leistungsobjekt")
    def leistungsobjekt(self, obj):
        return self._derived(obj, "leistungsobjekt")

    @admin.display(description="Verrichtung")
    def verrichtung(self, obj):
        return self._derived(obj, "verrichtung")

    @admin.display(description="Detail")
    def detail(self, obj):
        return self._derived(obj, "detail")

    @admin.display(description="Typisierung")
    def typisierung_display(self, obj):
        return obj.typisierung_display


@admin.register(CatalogueChange)
class CatalogueChangeAdmin(CatalogueRoleAdmin):
    list_display = ["entry", "kind", "successor", "version"]
    list_filter = ["version", "kind"]
    list_select_related = ["entry", "successor", "version"]
    search_fields = ["entry__key__startswith", "entry__name"]
    autocomplete_fields = ["entry", "successor"]
    show_full_result_count = False
