"""Benchmark of the dashboard: server time at the large scale as a ratio to the same dashboard at the small scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/dashboard.py

Generates, each in a database of its own, the small (1 organisation × 1,200 entries × 2 rounds) and the large
(400 × 1,500 × 5 = 3 million assessments) data set of `manage.py generate_scale` and requests the dashboard of one
organisation through Django's test client (routing, middleware, queries, templates; no network). Both databases
stay until the end and the two dashboards are requested in alternation, so that other load on the machine falls
on both alike. Reports the median of the requests (figures and sections of closed rounds kept after the first
request, as in production) and the first request (nothing kept); tests/test_dashboard.py pins the query count.
Goal: large at most 3× small. `--organisations N` shrinks the large set for a quicker trial (generating 3 million
rows takes about half an hour on two cores).
"""

import argparse
import statistics
from io import StringIO

from common import setup_django, timed

setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from monitoring.choices import OrganisationRole  # noqa: E402
from monitoring.models import Assessment, Membership, Organisation  # noqa: E402

ROUNDS, REPEATS = 4, 5


def use(name: str) -> None:
    connection.close()
    connection.settings_dict["NAME"] = name


def create(label: str, name: str, *arguments: str) -> dict:
    """A migrated database with the generated set and an IT-office user; left connected to it."""
    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    seconds, _ = timed(lambda: call_command("generate_scale", *arguments, stdout=StringIO()))
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


def request(data: dict) -> float:
    seconds, response = timed(lambda: data["client"].get(data["url"]))
    assert response.status_code == 200, response.status_code
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--organisations", type=int, default=400, help="organisations of the large set (400)")
    options = parser.parse_args()
    original = connection.settings_dict["NAME"]
    sets = []
    try:
        sets.append(create("small", "bench_dashboard_small", "--preset", "small"))
        large = ("--organisations", str(options.organisations), "--entries", "1500", "--rounds", "5")
        sets.append(create("large", "bench_dashboard_large", *large))
        for data in sets:
            use(data["name"])
            cache.clear()
            data["cold"] = request(data)
        for _ in range(ROUNDS):
            for data in sets:
                use(data["name"])
                request(data)  # the connection is new: not counted
                data["samples"] += [request(data) for _ in range(REPEATS)]
        for data in sets:
            data["median"] = statistics.median(data["samples"])
            print(
                f"{data['label']}: {data['rows']:,} assessments (generated in {data['generated']:.0f} s), dashboard "
                f"of one organisation with {data['rounds']} rounds: first request {data['cold'] * 1000:.0f} ms, "
                f"median of {len(data['samples'])} {data['median'] * 1000:.0f} ms"
            )
        small, large = sets
        print(f"ratio large/small, median (closed rounds kept): {large['median'] / small['median']:.2f}× (goal ≤ 3×)")
        print(f"ratio large/small, first request (nothing kept): {large['cold'] / small['cold']:.2f}×")
    finally:
        for data in sets:
            use(original)
            connection.creation._destroy_test_db(data["name"], verbosity=0)
        use(original)


if __name__ == "__main__":
    main()
