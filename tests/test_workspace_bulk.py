"""Bulk edit and bulk confirm (bulk_edit) of the selected rows or of all rows the filter matches.

The world and its personas: workspace_world() in tests/factories.py.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.choices import Status
from monitoring.editing import apply_changes
from monitoring.models import Assessment, ChangeSource
from tests import factories
from tests.factories import leika_key as key
from tests.helpers import login, selection, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return factories.workspace_world()


# --- bulk ------------------------------------------------------------------------------------------------------------


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
        ("editor", "closed_round", 302),  # refused by the write path with a message, nothing written
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
