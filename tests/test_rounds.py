"""Survey rounds in the browser: progress per department, opening, closing, reopening, deadlines, activity feed."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leika.models import LeikaEntry
from monitoring.choices import Status
from monitoring.editing import apply_changes
from monitoring.links import assessment_url, my_services_url
from monitoring.models import (
    Assessment,
    AssessmentChange,
    ChangeSource,
    ClosedRoundError,
    Department,
    Organisation,
    SurveyRound,
)
from monitoring.progress import Progress
from tests import factories
from tests.helpers import job_page, running_jobs

pytestmark = pytest.mark.django_db

CONFIRMED_AT = datetime.datetime(2024, 3, 1, 12, 0, tzinfo=datetime.UTC)
# Per department code: (status, confirmed) of each of its assessments in the 2024 round.
ROWS = {
    "A 12": [(Status.DIGITAL, True), (Status.PDF, True), (Status.NICHT_GEMELDET, False), (Status.ANALOG, False)],
    "A 32": [(Status.PDF, True), (Status.ANALOG, True), (Status.PROJEKT, True)],
    "A 50": [(Status.NICHT_GEMELDET, False), (Status.NICHT_GEMELDET, False)],
}


def make_entries(version, start: int, count: int) -> list[LeikaEntry]:
    return factories.leika_entries(version, range(start, start + count), "Leistung Nummer {}", typisierung=["5"])


@pytest.fixture
def world():
    """Musterstadt with three departments and an open 2024 round, a neighbour organisation, and the personas."""
    version = factories.catalogue_version()
    scale = factories.scale()
    org = factories.organisation(maturity_scale=scale)
    other_org = factories.kreis("Kreis Nachbar")
    departments = {code: factories.department(org, code, f"Amt {code}") for code in ROWS}
    foreign_department = factories.department(other_org, "FB 1", "Fremdamt")
    round_2024 = factories.survey_round(org, 2024, version=version)
    foreign_round = factories.survey_round(other_org, 2024, version=version)
    entries = iter(make_entries(version, 1, 20))
    assessments = {
        code: [
            factories.assessment(
                round_2024,
                next(entries),
                departments[code],
                status=status,
                confirmed_at=CONFIRMED_AT if confirmed else None,
            )
            for status, confirmed in rows
        ]
        for code, rows in ROWS.items()
    }
    foreign_assessment = factories.assessment(foreign_round, next(entries), foreign_department)
    people = factories.personas(departments["A 12"], departments["A 32"], other_org)
    users = {
        "it": people.it_office,
        "editor": people.editor,
        "reader": people.reader,
        "other_editor": people.other_editor,
        "foreign_it": people.foreign_it,
        "superuser": people.superuser,
    }
    return {
        "version": version,
        "scale": scale,
        "org": org,
        "other_org": other_org,
        "departments": departments,
        "round": round_2024,
        "foreign_round": foreign_round,
        "assessments": assessments,
        "foreign_assessment": foreign_assessment,
        "users": users,
    }


def login(client, world, persona):
    client.force_login(world["users"][persona])
    return client


def figures(response) -> dict[str, tuple[int, int, int]]:
    return {
        row.code: (row.progress.total, row.progress.reported, row.progress.confirmed)
        for row in response.context["rows"]
    }


def set_deadline(round_obj, days_from_today: int):
    SurveyRound.objects.filter(pk=round_obj.pk).update(
        deadline=timezone.localdate() + datetime.timedelta(days=days_from_today)
    )


# --- progress -----------------------------------------------------------------------------------------------------


def test_progress_shows_the_hand_counted_figures_of_every_department_to_the_it_office(client, world):
    login(client, world, "it")
    response = client.get(reverse("round_progress", args=[world["round"].pk]))
    assert response.status_code == 200
    assert figures(response) == {"A 12": (4, 3, 2), "A 32": (3, 3, 3), "A 50": (2, 0, 0)}
    total = response.context["total"]
    assert (total.total, total.reported, total.confirmed) == (9, 6, 5)
    assert (total.reported_percent, total.confirmed_percent) == (67, 56)


def test_progress_bars_carry_their_percentage_as_text(client, world):
    login(client, world, "it")
    content = client.get(reverse("round_progress", args=[world["round"].pk])).content.decode()
    a12 = world["departments"]["A 12"].pk
    assert f'<progress id="einheit-{a12}-gemeldet" value="3" max="4"></progress>' in content
    assert f'for="einheit-{a12}-gemeldet">75&nbsp;% gemeldet</label>' in content
    assert f'<progress id="einheit-{a12}-bestaetigt" value="2" max="4"></progress>' in content
    assert f'for="einheit-{a12}-bestaetigt">50&nbsp;% bestätigt</label>' in content
    assert 'for="summe-alle-gemeldet">67&nbsp;% gemeldet</label>' in content


def test_percentages_are_rounded_to_the_nearest_but_0_and_100_mean_none_and_all():
    assert Progress(162, 0, 11).confirmed_percent == 7  # issue 16: not "0 %" after 11 confirmations
    assert Progress(3, 2, 1).reported_percent == 67
    assert Progress(400, 399, 399).confirmed_percent == 99
    assert Progress(1000, 0, 1).confirmed_percent == 1
    assert Progress(1000, 0, 0).confirmed_percent == 0
    assert Progress(7, 7, 7).confirmed_percent == 100
    assert Progress(0, 0, 0).confirmed_percent is None
    assert Progress(5, 5, 5).complete and not Progress(5, 5, 4).complete


def test_values_carried_over_count_as_carried_not_as_reported(client, world):
    """Issue 16: "100 % gemeldet" only because last year's values were copied. A carried row is reported once the
    department confirms (or saves) it."""
    a50 = world["assessments"]["A 50"]
    source = world["assessments"]["A 12"][0]
    Assessment.objects.filter(pk__in=[row.pk for row in a50]).update(status=Status.PDF)
    Assessment.objects.filter(pk=a50[0].pk).update(carried_over_from=source)
    Assessment.objects.filter(pk=a50[1].pk).update(carried_over_from=source, confirmed_at=CONFIRMED_AT)
    login(client, world, "it")
    response = client.get(reverse("round_progress", args=[world["round"].pk]))
    a50_progress = next(row.progress for row in response.context["rows"] if row.code == "A 50")
    assert (a50_progress.total, a50_progress.reported, a50_progress.carried, a50_progress.confirmed) == (2, 1, 1, 1)
    assert "übernommen aus der Vorrunde (noch nicht bestätigt)" in response.content.decode()


def test_a_reader_sees_only_the_figures_of_their_own_department(client, world):
    login(client, world, "reader")
    response = client.get(reverse("round_progress", args=[world["round"].pk]))
    assert response.status_code == 200
    assert figures(response) == {"A 12": (4, 3, 2)}
    total = response.context["total"]
    assert (total.total, total.reported, total.confirmed) == (4, 3, 2)
    assert "Aktivität" not in response.content.decode()


def test_departments_not_fully_confirmed_are_overdue_once_the_deadline_has_passed(client, world):
    set_deadline(world["round"], -1)
    login(client, world, "it")
    response = client.get(reverse("round_progress", args=[world["round"].pk]))
    rows = {row.code: row for row in response.context["rows"]}
    assert (rows["A 12"].overdue, rows["A 32"].overdue, rows["A 50"].overdue) == (True, False, True)
    content = response.content.decode()
    a12_row = content.split(f'id="einheit-{world["departments"]["A 12"].pk}"')[1].split("</tr>")[0]
    a32_row = content.split(f'id="einheit-{world["departments"]["A 32"].pk}"')[1].split("</tr>")[0]
    assert "überfällig" in a12_row and "überfällig" not in a32_row
    assert "2 Organisationseinheiten sind überfällig: A 12, A 50." in content
    assert "abgelaufen" in content


@pytest.mark.parametrize("days", [0, 7], ids=["deadline-today", "deadline-ahead"])
def test_nobody_is_overdue_before_the_deadline_has_passed(client, world, days):
    set_deadline(world["round"], days)
    login(client, world, "it")
    response = client.get(reverse("round_progress", args=[world["round"].pk]))
    assert not any(row.overdue for row in response.context["rows"])
    assert "überfällig" not in response.content.decode()


def test_the_counts_link_to_the_filtered_list_of_the_department(client, world):
    login(client, world, "it")
    content = client.get(reverse("round_progress", args=[world["round"].pk])).content.decode()
    a12, round_pk = world["departments"]["A 12"].pk, world["round"].pk
    assert f'href="/leistungen/?einheit={a12}&amp;runde={round_pk}"' in content
    assert f'href="/leistungen/?einheit={a12}&amp;bestaetigt=nein&amp;runde={round_pk}"' in content
    # A 32 has confirmed everything: its "open" count of 0 links nowhere.
    assert f"einheit={world['departments']['A 32'].pk}&amp;bestaetigt=nein" not in content


def test_list_urls_lead_to_the_workspace_list():
    assert my_services_url(einheit=4, bestaetigt="nein") == "/leistungen/?einheit=4&bestaetigt=nein"
    assert assessment_url(7) == "/bewertungen/7/"


def test_the_link_to_the_unconfirmed_rows_lists_exactly_them(client, world):
    login(client, world, "it")
    progress = client.get(reverse("round_progress", args=[world["round"].pk]))
    (a12,) = [row for row in progress.context["rows"] if row.code == "A 12"]
    response = client.get(a12.unconfirmed_url)
    assert response.status_code == 200
    expected = {row.pk for row in world["assessments"]["A 12"] if row.confirmed_at is None}
    assert {row.pk for row in response.context["filterset"].qs} == expected


def test_progress_costs_the_same_queries_for_10_and_for_500_assessments(client, world):
    login(client, world, "it")
    url = reverse("round_progress", args=[world["round"].pk])
    client.get(url)  # warm the session and content-type caches so both measurements count the same things
    Assessment.objects.create(
        round=world["round"],
        leika_entry=make_entries(world["version"], 900, 1)[0],
        department=world["departments"]["A 50"],
    )
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.context["total"].total == 10

    more_departments = [
        Department.objects.create(organisation=world["org"], code=f"B {n}", name=f"Amt B {n}") for n in range(5)
    ]
    targets = list(world["departments"].values()) + more_departments
    Assessment.objects.bulk_create(
        Assessment(round=world["round"], leika_entry=entry, department=targets[n % len(targets)])
        for n, entry in enumerate(make_entries(world["version"], 100, 490))
    )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.context["total"].total == 500
    assert len(response.context["rows"]) == 8
    assert len(many) == len(few)


# --- rounds page --------------------------------------------------------------------------------------------------


def test_the_rounds_page_lists_the_own_organisations_rounds_with_their_progress(client, world):
    login(client, world, "it")
    response = client.get(reverse("rounds"))
    assert response.status_code == 200
    entries = response.context["entries"]
    assert [entry["round"] for entry in entries] == [world["round"]]
    progress = entries[0]["progress"]
    assert (progress.total, progress.reported, progress.confirmed) == (9, 6, 5)
    assert entries[0]["managed"]
    content = response.content.decode()
    assert reverse("round_close", args=[world["round"].pk]) in content
    assert 'id="open-round"' in content


def test_a_reader_sees_the_rounds_but_neither_the_form_nor_the_actions(client, world):
    login(client, world, "reader")
    response = client.get(reverse("rounds"))
    assert response.status_code == 200
    (entry,) = response.context["entries"]
    assert (entry["progress"].total, entry["managed"]) == (4, False)
    content = response.content.decode()
    assert response.context["form"] is None and 'id="open-round"' not in content
    assert reverse("round_close", args=[world["round"].pk]) not in content


def test_the_main_navigation_links_to_the_rounds(client, world):
    login(client, world, "reader")
    content = client.get(reverse("overview")).content.decode()
    assert f'href="{reverse("rounds")}"' in content and ">Runden</a>" in content


# --- opening a round ----------------------------------------------------------------------------------------------


def open_payload(world, **changes):
    return {
        "organisation": world["org"].pk,
        "year": 2025,
        "catalogue_version": world["version"].pk,
        "maturity_scale": "",
        "deadline": "2025-03-31",
        **changes,
    }


def test_the_it_office_opens_a_round_and_the_assessments_are_carried_over(client, world):
    factories.close(world["round"])
    login(client, world, "it")
    with running_jobs():  # carrying over runs in the background; the answer is the job's page
        response = client.post(reverse("rounds"), open_payload(world))
    new_round = SurveyRound.objects.get(organisation=world["org"], year=2025)
    assert new_round.deadline == datetime.date(2025, 3, 31)
    assert new_round.maturity_scale == world["scale"]
    rows = new_round.assessments.all()
    assert rows.count() == 9
    assert not rows.filter(carried_over_from__isnull=True).exists()
    assert not rows.filter(confirmed_at__isnull=False).exists()
    page = job_page(client, response)
    assert "9 Bewertungen wurden aus der vorigen Runde übernommen" in page
    assert reverse("carry_over", args=[new_round.pk]) in page


def test_an_existing_year_is_refused_at_the_field_in_german(client, world):
    login(client, world, "it")
    response = client.post(reverse("rounds"), open_payload(world, year=2024))
    assert response.status_code == 200
    assert response.context["form"].errors["year"] == ["Für 2024 gibt es schon eine Erhebungsrunde."]
    assert SurveyRound.objects.filter(organisation=world["org"]).count() == 1
    assert 'aria-invalid="true"' in response.content.decode()


def test_a_missing_maturity_scale_is_asked_for_at_the_field(client, world):
    Organisation.objects.filter(pk=world["org"].pk).update(maturity_scale=None)
    SurveyRound.objects.filter(organisation=world["org"]).update(
        organisation=world["other_org"], year=2020, is_closed=True
    )
    login(client, world, "it")
    response = client.post(reverse("rounds"), open_payload(world))
    assert response.context["form"].errors["maturity_scale"] == ["Bitte eine Reifegradskala wählen."]
    assert not SurveyRound.objects.filter(year=2025).exists()


def test_the_only_organisation_of_the_it_office_is_preselected(client, world):
    login(client, world, "it")
    form = client.get(reverse("rounds")).context["form"]
    assert form["organisation"].value() == world["org"].pk
    assert list(form.fields["organisation"].queryset) == [world["org"]]


def test_a_missing_catalogue_version_is_refused_in_german(client, world):
    login(client, world, "it")
    response = client.post(reverse("rounds"), open_payload(world, catalogue_version=""))
    assert response.context["form"].errors["catalogue_version"] == ["Dieses Feld ist zwingend erforderlich."]
    assert not SurveyRound.objects.filter(year=2025).exists()


def test_the_it_office_cannot_open_a_round_for_another_organisation(client, world):
    login(client, world, "it")
    response = client.post(reverse("rounds"), open_payload(world, organisation=world["other_org"].pk))
    assert response.status_code == 200
    assert response.context["form"].errors["organisation"] == [
        "Für diese Organisation können Sie keine Runde eröffnen."
    ]
    assert not SurveyRound.objects.filter(year=2025).exists()


@pytest.mark.parametrize("persona", ["editor", "reader", "other_editor"])
def test_departments_cannot_open_rounds(client, world, persona):
    login(client, world, persona)
    assert client.post(reverse("rounds"), open_payload(world)).status_code == 403
    assert not SurveyRound.objects.filter(year=2025).exists()


# --- closing and reopening ----------------------------------------------------------------------------------------


def test_closing_asks_for_confirmation_first(client, world):
    login(client, world, "it")
    response = client.get(reverse("round_close", args=[world["round"].pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "4 Bewertungen sind noch nicht bestätigt" in content
    assert "Runde 2024 abschließen" in content
    world["round"].refresh_from_db()
    assert not world["round"].is_closed


def test_a_closed_round_cannot_be_changed_any_more(client, world):
    login(client, world, "it")
    response = client.post(reverse("round_close", args=[world["round"].pk]))
    assert response.status_code == 302 and response["Location"] == reverse("rounds")
    world["round"].refresh_from_db()
    assert world["round"].is_closed

    row = Assessment.objects.get(pk=world["assessments"]["A 12"][2].pk)
    row.status = Status.DIGITAL
    with pytest.raises(ClosedRoundError):
        row.save()
    with pytest.raises(ClosedRoundError):
        apply_changes(world["users"]["editor"], [row.pk], {"status": Status.PDF})
    assert Assessment.objects.get(pk=row.pk).status == Status.NICHT_GEMELDET
    # Nobody is late for a closed round.
    set_deadline(world["round"], -10)
    progress = client.get(reverse("round_progress", args=[world["round"].pk]))
    assert not any(r.overdue for r in progress.context["rows"])
    assert f"runde={world['round'].pk}" in progress.content.decode(), "the list links lead to the closed round"


def test_reopening_warns_and_makes_the_round_editable_again(client, world):
    SurveyRound.objects.filter(pk=world["round"].pk).update(is_closed=True)
    login(client, world, "it")
    confirmation = client.get(reverse("round_reopen", args=[world["round"].pk]))
    assert confirmation.status_code == 200
    assert "Achtung: Die Runde ist abgeschlossen" in confirmation.content.decode()

    response = client.post(reverse("round_reopen", args=[world["round"].pk]))
    assert response.status_code == 302
    world["round"].refresh_from_db()
    assert not world["round"].is_closed
    row = Assessment.objects.get(pk=world["assessments"]["A 12"][2].pk)
    row.status = Status.ANALOG
    row.save()
    assert Assessment.objects.get(pk=row.pk).status == Status.ANALOG


def test_closing_a_closed_round_again_changes_nothing(client, world):
    SurveyRound.objects.filter(pk=world["round"].pk).update(is_closed=True)
    login(client, world, "it")
    response = client.post(reverse("round_close", args=[world["round"].pk]), follow=True)
    assert "ist bereits abgeschlossen" in response.content.decode()
    world["round"].refresh_from_db()
    assert world["round"].is_closed


# --- deadline -----------------------------------------------------------------------------------------------------


def test_the_it_office_changes_the_deadline(client, world):
    login(client, world, "it")
    url = reverse("round_deadline", args=[world["round"].pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"deadline": "2024-06-30"})
    assert response.status_code == 302
    world["round"].refresh_from_db()
    assert world["round"].deadline == datetime.date(2024, 6, 30)
    client.post(url, {"deadline": ""})
    world["round"].refresh_from_db()
    assert world["round"].deadline is None


def test_an_impossible_deadline_is_refused_at_the_field_in_german(client, world):
    login(client, world, "it")
    response = client.post(reverse("round_deadline", args=[world["round"].pk]), {"deadline": "2024-02-30"})
    assert response.status_code == 200
    assert response.context["form"].errors["deadline"] == ["Bitte ein gültiges Datum eingeben."]
    world["round"].refresh_from_db()
    assert world["round"].deadline is None


def test_the_deadline_of_a_closed_round_stays(client, world):
    SurveyRound.objects.filter(pk=world["round"].pk).update(is_closed=True)
    login(client, world, "it")
    response = client.post(reverse("round_deadline", args=[world["round"].pk]), {"deadline": "2024-06-30"})
    assert "Die Runde ist abgeschlossen" in response.context["form"].errors["deadline"][0]
    world["round"].refresh_from_db()
    assert world["round"].deadline is None


# --- activity feed ------------------------------------------------------------------------------------------------


def test_the_activity_feed_shows_who_changed_what_with_old_and_new_values(client, world):
    editor = world["users"]["editor"]
    row = world["assessments"]["A 12"][0]
    apply_changes(editor, [row], {"status": Status.PDF}, comment="Formular statt Onlinedienst")
    apply_changes(editor, [world["assessments"]["A 12"][3]], {}, source=ChangeSource.INLINE)
    apply_changes(world["users"]["other_editor"], [world["assessments"]["A 32"][0]], {"status": Status.DIGITAL})
    login(client, world, "it")
    response = client.get(reverse("department_activity", args=[world["departments"]["A 12"].pk]))
    assert response.status_code == 200
    changes = list(response.context["page"])
    assert [change.assessment_id for change in changes] == [world["assessments"]["A 12"][3].pk, row.pk]
    content = response.content.decode()
    assert f'href="/bewertungen/{row.pk}/"' in content
    assert f"{row.leika_entry.key} {row.leika_entry.name}" in content
    assert "Umsetzungsstatus: „Digital“ → „PDF“" in content
    assert "Formular statt Onlinedienst" in content
    assert "Detailseite" in content and "Bestätigung" in content and "unverändert bestätigt" in content
    assert ">editor</td>" in content
    assert "other_editor" not in content


def test_the_activity_feed_can_be_narrowed_to_one_round(client, world):
    apply_changes(world["users"]["editor"], [world["assessments"]["A 12"][0]], {"status": Status.PDF})
    old_rows = []
    older = factories.closed_round(
        world["org"],
        2023,
        version=world["version"],
        maturity_scale=world["scale"],
        fill=lambda round_obj: old_rows.append(
            Assessment.objects.create(
                round=round_obj,
                leika_entry=make_entries(world["version"], 700, 1)[0],
                department=world["departments"]["A 12"],
            )
        ),
    )
    old_row = old_rows[0]
    AssessmentChange.objects.create(
        assessment=old_row, user=world["users"]["editor"], at=CONFIRMED_AT, source=ChangeSource.IMPORT, version=2
    )
    login(client, world, "it")
    url = reverse("department_activity", args=[world["departments"]["A 12"].pk])
    assert len(client.get(url).context["page"]) == 2
    narrowed = client.get(url, {"runde": older.pk})
    assert [change.assessment_id for change in narrowed.context["page"]] == [old_row.pk]
    assert narrowed.context["selected"] == older
    # A round of another organisation is no filter at all.
    assert len(client.get(url, {"runde": world["foreign_round"].pk}).context["page"]) == 2


def test_the_activity_feed_is_paginated_and_costs_the_same_queries_for_few_and_many_rows(client, world):
    rows = world["assessments"]["A 12"]
    users = [world["users"]["editor"], world["users"]["it"], world["users"]["reader"]]

    def add_changes(count, start):
        AssessmentChange.objects.bulk_create(
            AssessmentChange(
                assessment=rows[n % len(rows)],
                user=users[n % len(users)],
                at=CONFIRMED_AT + datetime.timedelta(minutes=start + n),
                source=ChangeSource.BULK,
                version=start + n,
                fields=[{"field": "status", "label": "Umsetzungsstatus", "old": "Analog", "new": "PDF"}],
            )
            for n in range(count)
        )

    login(client, world, "it")
    url = reverse("department_activity", args=[world["departments"]["A 12"].pk])
    add_changes(3, 0)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert len(response.context["page"]) == 3

    add_changes(120, 10)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["page"]) == 50
    assert response.context["page"].paginator.num_pages == 3
    assert len(many) == len(few)
    assert "seite=2" in response.content.decode()


# --- permissions --------------------------------------------------------------------------------------------------


def management_urls(round_obj):
    return [
        reverse("round_close", args=[round_obj.pk]),
        reverse("round_reopen", args=[round_obj.pk]),
        reverse("round_deadline", args=[round_obj.pk]),
    ]


def test_anonymous_visitors_are_sent_to_login(client, world):
    urls = [
        reverse("rounds"),
        reverse("round_progress", args=[world["round"].pk]),
        reverse("department_activity", args=[world["departments"]["A 12"].pk]),
        *management_urls(world["round"]),
    ]
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302 and response["Location"].startswith("/anmelden/"), url
    assert not SurveyRound.objects.filter(is_closed=True).exists()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("it", 200),
        ("superuser", 200),
        ("editor", 200),
        ("reader", 200),
        ("other_editor", 200),
        ("foreign_it", 404),
    ],
)
def test_who_sees_the_progress_of_a_round(client, world, persona, expected):
    login(client, world, persona)
    assert client.get(reverse("round_progress", args=[world["round"].pk])).status_code == expected


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("it", 200),
        ("superuser", 200),
        ("editor", 403),
        ("reader", 403),
        ("other_editor", 404),
        ("foreign_it", 404),
    ],
)
def test_who_sees_the_activity_of_a_department(client, world, persona, expected):
    login(client, world, persona)
    response = client.get(reverse("department_activity", args=[world["departments"]["A 12"].pk]))
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("editor", 403), ("reader", 403), ("other_editor", 403), ("foreign_it", 404)],
)
def test_only_the_own_it_office_manages_a_round_and_crafted_posts_change_nothing(client, world, persona, expected):
    login(client, world, persona)
    open_round, closed_round = (
        world["round"],
        SurveyRound.objects.create(
            organisation=world["org"],
            year=2023,
            catalogue_version=world["version"],
            maturity_scale=world["scale"],
            is_closed=True,
        ),
    )
    for round_obj in (open_round, closed_round):
        for url in management_urls(round_obj):
            assert client.get(url).status_code == expected, url
            assert client.post(url, {"deadline": "2030-01-01"}).status_code == expected, url
    states = dict(SurveyRound.objects.filter(organisation=world["org"]).values_list("year", "is_closed"))
    assert states == {2023: True, 2024: False}
    assert not SurveyRound.objects.filter(deadline__isnull=False).exists()


def test_the_it_office_cannot_touch_another_organisations_round(client, world):
    login(client, world, "it")
    foreign = world["foreign_round"]
    assert client.get(reverse("round_progress", args=[foreign.pk])).status_code == 404
    for url in management_urls(foreign):
        assert client.post(url, {"deadline": "2030-01-01"}).status_code == 404, url
    foreign.refresh_from_db()
    assert (foreign.is_closed, foreign.deadline) == (False, None)
    foreign_department = world["foreign_assessment"].department
    assert client.get(reverse("department_activity", args=[foreign_department.pk])).status_code == 404


def test_a_superuser_manages_every_round(client, world):
    login(client, world, "superuser")
    response = client.post(reverse("round_close", args=[world["foreign_round"].pk]))
    assert response.status_code == 302
    world["foreign_round"].refresh_from_db()
    assert world["foreign_round"].is_closed


def test_other_methods_are_refused(client, world):
    login(client, world, "it")
    assert client.put(reverse("round_close", args=[world["round"].pk])).status_code == 405
