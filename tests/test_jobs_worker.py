"""Background jobs through a real worker: the database task backend, `manage.py db_worker` in a subprocess, and
PostgreSQL. A job runs to completion; a worker killed with SIGKILL in the middle of opening a round leaves nothing
half-written, the job page then says so in German, and starting the job again completes it.

Transactional tests: the worker is another process and sees only what is committed.
"""

import os
import signal
import subprocess

import pytest
from django.db import connection
from django.urls import reverse

from leika.models import LeikaEntry
from monitoring.choices import JobState
from monitoring.models import Assessment, BackgroundJob, SurveyRound
from tests import factories
from tests.helpers import job_page, login
from tests.worker import DATABASE_BACKEND, start_worker, wait_for

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

ROWS = 5000  # three batches of carry-over (monitoring.carryover.CARRY_BATCH), each a progress step


@pytest.fixture
def worker_settings(settings, tmp_path):
    settings.TASKS = DATABASE_BACKEND
    settings.DATA_DIR = tmp_path
    settings.EXPORT_DIR = tmp_path / "exports"
    settings.IMPORT_UPLOAD_DIR = tmp_path / "imports"
    settings.JOB_STALE_SECONDS = 3
    return tmp_path


@pytest.fixture
def organisation_with_a_closed_round(worker_settings):
    """A Kreis whose closed round 2024 has ROWS assessments, and its IT office."""
    org = factories.kreis()
    version = factories.catalogue_version()
    department = factories.department(org)
    entries = LeikaEntry.objects.bulk_create(
        LeikaEntry(version=version, key=f"99{group:03d}{number:03d}001000", name=f"Leistung {group}-{number}")
        for group in range(1, ROWS // 1000 + 1)
        for number in range(1000)
    )
    previous = factories.survey_round(org, 2024, version=version)
    Assessment.objects.bulk_create(
        Assessment(round=previous, leika_entry=entry, department=department) for entry in entries
    )
    factories.close(previous)
    return org, version, factories.it_office(org)


def open_2025(client, org, version):
    response = client.post(reverse("rounds"), {"organisation": org.pk, "year": 2025, "catalogue_version": version.pk})
    assert response.status_code == 302, response
    return response


def run_batch(log, **options) -> None:
    worker = start_worker(log, batch=True, **options)
    try:
        assert worker.wait(timeout=120) == 0, log.read_text()
    except subprocess.TimeoutExpired:
        worker.kill()
        raise


def test_a_job_runs_to_completion_through_the_worker(client, organisation_with_a_closed_round, worker_settings):
    org, version, it_office = organisation_with_a_closed_round
    login(client, it_office)
    response = open_2025(client, org, version)
    job = BackgroundJob.objects.get()
    assert job.state == JobState.QUEUED and job.task_result_id, "queued once the job's row was committed"
    assert not SurveyRound.objects.filter(year=2025).exists()
    run_batch(worker_settings / "worker.log")
    job.refresh_from_db()
    assert job.state == JobState.DONE, (job.message, (worker_settings / "worker.log").read_text())
    assert (job.done, job.total, job.attempts) == (ROWS, ROWS, 1)
    assert SurveyRound.objects.get(year=2025).assessments.count() == ROWS
    assert "Die Erhebungsrunde Kreis Muster 2025 ist eröffnet; 5.000 Bewertungen wurden" in job_page(client, response)


def test_a_worker_killed_midway_leaves_nothing_and_the_job_starts_again(
    client, organisation_with_a_closed_round, worker_settings
):
    org, version, it_office = organisation_with_a_closed_round
    login(client, it_office)
    response = open_2025(client, org, version)
    job = BackgroundJob.objects.get()
    assessments = Assessment.objects.count()
    log = worker_settings / "worker.log"
    worker = start_worker(log, batch=False, step_delay=1.5)
    try:
        # The first batch of 2,000 rows is written (inside the job's transaction) and its progress reported.
        wait_for(
            lambda: BackgroundJob.objects.filter(pk=job.pk, done__gte=2000).exists(),
            what=f"Fortschritt des Auftrags\n{log.read_text() if log.exists() else ''}",
        )
        assert BackgroundJob.objects.get(pk=job.pk).done < ROWS
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()

    # PostgreSQL rolled the worker's transaction back: no round, no row of it.
    wait_for(lambda: not _worker_connected(), what="Verbindung des Workers geschlossen")
    assert not SurveyRound.objects.filter(year=2025).exists()
    assert Assessment.objects.count() == assessments
    assert BackgroundJob.objects.get(pk=job.pk).state == JobState.RUNNING, "nobody could tell the job it died"

    # Once its heartbeat is older than JOB_STALE_SECONDS, the page shows it failed, in German.
    wait_for(
        lambda: "wurde unterbrochen" in client.get(response["Location"]).content.decode(),
        timeout=15,
        what="Auftrag als unterbrochen angezeigt",
    )
    page = job_page(client, response)
    assert "Der Auftrag wurde unterbrochen; es wurde nichts gespeichert." in page
    assert "Auftrag erneut starten" in page

    restarted = client.post(reverse("job_restart", args=[job.pk]))
    assert restarted.status_code == 302
    run_batch(log)
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DONE, 2), (job.message, log.read_text())
    assert SurveyRound.objects.get(year=2025).assessments.count() == ROWS
    assert "Die Erhebungsrunde Kreis Muster 2025 ist eröffnet" in job_page(client, response)


def _worker_connected() -> bool:
    """Whether another session than ours is still inside a transaction on the test database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state LIKE 'idle in transaction%%'"
        )
        return cursor.fetchone()[0] > 0
