"""The demo stays true to the real catalogues: importing the KDN 2019 files after load_demo renames nothing."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count

from leika.models import CatalogueVersion, LeikaEntry
from monitoring.choices import PlanState
from monitoring.models import OzgPlan, SurveyRound
from ozg.models import OzgLeistung

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "demo"


def committee_figures():
    """Both reports' tables, counted from the records as the tests of test_demo.py count them."""
    kreis = {}
    for year in (2023, 2024):
        rows = SurveyRound.objects.get(organisation__name="StädteRegion Aachen", year=year).assessments
        kreis[year] = dict(rows.values_list("status").annotate(n=Count("pk")))
    municipal = OzgLeistung.objects.filter(zustaendigkeit="kommune")
    plans = OzgPlan.objects.filter(organisation__name="Stadt Aachen", ozg_leistung__in=municipal)
    return {
        "kreis": kreis,
        "ozg": OzgLeistung.objects.count(),
        "kommunal": municipal.count(),
        "plans": dict(plans.exclude(state=PlanState.NICHT_GEPLANT).values_list("state").annotate(n=Count("pk"))),
    }


def ozg_catalogue():
    return {
        o.ozg_id: (o.name, o.themenfeld.name, o.lage.name)
        for o in OzgLeistung.objects.select_related("themenfeld", "lage")
    }


def test_importing_the_real_catalogues_after_the_demo_changes_no_ozg_leistung_and_no_figure(demo, shared_data):
    catalogue, figures = ozg_catalogue(), committee_figures()
    assert figures["ozg"] == 575 and figures["kommunal"] == 209
    assert sum(figures["kreis"][2023].values()) == 835 and sum(figures["kreis"][2024].values()) == 1187
    assert figures["plans"] == {PlanState.UMGESETZT: 73, PlanState.KURZFRISTIG: 22, PlanState.LANGFRISTIG: 15}

    out = io.StringIO()
    call_command("import_ozg", str(shared_data / "kdn2019_ozg.csv"), stdout=out)
    assert out.getvalue().splitlines() == ["neu: 0", "umbenannt: 0", "geändert: 0", "entfällt: 0", "unverändert: 557"]
    call_command("import_leika", str(shared_data / "kdn2019_leika.csv"), "--version", "LeiKa 10/2019", stdout=out)

    assert ozg_catalogue() == catalogue
    assert committee_figures() == figures


def test_ozg_10235_is_the_sterbefallanzeige_as_in_the_real_catalogue(demo):
    assert OzgLeistung.objects.get(ozg_id=10235).name == "Sterbefallanzeige"


def test_the_demos_ozg_leistungen_outside_the_real_catalogue_have_ids_of_their_own(demo, shared_data):
    with (shared_data / "kdn2019_ozg.csv").open(encoding="utf-8") as file:
        real = {int(row["OZG-ID"]): row["Bezeichnung"] for row in csv.DictReader(file, delimiter=";")}
    demo_only = OzgLeistung.objects.exclude(ozg_id__in=real)
    assert demo_only.count() == 575 - len(real)
    assert all(ozg_id > max(real) for ozg_id in demo_only.values_list("ozg_id", flat=True))


def real_leika(shared_data):
    call_command(
        "import_leika", str(shared_data / "kdn2019_leika.csv"), "--version", "LeiKa 10/2019", stdout=io.StringIO()
    )
    return dict(CatalogueVersion.objects.get(name="LeiKa 10/2019").entries.values_list("key", "name"))


def test_every_demo_key_that_the_real_leika_catalogue_knows_has_its_real_name(demo, shared_data):
    demo_entries = LeikaEntry.objects.filter(version__name__contains="Demo").values_list("version__name", "key", "name")
    real = real_leika(shared_data)
    shared = [(version, key, name) for version, key, name in demo_entries if key in real]
    assert [(version, key, name, real[key]) for version, key, name in shared if name != real[key]] == []
    # The families the fixtures tie to a real Leistungsobjekt bring (nearly all) its real entries, not just its key.
    keys = {key for _, key, _ in shared}
    in_families = {key for key in real if key[:8] in {k[:8] for k in keys}}
    assert len({k[:8] for k in keys}) == 33 and len(keys) > 0.9 * len(in_families)


@pytest.mark.parametrize(("prefix", "real_entries"), [("99067004", 10), ("99010001", 134)])
def test_the_split_families_of_2024_hold_their_real_entries(demo, shared_data, prefix, real_entries):
    real = real_leika(shared_data)
    version = SurveyRound.objects.get(organisation__name="StädteRegion Aachen", year=2024).catalogue_version
    keys = set(version.entries.family(prefix).values_list("key", flat=True))
    # The Aufenthaltserlaubnis's real "Verlängerung" is the 2023 entry that 2024 splits into one per purpose.
    assert len(keys & {key for key in real if key.startswith(prefix)}) == real_entries


def test_the_fixtures_hold_no_name_of_the_real_ozg_catalogue(shared_data):
    with (shared_data / "kdn2019_ozg.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file, delimiter=";"))
    names = {row["Bezeichnung"] for row in rows}
    real_ids = {row["OZG-ID"] for row in rows}
    for path in (FIXTURES / "ozg").glob("*.csv"):
        with path.open(encoding="utf-8") as file:
            cells = {cell for row in csv.reader(file, delimiter=";") for cell in row}
        assert cells & names == set(), path.name
    with (FIXTURES / "ozg" / "ozg_leistungen.csv").open(encoding="utf-8") as file:
        for row in csv.DictReader(file, delimiter=";"):
            if row["OZG-ID"] in real_ids:
                assert (row["Bezeichnung"], row["Lage"], row["Themenfeld"]) == ("", "", ""), row["OZG-ID"]
