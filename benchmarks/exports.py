"""Benchmark of the list exports of "Meine Leistungen": xlsx against bare openpyxl; csv memory at 75k and 750k rows.

    .venv/bin/python benchmarks/exports.py            # SQLite; DATABASE_URL=postgres://… for PostgreSQL

Builds, in a database of its own, the medium set of `manage.py generate_scale` (1 organisation × 15,000 entries ×
5 rounds = 75,000 assessments, the last round open) and runs ANALYZE. Each measurement runs in a fresh subprocess
(its own peak memory, VmHWM):
(a) the xlsx file of the IT office's list (the open round's 15,000 rows), built as the export builds it (filter,
    query, writing; from 5,000 rows on this runs in the background task), against writing the very same values,
    already fetched, with openpyxl's write-only mode; goal: at most 1.5×, peak memory under 300 MB. Both write
    through lxml (openpyxl uses it when installed); the export is measured once more without it, for its gain;
(b) the csv export written as the background job writes it, for the 75,000 rows of all rounds (reopened) and for
    750,000 rows; goal: flat memory. The further rows are copies of the generated rounds into nine more years,
    written by INSERT … SELECT, because generate_scale at that size (with its history) takes far longer than the
    export.
"""

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, setup_django, throwaway_database, timed

setup_django()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from monitoring.choices import OrganisationRole  # noqa: E402
from monitoring.models import Assessment, Membership, Organisation, SurveyRound  # noqa: E402

USER = "bench-it"
COPIES = 9  # 75,000 generated rows + 9 copies = 750,000


def de(number: int) -> str:
    """A count as a German reader writes it: 100.000."""
    return f"{number:,}".replace(",", ".")


def peak_mb() -> float:
    """The process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss over an exec, so a child
    of the (large) data-building parent would report the parent's size."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


# --- what runs in a subprocess -------------------------------------------------------------------------------------


def use_database(name: str) -> None:
    connection.settings_dict["NAME"] = name


def measure_export(kind: str) -> dict:
    """The file as the export writes it: what the background job does for a list of more than 5,000 rows (filter,
    query, values, writing into a file)."""
    import tempfile as files

    from django.test import RequestFactory
    from django.urls import reverse

    from monitoring.exports.lists import my_services_export

    request = RequestFactory().get(reverse(f"my_services_{kind}"))
    request.user = get_user_model().objects.get(username=USER)
    start_mb = peak_mb()
    start = time.perf_counter()
    with files.TemporaryDirectory() as folder:
        path = Path(folder) / f"export.{kind}"
        my_services_export(request).write(path, kind)
        size = path.stat().st_size
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": peak_mb(), "before_mb": start_mb, "bytes": size}


def measure_bare_openpyxl() -> dict:
    """The same values as the export writes, fetched first and not timed; then written with write-only openpyxl."""
    import io

    from openpyxl import Workbook

    from monitoring.access import readable_assessments
    from monitoring.exports.lists import MY_SERVICES_HEADER as HEADER
    from monitoring.exports.lists import AssessmentRows
    from monitoring.exports.workbooks import spreadsheet_row
    from monitoring.filtersets import AssessmentFilterSet

    user = get_user_model().objects.get(username=USER)
    filterset = AssessmentFilterSet({}, queryset=readable_assessments(user), user=user)
    # As the export hands them to openpyxl: text neutralised, times local (openpyxl refuses aware times).
    rows = [spreadsheet_row(row) for row in AssessmentRows(filterset.qs)]

    def write() -> int:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Leistungen")
        sheet.append(HEADER)
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return len(buffer.getvalue())

    seconds, size = timed(write)
    return {"seconds": seconds, "rows": len(rows), "bytes": size}


def child(task: str, database: str) -> None:
    use_database(database)
    result = measure_bare_openpyxl() if task == "bare" else measure_export(task)
    print(json.dumps(result))


def run_child(task: str, database: str, lxml: bool = True) -> dict:
    # openpyxl writes through lxml when it is installed, unless OPENPYXL_LXML says otherwise (read at its import).
    env = {**os.environ, "OPENPYXL_LXML": "True" if lxml else "False"}
    completed = subprocess.run(
        [sys.executable, __file__, "--child", task, database], capture_output=True, text=True, cwd=ROOT, env=env
    )
    if completed.returncode:
        raise RuntimeError(f"{task}: {completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- data ---------------------------------------------------------------------------------------------------


def build() -> Organisation:
    call_command("generate_scale", preset="medium", verbosity=0)
    organisation = Organisation.objects.get()
    user = get_user_model().objects.create_user(USER)
    Membership.objects.create(user=user, organisation=organisation, role=OrganisationRole.IT_STEUERUNG)
    return organisation


def multiply_rounds(organisation: Organisation, copies: int) -> None:
    """Nine more years per generated round, the rows copied by INSERT … SELECT (no history, no predecessor)."""
    columns = [
        field.column
        for field in Assessment._meta.concrete_fields
        if field.name not in ("id", "round", "carried_over_from")
    ]
    listed = ", ".join(connection.ops.quote_name(column) for column in columns)
    table = connection.ops.quote_name(Assessment._meta.db_table)
    sources = list(SurveyRound.objects.filter(organisation=organisation).order_by("year"))
    last_year = sources[-1].year
    with transaction.atomic(), connection.cursor() as cursor:
        for copy in range(1, copies + 1):
            for offset, source in enumerate(sources):
                target = SurveyRound.objects.create(
                    organisation=organisation,
                    year=last_year + (copy - 1) * len(sources) + offset + 1,
                    catalogue_version=source.catalogue_version,
                    maturity_scale=source.maturity_scale,
                )
                cursor.execute(
                    f"INSERT INTO {table} (round_id, {listed}) SELECT %s, {listed} FROM {table} WHERE round_id = %s",
                    [target.pk, source.pk],
                )


def open_all_rounds() -> None:
    """The list's default filter shows the open rounds: all of them, for a csv of every row. An installation has one
    open round per organisation; this throwaway database drops that rule for the measurement of streaming."""
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS one_open_round_per_organisation")
    SurveyRound.objects.update(is_closed=False)


def analyse() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load; plans need row counts


def main() -> None:
    with throwaway_database("bench_exports") as db:
        seconds, organisation = timed(build)
        analyse()
        database = db.settings_dict["NAME"]
        rows = Assessment.objects.count()
        print(f"Datenbank: {db.vendor}; {de(rows)} Bewertungen aus generate_scale in {seconds:.0f} s")

        ours, bare, plain = [], [], []
        for _ in range(3):  # alternating, so that a busy moment of the machine falls on all three
            ours.append(run_child("xlsx", database))
            bare.append(run_child("bare", database))
            plain.append(run_child("xlsx", database, lxml=False))
        ours_s = sorted(result["seconds"] for result in ours)[1]
        bare_s = sorted(result["seconds"] for result in bare)[1]
        plain_s = sorted(result["seconds"] for result in plain)[1]
        peak = max(result["peak_mb"] for result in ours)
        print(
            f"xlsx, {de(bare[0]['rows'])} Zeilen: Export {ours_s:.2f} s (Abfrage, Filter, Schreiben, Antwort) | "
            f"openpyxl write-only mit denselben, schon geladenen Werten {bare_s:.2f} s | "
            f"Verhältnis {ours_s / bare_s:.2f}× (Ziel ≤ 1,5×) | Spitzenspeicher des Exports {peak:.0f} MB "
            f"(Ziel < 300 MB; vor dem Export {ours[0]['before_mb']:.0f} MB) | Datei {ours[0]['bytes'] / 1e6:.1f} MB"
        )
        print(
            f"xlsx ohne lxml: Export {plain_s:.2f} s | mit lxml {ours_s:.2f} s | lxml schneller um "
            f"{plain_s / ours_s:.2f}×"
        )

        open_all_rounds()
        rows = Assessment.objects.count()
        small = run_child("csv", database)
        seconds, _ = timed(lambda: multiply_rounds(organisation, COPIES))
        analyse()
        large_rows = Assessment.objects.count()
        large = run_child("csv", database)
        print(f"(weitere Zeilen per INSERT … SELECT in {seconds:.0f} s; jetzt {de(large_rows)} Bewertungen)")
        for label, result in ((de(rows), small), (de(large_rows), large)):
            print(
                f"csv, {label} Zeilen: {result['seconds']:.2f} s | Spitzenspeicher {result['peak_mb']:.0f} MB "
                f"(vor dem Export {result['before_mb']:.0f} MB) | Datei {result['bytes'] / 1e6:.1f} MB"
            )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        os.environ.setdefault("PYTHONUNBUFFERED", "1")
        main()
