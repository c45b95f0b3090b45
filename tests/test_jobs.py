"""Background jobs with the immediate task backend of the test settings: each of the four kinds from the request that
queues it to the job page with its progress and result, who may see a job and its file, the file's expiry, and
what an interrupted or failed job shows. The worker process itself is tested in test_jobs_worker.py.

The world of tests/factories.py's workspace_world(): the Bürgeramt (A 12) has four rows in the open round 2024;
personas: editor and editor2 of A 12, a reader, an editor of A 50, the IT office, the IT office of another Kreis.
"""

import datetime
import io
import os
import time

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from leika.models import CatalogueVersion
from monitoring import jobs
from monitoring.choices import JobKind, JobState, Status
from monitoring.editing import apply_changes
from monitoring.models import Assessment, BackgroundJob, DepartmentRole, SurveyRound
from tests import factories
from tests.helpers import HTMX, job_page, login, running_jobs, sheet_line, state, xlsx_download, xlsx_upload

from .test_import_commands import V1, fim_csv

pytestmark = pytest.mark.django_db

STATUS_COLUMN, KEY_COLUMN = 5, 3


@pytest.fixture
def world(settings, tmp_path):
    settings.EXPORT_DIR = tmp_path / "exports"
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    # Small thresholds: the world's few rows stand for thousands.
    settings.EXPORT_JOB_ROWS = 2
    settings.SHEET_JOB_ROWS = 1
    return factories.workspace_world()


def the_job() -> BackgroundJob:
    return BackgroundJob.objects.get()


def export_url(kind="xlsx", **query):
    return reverse(f"my_services_{kind}") + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# --- exports -------------------------------------------------------------------------------------------------------


def test_a_large_export_is_built_in_the_background_and_downloaded_by_its_owner(client, world):
    login(client, world.editor)
    with running_jobs():
        response = client.get(export_url(), HTTP_REFERER="http://testserver/leistungen/?runde=1")
    job = the_job()
    assert (job.kind, job.state, job.owner) == (JobKind.EXPORT, JobState.DONE, world.editor)
    assert (job.done, job.total, job.unit) == (4, 4, "Zeilen")
    page = job_page(client, response)
    assert "Die Datei ist fertig." in page
    assert 'value="4" max="4"' not in page, "a finished job shows its result, not a bar"
    assert "Datei herunterladen: leistungen-offene-runden.xlsx" in page
    assert "/leistungen/?runde=1" in page
    download = client.get(reverse("job_file", args=[job.pk]))
    assert download.status_code == 200
    assert 'filename="leistungen-offene-runden.xlsx"' in download["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    keys = [row[0] for row in workbook["Leistungen"].iter_rows(min_row=2, values_only=True)]
    assert keys == [row.leika_entry.key for row in world.rows[:4]]
    assert dict(workbook["Methode"].iter_rows(min_row=2, values_only=True))["Anzahl Zeilen"] == "4"


def test_the_background_csv_is_the_file_the_direct_download_sends(client, world, settings):
    login(client, world.editor)
    settings.EXPORT_JOB_ROWS = 100
    direct = b"".join(client.get(export_url("csv")).streaming_content)
    settings.EXPORT_JOB_ROWS = 2
    with running_jobs():
        client.get(export_url("csv"))
    background = b"".join(client.get(reverse("job_file", args=[the_job().pk])).streaming_content)
    assert background == direct


def test_a_small_export_stays_a_direct_download(client, world):
    login(client, world.editor)
    response = client.get(export_url(status="analog"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    assert not BackgroundJob.objects.exists()


def test_an_invalid_filter_is_refused_before_any_job(client, world):
    login(client, world.editor)
    assert client.get(export_url(runde="x")).status_code == 400
    assert not BackgroundJob.objects.exists()


def test_only_the_owner_sees_an_export_job_and_its_file(client, world):
    login(client, world.editor)
    with running_jobs():
        client.get(export_url())
    job = the_job()
    # The IT office of the organisation too: an export's file holds what its owner may read, nobody else.
    for person in (world.editor2, world.it_office, world.foreign_it):
        login(client, person)
        assert client.get(reverse("job_detail", args=[job.pk])).status_code == 404
        assert client.get(reverse("job_file", args=[job.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("job_file", args=[job.pk])).status_code == 302


def test_an_export_file_expires_and_the_download_says_so_in_german(client, world, settings):
    login(client, world.editor)
    with running_jobs():
        client.get(export_url())
    job = the_job()
    path = settings.EXPORT_DIR / job.result_file
    assert path.is_file()
    assert job.expires_at - job.finished_at == datetime.timedelta(hours=settings.EXPORT_KEEP_HOURS)
    BackgroundJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = client.get(reverse("job_file", args=[job.pk]))
    assert response.status_code == 410
    assert "Die Datei ist nicht mehr vorhanden" in response.content.decode()
    assert "Bitte exportieren Sie die Liste erneut." in response.content.decode()
    assert "Die Datei wurde nach Ablauf ihrer Aufbewahrungszeit gelöscht." in job_page_of(client, job)
    call_command("delete_expired_exports", verbosity=0)
    assert not path.exists()
    job.refresh_from_db()
    assert job.result_file == "" and job.result_name == "leistungen-offene-runden.xlsx"
    assert client.get(reverse("job_file", args=[job.pk])).status_code == 410


def test_new_exports_delete_expired_files_and_files_nobody_claims(client, world, settings):
    login(client, world.editor)
    with running_jobs():
        client.get(export_url())
    first = the_job()
    BackgroundJob.objects.filter(pk=first.pk).update(expires_at=timezone.now())
    stray_old = settings.EXPORT_DIR / "halb-geschrieben.xlsx"  # a worker killed while writing
    stray_old.write_bytes(b"x")
    long_ago = time.time() - (settings.EXPORT_KEEP_HOURS + 1) * 3600
    os.utime(stray_old, (long_ago, long_ago))
    stray_new = settings.EXPORT_DIR / "wird-gerade-geschrieben.xlsx"
    stray_new.write_bytes(b"x")
    with running_jobs():
        client.get(export_url("csv"))
    assert not (settings.EXPORT_DIR / first.result_file).exists()
    assert not stray_old.exists()
    assert stray_new.exists()
    second = BackgroundJob.objects.exclude(pk=first.pk).get()
    assert (settings.EXPORT_DIR / second.result_file).is_file()


def test_an_export_job_reads_with_the_rights_its_owner_has_when_it_runs(client, world):
    login(client, world.editor)
    response = client.get(export_url())  # queued, not yet run
    DepartmentRole.objects.filter(user=world.editor).delete()
    job = the_job()
    jobs.run_job.call(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.DONE
    download = client.get(reverse("job_file", args=[job.pk]))
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert workbook["Leistungen"].max_row == 1, "no rows: the editor lost the department meanwhile"
    assert response.status_code == 302


def job_page_of(client, job) -> str:
    return client.get(reverse("job_detail", args=[job.pk])).content.decode()


# --- the job page while it runs --------------------------------------------------------------------------------------


def test_a_queued_job_shows_a_progress_bar_with_x_von_y_and_polls_while_it_runs(client, world):
    login(client, world.editor)
    client.get(export_url())  # queued on commit, which never comes inside a test: it stays queued
    job = the_job()
    BackgroundJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING, done=2, heartbeat_at=timezone.now())
    page = job_page_of(client, job)
    assert '<progress id="job-progress" value="2" max="4">' in page
    assert '<label class="kern-label" for="job-progress">2 von 4 Zeilen</label>' in page
    assert 'id="job-state" role="status"' in page and "Der Auftrag läuft." in page
    assert f'hx-get="/auftraege/{job.pk}/?stand=running" hx-trigger="every 2s"' in page
    assert f'href="/auftraege/{job.pk}/">Stand aktualisieren' in page, "without script, a link reloads the page"


def test_the_polled_body_replaces_the_live_status_only_when_the_state_changed(client, world):
    login(client, world.editor)
    client.get(export_url())
    job = the_job()
    BackgroundJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING, done=1, heartbeat_at=timezone.now())
    same = client.get(reverse("job_detail", args=[job.pk]), {"stand": "running"}, **HTMX).content.decode()
    assert "1 von 4 Zeilen" in same and "hx-swap-oob" not in same and "<html" not in same
    changed = client.get(reverse("job_detail", args=[job.pk]), {"stand": "queued"}, **HTMX).content.decode()
    assert 'id="job-state" hx-swap-oob="innerHTML"' in changed and "Der Auftrag läuft." in changed
    BackgroundJob.objects.filter(pk=job.pk).update(state=JobState.DONE, message="Die Datei ist fertig.")
    finished = client.get(reverse("job_detail", args=[job.pk]), {"stand": "running"}, **HTMX).content.decode()
    assert "hx-trigger" not in finished, "a finished job is no longer polled"
    assert "Der Auftrag ist fertig." in finished


def test_my_jobs_lists_the_persons_own_jobs_newest_first(client, world):
    login(client, world.editor)
    client.get(export_url())
    client.get(export_url("csv"))
    login(client, world.editor2)
    client.get(export_url())
    login(client, world.editor)
    page = client.get(reverse("job_list")).content.decode()
    assert page.count("Export: Meine Leistungen") == 2
    assert page.index("(CSV)") < page.index("(XLSX)")
    login(client, world.reader)
    assert "Sie haben noch keine Aufträge erteilt." in client.get(reverse("job_list")).content.decode()


def test_a_job_that_waits_long_for_a_worker_says_so(client, world, settings):
    """No worker has picked the job up (none running?): after JOB_WAIT_WARNING_SECONDS its page says so, in
    German, that nothing is lost, and whom to ask; a job that started, or waited only briefly, does not."""
    login(client, world.editor)
    client.get(export_url())  # queued on commit, which never comes inside a test: no worker takes it
    job = the_job()
    assert 'id="job-waiting"' not in job_page_of(client, job)
    queued_at = timezone.now() - datetime.timedelta(seconds=settings.JOB_WAIT_WARNING_SECONDS + 125)
    BackgroundJob.objects.filter(pk=job.pk).update(created_at=queued_at, updated_at=queued_at)
    page = job_page_of(client, job)
    assert 'id="job-waiting"' in page
    assert "Der Auftrag wartet seit 3 Minuten auf den Start." in page
    assert "Ihre Eingaben sind gespeichert" in page and "manage.py db_worker" in page
    polled = client.get(reverse("job_detail", args=[job.pk]), {"stand": "queued"}, **HTMX).content.decode()
    assert 'id="job-waiting"' in polled, "the polled body shows it too"
    BackgroundJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING, attempts=1, heartbeat_at=timezone.now())
    assert 'id="job-waiting"' not in job_page_of(client, job)


def test_old_finished_jobs_are_deleted_with_what_they_kept(client, world, settings):
    """`delete_expired_exports` deletes the records of jobs finished more than JOB_KEEP_DAYS ago and their files;
    younger ones and queued or running ones stay."""
    login(client, world.editor)
    with running_jobs():
        client.get(export_url())
    done = the_job()
    assert done.state == JobState.DONE and (settings.EXPORT_DIR / done.result_file).exists()
    client.get(export_url("csv"))  # stays queued
    queued = BackgroundJob.objects.exclude(pk=done.pk).get()
    long_ago = timezone.now() - datetime.timedelta(days=settings.JOB_KEEP_DAYS + 1)
    BackgroundJob.objects.update(updated_at=long_ago)
    call_command("delete_expired_exports", verbosity=0)
    assert list(BackgroundJob.objects.values_list("pk", flat=True)) == [queued.pk]
    assert not list(settings.EXPORT_DIR.iterdir())
    assert client.get(reverse("job_detail", args=[done.pk])).status_code == 404


def test_an_old_interrupted_import_is_deleted_with_its_upload(client, cataloguer, settings):
    login(client, cataloguer)
    client.post(reverse("import_confirm", args=[preview_token(client)]))
    job = the_job()
    long_ago = timezone.now() - datetime.timedelta(days=settings.JOB_KEEP_DAYS + 1)
    BackgroundJob.objects.filter(pk=job.pk).update(state=JobState.INTERRUPTED, updated_at=long_ago)
    assert len(list(settings.IMPORT_UPLOAD_DIR.iterdir())) == 1
    assert jobs.delete_old_jobs() == 1
    assert not BackgroundJob.objects.exists() and not list(settings.IMPORT_UPLOAD_DIR.iterdir())


# --- interrupted and failed jobs -------------------------------------------------------------------------------------


def test_a_job_without_a_heartbeat_is_shown_interrupted_and_starts_again(client, world, settings):
    """Where heartbeats are written (PostgreSQL), one that fell silent means the worker is gone. SQLite allows one
    writer at a time, so a job writes none there: a silent heartbeat says nothing and the job is left running (only
    its task's end would tell); CI runs the rest on PostgreSQL."""
    login(client, world.editor)
    client.get(export_url())
    job = the_job()
    silent_since = timezone.now() - datetime.timedelta(seconds=settings.JOB_STALE_SECONDS + 1)
    BackgroundJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING, attempts=1, heartbeat_at=silent_since)
    if connection.vendor != "postgresql":
        assert "Der Auftrag läuft." in job_page_of(client, job)
        assert BackgroundJob.objects.get(pk=job.pk).state == JobState.RUNNING
        return
    page = job_page_of(client, job)
    assert "Der Auftrag wurde unterbrochen; es wurde nichts gespeichert." in page
    assert "Auftrag erneut starten" in page
    login(client, world.it_office)  # not the owner: the page is not theirs to see at all
    assert client.get(reverse("job_detail", args=[job.pk])).status_code == 404
    login(client, world.editor)
    with running_jobs():
        response = client.post(reverse("job_restart", args=[job.pk]))
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DONE, 2)
    assert "Die Datei ist fertig." in job_page(client, response)


def test_a_running_job_with_a_fresh_heartbeat_is_left_running(client, world):
    login(client, world.editor)
    client.get(export_url())
    job = the_job()
    BackgroundJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING, attempts=1, heartbeat_at=timezone.now())
    assert "Der Auftrag läuft." in job_page_of(client, job)
    assert client.post(reverse("job_restart", args=[job.pk])).status_code == 302
    assert BackgroundJob.objects.get(pk=job.pk).state == JobState.RUNNING, "only an interrupted job starts again"


def test_an_unexpected_error_rolls_back_and_is_shown_in_german(client, world, monkeypatch):
    def failing(job, progress):
        Assessment.objects.filter(round__is_closed=False).update(justification="halb geschrieben")
        raise RuntimeError("kaputt")

    monkeypatch.setitem(jobs.WORK, JobKind.EXPORT, "tests.test_jobs.FAILING")
    monkeypatch.setattr("tests.test_jobs.FAILING", failing, raising=False)
    before = state()
    login(client, world.editor)
    with running_jobs():
        response = client.get(export_url())
    assert state() == before
    page = job_page(client, response)
    assert "Der Auftrag ist an einem unerwarteten Fehler gescheitert; es wurde nichts gespeichert." in page
    assert "kaputt" not in page
    assert the_job().state == JobState.INTERRUPTED


# --- sheets --------------------------------------------------------------------------------------------------------


def sheet_with_all_rows_digital(client, world):
    workbook = xlsx_download(
        client,
        reverse("department_sheet_download", args=[world.dep.pk, world.round.pk]),
        "Leistungen-A-12-2024.xlsx",
    )
    sheet = workbook["Leistungen"]
    for row in world.rows[:4]:
        if row.status != Status.DIGITAL:
            sheet.cell(sheet_line(sheet, KEY_COLUMN, row.leika_entry.key), STATUS_COLUMN).value = "Digital"
    return workbook


def upload_and_apply(client, world, workbook):
    url = reverse("department_sheet_upload", args=[world.dep.pk, world.round.pk])
    token = xlsx_upload(client, url, workbook, "Leistungen.xlsx").context["token"]
    assert token
    return reverse("department_sheet_apply", args=[world.dep.pk, world.round.pk, token])


def test_a_large_sheet_is_applied_in_the_background(client, world):
    login(client, world.editor)
    apply_url = upload_and_apply(client, world, sheet_with_all_rows_digital(client, world))
    with running_jobs():
        response = client.post(apply_url)
    job = the_job()
    assert (job.kind, job.state, job.organisation) == (JobKind.SHEET, JobState.DONE, world.org)
    assert Assessment.objects.filter(pk__in=[r.pk for r in world.rows[:4]], status=Status.DIGITAL).count() == 4
    page = job_page(client, response)
    assert "Aus der Tabelle „Leistungen.xlsx“ übernommen: 2 Leistungen von A 12 in der Erhebungsrunde 2024" in page
    assert reverse("department_sheet", args=[world.dep.pk]) in page
    # The IT office of the organisation follows its departments' sheets; others see nothing of it.
    login(client, world.it_office)
    assert client.get(reverse("job_detail", args=[job.pk])).status_code == 200
    for person in (world.editor2, world.other_editor, world.foreign_it):
        login(client, person)
        assert client.get(reverse("job_detail", args=[job.pk])).status_code == 404


def test_a_small_sheet_is_still_applied_at_once(client, world, settings):
    settings.SHEET_JOB_ROWS = 1000
    login(client, world.editor)
    response = client.post(upload_and_apply(client, world, sheet_with_all_rows_digital(client, world)))
    assert response.status_code == 302 and response["Location"] == reverse("department_sheet", args=[world.dep.pk])
    assert not BackgroundJob.objects.exists()


def test_a_conflict_found_by_the_job_writes_nothing_and_says_who_changed_what(client, world):
    login(client, world.editor)
    apply_url = upload_and_apply(client, world, sheet_with_all_rows_digital(client, world))
    apply_changes(world.editor2, [world.rows[0].pk], {"justification": "inzwischen"})
    before = state()
    with running_jobs():
        response = client.post(apply_url)
    assert state() == before
    page = job_page(client, response)
    assert "Es wurde nichts gespeichert: 1 Leistung wurde nach der Vorschau von anderen geändert." in page
    assert "Editor2" in page
    assert the_job().state == JobState.FAILED
    assert "Auftrag erneut starten" not in page, "a refused job is not started again: the sheet must change"


def test_a_sheet_job_of_a_round_closed_meanwhile_says_so(client, world):
    login(client, world.editor)
    apply_url = upload_and_apply(client, world, sheet_with_all_rows_digital(client, world))
    response = client.post(apply_url)  # queued
    factories.close(world.round)
    before = state()
    jobs.run_job.call(the_job().pk)
    assert state() == before
    assert "Die Erhebungsrunde Musterstadt 2024 ist abgeschlossen" in job_page(client, response)


# --- imports -------------------------------------------------------------------------------------------------------


@pytest.fixture
def cataloguer(world):
    return factories.cataloguer()


def preview_token(client) -> str:
    response = client.post(
        reverse("import_start"),
        {"kind": "leika", "version_name": "2024", "file": SimpleUploadedFile("katalog.csv", fim_csv(V1))},
    )
    return response.context["token"]


def test_an_import_job_that_fails_shows_the_import_pages_message_and_drops_the_upload(client, cataloguer, settings):
    login(client, cataloguer)
    token = preview_token(client)
    factories.catalogue_version("2024", year=2023)  # another file under the same name, imported meanwhile
    with running_jobs():
        response = client.post(reverse("import_confirm", args=[token]))
    page = job_page(client, response)
    assert "Die Datei kann nicht importiert werden; es wurde nichts geschrieben." in page
    assert "Die Katalogversion „2024“ gibt es bereits mit anderem Inhalt." in page
    assert not list(settings.IMPORT_UPLOAD_DIR.iterdir())


def test_an_interrupted_import_keeps_its_upload_and_completes_when_started_again(client, cataloguer, settings):
    login(client, cataloguer)
    response = client.post(reverse("import_confirm", args=[preview_token(client)]))
    job = the_job()
    assert job.title == "Import: LeiKa-Katalog aus „katalog.csv“"
    assert "0 von 1 Schritt" in job_page(client, response)
    BackgroundJob.objects.filter(pk=job.pk).update(state=JobState.INTERRUPTED, message=jobs.INTERRUPTED_MESSAGE)
    assert len(list(settings.IMPORT_UPLOAD_DIR.iterdir())) == 1
    with running_jobs():
        client.post(reverse("job_restart", args=[job.pk]))
    assert CatalogueVersion.objects.get(name="2024").entries.count() == len(V1)
    assert not list(settings.IMPORT_UPLOAD_DIR.iterdir())
    login(client, factories.cataloguer("katalog2"))
    assert client.get(reverse("job_detail", args=[job.pk])).status_code == 404


# --- opening a round -----------------------------------------------------------------------------------------------


def test_opening_a_round_shows_its_progress_to_the_it_office_of_the_organisation(client, world):
    factories.close(world.round)
    colleague = factories.it_office(world.org, "it2")
    login(client, world.it_office)
    payload = {"organisation": world.org.pk, "year": 2025, "catalogue_version": world.version.pk}
    response = client.post(reverse("rounds"), payload)  # queued
    job = the_job()
    assert (job.kind, job.state, job.total, job.unit) == (JobKind.OPEN_ROUND, JobState.QUEUED, 5, "Bewertungen")
    assert job.title == "Erhebungsrunde Musterstadt 2025 eröffnen"
    assert "0 von 5 Bewertungen" in job_page(client, response)
    jobs.run_job.call(job.pk)
    new_round = SurveyRound.objects.get(organisation=world.org, year=2025)
    assert new_round.assessments.count() == 5
    login(client, colleague)
    page = job_page_of(client, job)
    assert "Die Erhebungsrunde Musterstadt 2025 ist eröffnet; 5 Bewertungen wurden" in page
    assert client.post(reverse("job_restart", args=[job.pk])).status_code == 403, "only the owner starts it again"
    for person in (world.editor, world.foreign_it):
        login(client, person)
        assert client.get(reverse("job_detail", args=[job.pk])).status_code == 404


def test_a_round_opened_by_someone_else_meanwhile_fails_in_german(client, world):
    factories.close(world.round)
    login(client, world.it_office)
    client.post(reverse("rounds"), {"organisation": world.org.pk, "year": 2025, "catalogue_version": world.version.pk})
    factories.survey_round(world.org, 2025, version=world.version)
    jobs.run_job.call(the_job().pk)
    page = job_page_of(client, the_job())
    assert "Für 2025 gibt es schon eine Erhebungsrunde." in page
    assert SurveyRound.objects.get(organisation=world.org, year=2025).assessments.count() == 0
