"""Benchmark of "Meine Leistungen" on the medium data set against the privacy page, the floor of a page in the frame.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/list_page.py [--repeats N]

Builds, in a database of its own, the medium set of `manage.py generate_scale` (1 organisation × 15,000 entries ×
5 rounds: 75,000 assessments, 15,000 in the open round), runs ANALYZE and adds two accounts: the IT office and an
editor of the department with the most rows in the open round (about 1,000). Settings as in production as far as
they go in one process: DEBUG off, a secret key of its own, collected static files with hashed names; plain HTTP.
Requests go through Django's test client (routing, middleware, queries, template rendering; no network), one after
the other in one process; each page is asked in turn, so that other load on the machine falls on all alike.

Reports the median server time of: the privacy page (logged in, with the frame: the floor), the editor's list, the
IT office's list (all 15,000 rows), a filtered list (text and status filter) and the last page of a list sorted by
name, each with its ratio to the privacy page. Goals: editor at most 3×, IT office at most 4×, filtered at most 4×.
"""

import argparse
import os
import secrets
import statistics
import sys
import tempfile
from io import StringIO

# Production-like settings; set before Django reads them (common.setup_django only fills in what is missing).
os.environ["DJANGO_DEBUG"] = "0"
os.environ["DJANGO_HTTPS"] = "0"
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("LOG_LEVEL", "WARNING")
STATIC = tempfile.TemporaryDirectory(prefix="bench_list_page_static_")
os.environ["STATIC_ROOT"] = STATIC.name

from common import setup_django, throwaway_database, timed  # noqa: E402

setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from monitoring.choices import DepartmentRoleKind, OrganisationRole, Status  # noqa: E402
from monitoring.models import Assessment, DepartmentRole, Membership, Organisation  # noqa: E402

GOALS = {"editor": 3, "it": 4, "filtered": 4}


def number(n: int) -> str:
    return f"{n:_}".replace("_", ".")


def accounts() -> tuple[Client, Client, int]:
    """Logged-in clients of the IT office and of the editor of the largest department; that department's rows."""
    organisation = Organisation.objects.get()
    users = get_user_model().objects
    it_office = users.create_user("bench-it", password="x")
    Membership.objects.create(user=it_office, organisation=organisation, role=OrganisationRole.IT_STEUERUNG)
    largest = (
        Assessment.objects.filter(round__is_closed=False)
        .values("department")
        .annotate(n=Count("pk"))
        .order_by("-n", "department")
        .first()
    )
    editor = users.create_user("bench-editor", password="x")
    Membership.objects.create(user=editor, organisation=organisation, role=OrganisationRole.MITARBEIT)
    DepartmentRole.objects.create(user=editor, department_id=largest["department"], role=DepartmentRoleKind.BEARBEITUNG)
    clients = []
    for user in (it_office, editor):
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients[0], clients[1], largest["n"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="requests per page (median)")
    arguments = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("Bitte DATABASE_URL auf PostgreSQL setzen (der mittlere Datenbestand ist für SQLite zu groß).")
    call_command("collectstatic", interactive=False, verbosity=0)
    with throwaway_database("bench_list_page") as connection:
        seconds, _ = timed(lambda: call_command("generate_scale", preset="medium", stdout=StringIO()))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as autovacuum would after a bulk load; plans need row counts
        it_client, editor_client, editor_rows = accounts()
        total = Assessment.objects.filter(round__is_closed=False).count()
        url = reverse("my_services")
        filtered = f"{url}?q=Genehmigung&status={Status.PDF}&status={Status.DIGITAL}"
        last_by_name = f"{url}?sortierung=name&seite=9999"
        pages = [
            ("privacy", "Datenschutz (angemeldet, mit Rahmen)", editor_client, reverse("privacy")),
            ("editor", f"Liste der Bearbeitung ({number(editor_rows)} Zeilen)", editor_client, url),
            ("it", f"Liste der IT-Steuerung ({number(total)} Zeilen)", it_client, url),
            ("filtered", "gefilterte Liste (Text und Status, IT-Steuerung)", it_client, filtered),
            ("sorted", "nach Leistung sortiert, letzte Seite (IT-Steuerung)", it_client, last_by_name),
        ]
        times = {name: [] for name, *_ in pages}
        for attempt in range(arguments.repeats + 1):
            for name, _, client, address in pages:
                duration, response = timed(lambda client=client, address=address: client.get(address))
                assert response.status_code == 200, (address, response.status_code)
                if attempt:  # the first request of each warms caches and connections; not counted
                    times[name].append(duration)
        medians = {name: statistics.median(samples) for name, samples in times.items()}
        floor = medians["privacy"]
        print(
            f"Mittlerer Datenbestand ({number(Assessment.objects.count())} Bewertungen, erzeugt in {seconds:.0f} s), "
            f"DEBUG aus; Median von {arguments.repeats} Anfragen je Seite"
        )
        for name, label, *_ in pages:
            goal = f" (Ziel ≤ {GOALS[name]}×)" if name in GOALS else ""
            print(f"{label}: {medians[name] * 1000:.1f} ms | {medians[name] / floor:.2f}× Datenschutz{goal}")


if __name__ == "__main__":
    try:
        main()
    finally:
        STATIC.cleanup()
