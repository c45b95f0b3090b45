"""WSGI entry point (gunicorn: config/gunicorn.conf.py). Refuses to start without SECRET_KEY when DEBUG is off."""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

if not settings.SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY muss gesetzt sein, wenn DJANGO_DEBUG aus ist (siehe docs/betrieb.md).")
