"""The detail page of an assessment (assessment_detail): what it shows, its form, its rules and conflicts.

The world and its personas: workspace_world() in tests/factories.py.
"""

import pytest
from django.urls import reverse

from monitoring.choices import Status
from monitoring.editing import apply_changes
from monitoring.models import ChangeSource
from tests import factories
from tests.factories import leika_key as key
from tests.helpers import detail_form_data, login, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return factories.workspace_world()


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
