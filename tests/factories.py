"""Builders of the tests' world: organisations, departments, catalogue entries, rounds, assessments and personas.

Each builder makes a valid record from sensible defaults and takes keyword overrides for what a test cares about.
The personas are the people of the access rules: an editor and a reader of a department, an editor of another
department, the IT office of an organisation (or of another one) and a superuser. Users get no password unless a
test logs in through the form: force_login needs none, and hashing one costs time in every test.
"""

import datetime
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from leika.models import CatalogueVersion, LeikaEntry
from monitoring.choices import DepartmentRoleKind, OrganisationKind, OrganisationRole, PlanState, Status
from monitoring.models import (
    Assessment,
    Department,
    DepartmentRole,
    Membership,
    Organisation,
    OzgPlan,
    Question,
    SurveyRound,
)
from ozg.choices import Zustaendigkeit
from ozg.models import MaturityScale, OzgLeistung, Themenfeld

# --- organisations and departments ----------------------------------------------------------------------------------


def organisation(name="Musterstadt", **fields) -> Organisation:
    """A kreisfreie Stadt unless told otherwise."""
    fields.setdefault("kind", OrganisationKind.KREISFREIE_STADT)
    fields.setdefault("regionalschluessel", "051110000000")
    return Organisation.objects.create(name=name, **fields)


def kreis(name="Kreis Muster", **fields) -> Organisation:
    """A Kreis; with the defaults of both it sits beside organisation() without clashing."""
    fields.setdefault("kind", OrganisationKind.KREIS)
    fields.setdefault("regionalschluessel", "053340000001")
    return Organisation.objects.create(name=name, **fields)


def department(organisation, code="A 12", name="Bürgeramt", **fields) -> Department:
    return Department.objects.create(organisation=organisation, code=code, name=name, **fields)


# --- catalogue, scales, rounds, assessments ------------------------------------------------------------------------


def catalogue_version(name="LeiKa 2024", year=2024, **fields) -> CatalogueVersion:
    fields.setdefault("valid_from", datetime.date(year, 1, 1))
    return CatalogueVersion.objects.create(name=name, **fields)


def leika_key(number: int, group: int = 1) -> str:
    """Distinct 14-digit keys of kind LOV: prefix 99, the group, the object, Verrichtung 001, detail 000."""
    return f"99{group:03d}{number:03d}001000"


def leika_entry(version, number: int = 1, name=None, **fields) -> LeikaEntry:
    """An entry keyed by `number` (see leika_key) unless `key` is given."""
    fields.setdefault("key", leika_key(number))
    return LeikaEntry.objects.create(version=version, name=name or f"Leistung {number}", **fields)


def leika_entries(version, numbers, name="Leistung {}", **fields) -> list[LeikaEntry]:
    """One entry per number, in one INSERT (bypassing save()'s key check); `name` is filled with the number."""
    return LeikaEntry.objects.bulk_create(
        LeikaEntry(version=version, key=leika_key(n), name=name.format(n), **fields) for n in numbers
    )


def scale(code="ozg-2-0") -> MaturityScale:
    """A maturity scale the migrations seed."""
    return MaturityScale.objects.get(code=code)


def levels(maturity_scale) -> dict:
    """The levels of a scale by their value."""
    return {level.value: level for level in maturity_scale.levels.all()}


def survey_round(organisation, year=2024, *, version, maturity_scale=None, **fields) -> SurveyRound:
    maturity_scale = maturity_scale or organisation.maturity_scale or scale()
    return SurveyRound.objects.create(
        organisation=organisation, year=year, catalogue_version=version, maturity_scale=maturity_scale, **fields
    )


def close(round_obj) -> SurveyRound:
    """Close a round after its assessments are in place (a closed round refuses new ones)."""
    SurveyRound.objects.filter(pk=round_obj.pk).update(is_closed=True)
    round_obj.is_closed = True
    return round_obj


def closed_round(organisation, year, *, version, maturity_scale=None, fill=None) -> SurveyRound:
    """A past round, filled by `fill(round)` while it was open, then closed. An organisation has one open round at
    most: its open round, if any, is closed meanwhile and opened again afterwards."""
    open_ones = list(organisation.rounds.filter(is_closed=False).values_list("pk", flat=True))
    SurveyRound.objects.filter(pk__in=open_ones).update(is_closed=True)
    round_obj = survey_round(organisation, year, version=version, maturity_scale=maturity_scale)
    if fill is not None:
        fill(round_obj)
    close(round_obj)
    SurveyRound.objects.filter(pk__in=open_ones).update(is_closed=False)
    return round_obj


def assessment(round_obj, leika_entry, department, **fields) -> Assessment:
    return Assessment.objects.create(round=round_obj, leika_entry=leika_entry, department=department, **fields)


# --- personas --------------------------------------------------------------------------------------------------------


def person(username, organisation=None, *, role=OrganisationRole.MITARBEIT, departments=(), password=None, **fields):
    """A user: a member of `organisation` with `role`, and with a role in each of `departments` (department, kind)."""
    user = get_user_model().objects.create_user(username, password=password, **fields)
    if organisation is not None:
        Membership.objects.create(user=user, organisation=organisation, role=role)
    for dep, kind in departments:
        DepartmentRole.objects.create(user=user, department=dep, role=kind)
    return user


def editor(department, username="editor", **fields):
    """Edits the assessments of `department`."""
    return person(
        username, department.organisation, departments=[(department, DepartmentRoleKind.BEARBEITUNG)], **fields
    )


def reader(department, username="reader", **fields):
    """Reads the assessments of `department`, changes nothing."""
    return person(username, department.organisation, departments=[(department, DepartmentRoleKind.LESEN)], **fields)


def it_office(organisation, username="it", **fields):
    """The IT office (IT-Steuerung): sees and edits every department of its organisation, runs the rounds."""
    return person(username, organisation, role=OrganisationRole.IT_STEUERUNG, **fields)


def cataloguer(username="katalog", **fields):
    """The catalogue role: a person in the group "Katalogpflege", member of no organisation."""
    user = person(username, **fields)
    user.groups.add(Group.objects.get(name="Katalogpflege"))
    return user


def superuser(username="root", password=None, **fields):
    return get_user_model().objects.create_superuser(username, password=password, **fields)


def personas(department, other_department, foreign_organisation=None) -> SimpleNamespace:
    """The personas of the access rules around `department`: editor, reader, other_editor (of `other_department`),
    it_office, superuser, and foreign_it (the IT office of `foreign_organisation`) when one is given."""
    people = SimpleNamespace(
        editor=editor(department),
        reader=reader(department),
        other_editor=editor(other_department, "other_editor"),
        it_office=it_office(department.organisation),
        superuser=superuser(),
    )
    if foreign_organisation is not None:
        people.foreign_it = it_office(foreign_organisation, "foreign_it")
    return people


# --- the workspace's world -----------------------------------------------------------------------------------------


def workspace_world() -> SimpleNamespace:
    """Two organisations; Musterstadt with a closed round 2023 and an open round 2024 carried over from it.

    The Bürgeramt (A 12) has four rows in 2024 and three in 2023, the Sozialamt (A 50) one; the Nachbarkreis one.
    Personas: editor and editor2 of A 12, a reader of A 12, an editor of A 50 (other_editor), the IT office (it_office)
    and the IT office of the Nachbarkreis (foreign_it); their first names are their user names, capitalised.
    """
    w = SimpleNamespace()
    w.version = catalogue_version()
    w.scale = scale()
    w.level = levels(w.scale)
    w.foreign_level = scale("kommunal-0-5").levels.get(value=1)
    w.org = organisation()
    w.other_org = kreis("Nachbarkreis")
    w.dep = department(w.org)
    w.other_dep = department(w.org, "A 50", "Sozialamt")
    w.foreign_dep = department(w.other_org)

    w.editor = editor(w.dep, "editor", first_name="Editor")
    w.editor2 = editor(w.dep, "editor2", first_name="Editor2")
    w.reader = reader(w.dep, "reader", first_name="Reader")
    w.other_editor = editor(w.other_dep, "other", first_name="Other")
    w.it_office = it_office(w.org, "it", first_name="It")
    w.foreign_it = it_office(w.other_org, "foreign", first_name="Foreign")

    w.previous_round = survey_round(w.org, 2023, version=w.version)

    names = ["Anmeldung", "Bauantrag", "Wohngeld", "Hundesteuer", "Sozialhilfe"]
    w.entries = [leika_entry(w.version, n, f"Leistung {name}", typisierung=["5"]) for n, name in enumerate(names, 1)]
    w.ozg = OzgLeistung.objects.create(
        ozg_id=10034,
        name="Wohngeld",
        themenfeld=Themenfeld.objects.get(name="Bauen & Wohnen"),
        zustaendigkeit=Zustaendigkeit.KOMMUNE,
    )
    w.ozg.leika_entries.add(w.entries[2])

    w.prev = {
        n: assessment(w.previous_round, w.entries[n], w.dep, status=status)
        for n, status in [(0, Status.ANALOG), (1, Status.PDF), (2, Status.DIGITAL)]
    }
    # Closed before the next round opens: an organisation has one open round at most.
    close(w.previous_round)
    w.previous_round.refresh_from_db()
    w.round = survey_round(w.org, 2024, version=w.version)
    w.foreign_round = survey_round(w.other_org, 2024, version=w.version)
    # 0 unchanged since 2023, 1 changed (PDF → Digital), 2 unchanged and confirmed, 3 new; 4 of another department.
    w.rows = [
        assessment(w.round, w.entries[0], w.dep, carried_over_from=w.prev[0]),
        assessment(
            w.round,
            w.entries[1],
            w.dep,
            carried_over_from=w.prev[1],
            status=Status.DIGITAL,
            maturity_level=w.level[3],
        ),
        assessment(
            w.round,
            w.entries[2],
            w.dep,
            carried_over_from=w.prev[2],
            status=Status.DIGITAL,
            confirmed_at=timezone.now(),
        ),
        assessment(w.round, w.entries[3], w.dep),
        assessment(w.round, w.entries[4], w.other_dep),
    ]
    Assessment.objects.filter(pk=w.rows[0].pk).update(status=Status.ANALOG)
    w.rows[0].refresh_from_db()
    w.foreign_row = assessment(w.foreign_round, w.entries[0], w.foreign_dep)
    w.question = Question.objects.create(
        assessment=w.rows[1], text="Ist der Onlinedienst schon live?", asked_by=w.it_office
    )
    return w


# --- OZG plans -------------------------------------------------------------------------------------------------------


def ozg_leistung(ozg_id=10101, name=None, *, themenfeld="Bauen & Wohnen", **fields) -> OzgLeistung:
    """A municipal OZG-Leistung unless told otherwise."""
    fields.setdefault("zustaendigkeit", Zustaendigkeit.KOMMUNE)
    return OzgLeistung.objects.create(
        ozg_id=ozg_id,
        name=name or f"OZG-Leistung {ozg_id}",
        themenfeld=Themenfeld.objects.get(name=themenfeld),
        **fields,
    )


def ozg_plan(organisation, leistung, **fields) -> OzgPlan:
    return OzgPlan.objects.create(organisation=organisation, ozg_leistung=leistung, **fields)


def plan_world() -> SimpleNamespace:
    """Musterstadt on the municipal scale 0–5 with two departments, and the Nachbarkreis.

    OZG-Leistungen: 10101 (kommunal, planned by A 12, umgesetzt at level 3), 10102 (kommunal, planned by A 50,
    kurzfristig), 10103 (Bund, no plan record). Personas as `personas(dep, other_dep, other_org)`.
    """
    w = SimpleNamespace()
    w.scale = scale("kommunal-0-5")
    w.level = levels(w.scale)
    w.org = organisation(maturity_scale=w.scale)
    w.other_org = kreis("Nachbarkreis")
    w.dep = department(w.org)
    w.other_dep = department(w.org, "A 50", "Sozialamt")
    w.foreign_dep = department(w.other_org)
    w.people = personas(w.dep, w.other_dep, w.other_org)
    w.own = ozg_leistung(10101, "Wohngeld")
    w.other = ozg_leistung(10102, "Hundesteuer", themenfeld="Steuern & Zoll")
    w.federal = ozg_leistung(10103, "Reisepass", themenfeld="Mobilität & Reisen", zustaendigkeit=Zustaendigkeit.BUND)
    w.own_plan = ozg_plan(
        w.org, w.own, state=PlanState.UMGESETZT, maturity_level=w.level[3], responsible_department=w.dep
    )
    w.other_plan = ozg_plan(
        w.org, w.other, state=PlanState.KURZFRISTIG, target_quarter="2025-Q1", responsible_department=w.other_dep
    )
    return w
