"""Every bulk path refreshes PostgreSQL's planner statistics of the tables it filled (ANALYZE), and only those paths.

Transactional tests: the paths commit as they do in production, and the statistics views are read afterwards.
`analyze_count` counts explicit ANALYZE runs only (autovacuum counts apart), so an increase is ours.
"""

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection

from leika.dbstats import analyze
from leika.importing import FileSource
from leika.models import CatalogueChange, CatalogueVersion, LeikaEntry
from monitoring.carryover import open_round
from monitoring.choices import Status
from monitoring.demo.build import build_demo
from monitoring.models import Assessment, AssessmentChange
from monitoring.online_services import apply_online_services, plan_online_services
from ozg.importing import import_leika_with_ozg, import_ozg
from ozg.models import OzgLeistung
from tests import factories

from .test_import_commands import OZG_CSV, V1, fim_csv

pytestmark = [
    # The reference data that the migrations seed (scales, Themenfelder) is restored after each flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason=(
            "liest pg_stat_user_tables, das es nur in PostgreSQL gibt; auf SQLite tut analyze() absichtlich "
            "nichts, das prüft tests/test_dbstats.py dort (CI läuft auf PostgreSQL)"
        ),
    ),
]


def analyze_counts(*models) -> dict[str, int]:
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # statistics views are read once per transaction otherwise
        cursor.execute("SELECT relname, analyze_count FROM pg_stat_user_tables WHERE relname = ANY(%s)", [tables])
        counts = dict(cursor.fetchall())
    return {table: counts.get(table, 0) for table in tables}


class Analyzed:
    """The tables of `models` whose ANALYZE count rose between entering and `tables()`."""

    def __init__(self, *models):
        self.models = models

    def __enter__(self):
        self.before = analyze_counts(*self.models)
        return self

    def __exit__(self, *exc):
        return False

    def tables(self) -> set[str]:
        after = analyze_counts(*self.models)
        return {table for table, count in after.items() if count > self.before[table]}


def table(model) -> str:
    return model._meta.db_table


def test_analyze_takes_several_models_and_works_inside_a_transaction():
    from django.db import transaction

    with Analyzed(LeikaEntry, OzgLeistung, Assessment) as analyzed, transaction.atomic():
        analyze(LeikaEntry, OzgLeistung)
    assert analyzed.tables() == {table(LeikaEntry), table(OzgLeistung)}


def test_a_leika_import_analyzes_the_catalogue_tables_and_a_dry_run_does_not(tmp_path):
    source = tmp_path / "v1.csv"
    source.write_bytes(fim_csv(V1))
    models = (CatalogueVersion, LeikaEntry, CatalogueChange, OzgLeistung.leika_entries.through)
    with Analyzed(*models) as analyzed:
        import_leika_with_ozg(FileSource(str(source), "v1.csv"), version_name="2024", dry_run=True)
    assert analyzed.tables() == set()
    with Analyzed(*models) as analyzed:
        import_leika_with_ozg(FileSource(str(source), "v1.csv"), version_name="2024")
    assert analyzed.tables() >= {table(CatalogueVersion), table(LeikaEntry), table(CatalogueChange)}


def test_an_ozg_import_analyzes_the_ozg_catalogue(tmp_path):
    source = tmp_path / "ozg.csv"
    source.write_text(OZG_CSV, encoding="utf-8")
    with Analyzed(OzgLeistung) as analyzed:
        import_ozg(FileSource(str(source), "ozg.csv"))
    assert analyzed.tables() == {table(OzgLeistung)}


def test_applying_online_services_analyzes_assessments_and_their_history(tmp_path):
    org = factories.kreis()
    version = factories.catalogue_version()
    entry = factories.leika_entry(version, key="99001001000000")
    round_obj = factories.survey_round(org, version=version, maturity_scale=factories.scale("ozg-1-1"))
    factories.assessment(round_obj, entry, factories.department(org), status=Status.PDF)
    book = openpyxl.Workbook()
    book.active.append(["Name", "Nummer", "Onlinedienst (übergeordnet)", "Live", "Landingpage", "Direktlink", "Stelle"])
    book.active.append(["Hundesteuer", 99001001000000, "", "Ja", "/antrag/hundesteuer/", None, "Kommune"])
    book.save(tmp_path / "wsp.xlsx")
    plan = plan_online_services(FileSource(str(tmp_path / "wsp.xlsx"), "wsp.xlsx"), org)
    with Analyzed(Assessment, AssessmentChange) as analyzed:
        assert apply_online_services(plan, None, "wsp.xlsx") == 1
    assert analyzed.tables() == {table(Assessment), table(AssessmentChange)}


def test_opening_a_round_with_carry_over_analyzes_the_assessments():
    org = factories.kreis()
    version = factories.catalogue_version()
    department = factories.department(org)
    previous = factories.survey_round(org, 2023, version=version)
    for entry in factories.leika_entries(version, range(1, 6)):
        factories.assessment(previous, entry, department)
    factories.close(previous)
    with Analyzed(Assessment) as analyzed:
        factories.close(open_round(org, 2024, version))
    assert analyzed.tables() == {table(Assessment)}
    with Analyzed(Assessment) as analyzed:
        open_round(org, 2025, version, analyze_after=False)
    assert analyzed.tables() == set()


def test_generate_scale_analyzes_what_it_filled():
    models = (LeikaEntry, Assessment, AssessmentChange)
    with Analyzed(*models) as analyzed:
        call_command("generate_scale", "--organisations", "1", "--entries", "20", "--rounds", "2", verbosity=0)
    assert analyzed.tables() == {table(model) for model in models}


def test_the_demo_analyzes_what_it_filled():
    models = (LeikaEntry, Assessment, OzgLeistung)
    with Analyzed(*models) as analyzed:
        build_demo(log=lambda line: None)
    assert analyzed.tables() == {table(model) for model in models}


def test_a_large_sheet_applied_in_the_background_analyzes_assessments_and_their_history(client, settings, tmp_path):
    from tests.helpers import login

    from .test_jobs import sheet_with_all_rows_digital, upload_and_apply

    settings.SHEET_JOB_ROWS = 1
    world = factories.workspace_world()
    login(client, world.editor)
    apply_url = upload_and_apply(client, world, sheet_with_all_rows_digital(client, world))
    with Analyzed(Assessment, AssessmentChange) as analyzed:
        client.post(apply_url)  # outside a test transaction the job is queued at once and runs in the request
    assert Assessment.objects.filter(round=world.round, status=Status.DIGITAL).count() == 4
    assert analyzed.tables() == {table(Assessment), table(AssessmentChange)}
