"""The demo data reproduces both committee reports when its records are counted, and load_demo is idempotent."""

import datetime
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from leika.models import LeikaEntry
from monitoring import dashboard as dashboard_figures
from monitoring.choices import PlanState, Status
from monitoring.demo.build import demo_usernames
from monitoring.models import Assessment, ITProject, Organisation, OzgPlan, SurveyRound
from ozg.models import EfaOffer, OzgLeistung

pytestmark = pytest.mark.django_db

JAGDSCHEIN = "99067004"
AUFENTHALTSERLAUBNIS = "99010001"


def round_of(year, name="StädteRegion Aachen"):
    return SurveyRound.objects.get(organisation__name=name, year=year)


def status_counts(year):
    rows = Assessment.objects.filter(round=round_of(year)).values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def test_it_reproduces_the_committee_table_of_the_staedteregion(demo):
    assert status_counts(2023) == {
        Status.ANALOG: 125,
        Status.KEIN_POTENZIAL: 180,
        Status.PDF: 218,
        Status.DIGITAL: 258,
        Status.PROJEKT: 54,
    }
    assert status_counts(2024) == {
        Status.ANALOG: 126,
        Status.KEIN_POTENZIAL: 199,
        Status.PDF: 428,
        Status.DIGITAL: 283,
        Status.PROJEKT: 151,
    }
    assert Assessment.objects.filter(round=round_of(2023)).count() == 835
    assert Assessment.objects.filter(round=round_of(2024)).count() == 1187


def test_each_round_has_its_own_catalogue_version(demo):
    r2023, r2024 = round_of(2023), round_of(2024)
    assert r2023.catalogue_version != r2024.catalogue_version
    for r in (r2023, r2024):
        assert not Assessment.objects.filter(round=r).exclude(leika_entry__version=r.catalogue_version).exists()


@pytest.mark.parametrize(
    ("prefix", "year", "count"),
    [
        (JAGDSCHEIN, 2023, 7),
        (JAGDSCHEIN, 2024, 102),
        (AUFENTHALTSERLAUBNIS, 2023, 6),
        (AUFENTHALTSERLAUBNIS, 2024, 181),
    ],
)
def test_the_split_families_have_the_reported_sizes_and_are_all_pdf(demo, prefix, year, count):
    r = round_of(year)
    assert LeikaEntry.objects.filter(version=r.catalogue_version).family(prefix).count() == count
    family = Assessment.objects.filter(round=r, leika_entry__key__startswith=prefix)
    assert family.count() == count
    assert set(family.values_list("status", flat=True)) == {Status.PDF}


def test_the_split_families_keep_their_real_names(demo):
    r = round_of(2024)
    assert LeikaEntry.objects.get(version=r.catalogue_version, key=JAGDSCHEIN + "000000").name == "Jagdschein"
    names = LeikaEntry.objects.filter(version=r.catalogue_version).family(AUFENTHALTSERLAUBNIS)
    assert all(name.startswith("Aufenthaltserlaubnis") for name in names.values_list("name", flat=True))


def test_the_kataster_office_offers_everything_digitally_in_2024_but_not_yet_in_2023(demo):
    def kataster(year):
        return Assessment.objects.filter(round=round_of(year), department__name="Kataster- und Vermessungsamt")

    assert kataster(2024).exists()
    assert not kataster(2024).exclude(status=Status.DIGITAL).exists()
    assert kataster(2023).exclude(status=Status.DIGITAL).exists()


def test_it_names_the_departments_of_the_report(demo):
    names = set(Organisation.objects.get(name="StädteRegion Aachen").departments.values_list("name", flat=True))
    for name in (
        "Gesundheitsamt",
        "Ausländeramt",
        "Umweltamt",
        "Kataster- und Vermessungsamt",
        "Amt für Verbraucherschutz, Tierschutz und Veterinärwesen",
        "Amt für Digitalisierung und IT",
    ):
        assert name in names
    assert len(names) > 6


def test_it_has_197_it_projects_for_2024(demo):
    assert ITProject.objects.filter(organisation__name="StädteRegion Aachen", year=2024).count() == 197


def test_it_has_19_efa_offers_of_which_3_are_reused(demo):
    assert EfaOffer.objects.count() == 19
    reused = EfaOffer.objects.filter(assessments__round=round_of(2024)).distinct()
    assert reused.count() == 3
    assert "Einbürgerung" in set(reused.values_list("ozg_leistung__name", flat=True))


def test_kein_optimierungspotenzial_always_has_a_justification(demo):
    kop = Assessment.objects.filter(status=Status.KEIN_POTENZIAL)
    assert kop.exists()
    assert not kop.filter(justification="").exists()


def test_the_open_round_2025_starts_as_a_copy_of_2024_awaiting_confirmation(demo):
    r2024, r2025 = round_of(2024), round_of(2025)
    assert r2024.is_closed and round_of(2023).is_closed and not r2025.is_closed
    copies = Assessment.objects.filter(round=r2025)
    assert copies.count() == 1187
    assert not copies.filter(carried_over_from__isnull=True).exists()
    assert not copies.filter(confirmed_at__isnull=False).exists()
    assert not copies.exclude(carried_over_from__round=r2024).exists()
    differing = [a for a in copies.select_related("carried_over_from") if a.status != a.carried_over_from.status]
    assert differing == []


def test_the_open_round_runs_six_weeks_from_the_day_the_demo_is_loaded(demo):
    assert round_of(2025).deadline == timezone.localdate() + datetime.timedelta(weeks=6)


def test_the_stadt_aachen_reproduces_its_ozg_figures(demo):
    aachen = Organisation.objects.get(name="Stadt Aachen")
    assert OzgLeistung.objects.count() == 575
    municipal = OzgLeistung.objects.filter(zustaendigkeit="kommune")
    assert municipal.count() == 209
    plans = OzgPlan.objects.filter(organisation=aachen, ozg_leistung__in=municipal)
    counts = dict(plans.values_list("state").annotate(n=Count("pk")))
    assert counts[PlanState.UMGESETZT] == 73
    assert counts[PlanState.KURZFRISTIG] == 22
    assert counts[PlanState.LANGFRISTIG] == 15
    implemented = plans.filter(state=PlanState.UMGESETZT)
    assert not implemented.filter(maturity_level__isnull=True).exists()
    assert set(implemented.values_list("maturity_level__scale__code", flat=True)) == {"kommunal-0-5"}
    assert not plans.exclude(state=PlanState.UMGESETZT).filter(maturity_level__isnull=False).exists()


def test_the_stadt_aachens_dashboard_shows_the_report_and_its_maturity_distribution(demo):
    aachen = Organisation.objects.get(name="Stadt Aachen")
    tables = {table.slug: table for table in dashboard_figures.ozg_tables(aachen, None)}
    assert tables["ozg-quoten"].column("Anzahl")[:5] == [575, 209, 73, 22, 15]
    levels = tables["reifegrade-ozg"]
    assert [row.label[0] for row in levels.rows[:6]] == ["0", "1", "2", "3", "4", "5"]
    assert levels.column("OZG-Leistungen") == [9, 16, 21, 15, 8, 4, 0, 73]  # fixtures/demo/stadt_aachen
    assert sum(levels.column("OZG-Leistungen")[:-1]) == 73
    assert aachen.maturity_scale.code == "kommunal-0-5"
    assert str(aachen.maturity_scale) in levels.title


def test_every_demo_user_logs_in_with_the_password_demo(demo, rf):
    # django-axes (login lock-out) needs the request to know where an attempt comes from.
    request = rf.post("/anmelden/")
    for username in demo_usernames():
        assert authenticate(request, username=username, password="demo") is not None, username
    assert authenticate(request, username="admin", password="demo").is_superuser


def test_the_readme_lists_every_demo_user():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for username in demo_usernames():
        assert f"`{username}`" in readme, username


def model_counts():
    return {
        model._meta.label: model.objects.count()
        for app in ("accounts", "leika", "ozg", "monitoring")
        for model in apps.get_app_config(app).get_models()
    }


def test_load_demo_twice_changes_nothing(demo):
    before = model_counts()
    before_statuses = status_counts(2024)
    call_command("load_demo", stdout=io.StringIO())
    assert model_counts() == before
    assert status_counts(2024) == before_statuses


def test_the_2024_catalogue_explains_the_split_families_through_its_crosswalk(demo):
    version = round_of(2024).catalogue_version
    assert version.predecessor == round_of(2023).catalogue_version
    jagdschein = version.entries.family(JAGDSCHEIN)
    assert jagdschein.filter(change="ausdifferenziert").count() == 95
    residence = version.entries.family(AUFENTHALTSERLAUBNIS)
    split = version.changes.get(entry__key=AUFENTHALTSERLAUBNIS + "020000")
    assert split.kind == "aufgeteilt"
    assert residence.filter(change="nachfolger", predecessor=split.entry).count() > 0
    assert residence.exclude(change__in=["unveraendert", "umbenannt"]).count() == 181 - 5
    counted = version.changes.count()
    assert counted == round_of(2023).assessments.count()
    assert version.changes.filter(kind="entfallen").count() == 10
