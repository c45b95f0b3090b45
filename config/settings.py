"""Settings, read from environment variables: secure production defaults, development with DJANGO_DEBUG=1 (SQLite)."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "ja"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Off unless asked for: a forgotten variable must never show tracebacks and settings to the public.
DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    # DEVELOPMENT ONLY: this key is public. Without DEBUG it is never used; SECRET_KEY then stays empty, Django refuses
    # to sign anything with it and config/wsgi.py refuses to start (management commands such as migrate still run).
    SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
# Full origins (https://monitor.example.de) from which forms may be posted when a proxy changes the host or scheme.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # intcomma: counts on every page with the German thousands separator (1.187), as the dashboard shows them.
    "django.contrib.humanize",
    "axes",
    "django_tables2",
    "django_filters",
    # Django's task framework (backport) with its database backend: background work without a broker.
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "leika",
    "ozg",
    "monitoring",
    "pages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    # Before anything reads the body; after the two above, so that the refusal carries the security headers too.
    "config.middleware.RequestSizeLimitMiddleware",
    # Before anything stores or looks up a value of the request (session, CSRF, django-axes, the views).
    "config.middleware.UnstorableInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the outcome of every login attempt (django-axes: lock-out after repeated failures).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "monitoring.context_processors.badges",
            ],
        },
    },
    # The few templates rendered many times per page (the rows of "Meine Leistungen"): Jinja2 compiles them to
    # Python; included through monitoring's `table_rows` tag. Escaping as in Django's templates.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"autoescape": True, "auto_reload": DEBUG},
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        # A connection kept across requests is tested before reuse, so the application recovers by itself once the
        # database is back after an outage (requests in between get the 503 page of config.middleware).
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out user before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "de"
LANGUAGES = [("de", "Deutsch")]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Front-end packages come from npm (package-lock.json, installed by `make`) and are served by the application itself,
# never from a CDN: the KERN UX design system under static/kern/, htmx under static/htmx/.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("kern", NODE_MODULES / "@kern-ux" / "native" / "dist"),
    ("htmx", NODE_MODULES / "htmx.org" / "dist"),
]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# WhiteNoise serves the collected files with hashed names (cached for a year) and precompressed copies.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

DJANGO_TABLES2_TEMPLATE = "django_tables2/kern.html"
DJANGO_TABLES2_TABLE_ATTRS = {
    "class": "kern-table kern-table--small",
    "thead": {"class": "kern-table__head"},
    "tbody": {"class": "kern-table__body"},
    "th": {"class": "kern-table__header", "scope": "col"},
    "td": {"class": "kern-table__cell"},
    "tfoot": {"class": "kern-table__footer"},
}

# Mail: printed to the console in development; SMTP from the environment in production.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "digitalisierungsmonitor@localhost")
# Notifications (monitoring.notifications): the subject's prefix, and the address of the application as the links in
# mails name it (no request to take it from in the worker or in send_reminders).
EMAIL_SUBJECT_PREFIX = os.environ.get("EMAIL_SUBJECT_PREFIX", "[Digitalisierungsmonitor] ")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Days before a round's deadline on which send_reminders reminds departments with unconfirmed rows.
REMINDER_DAYS = sorted({int(day) for day in env_list("REMINDER_DAYS", "14,3")}, reverse=True)
# The weekday (0 Monday … 6 Sunday) from which send_reminders sends the IT office's weekly digest.
DIGEST_WEEKDAY = env_int("DIGEST_WEEKDAY", 0)
# Reports of barriers from the form on /barrierefreiheit/ go here; the address is also shown in the statement.
ACCESSIBILITY_CONTACT_EMAIL = os.environ.get("ACCESSIBILITY_CONTACT_EMAIL", "barrierefreiheit@localhost")
# The data protection officer of the operating authority, named on /datenschutz/.
PRIVACY_CONTACT_EMAIL = os.environ.get("PRIVACY_CONTACT_EMAIL", "datenschutz@localhost")

# Demo accounts have the password "demo": never allowed where DEBUG is off, whatever the variable says.
ALLOW_DEMO_DATA = DEBUG and env_bool("ALLOW_DEMO_DATA", True)
# Where load_demo finds the real catalogue files (kdn2019_ozg.csv, kdn2019_leika.csv): read there, never copied into
# the project. Without them the demo still builds, with placeholder names (fixtures/demo/README.md).
DEMO_CATALOGUE_DIR = Path(os.environ.get("DEMO_CATALOGUE_DIR", BASE_DIR.parent / "shared" / "data"))

# Files the application keeps between requests: uploads waiting for confirmation, exports built in the background.
# With several application servers this is a directory all of them mount (docs/betrieb.md); never served directly.
DATA_DIR = Path(os.environ.get("DJANGO_DATA_DIR", BASE_DIR / "var"))
# Uploaded import files wait here between preview and confirmation (deleted after confirming).
IMPORT_UPLOAD_DIR = Path(os.environ.get("IMPORT_UPLOAD_DIR", DATA_DIR / "imports"))
# Exports built in the background wait here for the person who asked for them, until EXPORT_KEEP_HOURS have passed.
EXPORT_DIR = Path(os.environ.get("EXPORT_DIR", DATA_DIR / "exports"))
EXPORT_KEEP_HOURS = env_int("EXPORT_KEEP_HOURS", 24)

# --- Shared cache and background work -------------------------------------------------------------------------------


# Created by every migrate, whichever cache this process is configured with (monitoring.apps).
CACHE_TABLE = "django_cache"


def cache_settings() -> dict:
    """Redis where REDIS_URL is set; otherwise Django's database cache, so that every worker process and every server
    shares the dashboard's figures without a further service (the table is created by migrate, see monitoring.apps).
    DJANGO_CACHE=locmem keeps the cache in each process: for development only, where nothing else reads it."""
    redis_url = os.environ.get("REDIS_URL", "").strip()
    kind = os.environ.get("DJANGO_CACHE", "redis" if redis_url else "database").strip().lower()
    if kind == "redis":
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url, "KEY_PREFIX": "dm"}
    if kind == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    return {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": CACHE_TABLE,
        "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 20_000)},
    }


CACHES = {"default": cache_settings()}

# Background work (django-tasks): queued in the database and run by `manage.py db_worker` (started beside the server
# by `make run`; a systemd unit in production, docs/betrieb.md). TASKS_IMMEDIATE=1 runs each task at once, in the
# request that queued it: for an installation without a worker.
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if env_bool("TASKS_IMMEDIATE", False)
        else "django_tasks_db.DatabaseBackend"
    }
}

# Background jobs (monitoring.jobs) with their progress: a running job writes a sign of life every
# JOB_HEARTBEAT_SECONDS; one silent for JOB_STALE_SECONDS is shown as interrupted (its worker died) and can be
# started again. Work above these sizes goes to the worker; smaller work is done in the request, as before.
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 5)
JOB_STALE_SECONDS = env_int("JOB_STALE_SECONDS", 120)
# A job still waiting for a worker after JOB_WAIT_WARNING_SECONDS says so on its page (is the worker running?).
JOB_WAIT_WARNING_SECONDS = env_int("JOB_WAIT_WARNING_SECONDS", 60)
# Finished job records (and an interrupted job's kept input) are deleted after JOB_KEEP_DAYS by
# `manage.py delete_expired_exports`.
JOB_KEEP_DAYS = env_int("JOB_KEEP_DAYS", 30)
SHEET_JOB_ROWS = env_int("SHEET_JOB_ROWS", 1000)
EXPORT_JOB_ROWS = env_int("EXPORT_JOB_ROWS", 5000)
# For tests of an interrupted job only: a pause after each progress step, so that a test can stop the worker midway.
JOB_STEP_DELAY_SECONDS = 0

# --- Production hardening (see docs/betrieb.md) -------------------------------------------------------------------

# Behind a reverse proxy that terminates TLS: trust its X-Forwarded-Proto header (only set this if the proxy always sets
# or overwrites the header) and, for the lock-out of django-axes, the client address it appends to X-Forwarded-For.
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Served over TLS (directly or through the proxy): on by default in production, off in development.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS and env_bool("DJANGO_SSL_REDIRECT", True)
# The load balancer's health probe may ask over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000) if HTTPS else 0
# includeSubDomains covers only names below the application's own host name, not the whole municipal domain.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading is a deliberate decision for the whole registered domain, taken by its owner, not by this application.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Everything is served by the application itself; no inline script, no foreign server (config.middleware).
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# Sessions: a working day at most, and gone when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failures for one user name from one address, further
# attempts are refused for the cool-off period, with a German page.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "config.middleware.client_ip"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "config.middleware.attempted_username"
# Only failures are kept (until the cool-off ends): no table of every successful login with address and browser.
AXES_DISABLE_ACCESS_LOG = True

# Request sizes: form posts stay small; uploads larger than MAX_UPLOAD_BYTES are refused from the Content-Length
# header before the body is read (config.middleware), and the table reader checks the file itself again.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 50 * 1024 * 1024)

# Logs: one JSON object per line on standard output, for journald or the container runtime. Request bodies are never
# logged; config.logging drops the request object that Django attaches to its error records.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "config.logging.JsonLinesFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        # Django's own 500 mails would carry request details: never configured here.
        "django.request": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
        "django.db.backends": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
        "axes.apps": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
    },
}
