"""Tests of the domain rules of the leika, ozg and monitoring models, each shown at the field it belongs to.

full_clean() reports a rule under its field name in German; Assessment.save() enforces the same rules without it.
"""

from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError

from leika.models import CatalogueVersion, LeikaEntry
from monitoring.choices import OrganisationKind, PlanState, Status
from monitoring.models import Assessment, Department, ITProject, Organisation, OzgPlan, SurveyRound
from ozg.models import MaturityLevel, MaturityScale, OzgLeistung, Themenfeld
from ozg.reference import SCALE_BERLIN, SCALE_KOMMUNAL_0_5, SCALE_OZG_2_0
from tests import factories

pytestmark = pytest.mark.django_db

JUSTIFICATION_MESSAGE = "„Kein Optimierungspotenzial“ braucht eine Begründung."
OTHER_ORGANISATION_PROJECT = "Das IT-Projekt gehört zu einer anderen Organisation."
QUARTER_MESSAGE = "Das Zielquartal muss die Form JJJJ-Q1 bis JJJJ-Q4 haben (erhalten: „{}“)."
REGIONALSCHLUESSEL_MESSAGE = "Der Regionalschlüssel muss aus genau 12 Ziffern bestehen."


@dataclass
class World:
    version: CatalogueVersion
    later_version: CatalogueVersion
    entry: LeikaEntry
    other_entry: LeikaEntry
    later_entry: LeikaEntry
    scale: MaturityScale
    level: MaturityLevel
    other_scale_level: MaturityLevel
    organisation: Organisation
    other_organisation: Organisation
    department: Department
    other_department: Department
    project: ITProject
    other_project: ITProject
    round: SurveyRound
    leistung: OzgLeistung


@pytest.fixture
def world():
    version = factories.catalogue_version()
    later_version = factories.catalogue_version("LeiKa 2025", 2025)
    scale = factories.scale(SCALE_OZG_2_0)
    organisation = factories.organisation(maturity_scale=scale)
    other_organisation = factories.kreis("Nachbarkreis", regionalschluessel="051160000000")
    department = factories.department(organisation)
    other_department = factories.department(other_organisation)
    return World(
        version=version,
        later_version=later_version,
        entry=factories.leika_entry(version, name="Wohngeld", key="99123456000000"),
        other_entry=factories.leika_entry(version, name="Elterngeld", key="99123457000000"),
        later_entry=factories.leika_entry(later_version, name="Wohngeld", key="99123456000000"),
        scale=scale,
        level=scale.levels.get(value=3),
        other_scale_level=factories.scale(SCALE_KOMMUNAL_0_5).levels.get(value=3),
        organisation=organisation,
        other_organisation=other_organisation,
        department=department,
        other_department=other_department,
        project=ITProject.objects.create(organisation=organisation, department=department, title="E-Akte", year=2024),
        other_project=ITProject.objects.create(organisation=other_organisation, title="Bürgerportal", year=2024),
        round=factories.survey_round(organisation, 2024, version=version),
        leistung=OzgLeistung.objects.create(
            ozg_id=10034, name="Wohngeld", themenfeld=Themenfeld.objects.get(name="Bauen & Wohnen")
        ),
    )


def assessment(world: World, **fields) -> Assessment:
    values = {"round": world.round, "leika_entry": world.entry, "department": world.department, **fields}
    return Assessment(**values)


def errors_of(obj, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        obj.full_clean(**kwargs)
    return error.value.message_dict


# --- Assessment ---------------------------------------------------------------------------------------------

# Each case breaks exactly one rule of an otherwise valid assessment: (id, fields, field of the error, message).
ASSESSMENT_VIOLATIONS = [
    (
        "maturity-level-of-another-scale",
        lambda w: {"status": Status.DIGITAL, "maturity_level": w.other_scale_level},
        "maturity_level",
        "Der Reifegrad gehört nicht zur Skala der Runde (OZG-Reifegradmodell 2.0).",
    ),
    (
        "kein-potenzial-without-justification",
        lambda w: {"status": Status.KEIN_POTENZIAL, "justification": ""},
        "justification",
        JUSTIFICATION_MESSAGE,
    ),
    (
        "kein-potenzial-with-blank-justification",
        lambda w: {"status": Status.KEIN_POTENZIAL, "justification": "   "},
        "justification",
        JUSTIFICATION_MESSAGE,
    ),
    (
        "kein-potenzial-with-whitespace-justification",
        lambda w: {"status": Status.KEIN_POTENZIAL, "justification": "\n\t \n"},
        "justification",
        JUSTIFICATION_MESSAGE,
    ),
    (
        "project-of-another-organisation",
        lambda w: {"status": Status.PROJEKT, "it_project": w.other_project},
        "it_project",
        OTHER_ORGANISATION_PROJECT,
    ),
    (
        "leika-entry-of-another-catalogue-version",
        lambda w: {"leika_entry": w.later_entry},
        "leika_entry",
        "Die LeiKa-Leistung stammt nicht aus der Katalogversion der Runde (LeiKa 2024).",
    ),
    (
        "department-of-another-organisation",
        lambda w: {"department": w.other_department},
        "department",
        "Die Organisationseinheit gehört zu einer anderen Organisation als die Runde.",
    ),
]
VIOLATION_PARAMS = [pytest.param(make, field, message, id=case) for case, make, field, message in ASSESSMENT_VIOLATIONS]
# An empty justification is refused by the database's check constraint on every path; whitespace is not.
UPDATE_VIOLATION_PARAMS = [p for p in VIOLATION_PARAMS if p.id != "kein-potenzial-without-justification"]


@pytest.mark.parametrize(("make", "field", "message"), VIOLATION_PARAMS)
def test_full_clean_reports_an_assessment_rule_at_its_field(world, make, field, message):
    assert errors_of(assessment(world, **make(world))) == {field: [message]}


@pytest.mark.parametrize(("make", "field", "message"), VIOLATION_PARAMS)
def test_save_refuses_an_assessment_that_breaks_a_rule(world, make, field, message):
    with pytest.raises(ValidationError) as error:
        assessment(world, **make(world)).save()

    assert error.value.message_dict == {field: [message]}
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(("make", "field", "message"), VIOLATION_PARAMS)
def test_saving_a_stored_assessment_into_a_rule_violation_leaves_the_row(world, make, field, message):
    stored = assessment(world, status=Status.ANALOG)
    stored.save()
    before = Assessment.objects.filter(pk=stored.pk).values().get()
    for name, value in make(world).items():
        setattr(stored, name, value)

    with pytest.raises(ValidationError) as error:
        stored.save()

    assert error.value.message_dict == {field: [message]}
    assert Assessment.objects.filter(pk=stored.pk).values().get() == before


def test_several_broken_rules_are_reported_each_at_its_field(world):
    broken = assessment(
        world,
        department=world.other_department,
        status=Status.KEIN_POTENZIAL,
        maturity_level=world.other_scale_level,
        it_project=world.other_project,
    )
    assert set(errors_of(broken)) == {"department", "maturity_level", "justification", "it_project"}


def test_a_maturity_level_of_the_rounds_scale_is_accepted(world):
    for level in world.scale.levels.all():
        assessment(world, status=Status.DIGITAL, maturity_level=level).full_clean()


def test_the_same_level_value_of_another_scale_is_not_the_rounds_level(world):
    assert world.other_scale_level.value == world.level.value
    assert set(errors_of(assessment(world, maturity_level=world.other_scale_level))) == {"maturity_level"}
    assessment(world, maturity_level=world.level).full_clean()


def test_the_scale_rule_follows_the_round_not_the_organisation(world):
    berlin = MaturityScale.objects.get(code=SCALE_BERLIN)
    world.round.maturity_scale = berlin
    world.round.save()

    assessment(world, maturity_level=berlin.levels.first()).full_clean()
    assert set(errors_of(assessment(world, maturity_level=world.level))) == {"maturity_level"}


def test_kein_optimierungspotenzial_with_a_justification_is_accepted_and_stored_trimmed(world):
    kein = assessment(world, status=Status.KEIN_POTENZIAL, justification="  Wird nur intern erbracht.\n")
    kein.full_clean()
    kein.save()

    assert Assessment.objects.get(pk=kein.pk).justification == "Wird nur intern erbracht."


@pytest.mark.parametrize("status", [s for s in Status if s != Status.KEIN_POTENZIAL])
def test_other_statuses_need_no_justification(world, status):
    assessment(world, status=status, justification="").full_clean()


@pytest.mark.parametrize("status", [Status.PROJEKT, Status.DIGITAL])
def test_an_it_project_of_the_same_organisation_is_accepted(world, status):
    with_project = assessment(world, status=status, it_project=world.project)
    with_project.full_clean()
    with_project.save()

    assert Assessment.objects.get(pk=with_project.pk).it_project == world.project


def test_projekt_in_umsetzung_may_name_no_project(world):
    assessment(world, status=Status.PROJEKT).full_clean()


@pytest.mark.parametrize("status", [Status.PROJEKT, Status.ANALOG])
def test_an_it_project_of_another_organisation_is_refused_whatever_the_status(world, status):
    assert errors_of(assessment(world, status=status, it_project=world.other_project)) == {
        "it_project": [OTHER_ORGANISATION_PROJECT]
    }


@pytest.mark.parametrize(("make", "field", "message"), UPDATE_VIOLATION_PARAMS)
def test_queryset_update_refuses_a_rule_violation(world, make, field, message):
    stored = assessment(world, status=Status.ANALOG)
    stored.save()
    before = Assessment.objects.filter(pk=stored.pk).values().get()

    with pytest.raises(ValidationError):
        Assessment.objects.filter(pk=stored.pk).update(**make(world))

    assert Assessment.objects.filter(pk=stored.pk).values().get() == before


# --- Department ---------------------------------------------------------------------------------------------


def test_a_department_may_have_a_parent_of_its_own_organisation(world):
    child = Department(organisation=world.organisation, code="A 12.1", name="Meldewesen", parent=world.department)
    child.full_clean()


def test_a_parent_department_of_another_organisation_is_refused(world):
    child = Department(organisation=world.organisation, code="A 12.1", name="Meldewesen", parent=world.other_department)
    assert errors_of(child) == {"parent": ["Die übergeordnete Einheit gehört zu einer anderen Organisation."]}


def test_a_department_cannot_be_its_own_parent(world):
    world.department.parent = world.department
    assert errors_of(world.department) == {"parent": ["Eine Einheit kann nicht sich selbst untergeordnet sein."]}


def test_a_department_cannot_be_placed_under_its_own_descendant(world):
    child = Department.objects.create(
        organisation=world.organisation, code="A 12.1", name="Meldewesen", parent=world.department
    )
    grandchild = Department.objects.create(organisation=world.organisation, code="A 12.1.1", name="Pässe", parent=child)
    world.department.parent = grandchild
    assert errors_of(world.department) == {"parent": ["Eine Einheit kann nicht sich selbst untergeordnet sein."]}


def test_a_department_code_is_unique_within_its_organisation(world):
    twin = Department(organisation=world.organisation, code="A 12", name="Noch ein Bürgeramt")
    assert errors_of(twin) == {
        "__all__": ["Organisationseinheit mit diesem Wert für das Feld Organisation und Kürzel existiert bereits."]
    }
    # The same code in another organisation is fine (world.other_department already has it).
    Department(organisation=world.other_organisation, code="A 13", name="Ordnungsamt").full_clean()


# --- IT project ---------------------------------------------------------------------------------------------


def test_a_project_may_name_a_department_of_its_organisation(world):
    ITProject(organisation=world.organisation, department=world.department, title="DMS", year=2025).full_clean()


def test_a_project_naming_a_department_of_another_organisation_is_refused(world):
    project = ITProject(organisation=world.organisation, department=world.other_department, title="DMS", year=2025)
    assert errors_of(project) == {"department": ["Die Organisationseinheit gehört zu einer anderen Organisation."]}


# --- Organisation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "regionalschluessel",
    [
        pytest.param("05111000000", id="11-digits"),
        pytest.param("0511100000", id="10-digits"),
        pytest.param("05111000000X", id="letter"),
        pytest.param("05111 000000", id="space"),
        pytest.param("05.111.00000", id="dots"),
    ],
)
def test_a_regionalschluessel_must_have_exactly_12_digits(world, regionalschluessel):
    organisation = Organisation(name="Neustadt", kind=OrganisationKind.GEMEINDE, regionalschluessel=regionalschluessel)
    assert errors_of(organisation) == {"regionalschluessel": [REGIONALSCHLUESSEL_MESSAGE]}


def test_a_regionalschluessel_of_13_digits_is_refused_at_its_field(world):
    organisation = Organisation(name="Neustadt", kind=OrganisationKind.GEMEINDE, regionalschluessel="0511100000001")
    messages = errors_of(organisation)["regionalschluessel"]
    assert REGIONALSCHLUESSEL_MESSAGE in messages


def test_a_regionalschluessel_of_12_digits_is_accepted(world):
    Organisation(name="Neustadt", kind=OrganisationKind.GEMEINDE, regionalschluessel="057700040040").full_clean()


def test_a_regionalschluessel_of_non_ascii_digits_is_refused(world):
    organisation = Organisation(name="Neustadt", kind=OrganisationKind.GEMEINDE, regionalschluessel="٠٥١١١٠٠٠٠٠٠٠")
    assert errors_of(organisation) == {"regionalschluessel": [REGIONALSCHLUESSEL_MESSAGE]}


# --- survey round -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "message"),
    [
        (1999, "Dieser Wert muss größer oder gleich 2000 sein."),
        (2101, "Dieser Wert muss kleiner oder gleich 2100 sein."),
    ],
)
def test_a_round_year_outside_2000_to_2100_is_refused(world, year, message):
    round_obj = SurveyRound(
        organisation=world.organisation,
        year=year,
        catalogue_version=world.version,
        maturity_scale=world.scale,
        is_closed=True,
    )
    assert errors_of(round_obj) == {"year": [message]}


def test_a_round_with_assessments_keeps_its_catalogue_version(world):
    assessment(world).save()
    world.round.catalogue_version = world.later_version
    assert errors_of(world.round) == {
        "catalogue_version": ["Die Runde hat bereits Bewertungen; ihre Katalogversion kann nicht mehr geändert werden."]
    }


def test_a_round_with_assessments_keeps_its_maturity_scale(world):
    assessment(world).save()
    world.round.maturity_scale = MaturityScale.objects.get(code=SCALE_BERLIN)
    assert errors_of(world.round) == {
        "maturity_scale": ["Die Runde hat bereits Bewertungen; ihre Reifegradskala kann nicht mehr geändert werden."]
    }


def test_a_round_without_assessments_may_change_catalogue_and_scale(world):
    world.round.catalogue_version = world.later_version
    world.round.maturity_scale = MaturityScale.objects.get(code=SCALE_BERLIN)
    world.round.full_clean()


# --- OZG plan -----------------------------------------------------------------------------------------------


def plan(world: World, **fields) -> OzgPlan:
    return OzgPlan(organisation=world.organisation, ozg_leistung=world.leistung, state=PlanState.KURZFRISTIG, **fields)


@pytest.mark.parametrize(
    "quarter",
    [
        pytest.param("2025-Q5", id="quarter-5"),
        pytest.param("2025-Q0", id="quarter-0"),
        pytest.param("2025-q1", id="lower-case"),
        pytest.param("2025Q1", id="no-hyphen"),
        pytest.param("25-Q1", id="two-digit-year"),
        pytest.param("1999-Q4", id="last-century"),
        pytest.param("Q1-2025", id="reversed"),
        pytest.param("2025-1", id="no-q"),
    ],
)
def test_a_malformed_target_quarter_is_refused_at_its_field(world, quarter):
    messages = errors_of(plan(world, target_quarter=quarter))
    assert messages["target_quarter"] == [QUARTER_MESSAGE.format(quarter)]


def test_a_malformed_target_quarter_is_reported_only_at_its_field(world):
    assert errors_of(plan(world, target_quarter="2025-Q5")) == {"target_quarter": [QUARTER_MESSAGE.format("2025-Q5")]}


@pytest.mark.parametrize("quarter", ["2025-Q1", "2030-Q4", "2000-Q2", ""])
def test_a_well_formed_or_empty_target_quarter_is_accepted(world, quarter):
    plan(world, target_quarter=quarter).full_clean()


def test_save_refuses_a_malformed_target_quarter(world):
    with pytest.raises(ValidationError) as error:
        plan(world, target_quarter="2025-Q5").save()

    assert error.value.messages == [QUARTER_MESSAGE.format("2025-Q5")]
    assert not OzgPlan.objects.exists()


def test_a_plan_level_of_another_scale_than_the_organisations_is_refused(world):
    assert errors_of(plan(world, maturity_level=world.other_scale_level)) == {
        "maturity_level": ["Der Reifegrad gehört nicht zur Skala der Organisation (OZG-Reifegradmodell 2.0)."]
    }
    plan(world, maturity_level=world.level).full_clean()


def test_an_organisation_without_own_scale_may_plan_with_any_level(world):
    other_plan = OzgPlan(organisation=world.other_organisation, ozg_leistung=world.leistung)
    other_plan.maturity_level = world.other_scale_level
    other_plan.full_clean()


# --- LeiKa entry and OZG-Leistung ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"typisierung": ["5", "99"]}, {"typisierung": ["Unbekannte Typisierung: 99."]}),
        ({"typisierung": "5"}, {"typisierung": ["Die Typisierung muss eine Liste von Codes sein."]}),
        ({"typisierung": [5]}, {"typisierung": ["Die Typisierung muss eine Liste von Codes sein."]}),
        ({"synonyms": ["Mietzuschuss", 3]}, {"synonyms": ["Erwartet wird eine Liste von Texten."]}),
        ({"special_features": "Eilverfahren"}, {"special_features": ["Erwartet wird eine Liste von Texten."]}),
    ],
)
def test_leika_entry_lists_are_checked_at_their_field(world, fields, expected):
    entry = LeikaEntry(version=world.version, key="99123458000000", name="Kindergeld", **fields)
    assert errors_of(entry) == expected


def test_leika_entry_save_refuses_an_unknown_typisierung(world):
    with pytest.raises(ValidationError) as error:
        LeikaEntry(version=world.version, key="99123458000000", name="Kindergeld", typisierung=["99"]).save()

    assert error.value.messages == ["Unbekannte Typisierung: 99."]
    assert not LeikaEntry.objects.filter(key="99123458000000").exists()


def test_leika_entry_with_known_typisierung_is_accepted(world):
    LeikaEntry(
        version=world.version, key="99123458000000", name="Kindergeld", typisierung=["2/3b", "5"], synonyms=["KG"]
    ).full_clean()


@pytest.mark.parametrize(
    ("ozg_id", "message"),
    [
        (9999, "Dieser Wert muss größer oder gleich 10000 sein."),
        (100000, "Dieser Wert muss kleiner oder gleich 99999 sein."),
    ],
)
def test_an_ozg_id_must_have_five_digits(world, ozg_id, message):
    leistung = OzgLeistung(ozg_id=ozg_id, name="Kindergeld", themenfeld=world.leistung.themenfeld)
    assert errors_of(leistung) == {"ozg_id": [message]}
