"""URLs of the monitoring pages."""

from django.urls import path

from . import catalogue_views, dashboard_views, imports, more_exports, round_views, views, workspace
from .list_exports import my_services_csv, my_services_xlsx
from .sheets import department_sheet_apply, department_sheet_download, department_sheet_upload, department_sheets

urlpatterns = [
    path("", views.overview, name="overview"),
    path("auswertung/", dashboard_views.dashboard_index, name="dashboard_index"),
    path("auswertung/<int:pk>/", dashboard_views.dashboard, name="dashboard"),
    path("auswertung/<int:pk>/druck/", dashboard_views.dashboard_print, name="dashboard_print"),
    path("auswertung/<int:pk>/tabellen.xlsx", dashboard_views.dashboard_xlsx, name="dashboard_xlsx"),
    path("kataloge/", catalogue_views.catalogues, name="catalogues"),
    path("kataloge/<int:pk>/abgleich/", catalogue_views.crosswalk, name="crosswalk"),
    path("kataloge/<int:pk>/abgleich.xlsx", more_exports.crosswalk_xlsx, name="crosswalk_xlsx"),
    path("kataloge/<int:pk>/abgleich.csv", more_exports.crosswalk_csv, name="crosswalk_csv"),
    path("runden/<int:pk>/uebernahme/", catalogue_views.carry_over, name="carry_over"),
    path("importe/", imports.import_start, name="import_start"),
    path("importe/<str:token>/bestaetigen/", imports.import_confirm, name="import_confirm"),
    path("runden/", round_views.rounds, name="rounds"),
    path("runden/<int:pk>/fortschritt/", round_views.round_progress, name="round_progress"),
    path("runden/<int:pk>/abschliessen/", round_views.round_close, name="round_close"),
    path("runden/<int:pk>/wieder-oeffnen/", round_views.round_reopen, name="round_reopen"),
    path("runden/<int:pk>/frist/", round_views.round_deadline, name="round_deadline"),
    path("einheiten/<int:pk>/aktivitaet/", round_views.department_activity, name="department_activity"),
    path("einheiten/tabellen/", department_sheets, name="department_sheets"),
    path("einheiten/<int:pk>/tabelle/", department_sheets, name="department_sheet"),
    path(
        "einheiten/<int:pk>/tabelle/<int:round_pk>/herunterladen/",
        department_sheet_download,
        name="department_sheet_download",
    ),
    path(
        "einheiten/<int:pk>/tabelle/<int:round_pk>/hochladen/", department_sheet_upload, name="department_sheet_upload"
    ),
    path(
        "einheiten/<int:pk>/tabelle/<int:round_pk>/uebernehmen/<str:token>/",
        department_sheet_apply,
        name="department_sheet_apply",
    ),
    path("leistungen/", workspace.my_services, name="my_services"),
    path("leistungen/spalten/", workspace.my_services_columns, name="my_services_columns"),
    path("leistungen/export.xlsx", my_services_xlsx, name="my_services_xlsx"),
    path("leistungen/export.csv", my_services_csv, name="my_services_csv"),
    path("leistungen/sammelbearbeitung/", workspace.bulk_edit, name="bulk_edit"),
    path("bewertungen/<int:pk>/", workspace.assessment_detail, name="assessment_detail"),
    path("bewertungen/<int:pk>/zeile/", workspace.assessment_row, name="assessment_row"),
    path("bewertungen/<int:pk>/zeile/bearbeiten/", workspace.assessment_row_edit, name="assessment_row_edit"),
    path("bewertungen/<int:pk>/bestaetigen/", workspace.assessment_confirm, name="assessment_confirm"),
    path("bewertungen/<int:pk>/rueckfragen/", workspace.question_ask, name="question_ask"),
    path("rueckfragen/", workspace.questions, name="questions"),
    path("rueckfragen.xlsx", more_exports.questions_xlsx, name="questions_xlsx"),
    path("rueckfragen.csv", more_exports.questions_csv, name="questions_csv"),
    path("rueckfragen/<int:pk>/antworten/", workspace.question_answer, name="question_answer"),
]
