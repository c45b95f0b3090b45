"""Settings for the test suite: the development defaults, with static files found without collectstatic."""

import os

# The suite runs on a developer's or CI's machine without a secret; Django's test runner turns DEBUG off again.
os.environ.setdefault("DJANGO_DEBUG", "1")

from config.settings import *  # noqa: E402, F403

# The manifest of hashed names exists only after collectstatic; tests/test_production.py checks that step itself.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Live-server threads and the test database: connections are closed after each request, as before.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Each test starts with an empty cache of its own process; tests of the shared cache configure Redis or the database.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tasks run at once, in the request that queued them, unless a test runs the database worker itself.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
