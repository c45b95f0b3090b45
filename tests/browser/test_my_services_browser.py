""" "Meine Leistungen" as the clerk of the Ordnungsamt works through it (issue 16, parts 4, 5 and 7): from the start
page's "Weiter" into the unconfirmed rows, three confirmed by selection and the bulk bar, one edited in place with the
feedback at the row. axe-core, no sideways overflow of the table at 1280 px nor of the page at 390 px, screenshots of
each state as artefacts."""

import re

import pytest
from playwright.sync_api import expect

from monitoring.choices import Status
from monitoring.models import Assessment

from .conftest import assert_accessible, screenshot, signed_in
from .test_workday_browser import world  # noqa: F401 (the same Kreis, department and clerk as the start page)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TABLE_OVERFLOW = """() => {
  const table = document.getElementById("leistungen");
  return table.scrollWidth - table.parentElement.clientWidth;
}"""
PAGE_OVERFLOW = "() => document.documentElement.scrollWidth - 390"


def look(page, name):
    """axe, the table within its box at 1280 px, the page within the screen at 390 px, a screenshot at each."""
    assert_accessible(page)
    screenshot(page, name, 1280)
    overflow = page.evaluate(TABLE_OVERFLOW)
    assert overflow <= 0, f"{name}: the table is {overflow} px wider than its box at 1280 px"
    path = screenshot(page, name, 390)
    # The whole page at 390 px is very tall: the first screen of cards as well, to look at.
    page.locator("#leistungen tbody tr").first.scroll_into_view_if_needed()
    page.screenshot(path=str(path.with_name(f"{name}-390-karten.png")))
    overflow = page.evaluate(PAGE_OVERFLOW)
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow} px at 390 px"
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})


def label(row) -> str:
    return f"{row.leika_entry.key} {row.leika_entry.name}"


def test_a_clerk_confirms_rows_by_selection_and_edits_one_in_place(page, live_server, world):  # noqa: F811
    rows = world["rows"]
    signed_in(page, live_server, world["clerk"], "/")
    expect(page.get_by_text("13 % bestätigt")).to_be_visible()
    page.get_by_role("link", name="Weiter, wo ich aufgehört habe").click()
    page.wait_for_url(re.compile(r"/leistungen/\?.*bestaetigt=nein"))

    # The rows come first: the filter panel is closed, the active filters are chips, the progress above the table.
    expect(page.locator("details.filter-panel")).not_to_have_attribute("open", "")
    expect(page.get_by_role("link", name=re.compile(r"Filter bestätigt: nein entfernen"))).to_be_visible()
    expect(page.get_by_text("3 von 24 bestätigt (13 %)")).to_be_visible()
    look(page, "meine-leistungen-weiter")
    first_row_top = page.locator("#leistungen tbody tr").first.bounding_box()["y"]
    assert first_row_top < 900, f"the first row starts at y={first_row_top}, below the first screen"

    # Three rows chosen: the count and the bar appear; the bar confirms them.
    chosen = rows[3:6]
    for row in chosen:
        page.locator(f"#auswahl-{row.pk}").check()
    bar = page.locator("[data-bulk-bar]")
    expect(bar).to_be_visible()
    expect(bar.get_by_role("status")).to_have_text("3 ausgewählt")
    look(page, "meine-leistungen-auswahl")
    bar.get_by_role("button", name="Ausgewählte unverändert bestätigen").click()
    expect(page.get_by_role("status").filter(has_text="unverändert bestätigt")).to_have_text(
        "3 Leistungen unverändert bestätigt."
    )
    confirmed = Assessment.objects.filter(pk__in=[row.pk for row in chosen], confirmed_at__isnull=False)
    assert confirmed.count() == 3
    expect(page.get_by_text("6 von 24 bestätigt (25 %)")).to_be_visible()

    # Select all on the page, then none again.
    select_all = page.get_by_label("Alle Zeilen dieser Seite auswählen")
    select_all.check()
    expect(bar.get_by_role("status")).to_have_text("18 ausgewählt")
    select_all.uncheck()
    expect(bar).to_be_hidden()

    # One row edited in place: the feedback is at the row.
    row = rows[10]
    tr = page.locator(f"#zeile-{row.pk}")
    tr.get_by_role("link", name=re.compile(rf"Bearbeiten\s?: {re.escape(label(row))}")).click()
    form = tr.get_by_role("form", name=f"{label(row)} bearbeiten")
    form.get_by_label("Umsetzungsstatus").select_option(label="Digital")
    form.get_by_role("button", name="Speichern").click()
    feedback = tr.locator(".row-feedback[role=status]")
    expect(feedback).to_have_text(f"Gespeichert: {label(row)}")
    expect(feedback).to_be_in_viewport()
    row.refresh_from_db()
    assert row.status == Status.DIGITAL
    look(page, "meine-leistungen-gespeichert")
