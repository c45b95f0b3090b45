"""The department workspace: "Meine Leistungen", the detail page, in-place and bulk edits, Rückfragen.

Personas: an editor of the department, a reader of it, an editor of another department, the IT office of the
organisation and the IT office of another organisation. Rows that are not visible answer 404, visible rows the user
may not change answer 403, and nothing is written in either case.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leika.models import CatalogueVersion, LeikaEntry
from monitoring.choices import DepartmentRoleKind, OrganisationKind, OrganisationRole, Status
from monitoring.editing import apply_changes
from monitoring.models import (
    Assessment,
    AssessmentChange,
    ChangeSource,
    Department,
    DepartmentRole,
    Membership,
    Organisation,
    Question,
    SurveyRound,
    TablePreference,
)
from ozg.choices import Zustaendigkeit
from ozg.models import MaturityScale, OzgLeistung, Themenfeld

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def key(number: int) -> str:
    return f"99001{number:03d}001000"


class World:
    """Two organisations; the first with a closed round 2023 and an open round 2024 carried over from it."""

    def __init__(self, users):
        self.version = CatalogueVersion.objects.create(name="LeiKa 2024", valid_from=datetime.date(2024, 1, 1))
        self.scale = MaturityScale.objects.get(code="ozg-2-0")
        self.level = {level.value: level for level in self.scale.levels.all()}
        self.foreign_level = MaturityScale.objects.get(code="kommunal-0-5").levels.get(value=1)
        self.org = Organisation.objects.create(
            name="Musterstadt", kind=OrganisationKind.KREISFREIE_STADT, regionalschluessel="051110000000"
        )
        self.other_org = Organisation.objects.create(
            name="Nachbarkreis", kind=OrganisationKind.KREIS, regionalschluessel="053340000001"
        )
        self.dep = Department.objects.create(organisation=self.org, code="A 12", name="Bürgeramt")
        self.other_dep = Department.objects.create(organisation=self.org, code="A 50", name="Sozialamt")
        self.foreign_dep = Department.objects.create(organisation=self.other_org, code="A 12", name="Bürgeramt")

        self.editor = self.person(users, "editor", self.org, dep=self.dep, role=DepartmentRoleKind.BEARBEITUNG)
        self.editor2 = self.person(users, "editor2", self.org, dep=self.dep, role=DepartmentRoleKind.BEARBEITUNG)
        self.reader = self.person(users, "reader", self.org, dep=self.dep, role=DepartmentRoleKind.LESEN)
        self.other_editor = self.person(
            users, "other", self.org, dep=self.other_dep, role=DepartmentRoleKind.BEARBEITUNG
        )
        self.it_office = self.person(users, "it", self.org, org_role=OrganisationRole.IT_STEUERUNG)
        self.foreign_it = self.person(users, "foreign", self.other_org, org_role=OrganisationRole.IT_STEUERUNG)

        self.previous_round = self.make_round(self.org, 2023)
        self.round = self.make_round(self.org, 2024)
        self.foreign_round = self.make_round(self.other_org, 2024)

        self.entries = [
            LeikaEntry.objects.create(version=self.version, key=key(n), name=f"Leistung {name}", typisierung=["5"])
            for n, name in enumerate(["Anmeldung", "Bauantrag", "Wohngeld", "Hundesteuer", "Sozialhilfe"], start=1)
        ]
        self.ozg = OzgLeistung.objects.create(
            ozg_id=10034,
            name="Wohngeld",
            themenfeld=Themenfeld.objects.get(name="Bauen & Wohnen"),
            zustaendigkeit=Zustaendigkeit.KOMMUNE,
        )
        self.ozg.leika_entries.add(self.entries[2])

        prev = {
            n: Assessment.objects.create(
                round=self.previous_round, leika_entry=self.entries[n], department=self.dep, status=status
            )
            for n, status in [(0, Status.ANALOG), (1, Status.PDF), (2, Status.DIGITAL)]
        }
        self.prev = prev
        # 0 unchanged since 2023, 1 changed (PDF → Digital), 2 unchanged and confirmed, 3 new; 4 of another department.
        self.rows = [
            Assessment.objects.create(
                round=self.round, leika_entry=self.entries[0], department=self.dep, carried_over_from=prev[0]
            ),
            Assessment.objects.create(
                round=self.round,
                leika_entry=self.entries[1],
                department=self.dep,
                carried_over_from=prev[1],
                status=Status.DIGITAL,
                maturity_level=self.level[3],
            ),
            Assessment.objects.create(
                round=self.round,
                leika_entry=self.entries[2],
                department=self.dep,
                carried_over_from=prev[2],
                status=Status.DIGITAL,
                confirmed_at=timezone.now(),
            ),
            Assessment.objects.create(round=self.round, leika_entry=self.entries[3], department=self.dep),
            Assessment.objects.create(round=self.round, leika_entry=self.entries[4], department=self.other_dep),
        ]
        Assessment.objects.filter(pk=self.rows[0].pk).update(status=Status.ANALOG)
        self.rows[0].refresh_from_db()
        self.foreign_row = Assessment.objects.create(
            round=self.foreign_round, leika_entry=self.entries[0], department=self.foreign_dep
        )
        SurveyRound.objects.filter(pk=self.previous_round.pk).update(is_closed=True)
        self.previous_round.refresh_from_db()
        self.question = Question.objects.create(
            assessment=self.rows[1], text="Ist der Onlinedienst schon live?", asked_by=self.it_office
        )

    def person(self, users, name, org, *, dep=None, role=None, org_role=OrganisationRole.MITARBEIT):
        user = users.objects.create_user(name, first_name=name.capitalize())  # force_login: no costly hashing
        Membership.objects.create(user=user, organisation=org, role=org_role)
        if dep:
            DepartmentRole.objects.create(user=user, department=dep, role=role)
        return user

    def make_round(self, org, year):
        return SurveyRound.objects.create(
            organisation=org, year=year, catalogue_version=self.version, maturity_scale=self.scale
        )


@pytest.fixture
def world(django_user_model):
    return World(django_user_model)


def records(response) -> list:
    """The records of the page's table, in its order."""
    return [row.record for row in response.context["table"].page]


def login(client, user):
    client.force_login(user)
    return client


def keys_listed(response) -> list[str]:
    return [row.record.leika_entry.key for row in response.context["table"].paginated_rows]


def state():
    """Everything a write would touch, to show that refused requests write nothing."""
    rows = Assessment.objects.order_by("pk").values_list(
        "pk", "version", "status", "maturity_level", "justification", "confirmed_at"
    )
    return list(rows), AssessmentChange.objects.count(), list(Question.objects.values_list("pk", "answer"))


def row_form_data(row, **values):
    prefix = f"zeile-{row.pk}-"
    data = {"status": row.status, "maturity_level": row.maturity_level_id or "", "justification": row.justification}
    data.update(values)
    data.setdefault("version", row.version)
    return {prefix + name: "" if value is None else value for name, value in data.items()}


def detail_form_data(row, **values):
    data = {
        "status": row.status,
        "maturity_level": row.maturity_level_id or "",
        "efa_kind": row.efa_kind,
        "efa_offer": row.efa_offer_id or "",
        "channel": row.channel,
        "online_service_url": row.online_service_url,
        "it_project": row.it_project_id or "",
        "justification": row.justification,
        "version": row.version,
        "comment": "",
    }
    data.update(values)
    return {name: "" if value is None else value for name, value in data.items()}


# --- access ------------------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login_and_nothing_is_written(client, world):
    row = world.rows[0]
    before = state()
    gets = [
        reverse("my_services"),
        reverse("questions"),
        reverse("assessment_detail", args=[row.pk]),
        reverse("assessment_row", args=[row.pk]),
        reverse("assessment_row_edit", args=[row.pk]),
    ]
    posts = [
        reverse("assessment_detail", args=[row.pk]),
        reverse("assessment_row", args=[row.pk]),
        reverse("assessment_confirm", args=[row.pk]),
        reverse("bulk_edit"),
        reverse("my_services_columns"),
        reverse("question_ask", args=[row.pk]),
        reverse("question_answer", args=[world.question.pk]),
    ]
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/anmelden/"), url
    for url in posts:
        response = client.post(url, {"version": row.version, "sammel-status": Status.PDF, "text": "x"})
        assert response.status_code == 302 and response["Location"].startswith("/anmelden/"), url
    assert state() == before


def test_the_navigation_links_to_the_workspace(client, world):
    content = login(client, world.editor).get(reverse("my_services")).content.decode()
    assert 'href="/leistungen/" aria-current="page">Meine Leistungen' in content
    assert 'href="/rueckfragen/"' in content


# --- "Meine Leistungen" ----------------------------------------------------------------------------------------------


def test_the_list_shows_only_the_open_rows_of_the_own_department(client, world):
    response = login(client, world.editor).get(reverse("my_services"))
    assert response.status_code == 200
    assert keys_listed(response) == [key(1), key(2), key(3), key(4)]


def test_the_it_office_sees_every_department_of_its_organisation_only(client, world):
    response = login(client, world.it_office).get(reverse("my_services"))
    assert keys_listed(response) == [key(1), key(2), key(3), key(4), key(5)]
    response = login(client, world.foreign_it).get(reverse("my_services"))
    assert [row.record for row in response.context["table"].paginated_rows] == [world.foreign_row]


def test_a_reader_sees_the_rows_without_selection_or_bulk_form(client, world):
    response = login(client, world.reader).get(reverse("my_services"))
    assert keys_listed(response) == [key(1), key(2), key(3), key(4)]
    content = response.content.decode()
    assert 'name="auswahl"' not in content
    assert "sammelformular" not in content
    assert "Bearbeiten<" not in content
    assert response.context["bulk_form"] is None


def test_the_list_shows_status_as_text_confirmation_questions_and_change(client, world):
    response = login(client, world.editor).get(reverse("my_services"), {"q": "Bauantrag"})
    content = response.content.decode()
    assert '<span class="kern-label">Digital</span>' in content
    cells = dict(response.context["table"].paginated_rows[0].items())
    by_name = {column.name: str(value) for column, value in cells.items()}
    assert by_name["confirmed"] == "Nein"
    assert ">1<" in by_name["open_questions"]
    assert by_name["changed"] == "Ja"
    assert f'value="{world.rows[1].pk}:{world.rows[1].version}"' in by_name["selection"]


def test_the_ozg_and_themenfeld_columns_show_the_linked_ozg_leistung(client, world):
    TablePreference.objects.create(user=world.editor, table="meine_leistungen", columns=["ozg", "themenfeld"])
    response = login(client, world.editor).get(reverse("my_services"), {"q": "Wohngeld"})
    content = response.content.decode()
    assert "10034 Wohngeld" in content
    assert "Bauen &amp; Wohnen" in content


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "wohn"}, [3]),
        ({"q": key(2)[:12]}, [2]),
        ({"q": "99001 003"}, [3]),
        ({"status": [Status.DIGITAL]}, [2, 3]),
        ({"status": [Status.ANALOG, Status.NICHT_GEMELDET]}, [1, 4]),
        ({"ozg": "10034"}, [3]),
        ({"ozg": "wohngeld"}, [3]),
        ({"bestaetigt": "ja"}, [3]),
        ({"bestaetigt": "nein"}, [1, 2, 4]),
        ({"geaendert": "ja"}, [2, 4]),
        ({"geaendert": "nein"}, [1, 3]),
        ({"rueckfragen": "ja"}, [2]),
        ({"rueckfragen": "nein"}, [1, 3, 4]),
    ],
)
def test_each_filter_narrows_the_list(client, world, params, expected):
    response = login(client, world.editor).get(reverse("my_services"), params)
    assert keys_listed(response) == [key(n) for n in expected]


def test_several_statuses_can_be_chosen_at_once(client, world):
    content = login(client, world.editor).get(reverse("my_services")).content.decode()
    assert content.count('type="checkbox" class="kern-form-check__checkbox" name="status"') == len(Status.choices)


def test_the_maturity_level_filter_offers_the_rounds_scale(client, world):
    client = login(client, world.editor)
    response = client.get(reverse("my_services"), {"reifegrad": world.level[3].pk})
    assert keys_listed(response) == [key(2)]
    response = client.get(reverse("my_services"), {"reifegrad": "null"})
    assert keys_listed(response) == [key(1), key(3), key(4)]
    offered = set(response.context["filterset"].form.fields["reifegrad"].queryset)
    assert offered == set(world.scale.levels.all())


def test_the_themenfeld_and_department_filters(client, world):
    client = login(client, world.it_office)
    themenfeld = Themenfeld.objects.get(name="Bauen & Wohnen")
    assert keys_listed(client.get(reverse("my_services"), {"themenfeld": themenfeld.pk})) == [key(3)]
    assert keys_listed(client.get(reverse("my_services"), {"einheit": world.other_dep.pk})) == [key(5)]
    offered = set(client.get(reverse("my_services")).context["filterset"].form.fields["einheit"].queryset)
    assert offered == {world.dep, world.other_dep}


def test_an_answered_question_no_longer_counts_as_open(client, world):
    Question.objects.filter(pk=world.question.pk).update(answer="Ja", answered_at=timezone.now())
    response = login(client, world.editor).get(reverse("my_services"), {"rueckfragen": "ja"})
    assert keys_listed(response) == []


def test_another_round_can_be_viewed_read_only(client, world):
    response = login(client, world.editor).get(reverse("my_services"), {"runde": world.previous_round.pk})
    assert keys_listed(response) == [key(1), key(2), key(3)]
    content = response.content.decode()
    assert "abgeschlossen, nur lesbar" in content
    assert 'name="auswahl"' not in content
    assert response.context["bulk_form"] is None


def test_a_round_of_another_organisation_cannot_be_chosen(client, world):
    response = login(client, world.editor).get(reverse("my_services"), {"runde": world.foreign_round.pk})
    assert "runde" in response.context["filterset"].form.errors
    assert world.foreign_row not in [row.record for row in response.context["table"].paginated_rows]


def test_the_list_sorts_by_column_both_ways(client, world):
    client = login(client, world.editor)
    assert keys_listed(client.get(reverse("my_services"), {"sortierung": "-key"})) == [key(4), key(3), key(2), key(1)]
    assert keys_listed(client.get(reverse("my_services"), {"sortierung": "name"})) == [key(1), key(2), key(4), key(3)]
    by_status = client.get(reverse("my_services"), {"sortierung": "status"})
    assert keys_listed(by_status) == [key(1), key(2), key(3), key(4)]  # analog, digital, digital, nicht gemeldet
    assert 'aria-sort="ascending"' in by_status.content.decode()


def test_the_page_size_is_one_of_25_50_100(client, world):
    entries = [
        LeikaEntry(version=world.version, key=key(100 + n), name=f"Zusatz {n}", typisierung=["5"]) for n in range(60)
    ]
    LeikaEntry.objects.bulk_create(entries)
    Assessment.objects.bulk_create(Assessment(round=world.round, leika_entry=e, department=world.dep) for e in entries)
    client = login(client, world.editor)
    assert len(keys_listed(client.get(reverse("my_services")))) == 50
    assert len(keys_listed(client.get(reverse("my_services"), {"pro_seite": 25}))) == 25
    assert len(keys_listed(client.get(reverse("my_services"), {"pro_seite": 100}))) == 64
    assert len(keys_listed(client.get(reverse("my_services"), {"pro_seite": 5000}))) == 50
    second = client.get(reverse("my_services"), {"pro_seite": 25, "seite": 3})
    assert len(keys_listed(second)) == 14


def test_the_chosen_columns_are_remembered(client, world):
    client = login(client, world.editor)
    headers = [column.name for column in client.get(reverse("my_services")).context["table"].columns]
    assert "themenfeld" not in headers and "status" in headers

    response = client.post(
        reverse("my_services_columns"), {"spalten-columns": ["status", "themenfeld"], "next": "/leistungen/?q=x"}
    )
    assert response.status_code == 302 and response["Location"] == "/leistungen/?q=x"
    assert TablePreference.objects.get(user=world.editor, table="meine_leistungen").columns == ["status", "themenfeld"]
    headers = [column.name for column in client.get(reverse("my_services")).context["table"].columns]
    assert headers == ["selection", "key", "status", "themenfeld", "actions"]
    # Other users keep their own choice.
    other = login(client.__class__(), world.it_office)
    assert "name" in [column.name for column in other.get(reverse("my_services")).context["table"].columns]

    client.post(reverse("my_services_columns"), {"standard": "1", "next": "https://example.org/"})
    assert not TablePreference.objects.filter(user=world.editor).exists()


def test_the_list_costs_the_same_queries_for_10_and_1000_rows(client, world, django_assert_num_queries):
    Assessment.objects.filter(round=world.round).delete()
    url = reverse("my_services")
    TablePreference.objects.create(
        user=world.editor,
        table="meine_leistungen",
        columns=[
            "name",
            "department",
            "status",
            "maturity_level",
            "ozg",
            "themenfeld",
            "confirmed",
            "open_questions",
            "changed",
        ],
    )
    leistungen = [
        OzgLeistung.objects.create(
            ozg_id=20000 + n, name=f"OZG {n}", themenfeld=Themenfeld.objects.order_by("pk")[n % 5]
        )
        for n in range(3)
    ]

    def add_rows(start, count):
        entries = LeikaEntry.objects.bulk_create(
            LeikaEntry(version=world.version, key=f"98{start + n:06d}001000", name=f"L {start + n}", typisierung=["5"])
            for n in range(count)
        )
        rows = Assessment.objects.bulk_create(
            Assessment(
                round=world.round,
                leika_entry=entry,
                department=world.dep,
                status=Status.DIGITAL if n % 2 else Status.PDF,
                maturity_level=world.level[n % 4],
                carried_over_from=world.prev[n % 3] if n % 3 else None,
                confirmed_at=timezone.now() if n % 5 == 0 else None,
            )
            for n, entry in enumerate(entries)
        )
        for n, entry in enumerate(entries):
            leistungen[n % 3].leika_entries.add(entry)
        Question.objects.bulk_create(Question(assessment=row, text="?") for row in rows[::3])

    add_rows(100, 10)
    login(client, world.editor).get(url)  # warm caches (session, content types) so both runs count the same
    with CaptureQueriesContext(connection) as few:
        response = client.get(url, {"pro_seite": 100})
    assert len(keys_listed(response)) == 10

    add_rows(200, 990)
    with django_assert_num_queries(len(few)):
        response = client.get(url, {"pro_seite": 100})
    assert len(keys_listed(response)) == 100
    assert response.context["table"].paginator.count == 1000


# --- detail page ---------------------------------------------------------------------------------------------------


def test_the_detail_page_shows_entry_previous_values_history_and_questions(client, world):
    row = world.rows[1]
    apply_changes(world.editor, [row.pk], {"justification": "online"}, comment="mit Link", versions={row.pk: 1})
    response = login(client, world.editor).get(reverse("assessment_detail", args=[row.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert key(2) in content and "Leistung Bauantrag" in content
    assert "Vorrunde Musterstadt 2023" in content
    values = {value["label"]: value for value in response.context["values"]}
    assert values["Umsetzungsstatus"]["current"] == "Digital"
    assert values["Umsetzungsstatus"]["previous"] == "PDF"
    assert "<li>Begründung: „–“ → „online“</li>" in content
    assert "mit Link" in content
    assert "Ist der Onlinedienst schon live?" in content
    assert response.context["form"] is not None


def test_a_reader_and_a_closed_round_get_the_detail_page_without_form(client, world):
    response = login(client, world.reader).get(reverse("assessment_detail", args=[world.rows[0].pk]))
    assert response.status_code == 200 and response.context["form"] is None
    assert "nicht bearbeiten" in response.content.decode()
    response = login(client, world.editor).get(reverse("assessment_detail", args=[world.prev[0].pk]))
    assert response.status_code == 200 and response.context["form"] is None
    assert "abgeschlossen" in response.content.decode()


@pytest.mark.parametrize("persona", ["other_editor", "foreign_it"])
def test_rows_of_other_departments_and_organisations_are_not_found(client, world, persona):
    client = login(client, getattr(world, persona))
    row = world.rows[0]
    before = state()
    assert client.get(reverse("assessment_detail", args=[row.pk])).status_code == 404
    assert (
        client.post(reverse("assessment_detail", args=[row.pk]), detail_form_data(row, status="pdf")).status_code == 404
    )
    assert client.get(reverse("assessment_row_edit", args=[row.pk]), **HTMX).status_code == 404
    assert client.get(reverse("assessment_row", args=[row.pk]), **HTMX).status_code == 404
    assert client.post(reverse("assessment_row", args=[row.pk]), row_form_data(row, status="pdf")).status_code == 404
    assert client.post(reverse("assessment_confirm", args=[row.pk]), {"version": row.version}).status_code == 404
    assert (
        client.post(
            reverse("question_answer", args=[world.question.pk]), {f"antwort-{world.question.pk}-answer": "x"}
        ).status_code
        == 404
    )
    assert state() == before


def test_a_reader_may_not_write_and_nothing_is_written(client, world):
    client = login(client, world.reader)
    row = world.rows[0]
    before = state()
    assert (
        client.post(reverse("assessment_detail", args=[row.pk]), detail_form_data(row, status="pdf")).status_code == 403
    )
    assert client.get(reverse("assessment_row_edit", args=[row.pk]), **HTMX).status_code == 403
    assert (
        client.post(reverse("assessment_row", args=[row.pk]), row_form_data(row, status="pdf"), **HTMX).status_code
        == 403
    )
    assert client.post(reverse("assessment_confirm", args=[row.pk]), {"version": row.version}).status_code == 403
    answer = {f"antwort-{world.question.pk}-answer": "Ja"}
    assert client.post(reverse("question_answer", args=[world.question.pk]), answer).status_code == 403
    assert state() == before


def test_rows_of_a_closed_round_are_refused_to_every_write(client, world):
    client = login(client, world.editor)
    row = world.prev[0]
    before = state()
    assert (
        client.post(reverse("assessment_detail", args=[row.pk]), detail_form_data(row, status="pdf")).status_code == 403
    )
    assert (
        client.post(reverse("assessment_row", args=[row.pk]), row_form_data(row, status="pdf"), **HTMX).status_code
        == 403
    )
    assert client.post(reverse("assessment_confirm", args=[row.pk]), {"version": row.version}).status_code == 403
    bulk = {"auswahl": [f"{row.pk}:{row.version}"], "sammel-scope": "auswahl", "sammel-action": "bestaetigen"}
    assert client.post(reverse("bulk_edit"), bulk).status_code == 403
    question = Question.objects.create(assessment=row, text="Warum analog?", asked_by=world.it_office)
    before = state()
    answer = {f"antwort-{question.pk}-answer": "Darum"}
    assert client.post(reverse("question_answer", args=[question.pk]), answer).status_code == 403
    it = login(client, world.it_office)
    assert it.post(reverse("question_ask", args=[row.pk]), {"text": "Noch offen?"}).status_code == 403
    assert it.post(reverse("question_answer", args=[question.pk]), answer).status_code == 403
    assert state() == before


def test_saving_the_detail_form_writes_and_records_history(client, world):
    row = world.rows[0]
    response = login(client, world.editor).post(
        reverse("assessment_detail", args=[row.pk]),
        detail_form_data(row, status=Status.PDF, maturity_level=world.level[2].pk, comment="Formular online"),
    )
    assert response.status_code == 302 and response["Location"] == reverse("assessment_detail", args=[row.pk])
    row.refresh_from_db()
    assert (row.status, row.maturity_level, row.version, row.confirmed_by) == (
        Status.PDF,
        world.level[2],
        2,
        world.editor,
    )
    change = row.changes.get()
    assert (change.source, change.user, change.comment) == (ChangeSource.PAGE, world.editor, "Formular online")
    assert {f["field"]: (f["old"], f["new"]) for f in change.fields} == {
        "status": ("Analog", "PDF"),
        "maturity_level": ("", str(world.level[2])),
    }
    page = client.get(reverse("assessment_detail", args=[row.pk])).content.decode()
    assert "Detailseite" in page and "Formular online" in page and "Ihre Änderungen wurden gespeichert." in page


def test_a_rule_of_the_model_is_shown_at_its_field_in_german(client, world):
    row = world.rows[0]
    before = state()
    response = login(client, world.editor).post(
        reverse("assessment_detail", args=[row.pk]), detail_form_data(row, status=Status.KEIN_POTENZIAL)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["justification"] == ["„Kein Optimierungspotenzial“ braucht eine Begründung."]
    assert 'aria-invalid="true"' in response.content.decode()
    assert state() == before


def test_a_maturity_level_of_another_scale_is_not_offered_nor_accepted(client, world):
    row = world.rows[0]
    client = login(client, world.editor)
    form = client.get(reverse("assessment_detail", args=[row.pk])).context["form"]
    assert world.foreign_level not in form.fields["maturity_level"].queryset
    before = state()
    response = client.post(
        reverse("assessment_detail", args=[row.pk]), detail_form_data(row, maturity_level=world.foreign_level.pk)
    )
    assert "Bitte eine gültige Auswahl treffen" in " ".join(response.context["form"].errors["maturity_level"])
    assert state() == before


def test_the_second_of_two_concurrent_edits_is_refused_and_shows_the_first(client, django_user_model, world):
    from django.test import Client

    row = world.rows[0]
    first, second = login(Client(), world.editor), login(Client(), world.editor2)
    url = reverse("assessment_detail", args=[row.pk])
    version_seen = first.get(url).context["form"]["version"].value()
    assert second.get(url).context["form"]["version"].value() == version_seen

    first.post(url, detail_form_data(row, status=Status.DIGITAL, version=version_seen))
    response = second.post(
        url, detail_form_data(row, status=Status.PDF, justification="Formular", version=version_seen)
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "Nicht gespeichert" in content
    (line,) = response.context["conflict"].lines()
    assert line.startswith("Editor am ") and "Umsetzungsstatus: „Analog“ → „Digital“" in line
    assert ("Umsetzungsstatus", "Digital") in response.context["conflict_values"]
    form = response.context["form"]
    assert form["status"].value() == Status.PDF and form["justification"].value() == "Formular"
    assert str(form["version"].value()) == "2"
    row.refresh_from_db()
    assert (row.status, row.justification, row.version) == (Status.DIGITAL, "", 2)

    # Saving again, now knowing the other change, is deliberate and works.
    response = second.post(url, detail_form_data(row, status=Status.PDF, justification="Formular", version=2))
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.version) == (Status.PDF, 3)


# --- in place --------------------------------------------------------------------------------------------------------


def test_the_row_edit_form_is_a_labelled_table_row(client, world):
    row = world.rows[0]
    response = login(client, world.editor).get(reverse("assessment_row_edit", args=[row.pk]), **HTMX)
    assert response.status_code == 200
    content = response.content.decode().strip()
    assert content.startswith(f'<tr id="zeile-{row.pk}"')
    assert f'hx-post="/bewertungen/{row.pk}/zeile/"' in content
    for name in ("status", "maturity_level", "justification"):
        assert f'<label class="kern-label" for="id_zeile-{row.pk}-{name}">' in content
    assert f'name="zeile-{row.pk}-version" value="{row.version}"' in content
    assert "autofocus" in content
    assert "<script" not in content


def test_without_htmx_the_row_edit_goes_to_the_detail_page(client, world):
    row = world.rows[0]
    response = login(client, world.editor).get(reverse("assessment_row_edit", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("assessment_detail", args=[row.pk])


def test_saving_a_row_in_place_returns_the_updated_row(client, world):
    row = world.rows[0]
    response = login(client, world.editor).post(
        reverse("assessment_row", args=[row.pk]), row_form_data(row, status=Status.DIGITAL), **HTMX
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert content.strip().startswith(f'<tr id="zeile-{row.pk}"')
    assert '<span class="kern-label">Digital</span>' in content
    assert 'id="zeilen-status" hx-swap-oob="innerHTML"' in content and "Gespeichert: " in content
    row.refresh_from_db()
    assert (row.status, row.version) == (Status.DIGITAL, 2)
    assert row.changes.get().source == ChangeSource.INLINE


def test_a_row_with_a_rule_error_comes_back_as_form_with_the_message(client, world):
    row = world.rows[0]
    before = state()
    response = login(client, world.editor).post(
        reverse("assessment_row", args=[row.pk]), row_form_data(row, status=Status.KEIN_POTENZIAL), **HTMX
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert f'<tr id="zeile-{row.pk}"' in content and "<form" in content
    assert "„Kein Optimierungspotenzial“ braucht eine Begründung." in content
    assert state() == before


def test_a_row_edited_meanwhile_comes_back_with_the_conflict(client, world):
    row = world.rows[0]
    apply_changes(world.editor2, [row.pk], {"status": Status.PDF}, versions={row.pk: 1}, source=ChangeSource.PAGE)
    response = login(client, world.editor).post(
        reverse("assessment_row", args=[row.pk]), row_form_data(row, status=Status.DIGITAL, version=1), **HTMX
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Nicht gespeichert" in content and "Editor2" in content and "„Analog“ → „PDF“" in content
    assert f'name="zeile-{row.pk}-version" value="2"' in content
    assert re.search(r'<option value="digital" selected>', content)
    row.refresh_from_db()
    assert (row.status, row.version) == (Status.PDF, 2)


def test_without_htmx_saving_a_row_redirects_back_to_the_list(client, world):
    row = world.rows[0]
    client = login(client, world.editor)
    data = row_form_data(row, status=Status.PDF)
    data["next"] = "/leistungen/?status=analog"
    response = client.post(reverse("assessment_row", args=[row.pk]), data, follow=True)
    assert response.redirect_chain == [("/leistungen/?status=analog", 302)]
    assert "Gespeichert: " in response.content.decode()
    data = row_form_data(row, status=Status.KEIN_POTENZIAL)
    data["next"] = "https://example.org/"
    response = client.post(reverse("assessment_row", args=[row.pk]), data)
    assert response["Location"] == "/leistungen/"


def test_the_plain_row_is_returned_on_cancel(client, world):
    row = world.rows[0]
    response = login(client, world.editor).get(reverse("assessment_row", args=[row.pk]), **HTMX)
    assert response.content.decode().strip().startswith(f'<tr id="zeile-{row.pk}"')
    assert "autofocus" in response.content.decode()


# --- confirm ---------------------------------------------------------------------------------------------------------


def test_confirming_one_row_in_place(client, world):
    row = world.rows[0]
    response = login(client, world.editor).post(
        reverse("assessment_confirm", args=[row.pk]), {"version": row.version}, **HTMX
    )
    assert response.status_code == 200
    assert "Unverändert bestätigt" in response.content.decode()
    row.refresh_from_db()
    assert row.confirmed_by == world.editor and row.version == 2
    assert row.changes.get().source == ChangeSource.CONFIRM


def test_confirming_a_row_changed_meanwhile_is_refused(client, world):
    row = world.rows[0]
    apply_changes(world.editor2, [row.pk], {"status": Status.PDF}, versions={row.pk: 1})
    before = state()
    client = login(client, world.editor)
    response = client.post(reverse("assessment_confirm", args=[row.pk]), {"version": 1}, **HTMX)
    assert "Nicht bestätigt" in response.content.decode() and "„Analog“ → „PDF“" in response.content.decode()
    response = client.post(reverse("assessment_confirm", args=[row.pk]), {"version": 1}, follow=True)
    assert "Nicht bestätigt" in response.content.decode()
    assert state() == before


# --- bulk ------------------------------------------------------------------------------------------------------------


def selection(*rows):
    return [f"{row.pk}:{row.version}" for row in rows]


def test_bulk_edit_of_the_selected_rows(client, world):
    rows = world.rows[:2]
    response = login(client, world.editor).post(
        reverse("bulk_edit"),
        {
            "auswahl": selection(*rows),
            "sammel-scope": "auswahl",
            "sammel-status": Status.PROJEKT,
            "sammel-maturity_level": world.level[1].pk,
            "sammel-comment": "Projekt gestartet",
            "sammel-action": "setzen",
            "sammel-filter": "status=analog",
        },
        follow=True,
    )
    assert response.redirect_chain == [("/leistungen/?status=analog", 302)]
    assert "2 von 2 Leistungen geändert" in response.content.decode()
    for row in rows:
        row.refresh_from_db()
        assert (row.status, row.maturity_level, row.version) == (Status.PROJEKT, world.level[1], 2)
        change = row.changes.get()
        assert (change.source, change.comment) == (ChangeSource.BULK, "Projekt gestartet")
    assert Assessment.objects.get(pk=world.rows[3].pk).version == 1


def test_bulk_edit_of_all_matching_rows_asks_first_and_counts(client, world):
    client = login(client, world.editor)
    seen_at = timezone.now().isoformat()
    data = {
        "sammel-scope": "alle",
        "sammel-status": Status.PDF,
        "sammel-action": "setzen",
        "sammel-filter": "status=digital",
        "sammel-seen_at": seen_at,
    }
    before = state()
    response = client.post(reverse("bulk_edit"), data)
    assert response.status_code == 200
    assert response.context["phase"] == "confirm" and response.context["n_editable"] == 2
    assert "Ja, 2 Leistungen ändern" in response.content.decode()
    assert state() == before

    response = client.post(reverse("bulk_edit"), {**data, "sammel-confirmed": "1"})
    assert response.status_code == 302 and response["Location"] == "/leistungen/?status=digital"
    assert set(Assessment.objects.filter(round=world.round, status=Status.PDF).values_list("pk", flat=True)) == {
        world.rows[1].pk,
        world.rows[2].pk,
    }


def test_bulk_edit_of_all_matching_rows_changes_only_editable_rows(client, world):
    # The IT office may edit all; a department editor's "all matching" never reaches another department.
    data = {
        "sammel-scope": "alle",
        "sammel-action": "bestaetigen",
        "sammel-filter": "",
        "sammel-seen_at": timezone.now().isoformat(),
        "sammel-confirmed": "1",
    }
    login(client, world.editor).post(reverse("bulk_edit"), data)
    confirmed = set(Assessment.objects.filter(confirmed_by=world.editor).values_list("pk", flat=True))
    assert confirmed == {row.pk for row in world.rows[:4]}
    assert Assessment.objects.get(pk=world.rows[4].pk).confirmed_at is None
    assert Assessment.objects.get(pk=world.foreign_row.pk).confirmed_at is None


def test_bulk_edit_of_all_matching_refuses_rows_changed_after_the_list_was_drawn(client, world):
    seen_at = timezone.now()
    Assessment.objects.filter(pk=world.rows[1].pk).update(updated_at=seen_at + datetime.timedelta(seconds=1))
    before = state()
    response = login(client, world.editor).post(
        reverse("bulk_edit"),
        {
            "sammel-scope": "alle",
            "sammel-status": Status.PDF,
            "sammel-action": "setzen",
            "sammel-filter": "status=digital",
            "sammel-seen_at": seen_at.isoformat(),
            "sammel-confirmed": "1",
        },
    )
    assert response.status_code == 200 and response.context["phase"] == "conflict"
    assert [c.assessment.pk for c in response.context["conflicts"]] == [world.rows[1].pk]
    assert state() == before


def test_bulk_edit_with_a_row_changed_meanwhile_writes_nothing(client, world):
    rows = world.rows[:2]
    stale = selection(*rows)
    apply_changes(world.editor2, [rows[1].pk], {"justification": "neu"}, versions={rows[1].pk: 1})
    before = state()
    response = login(client, world.editor).post(
        reverse("bulk_edit"),
        {"auswahl": stale, "sammel-scope": "auswahl", "sammel-status": Status.PDF, "sammel-action": "setzen"},
    )
    assert response.status_code == 200 and response.context["phase"] == "conflict"
    content = response.content.decode()
    assert f"{key(2)} Leistung Bauantrag" in content and "Begründung: „“ → „neu“" in content
    assert state() == before


def test_bulk_edit_against_the_rules_writes_nothing_and_lists_rows_and_fields(client, world):
    before = state()
    response = login(client, world.editor).post(
        reverse("bulk_edit"),
        {
            "auswahl": selection(*world.rows[:3]),
            "sammel-scope": "auswahl",
            "sammel-status": Status.KEIN_POTENZIAL,
            "sammel-action": "setzen",
        },
    )
    assert response.status_code == 200 and response.context["phase"] == "invalid"
    content = response.content.decode()
    for n in (1, 2, 3):
        assert f"{key(n)} Leistung" in content
    assert "Begründung: „Kein Optimierungspotenzial“ braucht eine Begründung." in content
    assert state() == before

    # With a justification the same bulk edit passes.
    response = login(client, world.editor).post(
        reverse("bulk_edit"),
        {
            "auswahl": selection(*world.rows[:3]),
            "sammel-scope": "auswahl",
            "sammel-status": Status.KEIN_POTENZIAL,
            "sammel-justification": "Nur vor Ort sinnvoll",
            "sammel-action": "setzen",
        },
    )
    assert response.status_code == 302
    assert Assessment.objects.filter(status=Status.KEIN_POTENZIAL).count() == 3


def test_bulk_edit_needs_a_value_and_a_selection(client, world):
    client = login(client, world.editor)
    before = state()
    response = client.post(
        reverse("bulk_edit"),
        {"auswahl": selection(world.rows[0]), "sammel-scope": "auswahl", "sammel-action": "setzen"},
    )
    assert "mindestens einen Wert" in response.content.decode()
    response = client.post(
        reverse("bulk_edit"),
        {"sammel-scope": "auswahl", "sammel-status": "pdf", "sammel-action": "setzen"},
        follow=True,
    )
    assert "mindestens eine Zeile" in response.content.decode()
    assert client.post(reverse("bulk_edit"), {"auswahl": ["x:1"], "sammel-action": "setzen"}).status_code == 400
    assert state() == before


def test_bulk_confirm_of_the_selected_rows(client, world):
    rows = world.rows[:2]
    response = login(client, world.editor).post(
        reverse("bulk_edit"), {"auswahl": selection(*rows), "sammel-scope": "auswahl", "sammel-action": "bestaetigen"}
    )
    assert response.status_code == 302
    for row in rows:
        row.refresh_from_db()
        assert row.confirmed_by == world.editor
        assert row.changes.get().source == ChangeSource.CONFIRM
    assert Assessment.objects.get(pk=world.rows[3].pk).confirmed_at is None


@pytest.mark.parametrize(
    ("persona", "target", "status"),
    [
        ("editor", "other_department", 404),
        ("editor", "other_organisation", 404),
        ("reader", "own_department", 403),
        ("editor", "closed_round", 403),
    ],
)
def test_crafted_bulk_posts_write_nothing(client, world, persona, target, status):
    crafted = {
        "other_department": world.rows[4],
        "other_organisation": world.foreign_row,
        "own_department": world.rows[0],
        "closed_round": world.prev[0],
    }[target]
    before = state()
    response = login(client, getattr(world, persona)).post(
        reverse("bulk_edit"),
        {
            "auswahl": selection(world.rows[0], crafted) if persona == "editor" else selection(crafted),
            "sammel-scope": "auswahl",
            "sammel-status": Status.DIGITAL,
            "sammel-action": "setzen",
        },
    )
    assert response.status_code == status
    assert state() == before


def test_all_matching_with_a_filter_on_another_organisations_round_writes_nothing(client, world):
    before = state()
    response = login(client, world.editor).post(
        reverse("bulk_edit"),
        {
            "sammel-scope": "alle",
            "sammel-action": "bestaetigen",
            "sammel-filter": f"runde={world.foreign_round.pk}",
            "sammel-seen_at": timezone.now().isoformat(),
            "sammel-confirmed": "1",
        },
    )
    assert response.status_code == 302
    assert state() == before


def test_all_matching_in_a_closed_round_writes_nothing(client, world):
    before = state()
    response = login(client, world.editor).post(
        reverse("bulk_edit"),
        {
            "sammel-scope": "alle",
            "sammel-action": "bestaetigen",
            "sammel-filter": f"runde={world.previous_round.pk}",
            "sammel-seen_at": timezone.now().isoformat(),
            "sammel-confirmed": "1",
        },
        follow=True,
    )
    assert "keine Leistung, die Sie bearbeiten dürfen" in response.content.decode()
    assert state() == before


# --- Rückfragen ------------------------------------------------------------------------------------------------------


def test_the_it_office_asks_and_the_department_answers(client, world):
    row = world.rows[0]
    it = login(client, world.it_office)
    response = it.post(reverse("question_ask", args=[row.pk]), {"text": "Gibt es ein Formular?"})
    assert response.status_code == 302 and response["Location"].endswith("#rueckfragen")
    question = Question.objects.get(assessment=row)
    assert (question.asked_by, question.is_open) == (world.it_office, True)

    editor = login(client.__class__(), world.editor)
    assert keys_listed(editor.get(reverse("my_services"), {"rueckfragen": "ja"})) == [key(1), key(2)]
    page = editor.get(reverse("assessment_detail", args=[row.pk])).content.decode()
    assert "Gibt es ein Formular?" in page and f'name="antwort-{question.pk}-answer"' in page
    response = editor.post(
        reverse("question_answer", args=[question.pk]), {f"antwort-{question.pk}-answer": "Ja, als PDF."}
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.answer, question.answered_by, question.is_open) == ("Ja, als PDF.", world.editor, False)

    # A second answer does not overwrite the first.
    editor2 = login(client.__class__(), world.editor2)
    response = editor2.post(
        reverse("question_answer", args=[question.pk]), {f"antwort-{question.pk}-answer": "Nein"}, follow=True
    )
    assert "inzwischen beantwortet" in response.content.decode()
    question.refresh_from_db()
    assert question.answer == "Ja, als PDF."


def test_only_the_it_office_asks(client, world):
    before = state()
    for persona in (world.editor, world.reader):
        response = login(client, persona).post(reverse("question_ask", args=[world.rows[0].pk]), {"text": "Frage"})
        assert response.status_code == 403
    response = login(client, world.foreign_it).post(reverse("question_ask", args=[world.rows[0].pk]), {"text": "F"})
    assert response.status_code == 404
    assert Question.objects.count() == 1 and state() == before


def test_a_question_needs_text_of_at_most_2000_characters(client, world):
    client = login(client, world.it_office)
    url = reverse("question_ask", args=[world.rows[0].pk])
    response = client.post(url, {"text": ""})
    assert response.status_code == 200
    assert response.context["question_form"].errors["text"] == ["Dieses Feld ist zwingend erforderlich."]
    response = client.post(url, {"text": "x" * 2001})
    assert "höchstens 2000 Zeichen" in response.context["question_form"].errors["text"][0]
    assert Question.objects.count() == 1


def test_an_empty_answer_is_refused(client, world):
    question = world.question
    response = login(client, world.editor).post(
        reverse("question_answer", args=[question.pk]), {f"antwort-{question.pk}-answer": "  "}
    )
    assert response.status_code == 200
    question.refresh_from_db()
    assert question.is_open


def test_the_questions_page_lists_open_and_optionally_answered_questions(client, world):
    answered = Question.objects.create(
        assessment=world.rows[0], text="Schon erledigt?", answer="Ja", answered_at=timezone.now()
    )
    Question.objects.create(assessment=world.foreign_row, text="Fremde Frage")
    client = login(client, world.editor)
    response = client.get(reverse("questions"))
    assert records(response) == [world.question]
    response = client.get(reverse("questions"), {"alle": "1"})
    assert set(records(response)) == {world.question, answered}
    assert "Fremde Frage" not in response.content.decode()
    assert records(login(client, world.other_editor).get(reverse("questions"))) == []
