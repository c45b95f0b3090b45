"""URLs of the monitoring pages."""

from django.urls import path

from . import catalogue_views, imports, views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("kataloge/", catalogue_views.catalogues, name="catalogues"),
    path("kataloge/<int:pk>/abgleich/", catalogue_views.crosswalk, name="crosswalk"),
    path("runden/<int:pk>/uebernahme/", catalogue_views.carry_over, name="carry_over"),
    path("importe/", imports.import_start, name="import_start"),
    path("importe/<str:token>/bestaetigen/", imports.import_confirm, name="import_confirm"),
]
