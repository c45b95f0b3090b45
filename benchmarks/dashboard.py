"""Benchmark of the dashboard on the medium set against a trivial page, warm and first after a restart.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/dashboard.py

Builds the medium set of `manage.py generate_scale` (1 organisation, 15,000 entries × 5 rounds = 75,000 assessments,
the last round open) in a database of its own (ANALYZE after the bulk writes, as autovacuum would) and an IT-office
user. Server time is measured in-process through Django's test client (routing, middleware, queries, templates; no
network). The cache is Redis (db 5 of 127.0.0.1:6379, flushed first), shared by this process and the ones it starts:

- warm: the dashboard against the privacy page with its frame (logged in), median of alternating requests
  (goal: dashboard at most 5× the privacy page);
- first request after a restart: a fresh process (imports, connection, templates cold) whose shared cache was filled
  by this one, asks for the dashboard once; "after an edit": one row of the open round was edited before the
  restart, so the open round's figures are recomputed and only the closed rounds' come from the cache
  (goal: at most 1 s); the privacy page as the first request of a fresh process beside it;
- first request with an empty cache, for comparison.

`--scales` runs the former comparison instead: the dashboard of one organisation of the small set against the large
(400 × 1,500 × 5 = 3 million assessments; about half an hour to generate; `--organisations N` shrinks it).
"""

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
from io import StringIO

from common import ROOT, setup_django, timed

REDIS = "redis://127.0.0.1:6379/5"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS}}
USERNAME = "bench-medium"

setup_django()
logging.getLogger("axes").setLevel(logging.WARNING)  # one line per login of the test client is noise here

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from monitoring.choices import OrganisationRole, Status  # noqa: E402
from monitoring.editing import apply_changes  # noqa: E402
from monitoring.models import Assessment, Membership, Organisation, SurveyRound  # noqa: E402

ROUNDS, REPEATS = 4, 5


def use(name: str) -> None:
    connection.close()
    connection.settings_dict["NAME"] = name


def request(client, url) -> float:
    seconds, response = timed(lambda: client.get(url))
    assert response.status_code == 200, (url, response.status_code)
    return seconds


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms".replace(",", ".")


# --- the medium set: warm and after a restart ------------------------------------------------------------------------


def child(database: str, path: str) -> None:
    """A fresh process: log in, then time one request of `path` (its first), and print the seconds as JSON."""
    override_settings(CACHES=CACHES).enable()
    use(database)
    client = Client()
    client.force_login(get_user_model().objects.get(username=USERNAME))
    print(json.dumps({"seconds": request(client, path)}))


def restarted(database: str, path: str) -> float:
    command = [sys.executable, str(ROOT / "benchmarks" / "dashboard.py"), "--child", database, path]
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=os.environ).stdout
    return json.loads(output.strip().splitlines()[-1])["seconds"]


def edit_open_round(row_id: int) -> None:
    """One edit through the editing path: the open round's figures change, the closed rounds' stay."""
    status = Assessment.objects.values_list("status", flat=True).get(pk=row_id)
    apply_changes(None, [row_id], {"status": Status.PDF if status == Status.ANALOG else Status.ANALOG})


def medium(options) -> None:
    override_settings(CACHES=CACHES).enable()
    original = connection.settings_dict["NAME"]
    name = options.database
    generated = 0.0
    if options.reuse:
        use(name)
    else:
        connection.settings_dict.setdefault("TEST", {})["NAME"] = name
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        if not options.reuse:
            generated, _ = timed(lambda: call_command("generate_scale", "--preset", "medium", stdout=StringIO()))
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        organisation = Organisation.objects.order_by("pk").first()
        user, created = get_user_model().objects.get_or_create(username=USERNAME)
        if created:
            Membership.objects.create(user=user, organisation=organisation, role=OrganisationRole.IT_STEUERUNG)
        open_round = SurveyRound.objects.get(organisation=organisation, is_closed=False)
        row_id = (
            Assessment.objects.filter(round=open_round, status__in=[Status.ANALOG, Status.PDF])
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        client = Client()
        client.force_login(user)
        dashboard, privacy = reverse("dashboard", args=[organisation.pk]), reverse("privacy")
        print(
            f"Datenbestand medium: {Assessment.objects.count():,} Bewertungen in {organisation.rounds.count()} Runden "
            f"(erzeugt in {generated:.0f} s), Cache {REDIS}"
        )

        cache.clear()
        request(client, privacy)  # connection, session, templates of the frame; not counted
        empty = request(client, dashboard)
        times = {dashboard: [], privacy: []}
        for _ in range(options.repeats):
            for path in (privacy, dashboard):
                times[path].append(request(client, path))
        warm, trivial = statistics.median(times[dashboard]), statistics.median(times[privacy])

        samples = {"privacy": [], "unchanged": [], "edited": []}
        for _ in range(options.restarts):  # in turn, so that other load on the machine falls on all three alike
            samples["privacy"].append(restarted(name, privacy))
            samples["unchanged"].append(restarted(name, dashboard))
            edit_open_round(row_id)
            samples["edited"].append(restarted(name, dashboard))
        fresh_privacy, unchanged, after_edit = (
            statistics.median(samples[k]) for k in ("privacy", "unchanged", "edited")
        )

        print(f"Datenschutz-Seite (angemeldet, mit Rahmen), Median von {options.repeats}: {ms(trivial)}")
        print(
            f"Auswertung warm, Median von {options.repeats}: {ms(warm)} = {warm / trivial:.1f}× Datenschutz-Seite "
            "(Ziel ≤ 5×)"
        )
        print(
            f"Erste Anfrage nach Neustart (frischer Prozess, gemeinsamer Cache), Median von {options.restarts}: "
            f"Auswertung {ms(unchanged)}; nach einer Änderung in der offenen Runde {ms(after_edit)} "
            f"(Ziel ≤ 1 s); Datenschutz-Seite {ms(fresh_privacy)} "
            f"({unchanged / fresh_privacy:.1f}× bzw. {after_edit / fresh_privacy:.1f}×)"
        )
        print("  Einzelwerte: " + "; ".join(f"{k} " + ", ".join(ms(v) for v in samples[k]) for k in samples))
        print(f"Auswertung mit leerem Cache (im warmen Prozess): {ms(empty)} = {empty / trivial:.0f}× Datenschutz")
    finally:
        cache.clear()
        use(original)
        if not (options.keep or options.reuse):
            connection.creation._destroy_test_db(name, verbosity=0)
        use(original)


# --- small against large (the former benchmark) ----------------------------------------------------------------------


def create(label: str, name: str, *arguments: str) -> dict:
    """A migrated database with the generated set and an IT-office user; left connected to it."""
    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    seconds, _ = timed(lambda: call_command("generate_scale", *arguments, stdout=StringIO()))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    organisation = Organisation.objects.order_by("pk").first()
    user = get_user_model().objects.create_user(f"bench-{label}", password="x")
    Membership.objects.create(user=user, organisation=organisation, role=OrganisationRole.IT_STEUERUNG)
    client = Client()
    client.force_login(user)
    return {
        "label": label,
        "name": connection.settings_dict["NAME"],
        "client": client,
        "url": reverse("dashboard", args=[organisation.pk]),
        "rows": Assessment.objects.count(),
        "rounds": organisation.rounds.count(),
        "generated": seconds,
        "samples": [],
    }


def scales(options) -> None:
    original = connection.settings_dict["NAME"]
    sets = []
    try:
        sets.append(create("small", "bench_dashboard_small", "--preset", "small"))
        large = ("--organisations", str(options.organisations), "--entries", "1500", "--rounds", "5")
        sets.append(create("large", "bench_dashboard_large", *large))
        for data in sets:
            use(data["name"])
            cache.clear()
            data["cold"] = request(data["client"], data["url"])
        for _ in range(ROUNDS):
            for data in sets:
                use(data["name"])
                request(data["client"], data["url"])  # the connection is new: not counted
                data["samples"] += [request(data["client"], data["url"]) for _ in range(REPEATS)]
        for data in sets:
            data["median"] = statistics.median(data["samples"])
            print(
                f"{data['label']}: {data['rows']:,} assessments (generated in {data['generated']:.0f} s), dashboard "
                f"of one organisation with {data['rounds']} rounds: first request {data['cold'] * 1000:.0f} ms, "
                f"median of {len(data['samples'])} {data['median'] * 1000:.0f} ms"
            )
        small, large = sets
        print(f"ratio large/small, median (figures kept): {large['median'] / small['median']:.2f}× (goal ≤ 3×)")
        print(f"ratio large/small, first request (nothing kept): {large['cold'] / small['cold']:.2f}×")
    finally:
        for data in sets:
            use(original)
            connection.creation._destroy_test_db(data["name"], verbosity=0)
        use(original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="bench_dashboard_medium", help="name of the medium set's database")
    parser.add_argument("--repeats", type=int, default=15, help="warm requests per page (median)")
    parser.add_argument("--restarts", type=int, default=5, help="fresh processes per first-request figure (median)")
    parser.add_argument("--keep", action="store_true", help="keep the medium set's database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the database a run with --keep left")
    parser.add_argument("--scales", action="store_true", help="small against large instead (the former benchmark)")
    parser.add_argument("--organisations", type=int, default=400, help="organisations of the large set (--scales)")
    parser.add_argument("--child", nargs=2, metavar=("DATABASE", "PATH"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(*options.child)
    elif options.scales:
        scales(options)
    else:
        medium(options)


if __name__ == "__main__":
    main()
