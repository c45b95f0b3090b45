"""Load test: gunicorn on loopback with the production settings, the medium data set, 50 simulated users for 60 s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/loadtest.py

Creates the PostgreSQL database `loadtest`, migrates it, fills it with `manage.py generate_scale --preset medium`
(1 organisation × 15,000 entries × 5 rounds) and adds accounts: the IT office and one editor per department. Collects
the static files, starts a task worker (`manage.py db_worker`) and gunicorn with config/gunicorn.conf.py (DEBUG off,
plain HTTP on 127.0.0.1 through DJANGO_HTTPS=0, workers as the config sets them for this machine; the cache in the
database unless REDIS_URL is set), logs one session per simulated user in through
the login form (timed, before the run: the password hashing of 50 logins would otherwise fill the first seconds) and
runs locust headless with the users of benchmarks/loadtest_users.py: browse (list, detail pages, dashboard), filter,
edit (in the row and on the detail page, each with the version it saw; a refused conflict is counted apart, not as an
error) and export (.csv, .xlsx; the IT office once the whole open round, queued as a background job and fetched
when done).

Prints requests per second, median, p95 and p99 per kind of request and the error rate, then looks up every edit the
server acknowledged: its entry in the change history with its values, and the row's final values. Exits 1 on any
failed request or lost edit. Stops gunicorn and drops the database at the end, also on failure.
`--users 10 --seconds 10 --preset small` for a quick trial.
"""

import argparse
import csv
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests  # installed with locust
from common import ROOT, setup_django, throwaway_database, timed

setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from monitoring.choices import DepartmentRoleKind, OrganisationRole, Status  # noqa: E402
from monitoring.models import (  # noqa: E402
    Assessment,
    AssessmentChange,
    ChangeSource,
    DepartmentRole,
    Membership,
    Organisation,
)

DATABASE_NAME = "loadtest"
IT_OFFICE_ACCOUNTS = 3
ROWS_PER_ACCOUNT = 300
HOT_ROWS_PER_DEPARTMENT = 2
LOGINS_AT_ONCE = 4
BIN = Path(sys.executable).parent
USERS = ROOT / "benchmarks" / "loadtest_users.py"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


# --- data ------------------------------------------------------------------------------------------------------------


def create_accounts(organisation: Organisation, password: str) -> list[dict]:
    """The IT office (every department) and one editor per department, each with the rows of the open round to use."""
    users = get_user_model().objects
    open_rows = Assessment.objects.filter(round__organisation=organisation, round__is_closed=False)
    departments = list(organisation.departments.order_by("code"))
    rows_of = {
        d.pk: list(open_rows.filter(department=d).order_by("pk").values_list("pk", flat=True)) for d in departments
    }
    hot = {
        pk: rows[:: max(1, len(rows) // HOT_ROWS_PER_DEPARTMENT)][:HOT_ROWS_PER_DEPARTMENT]
        for pk, rows in rows_of.items()
    }
    everything = [pk for rows in rows_of.values() for pk in rows]
    accounts = []
    for number in range(1, IT_OFFICE_ACCOUNTS + 1):
        user = users.create_user(f"lt.it{number}", password=password)
        Membership.objects.create(user=user, organisation=organisation, role=OrganisationRole.IT_STEUERUNG)
        accounts.append(
            {
                "username": user.username,
                "departments": list(rows_of),
                "rows": everything[:: max(1, len(everything) // ROWS_PER_ACCOUNT)],
                "hot_rows": [pk for rows in hot.values() for pk in rows[:1]],
            }
        )
    for department in departments:
        user = users.create_user(f"lt.{department.code.replace(' ', '').lower()}", password=password)
        Membership.objects.create(user=user, organisation=organisation, role=OrganisationRole.MITARBEIT)
        DepartmentRole.objects.create(user=user, department=department, role=DepartmentRoleKind.BEARBEITUNG)
        rows = rows_of[department.pk]
        accounts.append(
            {
                "username": user.username,
                "departments": [department.pk],
                "rows": rows[:: max(1, len(rows) // ROWS_PER_ACCOUNT)],
                "hot_rows": hot[department.pk],
            }
        )
    for account in accounts:
        account["password"] = password
    return accounts


# --- servers ---------------------------------------------------------------------------------------------------------


def production_environment(work: Path, port: int) -> dict[str, str]:
    """The settings as in production (DEBUG off), except TLS: the test speaks plain HTTP to loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url(DATABASE_NAME),
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DJANGO_HTTPS="0",
        STATIC_ROOT=str(work / "static"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        LOG_LEVEL="WARNING",
    )
    return env


def wait_until_healthy(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn ended at start with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer /healthz within {seconds:.0f} s")


@contextmanager
def gunicorn(env: dict[str, str], log: Path):
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "config/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield server
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=45)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


@contextmanager
def process(arguments: list[str], env: dict[str, str], log: Path):
    with log.open("w") as output:
        running = subprocess.Popen(
            arguments, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield running
        finally:
            if running.poll() is None:
                os.killpg(running.pid, signal.SIGTERM)
                try:
                    running.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(running.pid, signal.SIGKILL)
                    running.wait()


def task_worker(env: dict[str, str], log: Path):
    """The background worker (exports of more than 5,000 rows and other long work), as production runs it."""
    return process([str(BIN / "python"), "manage.py", "db_worker", "--no-startup-delay", "--no-reload"], env, log)


def log_in(url: str, account: dict) -> tuple[dict, float]:
    """A session through the login form, as a browser gets it: its cookies and the seconds the login took."""
    session = requests.Session()
    page = session.get(f"{url}/anmelden/", timeout=120)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    data = {"username": account["username"], "password": account["password"], "next": ""}
    started = time.perf_counter()
    response = session.post(
        f"{url}/anmelden/",
        data={**data, "csrfmiddlewaretoken": token.group(1) if token else ""},
        allow_redirects=False,
        timeout=120,
    )
    seconds = time.perf_counter() - started
    if response.status_code != 302 or "/anmelden/" in response.headers.get("Location", ""):
        raise RuntimeError(f"login of {account['username']} refused (HTTP {response.status_code})")
    return session.cookies.get_dict(), seconds


def log_in_all(url: str, accounts: list[dict], users: int) -> tuple[list[dict], list[float]]:
    chosen = [number % len(accounts) for number in range(users)]
    with ThreadPoolExecutor(max_workers=LOGINS_AT_ONCE) as pool:
        results = list(pool.map(lambda number: log_in(url, accounts[number]), chosen))
    sessions = [{"account": number, "cookies": cookies} for number, (cookies, _) in zip(chosen, results, strict=True)]
    return sessions, [seconds for _, seconds in results]


# --- figures ---------------------------------------------------------------------------------------------------------


def read_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as stats:
        return list(csv.DictReader(stats))


def read_failures(prefix: Path) -> list[dict]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as failures:
        return list(csv.DictReader(failures))


def print_table(rows: list[dict], seconds: float) -> tuple[int, int]:
    heading = f"{'request':<38}{'count':>7}{'rps':>8}{'median':>9}{'p95':>9}{'p99':>9}{'errors':>8}{'error %':>9}"
    print(heading)
    print("-" * len(heading))
    total = failed = 0
    for row in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        count, failures = int(row["Request Count"]), int(row["Failure Count"])
        if row["Name"] == "Aggregated":
            total, failed = count, failures
            print("-" * len(heading))
        rate = 100 * failures / count if count else 0.0
        print(
            f"{row['Name']:<38}{count:>7}{count / seconds:>8.1f}{row['50%']:>7}ms{row['95%']:>7}ms{row['99%']:>7}ms"
            f"{failures:>8}{rate:>8.2f}%"
        )
    return total, failed


def users_ceiling(rows: list[dict], users: int, seconds: float, spawn_rate: float) -> float | None:
    """The request rate the simulated users would reach if every answer came at once: once started (`spawn_rate`
    per second), a user's time is spent either waiting for answers or thinking and typing (loadtest_users.py), so
    their requests over the time they spent not waiting. An upper bound of what any server could show with them."""
    aggregated = next((row for row in rows if row["Name"] == "Aggregated"), None)
    if aggregated is None:
        return None
    count = int(aggregated["Request Count"])
    waiting = count * float(aggregated["Average Response Time"]) / 1000
    not_started = sum(min(n / spawn_rate, seconds) for n in range(users))
    thinking = users * seconds - not_started - waiting
    # Per user: count / users requests in thinking / users seconds of their own.
    return count * users / thinking if thinking > 0 else None


def lost_edits(edits: list[dict], sent: set[str], started) -> tuple[list[str], int]:
    """Every acknowledged edit must be in the history with its values, and the last one of each row in the row."""
    problems = []
    by_row: dict[int, list[dict]] = {}
    for edit in edits:
        by_row.setdefault(edit["pk"], []).append(edit)
        change = (
            AssessmentChange.objects.filter(assessment_id=edit["pk"], version=edit["version"] + 1)
            .select_related("user")
            .first()
        )
        new = {f["field"]: f["new"] for f in change.fields} if change else {}
        expected = {"status": str(Status(edit["status"]).label), "justification": edit["justification"]}
        if change is None:
            problems.append(f"row {edit['pk']} version {edit['version'] + 1}: no history entry")
        elif change.user is None or change.user.username != edit["username"] or new != {**new, **expected}:
            problems.append(f"row {edit['pk']} version {edit['version'] + 1}: history shows {new}, sent {expected}")
    for pk, row_edits in by_row.items():
        last = max(row_edits, key=lambda e: e["version"])
        row = Assessment.objects.get(pk=pk)
        if row.version == last["version"] + 1 and (row.status, row.justification) != (
            last["status"],
            last["justification"],
        ):
            problems.append(f"row {pk}: holds {row.status!r}, {row.justification!r}; last saved {last}")
        elif row.version < last["version"] + 1:
            problems.append(f"row {pk}: version {row.version}, older than the last acknowledged edit {last}")
    # Every other write of the run must come from an edit that was sent but whose answer the client never read (a
    # request cut off when the run ended); anything else would be a write nobody asked for.
    acknowledged = {edit["justification"] for edit in edits}
    unacknowledged = 0
    history = AssessmentChange.objects.filter(at__gte=started, source__in=(ChangeSource.INLINE, ChangeSource.PAGE))
    for change in history:
        new = {f["field"]: f["new"] for f in change.fields}
        token = new.get("justification")
        if token in acknowledged:
            continue
        unacknowledged += 1
        if token not in sent:
            problems.append(f"row {change.assessment_id} version {change.version}: a write no simulated user sent")
    return problems, unacknowledged


# --- run -------------------------------------------------------------------------------------------------------------


def options_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--users", type=int, default=50, help="simulated users (50)")
    parser.add_argument("--seconds", type=int, default=60, help="duration of the run (60)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second (10)")
    parser.add_argument("--preset", default="medium", choices=("small", "medium"), help="data set (medium)")
    return parser


def needs_postgresql() -> bool:
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return True
    print("DATABASE_URL must name a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    return False


def prepare(preset: str) -> tuple[Organisation, list[dict]]:
    """The generated data set (statistics refreshed, as after every bulk load) and the accounts that use it."""
    seconds, _ = timed(lambda: call_command("generate_scale", "--preset", preset, stdout=StringIO()))
    organisation = Organisation.objects.get(name__startswith="Skalenkreis")
    accounts = create_accounts(organisation, secrets.token_urlsafe(16))
    assessments = Assessment.objects.count()
    open_rows = Assessment.objects.filter(round__is_closed=False).count()
    print(
        f"data set: {preset}, {assessments:,} assessments in {organisation.rounds.count()} rounds "
        f"({open_rows:,} in the open round), {organisation.departments.count()} departments, "
        f"{len(accounts)} accounts; generated in {seconds:.0f} s"
    )
    return organisation, accounts


def collect_static(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def server_errors(log: Path) -> list[str]:
    return [
        line
        for line in log.read_text(encoding="utf-8").splitlines()
        if '"status": 5' in line or "Traceback" in line or "[ERROR]" in line or "WORKER TIMEOUT" in line
    ]


@dataclass
class Run:
    """What one locust run leaves behind: its figures, the edits it logged, and when it started."""

    prefix: Path
    edit_log: Path
    started: object
    output: str


def run_locust(url: str, env: dict[str, str], work: Path, organisation, accounts, options, during=None) -> Run:
    """Log the simulated users in through `url`, then run locust against it; `during(seconds)` runs beside it."""
    sessions, login_seconds = log_in_all(url, accounts, options.users)
    login_seconds.sort()
    print(
        f"logged in {len(sessions)} sessions through the login form before the run, {LOGINS_AT_ONCE} at a "
        f"time: median {statistics.median(login_seconds) * 1000:.0f} ms, slowest {login_seconds[-1] * 1000:.0f} ms"
    )
    plan = work / "plan.json"
    edit_log = work / "edits.jsonl"
    edit_log.touch()
    plan.write_text(
        json.dumps({"organisation": organisation.pk, "accounts": accounts, "sessions": sessions}), encoding="utf-8"
    )
    prefix = work / "locust"
    flags = (
        f"--headless --users {options.users} --spawn-rate {options.spawn_rate:g} --run-time {options.seconds}s "
        "--only-summary --loglevel WARNING"
    ).split()
    started = timezone.now()
    with ThreadPoolExecutor(max_workers=1) as beside:
        side = beside.submit(during, options.seconds) if during else None
        locust = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(USERS), "--host", url, "--csv", str(prefix), *flags],
            cwd=ROOT,
            env={**env, "LOADTEST_PLAN": str(plan), "LOADTEST_EDITS": str(edit_log)},
            capture_output=True,
            text=True,
        )
        if side:
            side.result()
    return Run(prefix, edit_log, started, locust.stdout[-5000:] + locust.stderr[-5000:])


def report(run: Run, options, log_errors: list[str], failures_allowed: int = 0, more_reasons=()) -> int:
    """Figures per request, errors, and every acknowledged edit looked up in the database; 0 if all is well."""
    if not Path(f"{run.prefix}_stats.csv").exists():
        print(run.output)
        print("locust wrote no figures")
        return 1
    print()
    stats = read_stats(run.prefix)
    total, failed = print_table(stats, options.seconds)
    ceiling = users_ceiling(stats, options.users, options.seconds, options.spawn_rate)
    if ceiling:
        print(
            f"the users' own pace: at most {ceiling:.1f} requests/s if every answer had come at once "
            f"(their think and typing times between requests; measured {total / options.seconds:.1f}, "
            f"{100 * total / options.seconds / ceiling:.0f} % of it)"
        )
    for failure in read_failures(run.prefix):
        print(f"  error: {failure['Method']} {failure['Name']}: {failure['Error']} ({failure['Occurrences']}×)")
    for line in log_errors[:20]:
        print(f"  gunicorn: {line}")

    log = [json.loads(line) for line in run.edit_log.read_text(encoding="utf-8").splitlines() if line]
    edits = [edit for edit in log if edit["outcome"] == "saved"]
    sent = {edit["justification"] for edit in log if edit["outcome"] == "sent"}
    conflicts = sum(int(r["Request Count"]) for r in stats if "(conflict)" in r["Name"])
    problems, unacknowledged = lost_edits(edits, sent, run.started)
    by_way = Counter(edit["via"] for edit in edits)
    print()
    print(f"error rate: {failed} of {total} requests ({100 * failed / total if total else 0:.2f} %)")
    print(
        f"edits acknowledged: {len(edits)} (row {by_way['row']}, detail page {by_way['detail']}) on "
        f"{len({e['pk'] for e in edits})} rows; refused as conflicts: {conflicts}; lost or unexpected: "
        f"{len(problems)}; written without acknowledgement (cut off or in flight on a failed server): "
        f"{unacknowledged}"
    )
    for problem in problems[:20]:
        print(f"  {problem}")
    reasons = [
        reason
        for reason, present in (
            (f"{failed} failed requests (allowed: {failures_allowed})", failed > failures_allowed),
            (f"{len(problems)} lost or unexpected writes", problems),
            ("no edit was acknowledged, so none could be checked", not edits),
            (f"{len(log_errors)} server errors in gunicorn's log", log_errors),
            *more_reasons,
        )
        if present
    ]
    ok = not reasons
    print("result: " + ("no edit lost, errors within bounds" if ok else "FAILED: " + "; ".join(reasons)))
    return 0 if ok else 1


def main() -> int:
    options = options_parser(__doc__.split("\n")[0]).parse_args()
    if not needs_postgresql():
        return 2
    # Ended from outside (SIGTERM): still stop gunicorn and drop the database on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    with tempfile.TemporaryDirectory(prefix="loadtest-") as tmp, throwaway_database(DATABASE_NAME):
        work = Path(tmp)
        organisation, accounts = prepare(options.preset)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = production_environment(work, port)
        collect_static(env)
        with gunicorn(env, work / "gunicorn.log") as server, task_worker(env, work / "worker.log") as worker:
            wait_until_healthy(url, server)
            print(
                f"gunicorn on {url} (config/gunicorn.conf.py, DEBUG off) and a task worker; locust: "
                f"{options.users} users, {options.seconds} s, {options.spawn_rate:g} started per second"
            )
            run = run_locust(url, env, work, organisation, accounts, options)
            server_alive, worker_alive = server.poll() is None, worker.poll() is None
        return report(
            run,
            options,
            server_errors(work / "gunicorn.log"),
            more_reasons=[
                ("gunicorn ended during the run", not server_alive),
                ("the task worker ended during the run", not worker_alive),
            ],
        )


if __name__ == "__main__":
    sys.exit(main())
