"""gunicorn for production: `gunicorn -c config/gunicorn.conf.py`; every value can be set by environment variable."""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
# Only the reverse proxy talks to gunicorn; it terminates TLS and forwards to this address.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Exports of large lists and imports take time; the proxy's timeout should be a little longer.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak never takes a server down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Load the application before forking: a missing SECRET_KEY or a broken setting stops the start at once.
preload_app = True
# The proxy's address: trust its X-Forwarded-* headers (gunicorn's own view of the scheme, e.g. in its logs).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Logs on standard output; the access log as JSON lines like the application's (no query bodies, no cookies).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '{"time": "%(t)s", "logger": "gunicorn.access", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", '
    '"status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s}'
)
