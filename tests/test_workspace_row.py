"""In-place editing of one row of the list (assessment_row, assessment_row_edit) and confirming it unchanged
(assessment_confirm).

The world and its personas: workspace_world() in tests/factories.py.
"""

import re

import pytest
from django.urls import reverse

from monitoring.choices import Status
from monitoring.editing import apply_changes
from monitoring.models import ChangeSource
from tests import factories
from tests.helpers import HTMX, login, row_form_data, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return factories.workspace_world()


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
    # What the save did is said at the row itself, not at the top of the page.
    assert 'class="kern-body row-feedback" role="status">' in content and "Gespeichert: " in content
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
