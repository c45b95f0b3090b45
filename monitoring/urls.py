"""URLs of the monitoring pages."""

from django.urls import path

from .views import catalogues, dashboard, imports, overview, questions, rounds, sheets, workspace

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("auswertung/", dashboard.dashboard_index, name="dashboard_index"),
    path("auswertung/<int:pk>/", dashboard.dashboard, name="dashboard"),
    path("auswertung/<int:pk>/druck/", dashboard.dashboard_print, name="dashboard_print"),
    path("auswertung/<int:pk>/tabellen.xlsx", dashboard.dashboard_xlsx, name="dashboard_xlsx"),
    path("kataloge/", catalogues.catalogues, name="catalogues"),
    path("kataloge/<int:pk>/abgleich/", catalogues.crosswalk, name="crosswalk"),
    path("kataloge/<int:pk>/abgleich.xlsx", catalogues.crosswalk_xlsx, name="crosswalk_xlsx"),
    path("kataloge/<int:pk>/abgleich.csv", catalogues.crosswalk_csv, name="crosswalk_csv"),
    path("runden/<int:pk>/uebernahme/", catalogues.carry_over, name="carry_over"),
    path("importe/", imports.import_start, name="import_start"),
    path("importe/<str:token>/bestaetigen/", imports.import_confirm, name="import_confirm"),
    path("runden/", rounds.rounds, name="rounds"),
    path("runden/<int:pk>/fortschritt/", rounds.round_progress, name="round_progress"),
    path("runden/<int:pk>/abschliessen/", rounds.round_close, name="round_close"),
    path("runden/<int:pk>/wieder-oeffnen/", rounds.round_reopen, name="round_reopen"),
    path("runden/<int:pk>/frist/", rounds.round_deadline, name="round_deadline"),
    path("einheiten/<int:pk>/aktivitaet/", rounds.department_activity, name="department_activity"),
    path("einheiten/tabellen/", sheets.department_sheets, name="department_sheets"),
    path("einheiten/<int:pk>/tabelle/", sheets.department_sheets, name="department_sheet"),
    path(
        "einheiten/<int:pk>/tabelle/<int:round_pk>/herunterladen/",
        sheets.department_sheet_download,
        name="department_sheet_download",
    ),
    path(
        "einheiten/<int:pk>/tabelle/<int:round_pk>/hochladen/",
        sheets.department_sheet_upload,
        name="department_sheet_upload",
    ),
    path(
        "einheiten/<int:pk>/tabelle/<int:round_pk>/uebernehmen/<str:token>/",
        sheets.department_sheet_apply,
        name="department_sheet_apply",
    ),
    path("leistungen/", workspace.my_services, name="my_services"),
    path("leistungen/spalten/", workspace.my_services_columns, name="my_services_columns"),
    path("leistungen/export.xlsx", workspace.my_services_xlsx, name="my_services_xlsx"),
    path("leistungen/export.csv", workspace.my_services_csv, name="my_services_csv"),
    path("leistungen/sammelbearbeitung/", workspace.bulk_edit, name="bulk_edit"),
    path("bewertungen/<int:pk>/", workspace.assessment_detail, name="assessment_detail"),
    path("bewertungen/<int:pk>/zeile/", workspace.assessment_row, name="assessment_row"),
    path("bewertungen/<int:pk>/zeile/bearbeiten/", workspace.assessment_row_edit, name="assessment_row_edit"),
    path("bewertungen/<int:pk>/bestaetigen/", workspace.assessment_confirm, name="assessment_confirm"),
    path("bewertungen/<int:pk>/rueckfragen/", questions.question_ask, name="question_ask"),
    path("rueckfragen/", questions.questions, name="questions"),
    path("rueckfragen.xlsx", questions.questions_xlsx, name="questions_xlsx"),
    path("rueckfragen.csv", questions.questions_csv, name="questions_csv"),
    path("rueckfragen/<int:pk>/antworten/", questions.question_answer, name="question_answer"),
]
