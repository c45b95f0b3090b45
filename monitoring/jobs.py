"""Long work in the background: the one place that queues a job, runs it with its progress, and marks it done or failed.

A job is a `BackgroundJob` row plus the django-tasks task `run_job`, which the worker (`manage.py db_worker`) picks
up. The row is written first and the task queued only once the row is committed. The work runs in one transaction
that also marks the job done, so a worker killed midway leaves nothing half-written; such a job is shown as
interrupted when someone looks at it (no sign of life for JOB_STALE_SECONDS, or its task no longer running) and can
be started again with the input it kept.

Progress and signs of life go through a connection of their own (a thread beside the work), since the work's writes
are invisible to everyone else until its transaction commits. On SQLite, which allows one writer at a time, nothing
is written until the end, and a job is taken as interrupted only when its task says so.
"""

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist

from leika.tabular import ImportFailed

from .choices import JobKind, JobState
from .editing import EditConflict
from .models import BackgroundJob, EditRefused

logger = logging.getLogger(__name__)

# What each kind of job does: `work(job, progress) -> Finished`. Imported when a job runs: the worker loads no views.
WORK = {
    JobKind.IMPORT: "monitoring.imports.import_job",
    JobKind.OPEN_ROUND: "monitoring.carryover.open_round_job",
    JobKind.SHEET: "monitoring.sheets.sheet_job",
    JobKind.EXPORT: "monitoring.exports.lists.export_job",
}
# What a kind keeps until its job is finished (uploaded files) and gives up then: `discard(job)`.
DISCARD = {JobKind.IMPORT: "monitoring.imports.discard_import_job"}

INTERRUPTED_MESSAGE = (
    "Der Auftrag wurde unterbrochen; es wurde nichts gespeichert. Sie können ihn mit denselben Eingaben erneut starten."
)
UNEXPECTED_MESSAGE = (
    "Der Auftrag ist an einem unerwarteten Fehler gescheitert; es wurde nichts gespeichert. Sie können ihn erneut "
    "starten; scheitert er wieder, wenden Sie sich bitte an die IT-Steuerung."
)
NOTHING_SAVED = "Es wurde nichts gespeichert."
SHOWN_LINES = 50
# Progress is written at most this often; signs of life at least every JOB_HEARTBEAT_SECONDS.
PROGRESS_WRITE_SECONDS = 1.0


@dataclass
class Finished:
    """What came of a job: a message for the person, details, and a link or a file (a name in EXPORT_DIR)."""

    message: str
    lines: list[str] = field(default_factory=list)
    result_url: str = ""
    result_label: str = ""
    result_file: str = ""
    result_name: str = ""


class JobRefused(Exception):
    """The work was refused as a whole for a reason the person can fix; nothing was saved."""

    def __init__(self, message: str, lines=()):
        super().__init__(message)
        self.message = message
        self.lines = list(lines)


class Interrupted(Exception):
    """The job was taken as interrupted while it ran: its work is rolled back, the record already says so."""


# --- queueing ------------------------------------------------------------------------------------------------------


def start(owner, kind: str, title: str, params: dict, *, organisation=None, total: int = 0, unit: str = ""):
    """The job's record, and its task queued once the record is committed (a worker must find the row)."""
    job = BackgroundJob.objects.create(
        owner=owner,
        kind=kind,
        title=title[:300],
        params=params,
        organisation=organisation,
        total=total,
        unit=unit,
    )
    transaction.on_commit(lambda: _queue(job.pk))
    return job


def restart(job: BackgroundJob) -> bool:
    """Queue an interrupted job again, with the input it kept; False if it is not interrupted (any more)."""
    with transaction.atomic():
        restarted = BackgroundJob.objects.filter(pk=job.pk, state=JobState.INTERRUPTED).update(
            state=JobState.QUEUED,
            done=0,
            message="",
            lines=[],
            started_at=None,
            heartbeat_at=None,
            finished_at=None,
            updated_at=timezone.now(),
        )
        if restarted:
            transaction.on_commit(lambda: _queue(job.pk))
    return bool(restarted)


def _queue(job_id: int) -> None:
    result = run_job.enqueue(job_id)
    BackgroundJob.objects.filter(pk=job_id).update(task_result_id=str(result.id))


# --- running -------------------------------------------------------------------------------------------------------


class Progress:
    """How far the work is: the work calls `progress(done, total)`; a thread writes it with a sign of life through a
    connection of its own, at most every PROGRESS_WRITE_SECONDS and at least every JOB_HEARTBEAT_SECONDS."""

    def __init__(self, job: BackgroundJob):
        self.job_id, self.attempt = job.pk, job.attempts
        self.done, self.total = 0, job.total
        self._changed = threading.Event()
        self._stopping = threading.Event()
        self._thread = None

    def __call__(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        self._changed.set()
        if settings.JOB_STEP_DELAY_SECONDS:
            time.sleep(settings.JOB_STEP_DELAY_SECONDS)

    @contextlib.contextmanager
    def beating(self):
        if connection.vendor == "postgresql":
            self._thread = threading.Thread(target=self._beat, name=f"job-{self.job_id}", daemon=True)
            self._thread.start()
        try:
            yield self
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop writing; before the work locks its own record, which the thread would otherwise wait for."""
        if self._thread is not None:
            self._stopping.set()
            self._thread.join()
            self._thread = None

    def _beat(self) -> None:
        last = 0.0
        try:
            while not self._stopping.is_set():
                now = time.monotonic()
                if self._changed.is_set() or now - last >= settings.JOB_HEARTBEAT_SECONDS:
                    self._changed.clear()
                    self._write()
                    last = now
                self._stopping.wait(PROGRESS_WRITE_SECONDS)
        finally:
            connections.close_all()  # this thread's own connections

    def _write(self) -> None:
        try:
            BackgroundJob.objects.filter(pk=self.job_id, state=JobState.RUNNING, attempts=self.attempt).update(
                done=self.done, total=self.total, heartbeat_at=timezone.now()
            )
        except DatabaseError:
            logger.warning("Fortschritt des Auftrags %s nicht geschrieben", self.job_id, exc_info=True)


@task()
def run_job(job_id: int) -> str:
    """Run a queued job: mark it running, do its work in one transaction, mark it done or failed."""
    now = timezone.now()
    claimed = BackgroundJob.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=now, heartbeat_at=now, updated_at=now, attempts=F("attempts") + 1
    )
    if not claimed:  # queued twice, or restarted meanwhile: the other task runs it
        return "skipped"
    job = BackgroundJob.objects.select_related("owner", "organisation").get(pk=job_id)
    progress = Progress(job)
    finished = None
    try:
        with progress.beating(), transaction.atomic():
            finished = import_string(WORK[job.kind])(job, progress)
            progress.stop()
            _mark_done(job, finished, progress)
    except Interrupted:
        _remove_result_file(finished)
        return JobState.INTERRUPTED
    except (JobRefused, EditRefused, ImportFailed, ValidationError, PermissionDenied, Http404) as refused:
        _remove_result_file(finished)
        message, lines = refusal(refused)
        _mark_finished(job, JobState.FAILED, message, lines)
    except Exception:
        _remove_result_file(finished)
        logger.exception("Auftrag %s (%s) ist gescheitert", job.pk, job.kind)
        _mark_finished(job, JobState.INTERRUPTED, UNEXPECTED_MESSAGE, [])
        return JobState.INTERRUPTED
    if job.kind in DISCARD:
        import_string(DISCARD[job.kind])(job)
    return BackgroundJob.objects.filter(pk=job.pk).values_list("state", flat=True).first() or ""


def _mark_done(job: BackgroundJob, finished: Finished, progress: Progress) -> None:
    """In the work's transaction: done only if nobody took the job as interrupted meanwhile (else all rolls back)."""
    current = BackgroundJob.objects.select_for_update().filter(pk=job.pk).values_list("state", "attempts").first()
    if current != (JobState.RUNNING, job.attempts):
        raise Interrupted
    now = timezone.now()
    total = progress.total or progress.done
    keep = timedelta(hours=settings.EXPORT_KEEP_HOURS)
    BackgroundJob.objects.filter(pk=job.pk).update(
        state=JobState.DONE,
        done=total,
        total=total,
        message=finished.message,
        lines=_shortened(finished.lines),
        result_url=finished.result_url,
        result_label=finished.result_label,
        result_file=finished.result_file,
        result_name=finished.result_name,
        expires_at=now + keep if finished.result_file else None,
        finished_at=now,
        heartbeat_at=now,
        updated_at=now,
    )


def _mark_finished(job: BackgroundJob, state: str, message: str, lines: list[str]) -> None:
    now = timezone.now()
    BackgroundJob.objects.filter(pk=job.pk, attempts=job.attempts).exclude(state=JobState.DONE).update(
        state=state, message=message, lines=_shortened(lines), finished_at=now, updated_at=now
    )


def _remove_result_file(finished: Finished | None) -> None:
    if finished is not None and finished.result_file:
        (Path(settings.EXPORT_DIR) / finished.result_file).unlink(missing_ok=True)


def _shortened(lines: list[str]) -> list[str]:
    lines = [str(line) for line in lines]
    if len(lines) > SHOWN_LINES:
        return [*lines[:SHOWN_LINES], f"… und {len(lines) - SHOWN_LINES} weitere."]
    return lines


def refusal(error: Exception) -> tuple[str, list[str]]:
    """The German message and details for a refused job, in the words the synchronous pages use."""
    if isinstance(error, JobRefused):
        return error.message, error.lines
    if isinstance(error, EditConflict):
        lines = [f"{c.row.row_label}: {line}" for c in error.conflicts for line in c.lines()]
        count = len(error.conflicts)
        rows = "1 Zeile wurde" if count == 1 else f"{count} Zeilen wurden"
        return f"Es wurde nichts gespeichert: {rows} inzwischen von anderen geändert.", lines
    if isinstance(error, EditRefused):
        return NOTHING_SAVED, error.lines()
    if isinstance(error, ImportFailed):
        return "Die Datei kann nicht importiert werden; es wurde nichts geschrieben.", [str(e) for e in error.errors]
    if isinstance(error, ValidationError):
        return NOTHING_SAVED, list(error.messages)
    return f"{NOTHING_SAVED} {error}".strip(), []


# --- watching ------------------------------------------------------------------------------------------------------


def checked(job: BackgroundJob) -> BackgroundJob:
    """The job as it is; one whose worker is gone is marked interrupted first (when someone looks at it)."""
    if job.state not in (JobState.QUEUED, JobState.RUNNING) or not _worker_gone(job):
        return job
    BackgroundJob.objects.filter(
        pk=job.pk, state=job.state, attempts=job.attempts, heartbeat_at=job.heartbeat_at
    ).update(
        state=JobState.INTERRUPTED,
        message=INTERRUPTED_MESSAGE,
        lines=[],
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


def _worker_gone(job: BackgroundJob) -> bool:
    stale = timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS)
    if job.state == JobState.RUNNING and connection.vendor == "postgresql" and job.heartbeat_at < stale:
        return True
    backend = run_job.get_backend()
    if not job.task_result_id or not backend.supports_get_result:
        return False
    try:
        result = backend.get_result(job.task_result_id)
    except TaskResultDoesNotExist:
        return True
    # Our own work records its outcome before its task ends; a task that ended without it was stopped from outside.
    return result.status in (TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL)


def waiting_minutes(job: BackgroundJob, now=None) -> int | None:
    """Whole minutes a queued job has waited for a worker (since it was queued or queued again), once that is longer
    than JOB_WAIT_WARNING_SECONDS: a worker picks a job up within seconds, so the page then says that none may be
    running. None for a job that runs, is finished or has not waited that long."""
    if job.state != JobState.QUEUED:
        return None
    waited = ((now or timezone.now()) - (job.updated_at or job.created_at)).total_seconds()
    if waited < settings.JOB_WAIT_WARNING_SECONDS:
        return None
    return max(1, int(waited // 60))


# --- result files --------------------------------------------------------------------------------------------------


def export_dir() -> Path:
    directory = Path(settings.EXPORT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def delete_expired_files(now=None) -> int:
    """Delete the result files past their time, and files nobody claims (a worker killed while writing) once they
    are older than EXPORT_KEEP_HOURS. The job records stay, so that a late download can say what happened."""
    now = now or timezone.now()
    deleted = 0
    directory = export_dir()
    for job in BackgroundJob.objects.filter(expires_at__lte=now).exclude(result_file=""):
        (directory / job.result_file).unlink(missing_ok=True)
        BackgroundJob.objects.filter(pk=job.pk).update(result_file="")
        deleted += 1
    claimed = set(BackgroundJob.objects.exclude(result_file="").values_list("result_file", flat=True))
    oldest = (now - timedelta(hours=settings.EXPORT_KEEP_HOURS)).timestamp()
    for path in directory.iterdir():
        if path.is_file() and path.name not in claimed and path.stat().st_mtime < oldest:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def delete_old_jobs(now=None) -> int:
    """Delete the records of jobs finished (done, failed or interrupted) more than JOB_KEEP_DAYS ago, with what they
    kept: a result file, an interrupted import's uploads. Queued and running jobs stay whatever their age."""
    now = now or timezone.now()
    old = BackgroundJob.objects.filter(
        state__in=(JobState.DONE, JobState.FAILED, JobState.INTERRUPTED),
        updated_at__lt=now - timedelta(days=settings.JOB_KEEP_DAYS),
    )
    deleted = 0
    for job in old.iterator():
        if job.result_file:
            (Path(settings.EXPORT_DIR) / job.result_file).unlink(missing_ok=True)
        if job.kind in DISCARD:
            import_string(DISCARD[job.kind])(job)
        deleted += BackgroundJob.objects.filter(pk=job.pk, updated_at=job.updated_at).delete()[0]
    return deleted


def result_path(job: BackgroundJob) -> Path | None:
    """The job's file while it is kept; None once it has expired or is gone."""
    if not job.result_file or (job.expires_at and job.expires_at <= timezone.now()):
        return None
    path = Path(settings.EXPORT_DIR) / job.result_file
    return path if path.is_file() else None
