"""Tests of the admin of leika, ozg and monitoring.

Every page opens, search and autocomplete work, closed rounds stay read-only, and list pages cost the same
number of queries for few rows and for many.
"""

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leika.crosswalk import Change
from leika.models import CatalogueChange, LeikaEntry
from monitoring.choices import DepartmentRoleKind, JobKind, NotificationKind, OrganisationRole, Status
from monitoring.editing import apply_changes
from monitoring.models import (
    Assessment,
    AssessmentChange,
    BackgroundJob,
    Department,
    DepartmentRole,
    ITProject,
    Membership,
    NotificationPreference,
    Organisation,
    OzgPlan,
    OzgPlanChange,
    Question,
    SentReminder,
    SurveyRound,
    TablePreference,
)
from monitoring.planning import apply_plan_changes
from ozg.choices import EfaKind, LageKind, Land, Zustaendigkeit
from ozg.models import EfaOffer, Lage, MaturityScale, OzgLeistung, Themenfeld
from tests import factories

APP_LABELS = ("leika", "ozg", "monitoring")

pytestmark = pytest.mark.django_db


def registered_models():
    return [model for model in admin.site._registry if model._meta.app_label in APP_LABELS]


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def make_entries(version, start: int, count: int) -> list[LeikaEntry]:
    return factories.leika_entries(version, range(start, start + count), "Leistung Nummer {}", typisierung=["5"])


def make_assessments(round_obj, department, entries) -> list[Assessment]:
    return [factories.assessment(round_obj, entry, department) for entry in entries]


@pytest.fixture
def data(admin_user):
    """An organisation with an open round (2024), a closed one (2023) and one of everything else."""
    version = factories.catalogue_version(source="FIM-Portal")
    entries = make_entries(version, 1, 3)
    lo_entry = LeikaEntry.objects.create(version=version, key="99123456000000", name="Wohngeld", name2="Mietzuschuss")
    successor = factories.catalogue_version("LeiKa 2025", 2025, source="FIM-Portal", predecessor=version)
    CatalogueChange.objects.create(version=successor, entry=entries[0], kind=Change.ENTFALLEN)
    scale = factories.scale()
    level = scale.levels.order_by("value").last()
    organisation = factories.organisation(maturity_scale=scale)
    department = factories.department(organisation)
    factories.department(organisation, "A 12.1", "Meldewesen", parent=department)
    project = ITProject.objects.create(organisation=organisation, department=department, title="E-Akte", year=2024)
    Membership.objects.create(user=admin_user, organisation=organisation, role=OrganisationRole.IT_STEUERUNG)
    DepartmentRole.objects.create(user=admin_user, department=department, role=DepartmentRoleKind.BEARBEITUNG)

    lage = Lage.objects.create(name="Umzug", kind=LageKind.LEBENSLAGE)
    leistung = OzgLeistung.objects.create(
        ozg_id=10034,
        name="Wohngeld",
        lage=lage,
        themenfeld=Themenfeld.objects.get(name="Bauen & Wohnen"),
        zustaendigkeit=Zustaendigkeit.KOMMUNE,
    )
    leistung.leika_entries.add(lo_entry)
    offer = EfaOffer.objects.create(
        ozg_leistung=leistung,
        name="Wohngeld-Digital",
        providing_land=Land.NI,
        kind=EfaKind.NACHNUTZUNG_VEREINBART,
    )
    OzgPlan.objects.create(organisation=organisation, ozg_leistung=leistung, target_quarter="2025-Q1")
    apply_plan_changes(admin_user, organisation, [leistung], {"note": "Pilot"})

    closed_round = factories.survey_round(organisation, 2023, version=version)
    closed_assessment = factories.assessment(closed_round, lo_entry, department, status=Status.PDF, it_project=project)
    factories.close(closed_round)

    open_round = factories.survey_round(organisation, 2024, version=version)
    open_assessments = make_assessments(open_round, department, entries)
    Assessment.objects.filter(pk=open_assessments[0].pk).update(
        status=Status.DIGITAL, maturity_level=level, efa_offer=offer, it_project=project
    )
    apply_changes(admin_user, [open_assessments[1]], {"status": Status.PDF}, comment="Formular online")
    Question.objects.create(assessment=open_assessments[1], text="Gibt es schon ein Formular?", asked_by=admin_user)
    TablePreference.objects.create(user=admin_user, table="meine_leistungen", columns=["key", "name"])
    BackgroundJob.objects.create(owner=admin_user, kind=JobKind.EXPORT, title="Export: Meine Leistungen (XLSX)")
    NotificationPreference.objects.create(user=admin_user, kind=NotificationKind.WEEKLY_DIGEST, enabled=True)
    SentReminder.objects.create(
        user=admin_user,
        round=open_round,
        kind=NotificationKind.DEADLINE_REMINDER,
        occasion="14-tage",
        sent_on=datetime.date(2024, 6, 16),
    )

    return {
        "version": version,
        "entries": entries,
        "lo_entry": lo_entry,
        "organisation": organisation,
        "department": department,
        "open_round": open_round,
        "open_assessments": open_assessments,
        "closed_round": closed_round,
        "closed_assessment": closed_assessment,
        "project": project,
    }


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- every page opens ---------------------------------------------------------------------------------------


def test_every_model_of_the_three_apps_has_an_admin():
    models = {model for label in APP_LABELS for model in apps.get_app_config(label).get_models()}
    assert models == set(registered_models())


def test_every_admin_changelist_and_add_page_opens_for_a_superuser(admin_client, data):
    for model in registered_models():
        changelist = admin_client.get(admin_url(model, "changelist"))
        assert changelist.status_code == 200, model
        add = admin_client.get(admin_url(model, "add"))
        # The change history, the background jobs and the reminders sent are written by the application only.
        written = (AssessmentChange, OzgPlanChange, BackgroundJob, SentReminder)
        assert add.status_code == (403 if model in written else 200), model


def test_every_admin_change_page_opens_for_a_superuser(admin_client, data):
    for model in registered_models():
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, model
        response = admin_client.get(admin_url(model, "change", obj.pk))
        assert response.status_code == 200, model


def test_every_admin_changelist_opens_with_a_search_term(admin_client, data):
    for model in registered_models():
        response = admin_client.get(admin_url(model, "changelist"), {"q": "Wohngeld 1"})
        assert response.status_code == 200, model


# --- LeiKa entries ------------------------------------------------------------------------------------------


def test_leika_entry_search_finds_entry_by_key(admin_client, data):
    response = admin_client.get(admin_url(LeikaEntry, "changelist"), {"q": "99123456"})
    assert list(response.context["cl"].result_list) == [data["lo_entry"]]


def test_leika_entry_search_finds_entry_by_name(admin_client, data):
    response = admin_client.get(admin_url(LeikaEntry, "changelist"), {"q": "wohngeld"})
    assert list(response.context["cl"].result_list) == [data["lo_entry"]]


def test_leika_entry_list_shows_kind_and_typisierung(admin_client, data):
    response = admin_client.get(admin_url(LeikaEntry, "changelist"))
    content = response.content.decode()
    assert '<abbr title="Leistungsobjekt">LO</abbr>' in content
    assert '<abbr title="Leistungsobjekt mit Verrichtung">LOV</abbr>' in content
    assert response.context["cl"].show_full_result_count is False


def test_leika_entry_kind_filter_selects_by_trailing_zeros(admin_client, data):
    response = admin_client.get(admin_url(LeikaEntry, "changelist"), {"art": "LO"})
    assert list(response.context["cl"].result_list) == [data["lo_entry"]]
    response = admin_client.get(admin_url(LeikaEntry, "changelist"), {"art": "LOV"})
    assert set(response.context["cl"].result_list) == set(data["entries"])


def test_leika_entry_change_page_shows_derived_fields_read_only(admin_client, data):
    response = admin_client.get(admin_url(LeikaEntry, "change", data["entries"][0].pk))
    content = response.content.decode()
    assert "Aus dem Schlüssel abgeleitet" in content
    assert "Leistungsgruppierung" in content
    assert "99001001" in content  # the Leistungsobjekt
    form_fields = response.context["adminform"].form.fields
    assert not {"kind", "group", "leistungsobjekt", "verrichtung", "detail"} & set(form_fields)


def test_leika_entry_add_page_leaves_out_derived_fields(admin_client):
    response = admin_client.get(admin_url(LeikaEntry, "add"))
    assert response.status_code == 200
    assert "Aus dem Schlüssel abgeleitet" not in response.content.decode()


# --- OZG ----------------------------------------------------------------------------------------------------


def test_ozg_leistung_search_finds_by_ozg_id(admin_client, data):
    response = admin_client.get(admin_url(OzgLeistung, "changelist"), {"q": "10034"})
    assert [leistung.ozg_id for leistung in response.context["cl"].result_list] == [10034]


# --- assessments --------------------------------------------------------------------------------------------


def test_assessment_search_finds_row_by_key(admin_client, data):
    response = admin_client.get(admin_url(Assessment, "changelist"), {"q": factories.leika_key(2)})
    assert list(response.context["cl"].result_list) == [data["open_assessments"][1]]


def test_assessment_list_can_be_filtered_by_round_and_round_state(admin_client, data):
    url = admin_url(Assessment, "changelist")
    response = admin_client.get(url, {"round__id__exact": data["closed_round"].pk})
    assert list(response.context["cl"].result_list) == [data["closed_assessment"]]
    response = admin_client.get(url, {"runde": "offen"})
    assert set(response.context["cl"].result_list) == set(data["open_assessments"])


def test_autocomplete_of_assessment_leika_entry_answers(admin_client, data):
    response = admin_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "monitoring",
            "model_name": "assessment",
            "field_name": "leika_entry",
            "term": "99123456",
        },
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [result["id"] for result in results] == [str(data["lo_entry"].pk)]
    assert results[0]["text"] == "99123456000000 Wohngeld"


@pytest.mark.parametrize(
    ("field_name", "term"),
    [
        ("round", "Musterstadt"),
        ("department", "A 12"),
        ("maturity_level", "ozg-2-0"),
        ("efa_offer", "Wohngeld"),
        ("it_project", "E-Akte"),
        ("carried_over_from", "99001"),
        ("confirmed_by", "admin"),
    ],
)
def test_autocomplete_of_every_assessment_relation_finds_something(admin_client, data, field_name, term):
    response = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "monitoring", "model_name": "assessment", "field_name": field_name, "term": term},
    )
    assert response.status_code == 200
    assert response.json()["results"]


def test_closed_round_assessment_is_read_only_in_admin(admin_client, data):
    response = admin_client.get(admin_url(Assessment, "change", data["closed_assessment"].pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="_save"' not in content
    assert 'name="_continue"' not in content
    assert response.context["has_change_permission"] is False
    assert response.context["has_delete_permission"] is False


def test_open_round_assessment_can_be_changed_in_admin(admin_client, data):
    response = admin_client.get(admin_url(Assessment, "change", data["open_assessments"][0].pk))
    assert 'name="_save"' in response.content.decode()


def test_post_to_closed_round_assessment_changes_nothing(admin_client, data):
    assessment = data["closed_assessment"]
    response = admin_client.post(
        admin_url(Assessment, "change", assessment.pk),
        {
            "round": assessment.round_id,
            "leika_entry": assessment.leika_entry_id,
            "department": assessment.department_id,
            "status": Status.DIGITAL,
        },
    )
    assert response.status_code == 403
    assessment.refresh_from_db()
    assert assessment.status == Status.PDF


def test_delete_page_of_closed_round_assessment_is_refused(admin_client, data):
    url = admin_url(Assessment, "delete", data["closed_assessment"].pk)
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Assessment.objects.filter(pk=data["closed_assessment"].pk).exists()


@pytest.mark.parametrize("confirmed", [False, True], ids=["action", "confirmation"])
def test_bulk_delete_including_a_closed_round_deletes_nothing(admin_client, data, confirmed):
    selection = [data["open_assessments"][0].pk, data["closed_assessment"].pk]
    payload = {"action": "delete_selected", "_selected_action": selection, "index": 0}
    if confirmed:
        payload["post"] = "yes"
    before = Assessment.objects.count()

    response = admin_client.post(admin_url(Assessment, "changelist"), payload, follow=True)

    assert response.status_code == 200
    assert Assessment.objects.count() == before
    (message,) = messages_of(response)
    assert message.startswith("Es wurde nichts gelöscht.")
    assert "Die Erhebungsrunde Musterstadt 2023 ist abgeschlossen" in message


def test_bulk_delete_of_open_round_assessments_deletes_them(admin_client, data):
    selection = [assessment.pk for assessment in data["open_assessments"][1:]]
    url = admin_url(Assessment, "changelist")
    payload = {"action": "delete_selected", "_selected_action": selection, "index": 0}

    confirmation = admin_client.post(url, payload)
    assert confirmation.status_code == 200
    assert "Sind Sie sicher" in confirmation.content.decode()

    response = admin_client.post(url, {**payload, "post": "yes"}, follow=True)
    assert response.status_code == 200
    assert not Assessment.objects.filter(pk__in=selection).exists()
    assert Assessment.objects.filter(pk=data["closed_assessment"].pk).exists()


def test_deleting_an_assessment_a_closed_round_refers_to_is_refused(admin_client, data):
    # The reference is set while the round is open, as it would be when rows are carried over.
    source = data["open_assessments"][2]
    closed = SurveyRound.objects.filter(pk=data["closed_round"].pk)
    SurveyRound.objects.filter(pk=data["open_round"].pk).update(is_closed=True)
    closed.update(is_closed=False)
    Assessment.objects.filter(pk=data["closed_assessment"].pk).update(carried_over_from=source)
    closed.update(is_closed=True)
    SurveyRound.objects.filter(pk=data["open_round"].pk).update(is_closed=False)

    response = admin_client.post(admin_url(Assessment, "delete", source.pk), {"post": "yes"})

    assert response.status_code == 200
    assert "Bewertung der abgeschlossenen Runde Musterstadt 2023" in str(response.context["protected"])
    assert Assessment.objects.filter(pk=source.pk).exists()


def test_delete_action_is_offered_in_german(admin_client, data):
    response = admin_client.get(admin_url(Assessment, "changelist"))
    choices = dict(response.context["action_form"].fields["action"].choices)
    assert choices["delete_selected"] == "Ausgewählte Bewertungen löschen"


def test_admin_form_shows_the_models_rule_errors(admin_client, data):
    open_round = data["open_round"]
    other_scale_level = MaturityScale.objects.get(code="kommunal-0-5").levels.first()
    response = admin_client.post(
        admin_url(Assessment, "add"),
        {
            "round": open_round.pk,
            "leika_entry": data["lo_entry"].pk,
            "department": data["department"].pk,
            "status": Status.KEIN_POTENZIAL,
            "maturity_level": other_scale_level.pk,
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "„Kein Optimierungspotenzial“ braucht eine Begründung." in errors["justification"]
    assert any("Skala der Runde" in message for message in errors["maturity_level"])
    assert not Assessment.objects.filter(round=open_round, leika_entry=data["lo_entry"]).exists()


def test_assessment_changelist_queries_do_not_grow_with_rows(admin_client, data, django_assert_num_queries):
    url = admin_url(Assessment, "changelist")
    admin_client.get(url)  # warm caches (content types, session) so both measurements count the same things
    with CaptureQueriesContext(connection) as few:
        response = admin_client.get(url)
    assert len(response.context["cl"].result_list) == 4

    make_assessments(data["open_round"], data["department"], make_entries(data["version"], 100, 27))
    with django_assert_num_queries(len(few)):
        response = admin_client.get(url)
    assert len(response.context["cl"].result_list) == 31


def test_leika_entry_changelist_queries_do_not_grow_with_rows(admin_client, data, django_assert_num_queries):
    url = admin_url(LeikaEntry, "changelist")
    admin_client.get(url)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)

    make_entries(data["version"], 100, 30)
    with django_assert_num_queries(len(few)):
        response = admin_client.get(url)
    assert len(response.context["cl"].result_list) == 34


# --- survey rounds ------------------------------------------------------------------------------------------


def test_survey_round_list_counts_assessments(admin_client, data):
    response = admin_client.get(admin_url(SurveyRound, "changelist"))
    counts = {round_obj.year: round_obj.assessment_count for round_obj in response.context["cl"].result_list}
    assert counts == {2023: 1, 2024: 3}


def test_survey_round_changelist_queries_do_not_grow_with_rows(admin_client, data, django_assert_num_queries):
    url = admin_url(SurveyRound, "changelist")
    admin_client.get(url)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)

    scale = data["open_round"].maturity_scale
    for year in range(2000, 2020):
        factories.closed_round(
            data["organisation"],
            year,
            version=data["version"],
            maturity_scale=scale,
            fill=lambda round_obj: make_assessments(round_obj, data["department"], data["entries"][:1]),
        )
    with django_assert_num_queries(len(few)):
        response = admin_client.get(url)
    assert len(response.context["cl"].result_list) == 22


def test_close_and_reopen_round_actions(admin_client, data):
    url = admin_url(SurveyRound, "changelist")
    open_round = data["open_round"]

    response = admin_client.post(
        url, {"action": "close_rounds", "_selected_action": [open_round.pk], "index": 0}, follow=True
    )
    open_round.refresh_from_db()
    assert open_round.is_closed
    assert messages_of(response) == ["1 Erhebungsrunde wurde abgeschlossen."]

    response = admin_client.post(
        url,
        {"action": "reopen_rounds", "_selected_action": [open_round.pk, data["closed_round"].pk], "index": 0},
        follow=True,
    )
    assert SurveyRound.objects.filter(is_closed=True).count() == 2, "one open round per organisation: nothing opened"
    assert messages_of(response)[0].startswith("Nichts wurde wieder geöffnet: eine Organisation hat höchstens eine")

    response = admin_client.post(
        url, {"action": "reopen_rounds", "_selected_action": [open_round.pk], "index": 0}, follow=True
    )
    assert not SurveyRound.objects.filter(pk=open_round.pk, is_closed=True).exists()
    assert messages_of(response) == ["1 Erhebungsrunde wurde wieder geöffnet."]


def test_closing_an_already_closed_round_says_so(admin_client, data):
    response = admin_client.post(
        admin_url(SurveyRound, "changelist"),
        {"action": "close_rounds", "_selected_action": [data["closed_round"].pk], "index": 0},
        follow=True,
    )
    assert messages_of(response) == ["Keine der ausgewählten Erhebungsrunden musste abgeschlossen werden."]


def test_round_actions_are_offered_in_german(admin_client, data):
    response = admin_client.get(admin_url(SurveyRound, "changelist"))
    choices = dict(response.context["action_form"].fields["action"].choices)
    assert choices["close_rounds"] == "Runde abschließen"
    assert choices["reopen_rounds"] == "Runde wieder öffnen"


def test_round_with_assessments_cannot_be_deleted_in_admin(admin_client, data):
    url = admin_url(SurveyRound, "delete", data["open_round"].pk)
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert response.context["protected"]
    assert SurveyRound.objects.filter(pk=data["open_round"].pk).exists()


def test_bulk_delete_of_an_empty_round_works(admin_client, data):
    empty = SurveyRound.objects.create(
        organisation=data["organisation"],
        year=2030,
        catalogue_version=data["version"],
        maturity_scale=data["open_round"].maturity_scale,
        is_closed=True,
    )
    admin_client.post(
        admin_url(SurveyRound, "changelist"),
        {"action": "delete_selected", "_selected_action": [empty.pk], "index": 0, "post": "yes"},
    )
    assert not SurveyRound.objects.filter(pk=empty.pk).exists()


# --- organisations and projects -----------------------------------------------------------------------------


def test_deleting_a_project_a_closed_round_refers_to_is_refused(admin_client, data):
    project = data["project"]
    for response in (
        admin_client.post(admin_url(ITProject, "delete", project.pk), {"post": "yes"}),
        admin_client.post(
            admin_url(ITProject, "changelist"),
            {"action": "delete_selected", "_selected_action": [project.pk], "index": 0, "post": "yes"},
        ),
    ):
        assert response.status_code == 200
        assert "Bewertung der abgeschlossenen Runde Musterstadt 2023" in str(response.context["protected"])
    assert ITProject.objects.filter(pk=project.pk).exists()


def test_deleting_a_project_of_open_rounds_only_works(admin_client, data):
    project = ITProject.objects.create(organisation=data["organisation"], title="Bürgerportal", year=2025)
    Assessment.objects.filter(pk=data["open_assessments"][1].pk).update(it_project=project)
    admin_client.post(admin_url(ITProject, "delete", project.pk), {"post": "yes"})
    assert not ITProject.objects.filter(pk=project.pk).exists()
    assert Assessment.objects.get(pk=data["open_assessments"][1].pk).it_project is None


def test_deleting_a_user_who_confirmed_a_closed_round_is_refused(admin_client, data, django_user_model):
    confirmer = factories.person("sr.a62")
    SurveyRound.objects.filter(pk=data["open_round"].pk).update(is_closed=True)
    SurveyRound.objects.filter(pk=data["closed_round"].pk).update(is_closed=False)
    Assessment.objects.filter(pk=data["closed_assessment"].pk).update(confirmed_by=confirmer)
    SurveyRound.objects.filter(pk=data["closed_round"].pk).update(is_closed=True)
    SurveyRound.objects.filter(pk=data["open_round"].pk).update(is_closed=False)
    response = admin_client.post(reverse("admin:accounts_user_delete", args=[confirmer.pk]), {"post": "yes"})
    assert response.status_code == 200
    assert "Bewertung der abgeschlossenen Runde Musterstadt 2023" in str(response.context["protected"])
    assert django_user_model.objects.filter(pk=confirmer.pk).exists()


def test_a_user_without_closed_round_references_can_be_deleted(admin_client, django_user_model):
    user = factories.person("sr.a99")
    admin_client.post(reverse("admin:accounts_user_delete", args=[user.pk]), {"post": "yes"})
    assert not django_user_model.objects.filter(pk=user.pk).exists()


def test_organisation_page_lists_its_departments_inline(admin_client, data):
    response = admin_client.get(admin_url(Organisation, "change", data["organisation"].pk))
    (formset,) = response.context["inline_admin_formsets"]
    assert formset.formset.model is Department
    assert {form.instance.code for form in formset.formset.forms} == {"A 12", "A 12.1"}
