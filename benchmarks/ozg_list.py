"""Benchmark of the OZG planning list (/ozg/<org>/): a catalogue of 575 OZG-Leistungen against one of 5,750.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/ozg_list.py [--repeats N]

The list has one row per current OZG-Leistung of the catalogue, and the catalogue is shared by every organisation
of a database; so each size lives in a database of its own, built and served by a worker process of its own (an
organisation whose every row has a plan, 20 departments, an IT-office user). The parent asks the two workers in
turn for one request each, so that both sizes meet the same load of the machine, and reports the median server
time of each (measured in-process through Django's test client: routing, middleware, queries, template rendering;
no network) and their ratio (goal: at most 2×, i.e. the page does not grow with the rows).
"""

import argparse
import multiprocessing
import statistics

from common import setup_django, throwaway_database, timed

PAGES = [
    ("Liste", ""),
    ("gefilterte Liste", "q=Leistung&stand=umgesetzt&stand=nicht_geplant&kommunal=ja"),
    ("Liste, letzte Seite, nach Einheit sortiert", "sortierung=-department&seite=9999"),
]


def number(n: int) -> str:
    return f"{n:_}".replace("_", ".")


def build(size: int):
    """One organisation with `size` OZG-Leistungen, each planned; returns a logged-in client and the list's URL."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from monitoring.choices import OrganisationKind, OrganisationRole, PlanState
    from monitoring.models import Department, Membership, Organisation, OzgPlan
    from ozg.choices import Zustaendigkeit
    from ozg.models import Lage, MaturityScale, OzgLeistung, Themenfeld

    scale = MaturityScale.objects.get(code="ozg-1-1")
    levels = list(scale.levels.all())
    organisation = Organisation.objects.create(
        name=f"Kreis {size}", kind=OrganisationKind.KREIS, regionalschluessel="050000000001", maturity_scale=scale
    )
    departments = Department.objects.bulk_create(
        Department(organisation=organisation, code=f"A {n}", name=f"Amt {n}") for n in range(1, 21)
    )
    themenfelder = Themenfeld.objects.bulk_create(Themenfeld(name=f"Themenfeld {n}") for n in range(14))
    lagen = Lage.objects.bulk_create(Lage(name=f"Lage {n}") for n in range(35))
    zustaendigkeiten = [Zustaendigkeit.KOMMUNE, Zustaendigkeit.KOMMUNE, Zustaendigkeit.LAND, Zustaendigkeit.BUND]
    leistungen = OzgLeistung.objects.bulk_create(
        (
            OzgLeistung(
                ozg_id=10000 + n,
                name=f"Leistung {n} Genehmigung",
                themenfeld=themenfelder[n % len(themenfelder)],
                lage=lagen[n % len(lagen)],
                zustaendigkeit=zustaendigkeiten[n % len(zustaendigkeiten)],
            )
            for n in range(size)
        ),
        batch_size=5000,
    )
    states = list(PlanState.values)
    OzgPlan.objects.bulk_create(
        (
            OzgPlan(
                organisation=organisation,
                ozg_leistung=leistung,
                state=states[n % len(states)],
                target_quarter=f"{2025 + n % 3}-Q{1 + n % 4}",
                maturity_level=levels[n % len(levels)] if levels else None,
                responsible_department=departments[n % len(departments)],
            )
            for n, leistung in enumerate(leistungen)
        ),
        batch_size=5000,
    )
    user = get_user_model().objects.create_user("it", password="x")
    Membership.objects.create(user=user, organisation=organisation, role=OrganisationRole.IT_STEUERUNG)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load; plans need row counts
    client = Client(HTTP_HOST="localhost")  # a host the settings allow
    client.force_login(user)
    return client, reverse("ozg_plans", args=[organisation.pk])


def serve(size: int, pipe) -> None:
    """Worker: build its database, then answer each query string sent with the seconds one request took."""
    setup_django()
    with throwaway_database(f"bench_ozg_list_{size}"):
        client, url = build(size)
        pipe.send("bereit")
        while (query := pipe.recv()) is not None:

            def get(query=query):
                response = client.get(f"{url}?{query}")
                assert response.status_code == 200, response.status_code
                return response

            seconds, _ = timed(get)
            pipe.send(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="requests per page and size (median)")
    arguments = parser.parse_args()
    sizes = (575, 5_750)
    context = multiprocessing.get_context("spawn")
    workers = {}
    for size in sizes:
        ours, theirs = context.Pipe()
        process = context.Process(target=serve, args=(size, theirs))
        process.start()
        workers[size] = (process, ours)
    try:
        for size, (_, pipe) in workers.items():
            assert pipe.recv() == "bereit", f"worker {size} did not start"
        print(
            f"OZG-Planung: {number(sizes[0])} gegen {number(sizes[1])} OZG-Leistungen, je mit Planung; "
            f"Median von {arguments.repeats} abwechselnden Anfragen"
        )
        for label, query in PAGES:
            times = {size: [] for size in sizes}
            for attempt in range(arguments.repeats + 1):
                for size, (_, pipe) in workers.items():
                    pipe.send(query)
                    seconds = pipe.recv()
                    if attempt:  # the first request of each warms caches and connections; not counted
                        times[size].append(seconds)
            small, large = (statistics.median(times[size]) for size in sizes)
            print(
                f"{label}: {number(sizes[0])} → {small * 1000:.0f} ms | {number(sizes[1])} → {large * 1000:.0f} ms | "
                f"Verhältnis {large / small:.2f}×"
            )
    finally:
        for _, pipe in workers.values():
            pipe.send(None)
        for process, _ in workers.values():
            process.join()


if __name__ == "__main__":
    main()
