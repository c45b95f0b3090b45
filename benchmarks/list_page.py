"""Benchmark of "Meine Leistungen" on the medium data set against the privacy page, the floor of a page in the frame.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/list_page.py \
        [--repeats N] [--database NAME] [--in-process]

Builds, in a database of its own, the medium set of `manage.py generate_scale` (1 organisation × 15,000 entries ×
5 rounds: 75,000 assessments, 15,000 in the open round), runs ANALYZE and adds two accounts: the IT office and an
editor of the department with the most rows in the open round (about 1,000).

As the issue measures it: ONE gunicorn worker (config/gunicorn.conf.py with GUNICORN_WORKERS=1, one thread), the
production settings (DEBUG off, collected static files with hashed names; plain HTTP on loopback through
DJANGO_HTTPS=0), sessions logged in through the login form, requests one after the other from this process. Each
page is asked in turn, so that other load on the machine falls on all alike; the first round warms caches and
connections and is not counted. A page's server time is the duration gunicorn's access log gives the request (the
config's format with one more field in microseconds, as its `duration_ms` rounds to whole milliseconds): from the
parsed request to the response handed to the socket, without the client. The time a client on the same machine
waits for the whole answer is reported beside it. `--in-process` measures through Django's test client in this
process instead (routing, middleware, queries, templates; no server, no network), e.g. to compare with a profile.

Reports the median (and, less disturbed by other load on the machine, the fastest) of: the privacy page (logged in,
with the frame: the floor), the editor's list, the IT office's list (all 15,000 rows), a filtered list (text and
status filter) and the last page of a list sorted by name, each with its ratio to the privacy page. Goals: editor at
most 3×, IT office at most 4×, filtered at most 4×.
"""

import argparse
import json
import os
import runpy
import secrets
import statistics
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

# Production-like settings; set before Django reads them (common.setup_django only fills in what is missing). They
# are those of the in-process mode; gunicorn gets its own from loadtest.production_environment.
os.environ["DJANGO_DEBUG"] = "0"
os.environ["DJANGO_HTTPS"] = "0"
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("LOG_LEVEL", "WARNING")
STATIC = tempfile.TemporaryDirectory(prefix="bench_list_page_static_")
os.environ["STATIC_ROOT"] = STATIC.name

from common import ROOT, setup_django, throwaway_database, timed  # noqa: E402
from loadtest import (  # noqa: E402
    collect_static,
    database_url,
    free_port,
    gunicorn,
    log_in,
    production_environment,
    wait_until_healthy,
)

setup_django()

import requests  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from monitoring.choices import DepartmentRoleKind, OrganisationRole, Status  # noqa: E402
from monitoring.models import Assessment, DepartmentRole, Membership, Organisation  # noqa: E402

GOALS = {"editor": 3, "it": 4, "filtered": 4}
ACCESS_LOGGER = "gunicorn.access"


def number(n: int) -> str:
    return f"{n:_}".replace("_", ".")


def create_accounts(password: str) -> tuple[dict, dict, int]:
    """The IT office and the editor of the largest department (as accounts for log_in); that department's rows."""
    organisation = Organisation.objects.get()
    users = get_user_model().objects
    it_office = users.create_user("bench-it", password=password)
    Membership.objects.create(user=it_office, organisation=organisation, role=OrganisationRole.IT_STEUERUNG)
    largest = (
        Assessment.objects.filter(round__is_closed=False)
        .values("department")
        .annotate(n=Count("pk"))
        .order_by("-n", "department")
        .first()
    )
    editor = users.create_user("bench-editor", password=password)
    Membership.objects.create(user=editor, organisation=organisation, role=OrganisationRole.MITARBEIT)
    DepartmentRole.objects.create(user=editor, department_id=largest["department"], role=DepartmentRoleKind.BEARBEITUNG)
    accounts = [{"username": user.username, "password": password, "user": user} for user in (it_office, editor)]
    return accounts[0], accounts[1], largest["n"]


def page_list(editor_rows: int) -> list[tuple[str, str, str, str]]:
    """(name, label, whose session, address) of each page measured."""
    total = Assessment.objects.filter(round__is_closed=False).count()
    url = reverse("my_services")
    return [
        ("privacy", "Datenschutz (angemeldet, mit Rahmen)", "editor", reverse("privacy")),
        ("editor", f"Liste der Bearbeitung ({number(editor_rows)} Zeilen)", "editor", url),
        ("it", f"Liste der IT-Steuerung ({number(total)} Zeilen)", "it", url),
        (
            "filtered",
            "gefilterte Liste (Text und Status, IT-Steuerung)",
            "it",
            f"{url}?q=Genehmigung&status={Status.PDF}&status={Status.DIGITAL}",
        ),
        ("sorted", "nach Leistung sortiert, letzte Seite (IT-Steuerung)", "it", f"{url}?sortierung=name&seite=9999"),
    ]


def in_turn(pages, repeats: int, get) -> list[tuple[str | None, str, float]]:
    """Each page in turn, `repeats` + 1 times: (name, address, seconds the client waited as `get(who, address)`
    answers) of each request. The first round is the warm-up: marked with a name of None."""
    asked = []
    for attempt in range(repeats + 1):
        for name, _, who, address in pages:
            asked.append((name if attempt else None, address, get(who, address)))
    return asked


def measure_in_process(pages, accounts, repeats: int) -> dict[str, list[float]]:
    clients = {}
    for who, account in accounts.items():
        clients[who] = Client()
        clients[who].force_login(account["user"])

    def get(who, address):
        seconds, response = timed(lambda: clients[who].get(address))
        assert response.status_code == 200, (address, response.status_code)
        return seconds

    times = {name: [] for name, *_ in pages}
    for name, _, seconds in in_turn(pages, repeats, get):
        if name:
            times[name].append(seconds)
    return {"Server (im Prozess)": times}


def access_log_format() -> str:
    """The config's access log line with the duration in microseconds added."""
    line = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))["access_log_format"]
    return line.rstrip().removesuffix("}") + ', "duration_us": %(D)s, "query": "%(q)s"}'


def access_lines(log: Path, offset: int, expected: int, seconds: float = 10) -> list[dict]:
    """The access log's entries written after `offset`, once there are `expected` of them (gunicorn writes a line
    after the response has gone out, so the last one may follow the client's answer by a moment)."""
    deadline = time.monotonic() + seconds
    while True:
        with log.open(encoding="utf-8") as output:
            output.seek(offset)
            lines = [json.loads(line) for line in output if f'"logger": "{ACCESS_LOGGER}"' in line]
        if len(lines) >= expected or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def measure_gunicorn(pages, accounts, repeats: int, database: str) -> dict[str, dict[str, list[float]]]:
    with tempfile.TemporaryDirectory(prefix="bench-list-page-") as tmp:
        work = Path(tmp)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = production_environment(work, port)
        env.update(
            DATABASE_URL=database_url(database),
            GUNICORN_WORKERS="1",
            GUNICORN_THREADS="1",
            GUNICORN_CMD_ARGS=f"--access-logformat '{access_log_format()}'",
        )
        collect_static(env)
        log = work / "gunicorn.log"
        with gunicorn(env, log) as server:
            wait_until_healthy(url, server)
            sessions = {}
            for who, account in accounts.items():
                cookies, _ = log_in(url, account)
                sessions[who] = requests.Session()
                sessions[who].cookies.update(cookies)

            def get(who, address):
                seconds, response = timed(lambda: sessions[who].get(f"{url}{address}", timeout=120))
                assert response.status_code == 200, (address, response.status_code)
                return seconds

            # gunicorn logs a request after its answer has gone out: let the logins' lines arrive before the mark.
            time.sleep(1)
            offset = log.stat().st_size
            asked = in_turn(pages, repeats, get)
            lines = access_lines(log, offset, len(asked))
    logged = [f"{line['path']}?{line['query']}".removesuffix("?") for line in lines]
    if logged != [address for _, address, _ in asked]:
        raise RuntimeError(f"gunicorn's access log does not list the {len(asked)} requests in turn: {logged}")
    server_times = {name: [] for name, *_ in pages}
    client_times = {name: [] for name, *_ in pages}
    for (name, _, seconds), line in zip(asked, lines, strict=True):
        if name:
            server_times[name].append(line["duration_us"] / 1e6)
            client_times[name].append(seconds)
    return {"Server (gunicorns Zugriffsprotokoll)": server_times, "Client (Wartezeit, gleiche Maschine)": client_times}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="requests per page (median)")
    parser.add_argument("--database", default="bench_list_page", help="name of the throwaway database")
    parser.add_argument("--in-process", action="store_true", help="Django's test client instead of gunicorn")
    arguments = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("Bitte DATABASE_URL auf PostgreSQL setzen (der mittlere Datenbestand ist für SQLite zu groß).")
    with throwaway_database(arguments.database) as connection:
        seconds, _ = timed(lambda: call_command("generate_scale", preset="medium", stdout=StringIO()))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as autovacuum would after a bulk load; plans need row counts
        it_office, editor, editor_rows = create_accounts(secrets.token_urlsafe(16))
        pages = page_list(editor_rows)
        accounts = {"it": it_office, "editor": editor}
        assessments = Assessment.objects.count()
        if arguments.in_process:
            call_command("collectstatic", interactive=False, verbosity=0)
            measured = measure_in_process(pages, accounts, arguments.repeats)
            how = "im Prozess (Djangos Test-Client)"
        else:
            connection.close()  # the server's requests are the only ones from here on
            measured = measure_gunicorn(pages, accounts, arguments.repeats, arguments.database)
            how = "ein gunicorn-Worker (config/gunicorn.conf.py), HTTP über 127.0.0.1, nacheinander"
    print(
        f"Mittlerer Datenbestand ({number(assessments)} Bewertungen, erzeugt in {seconds:.0f} s), DEBUG aus, {how}; "
        f"Median von {arguments.repeats} Anfragen je Seite"
    )
    for kind, times in measured.items():
        medians = {name: statistics.median(samples) for name, samples in times.items()}
        fastest = {name: min(samples) for name, samples in times.items()}
        print(f"{kind}:")
        for name, label, *_ in pages:
            goal = f" (Ziel ≤ {GOALS[name]}×)" if name in GOALS else ""
            print(
                f"  {label}: {medians[name] * 1000:.1f} ms | {medians[name] / medians['privacy']:.2f}× Datenschutz"
                f"{goal}; schnellste {fastest[name] * 1000:.1f} ms | {fastest[name] / fastest['privacy']:.2f}×"
            )


if __name__ == "__main__":
    try:
        main()
    finally:
        STATIC.cleanup()
