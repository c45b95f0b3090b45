"""The dashboard in the browser: accessible (axe), charts with text, a number leads to the list behind it, print."""

import re

import pytest

from monitoring import dashboard as figures

from .. import factories
from ..test_carry_over import world  # noqa: F401 (fixture)
from .conftest import assert_accessible, count_navigations, login

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

USERNAME, PASSWORD = "it.muster", "ein-langes-Kennwort-1"


@pytest.fixture
def it_office(world):  # noqa: F811
    factories.it_office(world["org"], USERNAME, password=PASSWORD)
    return world


def test_dashboard_is_accessible_and_its_numbers_lead_to_the_list(page, live_server, it_office):
    login(page, live_server, USERNAME, PASSWORD)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Auswertung").click()
    page.get_by_role("heading", name="Auswertung: Kreis Muster", level=1).wait_for()
    chart = page.get_by_role("img", name="Diagramm: Umsetzungsstatus wie gemeldet")
    assert chart.is_visible()
    assert "PDF 2023" in chart.inner_html() and ">4<" in chart.inner_html()
    page.get_by_text("Katalogeffekte nach Leistungsfamilie").click()
    assert page.get_by_role("table", name="Katalogeffekte 2023 → 2024 nach Leistungsfamilie").is_visible()
    assert_accessible(page)

    departments = page.get_by_role("table", name="Organisationseinheiten nach Umsetzungsstatus 2023")
    departments.get_by_role("row", name="A 32 Ordnungsamt").get_by_role("link", name="4").first.click()
    page.get_by_role("heading", name="Meine Leistungen", level=1).wait_for()
    assert "4 Leistungen, die zum Filter passen" in page.locator(".kern-subline").inner_text()


def test_a_long_table_loads_in_place_by_keyboard_and_takes_the_focus(page, live_server, it_office, monkeypatch):
    monkeypatch.setattr(figures, "LONG_TABLE_ROWS", 2)  # the world's six families count as a long table
    login(page, live_server, USERNAME, PASSWORD)
    page.goto(f"{live_server.url}/auswertung/{it_office['org'].pk}/")
    navigations = count_navigations(page)
    link = page.get_by_role("link", name=re.compile("^Alle 6 Leistungsfamilien anzeigen"))
    link.focus()
    page.keyboard.press("Enter")
    table = page.get_by_role("table", name="Katalogeffekte 2023 → 2024 nach Leistungsfamilie")
    table.wait_for()
    assert navigations == [], "loaded in place, not by opening the page of its own"
    assert table.get_by_role("row").count() == 7
    focused = page.evaluate("() => document.activeElement.getAttribute('aria-labelledby')")
    assert focused == "caption-katalogeffekte-2023-2024", "the focus moves to the table that replaced the link"
    assert link.count() == 0
    assert_accessible(page)


def test_print_view_is_accessible_and_fits_a_landscape_page(page, live_server, it_office):
    login(page, live_server, USERNAME, PASSWORD)
    page.goto(f"{live_server.url}/auswertung/{it_office['org'].pk}/druck/")
    page.get_by_role("heading", level=1).wait_for()
    assert_accessible(page)
    page.emulate_media(media="print")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], "nothing sticks out sideways in print"
    pdf = page.pdf(format="A4", landscape=True)
    assert pdf.startswith(b"%PDF")
