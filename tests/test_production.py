"""Production settings: check --deploy, refusal to start without a key, gunicorn with whitenoise and the security
headers, the Content-Security-Policy, login lock-out, /healthz, the 503 page while the database is gone, the logs."""

import json
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import override_settings

from config.logging import JsonLinesFormatter

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "monitor.example.de"


def production_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """What docs/betrieb.md tells an operator to set, with a database and static root of this test's own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        CSRF_TRUSTED_ORIGINS=f"https://{HOST}",
        DJANGO_BEHIND_PROXY="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    env.update(extra)
    return env


def manage(env, *args, check=True):
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=check
    )


# --- settings ------------------------------------------------------------------------------------------------------


def test_check_deploy_is_clean_with_the_production_environment(tmp_path):
    result = manage(production_environment(tmp_path), "check", "--deploy", "--fail-level", "WARNING", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_unless_asked_for(tmp_path):
    env = production_environment(tmp_path)
    code = "from django.conf import settings; print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)"
    result = manage(env, "shell", "--no-imports", "-c", code)
    assert result.stdout.split() == ["False", "True"]


def test_the_application_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_environment(tmp_path)
    del env["SECRET_KEY"]
    result = subprocess.run(
        [PYTHON, "-c", "import config.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "SECRET_KEY muss gesetzt sein" in result.stderr


def test_the_development_key_only_exists_with_debug(tmp_path):
    env = production_environment(tmp_path, DJANGO_DEBUG="1")
    del env["SECRET_KEY"]
    result = manage(env, "shell", "--no-imports", "-c", "from django.conf import settings; print(settings.SECRET_KEY)")
    assert "insecure-dev-only" in result.stdout


# --- gunicorn, whitenoise and the headers, as served ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, headers=None):
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"Host": HOST, **(headers or {})})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@contextmanager
def gunicorn_server(env: dict[str, str], log: Path):
    """gunicorn with config/gunicorn.conf.py and `env` on a free port of 127.0.0.1, one worker; yields its address
    once it accepts connections, and stops it afterwards. Its output goes to `log` (a pipe could fill and block it)."""
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1"}
    with log.open("w") as output:
        process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", "config/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"gunicorn startete nicht:\n{log.read_text()}")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """gunicorn with config/gunicorn.conf.py and the production settings, after migrate and collectstatic."""
    tmp_path = tmp_path_factory.mktemp("gunicorn")
    env = production_environment(tmp_path)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    with gunicorn_server(env, tmp_path / "gunicorn.log") as base:
        yield base


HTTPS = {"X-Forwarded-Proto": "https"}


def test_gunicorn_serves_the_login_page_with_the_security_headers(gunicorn):
    status, headers, body = fetch(f"{gunicorn}/anmelden/", HTTPS)
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    cookies = headers.get_all("Set-Cookie")
    assert cookies and all("Secure" in cookie and "HttpOnly" in cookie for cookie in cookies)
    assert b"Anmelden" in body


def test_plain_http_is_redirected_to_https_except_the_health_check(gunicorn):
    status, headers, _ = fetch(f"{gunicorn}/anmelden/")
    assert status == 301
    assert headers["Location"] == f"https://{HOST}/anmelden/"
    status, _, body = fetch(f"{gunicorn}/healthz")
    assert status == 200
    assert json.loads(body)["status"] == "ok"


def test_whitenoise_serves_the_collected_static_files_with_hashed_names(gunicorn):
    _, _, body = fetch(f"{gunicorn}/anmelden/", HTTPS)
    stylesheet = re.search(rb'href="(/static/css/app\.[0-9a-f]{12}\.css)"', body)
    assert stylesheet, "app.css ohne Hash im Namen: collectstatic oder die Manifest-Ablage fehlt"
    status, headers, css = fetch(f"{gunicorn}{stylesheet.group(1).decode()}", {**HTTPS, "Accept-Encoding": "gzip"})
    assert status == 200
    assert "max-age=315360000" in headers["Cache-Control"]
    assert headers["Content-Encoding"] == "gzip"
    script = re.search(rb'src="(/static/htmx/htmx\.min\.[0-9a-f]{12}\.js)"', body)
    assert script and fetch(f"{gunicorn}{script.group(1).decode()}", HTTPS)[0] == 200


def test_an_unknown_host_is_refused(gunicorn):
    status, _, _ = fetch(f"{gunicorn}/anmelden/", {**HTTPS, "Host": "angreifer.example"})
    assert status == 400


# --- Content-Security-Policy ---------------------------------------------------------------------------------------


def csp_directives(header: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.django_db
def test_every_response_has_a_policy_without_inline_script(client):
    for path in ["/anmelden/", "/barrierefreiheit/", "/healthz", "/gibt-es-nicht/"]:
        policy = csp_directives(client.get(path).headers["Content-Security-Policy"])
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"], path
        assert "'unsafe-inline'" not in policy["style-src"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["object-src"] == ["'none'"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)


@pytest.mark.parametrize("template", sorted((ROOT / "templates").rglob("*.html")), ids=lambda p: p.name)
def test_no_template_has_inline_script_handlers_or_styles(template):
    """The policy would block them in the browser; they belong in static/."""
    text = template.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), f"{template}: <script> ohne src"
    assert not INLINE_HANDLER.search(text), f"{template}: on…=-Attribut"
    assert not INLINE_STYLE.search(text), f"{template}: <style> oder style=-Attribut"


def test_htmx_is_told_not_to_insert_its_inline_indicator_style(client):
    html = client.get("/barrierefreiheit/").content.decode()
    assert '"includeIndicatorStyles": false' in html
    assert ".htmx-indicator" in (ROOT / "static" / "css" / "app.css").read_text(encoding="utf-8")


# --- login lock-out ------------------------------------------------------------------------------------------------


@pytest.fixture
def clerk(django_user_model):
    return django_user_model.objects.create_user("sr.a33", password="richtiges-kennwort-2026")


def attempt(client, password, address="192.0.2.10"):
    return client.post(
        "/anmelden/", {"username": "sr.a33", "password": password}, REMOTE_ADDR=address, HTTP_USER_AGENT="pytest"
    )


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account_with_a_german_message(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, "falsch")
        assert response.status_code == 200
        assert "nicht korrekt" in response.content.decode()
    response = attempt(client, "falsch")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in page
    assert "15 Minuten gesperrt" in page
    # While locked, even the right password is refused, and nobody is logged in.
    response = attempt(client, "richtiges-kennwort-2026")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_lock_out_is_per_address_and_a_success_resets_the_count(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "falsch")
    assert attempt(client, "richtiges-kennwort-2026").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "falsch")
    # Someone else's failures elsewhere do not lock this user out here.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "falsch", address="198.51.100.7")
    assert attempt(client, "richtiges-kennwort-2026").status_code == 302


@pytest.mark.django_db
def test_behind_the_proxy_the_forwarded_address_is_the_client(client, clerk, settings):
    settings.BEHIND_PROXY = True
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/anmelden/",
            {"username": "sr.a33", "password": "falsch"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 192.0.2.99",
        )
    # All came from 192.0.2.99 as the proxy saw it: locked there, not for other clients behind the same proxy.
    assert (
        client.post(
            "/anmelden/", {"username": "sr.a33", "password": "x"}, HTTP_X_FORWARDED_FOR="192.0.2.99"
        ).status_code
        == 429
    )
    ok = client.post(
        "/anmelden/", {"username": "sr.a33", "password": "richtiges-kennwort-2026"}, HTTP_X_FORWARDED_FOR="192.0.2.5"
    )
    assert ok.status_code == 302


def test_passwords_are_validated_and_sessions_expire(settings):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ["demo", "1234567890123", "password123", "qwertyuiop"]:
        with pytest.raises(ValidationError):
            validate_password(weak)
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


# --- /healthz and the database outage ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]


def database_gone():
    return mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection",
        side_effect=OperationalError("connection refused"),
    )


@pytest.mark.django_db
def test_healthz_fails_when_the_database_is_unreachable(client):
    with database_gone():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


@pytest.mark.django_db
def test_a_database_outage_gives_the_german_503_page_and_the_service_returns_by_itself(client, clerk):
    client.force_login(clerk)
    assert client.get("/leistungen/").status_code == 200
    with database_gone():
        response = client.get("/leistungen/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Vorübergehend nicht erreichbar" in page
    assert "Traceback" not in page and "OperationalError" not in page
    assert client.get("/leistungen/").status_code == 200


@pytest.mark.django_db
def test_an_outage_outside_the_view_also_gives_the_503_page(client, clerk):
    """Saving the session happens after the view, where no view middleware sees the error: handler500 does."""
    client.raise_request_exception = False
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.save", side_effect=OperationalError("server closed")
    ):
        response = attempt(client, "richtiges-kennwort-2026")
    assert response.status_code == 503
    assert "Vorübergehend nicht erreichbar" in response.content.decode()


# --- request sizes -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_larger_than_the_limit_is_refused_before_it_is_read(client, clerk):
    client.force_login(clerk)
    with override_settings(MAX_UPLOAD_BYTES=1024):
        response = client.post("/importe/", {"datei": "x" * 2048})
    assert response.status_code == 413
    assert "Datei zu groß" in response.content.decode()
    assert "Content-Security-Policy" in response.headers and response.headers["X-Content-Type-Options"] == "nosniff"


# --- logs ----------------------------------------------------------------------------------------------------------


def test_log_lines_are_json_and_never_carry_the_request(rf):
    request = rf.post("/anmelden/", {"username": "sr.a33", "password": "geheim-123"})
    record = logging.makeLogRecord(
        {"name": "django.request", "levelname": "WARNING", "msg": "Forbidden: %s", "args": ("/anmelden/",)}
    )
    record.request = request
    record.status_code = 403
    line = json.loads(JsonLinesFormatter().format(record))
    assert line["message"] == "Forbidden: /anmelden/"
    assert line["status_code"] == 403
    assert line["method"] == "POST" and line["path"] == "/anmelden/"
    assert "geheim-123" not in json.dumps(line)


@pytest.mark.django_db
def test_a_failed_login_is_logged_without_the_password(client, clerk, caplog):
    with caplog.at_level(logging.INFO):
        attempt(client, "mein-geheimes-kennwort")
    assert caplog.records, "ein fehlgeschlagener Anmeldeversuch muss protokolliert werden"
    formatted = "\n".join(JsonLinesFormatter().format(record) for record in caplog.records)
    assert "mein-geheimes-kennwort" not in formatted


def test_the_privacy_page_states_the_session_lifetime_in_hours_and_the_lock_out(client):
    page = client.get("/datenschutz/").content.decode()
    assert "oder dem Schließen des Browsers, spätestens aber nach 8 Stunden" in page
    assert "für 15 Minuten gesperrt" in page
