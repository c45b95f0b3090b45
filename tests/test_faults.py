"""Faults: an import killed halfway leaves nothing behind; two application processes writing the same row keep the
version check; a database that goes away and comes back (PostgreSQL) gives the 503 page and then service again.

Each test works on a database of its own (a SQLite file, or a PostgreSQL database named for this test run), never on
the suite's test database, because it runs real processes against it.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest

from .test_import_commands import HEADER
from .test_production import HOST, fetch, gunicorn_server

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def environment(database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="0")
    env["SECRET_KEY"] = "faults-test-key-" + "x" * 40
    return env


def run_python(env, code: str, timeout=300) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [PYTHON, "-c", textwrap.dedent(code)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


SETUP_DJANGO = """
import django, json, sys
sys.path.insert(0, ".")
django.setup()
"""


def migrate(env):
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, capture_output=True, check=True, timeout=600
    )


def counts(env) -> dict[str, int]:
    result = run_python(
        env,
        SETUP_DJANGO
        + """
        from leika.models import CatalogueVersion, LeikaEntry
        print(json.dumps({"versions": CatalogueVersion.objects.count(), "entries": LeikaEntry.objects.count()}))
        """.replace("\n        ", "\n"),
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def big_catalogue(path: Path, rows: int) -> Path:
    lines = [HEADER]
    for n in range(rows):
        key = f"99{n:06d}000000"
        lines.append(f"{key};{key[2:5]};{key[5:8]};{key[8:11]};{key[11:14]};Leistung {n};;5;;;")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


# --- an import killed halfway --------------------------------------------------------------------------------------


def test_an_import_killed_while_writing_leaves_nothing_behind(tmp_path):
    database = tmp_path / "import.sqlite3"
    env = environment(f"sqlite:///{database}")
    migrate(env)
    catalogue = big_catalogue(tmp_path / "leika.csv", 60_000)
    journal = Path(f"{database}-journal")
    process = subprocess.Popen(
        [PYTHON, "manage.py", "import_leika", str(catalogue), "--version", "LeiKa groß"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # SQLite keeps a rollback journal only while a write transaction is open: its appearance means the import is
    # writing entries now. Kill it then, without warning, as the kernel's OOM killer or a power cut would.
    deadline = time.monotonic() + 240
    while not journal.exists():
        assert process.poll() is None, f"Import endete vor dem Schreiben: {process.stderr.read().decode()}"
        assert time.monotonic() < deadline, "Import schrieb nicht innerhalb von 240 s"
        time.sleep(0.002)
    time.sleep(0.3)
    assert process.poll() is None, "Import war schon fertig; die Datei ist zu klein für diesen Test"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert journal.exists(), "the kill came while the transaction was open"

    # The next process to open the database rolls the hot journal back: no version, no entry.
    assert counts(env) == {"versions": 0, "entries": 0}

    # And the same import, left to finish, writes all of it.
    subprocess.run(
        [PYTHON, "manage.py", "import_leika", str(catalogue), "--version", "LeiKa groß"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    assert counts(env) == {"versions": 1, "entries": 60_000}


# --- PostgreSQL: a database of this test's own -------------------------------------------------------------------


def postgres_server_url() -> str:
    """The server of DATABASE_URL if it is PostgreSQL, else the local one (as CI starts it)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        return url.rsplit("/", 1)[0]
    return "postgres://postgres@127.0.0.1:5432"


@pytest.fixture(scope="module")
def postgres(request):
    server = postgres_server_url()
    try:
        admin = psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        # Never skipped: CI and the README's set-up have PostgreSQL; a machine without it must say so loudly.
        pytest.fail(f"Die Fehlertests brauchen PostgreSQL unter {server} (siehe README); es ist nicht erreichbar.")
    name = f"digimonitor_faults_{os.getpid()}"
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')
    env = environment(f"{server}/{name}")
    try:
        migrate(env)
        yield admin, name, env
    finally:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


WORLD = """
from tests.factories import workspace_world
from monitoring.models import Assessment, AssessmentChange
world = workspace_world()
row = world.rows[0]
print(json.dumps({"row": row.pk, "version": row.version, "editor": world.editor.pk, "editor2": world.editor2.pk}))
"""

WRITER = """
import os, time
from pathlib import Path
from django.contrib.auth import get_user_model
from monitoring.editing import EditConflict, apply_changes
from monitoring.models import Assessment
user = get_user_model().objects.get(pk=int(os.environ["USER_PK"]))
row, version = int(os.environ["ROW"]), int(os.environ["VERSION"])
Assessment.objects.get(pk=row)  # connected and ready
Path(os.environ["READY"]).touch()
while not Path(os.environ["GO"]).exists():
    time.sleep(0.001)
try:
    apply_changes(user, [row], {"status": os.environ["STATUS"], "justification": os.environ["STATUS"]},
                  versions={row: version})
    print(json.dumps({"outcome": "saved"}))
except EditConflict as conflict:
    print(json.dumps({"outcome": "conflict", "lines": conflict.conflicts[0].lines()}))
"""


def test_two_processes_saving_the_same_row_version_keep_the_version_check(postgres, tmp_path):
    _, _, env = postgres
    world = json.loads(run_python(env, SETUP_DJANGO + WORLD).stdout.strip().splitlines()[-1])
    go = tmp_path / "go"
    writers = []
    for n, (user, status) in enumerate([(world["editor"], "digital"), (world["editor2"], "pdf")]):
        ready = tmp_path / f"ready{n}"
        writer_env = {
            **env,
            "USER_PK": str(user),
            "ROW": str(world["row"]),
            "VERSION": str(world["version"]),
            "STATUS": status,
            "READY": str(ready),
            "GO": str(go),
        }
        process = subprocess.Popen(
            [PYTHON, "-c", SETUP_DJANGO + WRITER], cwd=ROOT, env=writer_env, stdout=subprocess.PIPE, text=True
        )
        writers.append((process, ready))
    for process, ready in writers:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
    go.touch()  # both processes hold the same version and write at once
    outcomes = [json.loads(process.communicate(timeout=60)[0].strip().splitlines()[-1]) for process, _ in writers]

    assert sorted(o["outcome"] for o in outcomes) == ["conflict", "saved"]
    (winner,) = [status for status, o in zip(["digital", "pdf"], outcomes, strict=True) if o["outcome"] == "saved"]
    state = run_python(
        env,
        SETUP_DJANGO
        + f"""
from monitoring.models import Assessment, AssessmentChange
row = Assessment.objects.get(pk={world["row"]})
print(json.dumps({{"status": row.status, "version": row.version,
                  "history": AssessmentChange.objects.filter(assessment=row).count()}}))
""",
    )
    after = json.loads(state.stdout.strip().splitlines()[-1])
    assert after == {"status": winner, "version": world["version"] + 1, "history": 1}


SESSION = """
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
user = get_user_model().objects.create_user("sr.a33")
session = SessionStore()
session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash()})
session.create()
print(json.dumps({"session": session.session_key}))
"""


def test_a_database_outage_gives_the_503_page_and_service_returns_by_itself(postgres, tmp_path):
    """gunicorn keeps its database connection (CONN_MAX_AGE); the server drops it and refuses new ones for a while."""
    admin, name, env = postgres
    env = {**env, "ALLOWED_HOSTS": HOST, "STATIC_ROOT": str(tmp_path / "static"), "DJANGO_HTTPS": "0"}
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    session = json.loads(run_python(env, SETUP_DJANGO + SESSION).stdout.strip().splitlines()[-1])["session"]
    cookie = {"Cookie": f"sessionid={session}"}
    with gunicorn_server(env, tmp_path / "gunicorn.log") as base:

        def get(path):
            status, headers, body = fetch(f"{base}{path}", cookie)
            return status, headers, body.decode()

        status, _, body = get("/leistungen/")
        assert status == 200 and "Meine Leistungen" in body
        assert get("/healthz")[0] == 200

        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        for _ in range(2):  # the kept connection is found dead, then a new one is refused
            status, headers, body = get("/leistungen/")
            assert status == 503
            assert headers["Retry-After"] == "30"
            assert "Vorübergehend nicht erreichbar" in body
            assert "Traceback" not in body and "OperationalError" not in body
        assert get("/healthz")[0] == 503

        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        status, _, body = get("/leistungen/")
        assert status == 200 and "Meine Leistungen" in body
        assert get("/healthz")[0] == 200
