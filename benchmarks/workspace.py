"""Benchmark of the department workspace: list page, filtered list and bulk edit, large round against small round.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/workspace.py

Builds, in a database of its own, two organisations: one with a round of 200 assessments and one with a round of
20,000, each with 20 departments and an IT-office user. Server time is measured in-process through Django's test
client (routing, middleware, queries, template rendering; no network), as the median of repeated requests.
Reports each page's time on the large round as a ratio to the same page on the small one (goal: at most 2×), and a
bulk edit of all 1,000 rows matching a filter on the large round against 100 rows on the small one, per row
(goal: linear or better, i.e. a per-row ratio of at most 1×).
"""

import datetime

from common import median_seconds, setup_django, throwaway_database, timed

setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from leika.models import CatalogueVersion, LeikaEntry  # noqa: E402
from monitoring.choices import OrganisationKind, OrganisationRole, Status  # noqa: E402
from monitoring.models import Assessment, Department, Membership, Organisation, SurveyRound  # noqa: E402
from ozg.models import MaturityScale  # noqa: E402

STATUSES = [Status.ANALOG, Status.PDF, Status.DIGITAL, Status.PROJEKT, Status.NICHT_GEMELDET]


def build(size: int, number: int) -> tuple[Client, SurveyRound]:
    scale = MaturityScale.objects.get(code="ozg-1-1")
    organisation = Organisation.objects.create(
        name=f"Kreis {size}", kind=OrganisationKind.KREIS, regionalschluessel=f"05{number:010d}"
    )
    departments = Department.objects.bulk_create(
        Department(organisation=organisation, code=f"A {n}", name=f"Amt {n}") for n in range(1, 21)
    )
    version = CatalogueVersion.objects.create(name=f"Katalog {size}", valid_from=datetime.date(2024, 1, 1))
    entries = LeikaEntry.objects.bulk_create(
        (
            LeikaEntry(version=version, key=f"99{n // 10:06d}{n % 10:03d}000", name=f"Leistung {n} Genehmigung")
            for n in range(size)
        ),
        batch_size=5000,
    )
    round_obj = SurveyRound.objects.create(
        organisation=organisation, year=2025, catalogue_version=version, maturity_scale=scale
    )
    Assessment.objects.bulk_create(
        (
            Assessment(
                round=round_obj,
                leika_entry=entry,
                department=departments[n % len(departments)],
                status=STATUSES[n % len(STATUSES)],
            )
            for n, entry in enumerate(entries)
        ),
        batch_size=5000,
    )
    user = get_user_model().objects.create_user(f"it{size}", password="x")
    Membership.objects.create(user=user, organisation=organisation, role=OrganisationRole.IT_STEUERUNG)
    client = Client(HTTP_HOST="localhost")  # a host the settings allow
    client.force_login(user)
    return client, round_obj


def page_seconds(client: Client, query: str) -> float:
    url = f"{reverse('my_services')}?{query}"

    def get():
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    return median_seconds(get, repeats=7)


def bulk_edit_seconds(client: Client, round_obj: SurveyRound, key_prefix: str, rows: int) -> float:
    """Median of three bulk edits of "all rows matching the filter" (a key prefix that selects `rows` rows),
    alternating the status so that each one writes; the confirmation step is included, as a user sends it."""
    times = []
    for status in (Status.DIGITAL, Status.PDF, Status.DIGITAL):
        payload = {
            "sammel-scope": "alle",
            "sammel-filter": f"runde={round_obj.pk}&q={key_prefix}",
            "sammel-seen_at": timezone.now().isoformat(),
            "sammel-status": status,
            "sammel-maturity_level": "",
            "sammel-action": "setzen",
            "sammel-confirmed": "on",
        }
        seconds, response = timed(lambda payload=payload: client.post(reverse("bulk_edit"), payload))
        assert response.status_code in (200, 302), response.status_code
        written = Assessment.objects.filter(round=round_obj, status=status, leika_entry__key__startswith=key_prefix)
        assert written.count() == rows, f"bulk edit wrote {written.count()} rows, not {rows}"
        times.append(seconds)
    return sorted(times)[1]


def main() -> None:
    with throwaway_database("bench_workspace") as connection:
        small_client, small_round = build(200, 1)
        large_client, large_round = build(20_000, 2)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # as autovacuum would after a bulk load; plans need row counts
        print(f"Datenbank: {connection.vendor}; Runden mit 200 und 20.000 Bewertungen, je 20 Einheiten")
        for label, query in [
            ("Liste", "runde={round}"),
            ("gefilterte Liste", "runde={round}&q=Genehmigung&status=pdf&status=digital&bestaetigt=nein"),
        ]:
            small = page_seconds(small_client, query.format(round=small_round.pk))
            large = page_seconds(large_client, query.format(round=large_round.pk))
            print(
                f"{label}: 200 → {small * 1000:.0f} ms | 20.000 → {large * 1000:.0f} ms | "
                f"Verhältnis {large / small:.2f}×"
            )
        small = bulk_edit_seconds(small_client, small_round, "9900000", 100)
        large = bulk_edit_seconds(large_client, large_round, "990000", 1000)
        print(
            f"Sammelbearbeitung: 100 Zeilen (Runde 200) → {small * 1000:.0f} ms | 1.000 Zeilen (Runde 20.000) → "
            f"{large * 1000:.0f} ms | je Zeile Verhältnis {(large / 1000) / (small / 100):.2f}×"
        )


if __name__ == "__main__":
    main()
