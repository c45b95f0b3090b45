"""A real task worker for tests: `manage.py db_worker` in a subprocess on the test database, as in production."""

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def database_url() -> str:
    """The test database (not the one the settings name) for the worker's DATABASE_URL."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(log: Path, *, batch: bool, step_delay: float = 0.0) -> subprocess.Popen:
    """The worker, on the database this test uses and the directories its settings name. With `batch` it runs
    what is queued and stops; otherwise it waits for work until it is stopped."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "DATABASE_URL": database_url(),
        "DJANGO_DATA_DIR": str(settings.DATA_DIR),
        "EXPORT_DIR": str(settings.EXPORT_DIR),
        "IMPORT_UPLOAD_DIR": str(settings.IMPORT_UPLOAD_DIR),
        "JOB_STEP_DELAY_SECONDS": str(step_delay),
    }
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"]
    if batch:
        command.append("--batch")
    with log.open("ab") as output:
        return subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)


def wait_for(condition, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"nach {timeout:.0f} s nicht eingetreten: {what}")
        time.sleep(0.1)
