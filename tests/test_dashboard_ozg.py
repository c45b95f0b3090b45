"""OZG, maturity, EfA and project figures of the dashboard against a hand-counted fixture."""

import datetime

import pytest

from leika.models import LeikaEntry
from monitoring import dashboard as figures
from monitoring.choices import ProjectState, Status
from monitoring.models import Assessment, ITProject, OzgPlan
from ozg.choices import EfaKind, Land, Zustaendigkeit
from ozg.models import EfaOffer, OzgLeistung, Themenfeld

from .test_carry_over import world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

# OZG-ID: (name, Zuständigkeit, Themenfeld, keys of the 2023 catalogue it covers, own plan state)
OZG = {
    10001: ("Hundesteuer", Zustaendigkeit.KOMMUNE, "Bauen & Wohnen", ["99001001000000", "99001001001000"], "umgesetzt"),
    10002: ("Jagdschein", Zustaendigkeit.KOMMUNE, "Bauen & Wohnen", ["99002001000000", "99002001001000"], "umgesetzt"),
    10003: ("Aufenthaltstitel", Zustaendigkeit.KOMMUNE, "Ein- & Auswanderung", ["99003001002000"], "nicht_geplant"),
    10004: ("Wohngeld", Zustaendigkeit.KOMMUNE, "Ein- & Auswanderung", ["99005002000000"], "kurzfristig"),
    10005: ("Abfall", Zustaendigkeit.KOMMUNE, "Ein- & Auswanderung", [], "langfristig"),
    10006: ("Pass", Zustaendigkeit.BUND, "Ein- & Auswanderung", ["99004001000000"], None),
}


@pytest.fixture
def ozg(world):  # noqa: F811
    for ozg_id, (name, level, field, keys, state) in OZG.items():
        leistung = OzgLeistung.objects.create(
            ozg_id=ozg_id, name=name, zustaendigkeit=level, themenfeld=Themenfeld.objects.get(name=field)
        )
        leistung.leika_entries.set(LeikaEntry.objects.filter(version=world["v2023"], key__in=keys))
        if state:
            OzgPlan.objects.create(organisation=world["org"], ozg_leistung=leistung, state=state)
    return world


def test_quotas_and_themenfelder(ozg):
    quotas, themenfelder, *_ = figures.ozg_tables(ozg["org"], ozg["previous"])
    assert quotas.column("Anzahl") == [6, 5, 2, 1, 1, 3, 4]
    assert quotas.column("Quote") == [None, None, 40.0, 20.0, 20.0, 60.0, 80.0]
    assert [row.label for row in themenfelder.rows] == ["Bauen & Wohnen", "Ein- & Auswanderung"]
    assert themenfelder.row("Bauen & Wohnen").values == [2, 2, 0, 0, 100.0, 100.0]
    assert themenfelder.row("Ein- & Auswanderung").values == [3, 0, 1, 1, 0.0, 33.3]


def test_federal_counting_rule_and_plausibility_findings(ozg):
    # Levels of 2023 (VALUES_2023): Hundesteuer 4 and 2, Jagdschein 1 and 0, Aufenthaltserlaubnis Verlängerung 2,
    # Lastenzuschuss 3; Sperrmüll (0) belongs to a federal OZG-Leistung and does not count.
    _, _, _, rule, findings, _ = figures.ozg_tables(ozg["org"], ozg["previous"])
    assert rule.column("Anzahl") == [5, 2, 3, 2, 1, 3]
    assert rule.row("online nach Zählregel (mind. Stufe 2)").values == [3, 60.0]
    assert [(row.label, row.values[1], row.values[2], row.values[3]) for row in findings.rows] == [
        (
            "10002",
            "umgesetzt",
            1,
            "als umgesetzt geführt, aber keine zugeordnete LeiKa-Leistung ist digital oder erreicht Stufe 2",
        ),
        ("10003", "nicht geplant", 2, "nach der Zählregel online, im Planungsstand nicht geplant"),
        (
            "10004",
            "kurzfristig geplant",
            3,
            "nach der Zählregel konform umgesetzt, im Planungsstand nicht als umgesetzt geführt",
        ),
    ]
    assert "Zählregel des Bundes" in " ".join(text for _, text in rule.method.lines)


def test_maturity_distribution_on_the_rounds_scale(world):  # noqa: F811
    table = figures.maturity_distribution(world["org"], world["previous"])
    assert [row.label for row in table.rows][:5] == [
        "0 – Offline",
        "1 – Information",
        "2 – Formular-Assistent",
        "3 – Online-Leistung",
        "4 – Online-Transaktion",
    ]
    assert table.column("Leistungen") == [2, 3, 2, 1, 1, 0, 9]
    assert table.row("2 – Formular-Assistent").values[1] == 22.2


def test_efa_and_projects(world):  # noqa: F811
    org, round_2023 = world["org"], world["previous"]
    round_2023.deadline = datetime.date(2023, 3, 31)
    leistung = OzgLeistung.objects.create(
        ozg_id=10010, name="Wohngeld", zustaendigkeit=Zustaendigkeit.KOMMUNE, themenfeld=Themenfeld.objects.first()
    )
    offers = [
        EfaOffer.objects.create(
            ozg_leistung=leistung,
            name=f"Angebot {n}",
            providing_land=Land.BE,
            kind=EfaKind.NACHNUTZUNG_VEREINBART,
            available_from=day,
        )
        for n, day in enumerate([datetime.date(2022, 1, 1), None, datetime.date(2023, 6, 1)])
    ]
    project = ITProject.objects.create(organisation=org, title="E-Akte", year=2023, state=ProjectState.IN_UMSETZUNG)
    ITProject.objects.create(organisation=org, title="Portal", year=2023, state=ProjectState.GEPLANT)
    ITProject.objects.create(organisation=org, title="Später", year=2024, state=ProjectState.GEPLANT)
    rows = Assessment.objects.filter(round=round_2023)
    # Closed round: the values are set as they were before the round was closed.
    from monitoring.models import SurveyRound

    open_ones = list(SurveyRound.objects.filter(organisation=org, is_closed=False).values_list("pk", flat=True))
    SurveyRound.objects.filter(pk__in=open_ones).update(is_closed=True)  # one open round at most
    SurveyRound.objects.filter(pk=round_2023.pk).update(is_closed=False)
    rows.filter(leika_entry__key="99001001000000").update(efa_offer=offers[0], efa_kind=EfaKind.NACHNUTZUNG_VEREINBART)
    rows.filter(leika_entry__key="99002001000000").update(efa_kind=EfaKind.NACHNUTZUNG_IN_KLAERUNG)
    rows.filter(leika_entry__key="99003001000000").update(it_project=project)
    SurveyRound.objects.filter(pk=round_2023.pk).update(is_closed=True)
    SurveyRound.objects.filter(pk__in=open_ones).update(is_closed=False)

    efa = figures.efa_table(org, round_2023)
    assert efa.rows[0].values == [2]  # available by the deadline: from 2022 and without a date
    assert efa.rows[1].values == [1]  # re-used by one row
    assert efa.rows[2].values == [1]  # planned, not yet digital: the Jagdschein row
    by_state, listing = figures.project_tables(org, round_2023)
    assert by_state.row(ProjectState.IN_UMSETZUNG.label).values == [1, 1]
    assert by_state.row(ProjectState.GEPLANT.label).values == [1, 0]
    assert by_state.row("Summe").values == [2, 1]
    assert [(row.label, row.values[-1]) for row in listing.rows] == [("Portal", 0), ("E-Akte", 1)]
    assert rows.get(leika_entry__key="99003001000000").status == Status.PROJEKT
