"""A large export in the browser: the list's link opens the job's page, its progress bar moves while a real worker
builds the file, and the page shows the download when it is done, without reloading (htmx polling); axe-clean at
every step, with screenshots at 1280 and 390 px."""

import datetime
import re

import pytest
from django.db import connection  # noqa: F401 (the skip condition reads it)
from django.utils import timezone

from leika.models import LeikaEntry
from monitoring.choices import JobState
from monitoring.models import Assessment, BackgroundJob
from tests import factories
from tests.worker import DATABASE_BACKEND, start_worker

from .conftest import assert_accessible, screenshot, signed_in

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason=(
            "der Worker ist ein eigener Prozess; die SQLite-Testdatenbank liegt im Speicher dieses Prozesses "
            "und ist für ihn nicht erreichbar (CI läuft auf PostgreSQL)"
        ),
    ),
]

ROWS = 6000


@pytest.fixture
def editor_with_many_rows(settings, tmp_path):
    settings.TASKS = DATABASE_BACKEND
    settings.DATA_DIR = tmp_path
    settings.EXPORT_DIR = tmp_path / "exports"
    settings.IMPORT_UPLOAD_DIR = tmp_path / "imports"
    org = factories.kreis()
    version = factories.catalogue_version()
    department = factories.department(org)
    entries = LeikaEntry.objects.bulk_create(
        LeikaEntry(version=version, key=f"99{group:03d}{number:03d}001000", name=f"Leistung {group}-{number}")
        for group in range(1, ROWS // 1000 + 1)
        for number in range(1000)
    )
    round_obj = factories.survey_round(org, 2024, version=version)
    Assessment.objects.bulk_create(Assessment(round=round_obj, leika_entry=e, department=department) for e in entries)
    return factories.editor(department, first_name="Erika", last_name="Muster")


def test_a_large_export_shows_its_progress_and_then_the_file(page, live_server, editor_with_many_rows, tmp_path):
    worker = start_worker(tmp_path / "worker.log", batch=False, step_delay=1.5)
    try:
        signed_in(page, live_server, editor_with_many_rows, "/leistungen/")
        export = page.get_by_role("navigation", name="Liste herunterladen").get_by_role(
            "link", name=re.compile("Excel")
        )
        assert export.get_attribute("download") is None, "a large list's link opens the job's page"
        export.click()
        page.get_by_role("heading", name="Export: Meine Leistungen (XLSX)", level=1).wait_for()

        # While the worker writes: the bar with "x von y", the live status, the link for a page without script.
        label = page.locator('label[for="job-progress"]')
        page.wait_for_function(
            "() => /^[1-9][\\d.]* von 6\\.000 Zeilen$/.test("
            "document.querySelector('label[for=\"job-progress\"]')?.textContent.trim() ?? '')",
            timeout=60_000,
        )
        bar = page.get_by_role("progressbar", name=label.inner_text())
        assert bar.get_attribute("max") == str(ROWS)
        assert page.get_by_role("status").inner_text().endswith("Der Auftrag läuft.")
        assert page.get_by_role("link", name="Stand aktualisieren").is_visible()
        assert_accessible(page)
        screenshot(page, "export-progress", 1280)
        screenshot(page, "export-progress", 390)
        page.set_viewport_size({"width": 1280, "height": 900})

        # Done: the page changed by itself, the status says so, and the file is there for its owner.
        page.get_by_role("heading", name="Die Datei ist fertig.").wait_for(timeout=60_000)
        assert page.get_by_role("status").inner_text().endswith("Der Auftrag ist fertig.")
        assert page.locator("progress").count() == 0
        assert_accessible(page)
        screenshot(page, "export-done", 1280)
        screenshot(page, "export-done", 390)
        with page.expect_download() as download:
            page.get_by_role("link", name="Datei herunterladen: leistungen-offene-runden.xlsx").click()
        assert download.value.suggested_filename == "leistungen-offene-runden.xlsx"
        assert BackgroundJob.objects.get().state == JobState.DONE
    finally:
        worker.kill()
        worker.wait(timeout=30)


def test_a_job_without_a_worker_says_that_it_waits(page, live_server, editor_with_many_rows):
    """No worker runs: the job stays queued, and after JOB_WAIT_WARNING_SECONDS its page says so (as a warning,
    axe-clean, at 1280 and 390 px), also in the body it polls."""
    signed_in(page, live_server, editor_with_many_rows, "/leistungen/")
    page.get_by_role("navigation", name="Liste herunterladen").get_by_role("link", name=re.compile("Excel")).click()
    page.get_by_role("heading", name="Export: Meine Leistungen (XLSX)", level=1).wait_for()
    assert page.locator("#job-waiting").count() == 0
    five_minutes_ago = timezone.now() - datetime.timedelta(minutes=5)
    BackgroundJob.objects.update(created_at=five_minutes_ago, updated_at=five_minutes_ago)
    page.get_by_role("heading", name="Der Auftrag wartet seit 5 Minuten auf den Start.").wait_for(timeout=10_000)
    assert page.get_by_role("status").inner_text().endswith("Der Auftrag wartet auf den Start.")
    assert_accessible(page)
    screenshot(page, "export-wartet", 1280)
    screenshot(page, "export-wartet", 390)
    assert BackgroundJob.objects.get().state == JobState.QUEUED
