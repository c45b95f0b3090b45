"""Settings of a real task worker that tests start (`manage.py db_worker` in a subprocess, see tests/worker.py): the
test settings with the database task backend, frequent signs of life, and an optional pause after each progress
step (JOB_STEP_DELAY_SECONDS in the environment) so that a test can stop the worker in the middle of a job."""

import os

from config.settings_test import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
JOB_HEARTBEAT_SECONDS = 1
JOB_STEP_DELAY_SECONDS = float(os.environ.get("JOB_STEP_DELAY_SECONDS", "0"))
