"""WSGI entry point (gunicorn: config/gunicorn.conf.py). Refuses to start without SECRET_KEY when DEBUG is off."""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
try:
    settings.SECRET_KEY  # noqa: B018 (Django raises only on first use; a server must not start that way)
except ImproperlyConfigured:
    raise ImproperlyConfigured(
        "SECRET_KEY muss gesetzt sein, wenn DJANGO_DEBUG aus ist (siehe docs/betrieb.md)."
    ) from None
application = get_wsgi_application()

# The key of the pages' cached fragments, worked out before gunicorn forks its workers (preload_app): no worker's
# first list page pays for reading the templates.
from monitoring.fragments import code_fingerprint  # noqa: E402

code_fingerprint()
