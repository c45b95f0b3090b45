"""Without the real catalogue files load_demo still builds the demo with its committee figures and says so."""

import io

import pytest
from django.core.management import call_command

from leika.models import LeikaEntry
from monitoring.choices import PlanState
from monitoring.models import SurveyRound
from ozg.models import OzgLeistung

from .test_demo_real_data import committee_figures

pytestmark = pytest.mark.django_db


def test_without_the_real_catalogue_the_demo_has_placeholders_the_same_figures_and_a_note(settings, tmp_path):
    settings.DEMO_CATALOGUE_DIR = tmp_path
    out = io.StringIO()
    call_command("load_demo", stdout=out)

    assert "Der echte Katalog wurde nicht gefunden" in out.getvalue()
    assert str(tmp_path / "kdn2019_ozg.csv") in out.getvalue()
    assert str(tmp_path / "kdn2019_leika.csv") in out.getvalue()
    figures = committee_figures()
    assert [sum(figures["kreis"][year].values()) for year in (2023, 2024)] == [835, 1187]
    assert (figures["ozg"], figures["kommunal"]) == (575, 209)
    assert figures["plans"] == {PlanState.UMGESETZT: 73, PlanState.KURZFRISTIG: 22, PlanState.LANGFRISTIG: 15}
    assert OzgLeistung.objects.get(ozg_id=10235).name == "OZG-Leistung 10235"
    # The demo's own OZG-Leistungen keep their names; the families' OZG-Leistungen their department's Themenfeld.
    assert OzgLeistung.objects.get(ozg_id=99016).name == "Trichinenuntersuchung"
    assert OzgLeistung.objects.get(ozg_id=10255).themenfeld.name == "Ein- & Auswanderung"
    sizes = {}
    for year in (2023, 2024):
        entries = LeikaEntry.objects.filter(version=SurveyRound.objects.get(year=year).catalogue_version)
        sizes[year] = [entries.family(prefix).count() for prefix in ("99067004", "99010001")]
    assert sizes == {2023: [7, 6], 2024: [102, 181]}
