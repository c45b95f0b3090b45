"""Benchmark of the dashboard: server time at the large scale as a ratio to the same dashboard at the small scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/dashboard.py

Generates, each in a database of its own, the small (1 organisation × 1,200 entries × 2 rounds) and the large
(400 × 1,500 × 5 = 3 million assessments) data set of `manage.py generate_scale` and requests the dashboard of one
organisation through Django's test client (routing, middleware, queries, templates; no network). Reports the
median of repeated requests (figures of closed rounds kept after the first request, as in production), the first
request (nothing kept yet); tests/test_dashboard.py pins the query count. Goal: large at most 3× small.
`--organisations N` shrinks the large set for a quicker trial
(generating 3 million rows takes about half an hour on two cores).
"""

import argparse
from io import StringIO

from common import median_seconds, setup_django, throwaway_database, timed

setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from monitoring.choices import OrganisationRole  # noqa: E402
from monitoring.models import Assessment, Membership, Organisation  # noqa: E402


def measure(label: str, *arguments: str) -> dict:
    seconds, _ = timed(lambda: call_command("generate_scale", *arguments, stdout=StringIO()))
    rows = Assessment.objects.count()
    organisation = Organisation.objects.order_by("pk").first()
    user = get_user_model().objects.create_user(f"bench-{label}", password="x")
    Membership.objects.create(user=user, organisation=organisation, role=OrganisationRole.IT_STEUERUNG)
    client = Client()
    client.force_login(user)
    url = reverse("dashboard", args=[organisation.pk])
    cache.clear()
    cold, response = timed(lambda: client.get(url))
    assert response.status_code == 200, response.status_code
    warm = median_seconds(lambda: client.get(url), repeats=7)
    rounds = organisation.rounds.count()
    print(
        f"{label}: {rows:,} assessments (generated in {seconds:.0f} s), dashboard of one organisation with "
        f"{rounds} rounds: first request {cold * 1000:.0f} ms, "
        f"median {warm * 1000:.0f} ms"
    )
    return {"cold": cold, "warm": warm}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--organisations", type=int, default=400, help="organisations of the large set (400)")
    options = parser.parse_args()
    with throwaway_database("bench_dashboard_small"):
        small = measure("small", "--preset", "small")
    with throwaway_database("bench_dashboard_large"):
        large = measure("large", "--organisations", str(options.organisations), "--entries", "1500", "--rounds", "5")
    print(
        f"ratio large/small, median (kept figures of closed rounds): {large['warm'] / small['warm']:.2f}× (goal ≤ 3×)"
    )
    print(f"ratio large/small, first request (nothing kept): {large['cold'] / small['cold']:.2f}×")


if __name__ == "__main__":
    main()
