"""Admin for OZG-Leistungen, Themenfelder, Lagen, maturity scales with their levels, and EfA offers."""

from django.contrib import admin
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Count

from leika.admin import CatalogueRoleAdmin

from .models import EfaOffer, Lage, MaturityLevel, MaturityScale, OzgLeistung, Themenfeld


@admin.register(Themenfeld)
class ThemenfeldAdmin(CatalogueRoleAdmin):
    list_display = ["name", "leistung_count"]
    search_fields = ["name"]
    # Django drops Meta.ordering from grouped queries, and the count annotation groups.
    ordering = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(leistung_count=Count("ozgleistung"))

    @admin.display(description="OZG-Leistungen", ordering="leistung_count")
    def leistung_count(self, obj):
        return intcomma(obj.leistung_count)


@admin.register(Lage)
class LageAdmin(CatalogueRoleAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(OzgLeistung)
class OzgLeistungAdmin(CatalogueRoleAdmin):
    list_display = ["ozg_id", "name", "themenfeld", "lage", "zustaendigkeit"]
    list_display_links = ["ozg_id", "name"]
    list_filter = ["zustaendigkeit", "themenfeld", "lage__kind", "lage"]
    list_select_related = ["themenfeld", "lage"]
    # ozg_id is an integer; icontains compares it as text, so "1003" finds 10034 as well as the exact id.
    search_fields = ["ozg_id", "name"]
    search_help_text = "Suche nach OZG-ID oder nach Wörtern der Bezeichnung."
    autocomplete_fields = ["leika_entries"]


class MaturityLevelInline(admin.TabularInline):
    model = MaturityLevel
    extra = 0
    fields = ["value", "label", "description"]


@admin.register(MaturityScale)
class MaturityScaleAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "valid_from", "valid_until"]
    search_fields = ["name", "code"]
    inlines = [MaturityLevelInline]


@admin.register(MaturityLevel)
class MaturityLevelAdmin(admin.ModelAdmin):
    list_display = ["scale", "value", "label"]
    list_display_links = ["value", "label"]
    list_filter = ["scale"]
    list_select_related = ["scale"]
    # Levels of different scales share values and labels; searching the scale code tells them apart.
    search_fields = ["label", "scale__code", "scale__name"]


@admin.register(EfaOffer)
class EfaOfferAdmin(admin.ModelAdmin):
    list_display = ["name", "ozg_leistung", "providing_land", "kind", "available_from"]
    list_filter = ["providing_land", "kind"]
    list_select_related = ["ozg_leistung"]
    search_fields = ["name", "ozg_leistung__name", "ozg_leistung__ozg_id"]
    autocomplete_fields = ["ozg_leistung"]
