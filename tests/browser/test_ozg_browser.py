"""The OZG planning workspace in a real browser: the IT office edits a row in place with the keyboard, a conflict from
two browser contexts, axe-core on every page of the workspace, and each page at 1280 and 390 pixels without sideways
scrolling and with its primary action in sight (screenshots in build/browser/ for a person to look at).
"""

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from monitoring.choices import PlanState
from monitoring.models import ChangeSource, OzgPlan, OzgPlanChange
from ozg.choices import Zustaendigkeit

from .. import factories
from .conftest import assert_accessible, count_navigations, screenshot, signed_in, tab_to

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WIDTHS = (1280, 390)

# (OZG-ID, name, Themenfeld, planned by department "A"/"B" or None for no plan record, state)
LEISTUNGEN = [
    (10101, "Wohngeld", "Bauen & Wohnen", "A", PlanState.UMGESETZT),
    (10102, "Hundesteuer", "Steuern & Zoll", "B", PlanState.KURZFRISTIG),
    (10103, "Erteilung einer Erlaubnis zum Betrieb einer Spielhalle oder eines ähnlichen Unternehmens",
     "Steuern & Zoll", "A", PlanState.LANGFRISTIG),
    (10104, "Bewohnerparkausweis", "Mobilität & Reisen", None, None),
    (10105, "Anmeldung eines Gewerbes (Gewerbeanzeige) einschließlich Ummeldung und Abmeldung", "Bauen & Wohnen",
     "B", PlanState.NICHT_GEPLANT),
    (10106, "Reisepass", "Mobilität & Reisen", None, None),
]  # fmt: skip


@pytest.fixture
def world(settings):
    """Musterstadt on the municipal scale with two departments, six OZG-Leistungen (four planned), two IT-office
    people."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    scale = factories.scale("kommunal-0-5")
    levels = factories.levels(scale)
    organisation = factories.organisation("Musterstadt", maturity_scale=scale)
    departments = {
        "A": factories.department(organisation, "A 32", "Ordnungsamt"),
        "B": factories.department(organisation, "A 50", "Sozialamt"),
    }
    leistungen, plans = {}, {}
    for ozg_id, name, themenfeld, department, state in LEISTUNGEN:
        zustaendigkeit = Zustaendigkeit.BUND if name == "Reisepass" else Zustaendigkeit.KOMMUNE
        leistungen[ozg_id] = factories.ozg_leistung(ozg_id, name, themenfeld=themenfeld, zustaendigkeit=zustaendigkeit)
        if department:
            plans[ozg_id] = factories.ozg_plan(
                organisation,
                leistungen[ozg_id],
                state=state,
                responsible_department=departments[department],
                maturity_level=levels[3] if state == PlanState.UMGESETZT else None,
                target_quarter="2026-Q2" if state == PlanState.KURZFRISTIG else "",
            )
    return SimpleNamespace(
        organisation=organisation,
        departments=departments,
        leistungen=leistungen,
        plans=plans,
        it_office=factories.it_office(organisation, "i.steuer", first_name="Iris", last_name="Steuer"),
        it_office2=factories.it_office(organisation, "k.planer", first_name="Karl", last_name="Planer"),
    )


def list_path(world) -> str:
    return f"/ozg/{world.organisation.pk}/"


def label(world, ozg_id) -> str:
    return f"{ozg_id} {world.leistungen[ozg_id].name}"


def edit_link(page, world, ozg_id):
    # Chromium may add a space before the colon: the visually hidden part is positioned absolutely.
    return page.locator(f"#ozg-{ozg_id}").get_by_role(
        "link", name=re.compile(rf"^Bearbeiten ?: {re.escape(label(world, ozg_id))}$")
    )


def row_form(page, world, ozg_id):
    return page.get_by_role("form", name=f"{label(world, ozg_id)} bearbeiten")


# The outermost elements that reach beyond the window's right edge, to name the culprit in a failure.
WIDER_THAN_WINDOW = """() => [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
        && el.parentElement.getBoundingClientRect().right <= window.innerWidth + 1)
    .slice(0, 5).map(el => `${el.tagName.toLowerCase()}.${el.className}#${el.id}`)"""


def assert_fits(page, primary, name: str):
    """At each width: a screenshot, no sideways scrolling of the page, and the primary action wholly in sight (not
    cut off by the window or by a scrolling container around it)."""
    for width in WIDTHS:
        screenshot(page, name, width)
        page.wait_for_timeout(50)  # the layout settles after the resize
        sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert sizes[0] <= sizes[1], f"{name} at {width} px scrolls sideways: {sizes[0]} > {sizes[1]}, " + str(
            page.evaluate(WIDER_THAN_WINDOW)
        )
        primary.scroll_into_view_if_needed()
        visible = primary.evaluate(
            """el => { const r = el.getBoundingClientRect();
                if (r.left < 0 || r.right > window.innerWidth) return false;
                return [[r.left + 2, r.top + 2], [r.right - 2, r.bottom - 2]].every(
                    ([x, y]) => el.contains(document.elementFromPoint(x, y))); }"""
        )
        assert visible, f"{name} at {width} px: the primary action is cut off"
    page.set_viewport_size({"width": 1280, "height": 900})


# --- in place, by keyboard -------------------------------------------------------------------------------------------


def test_the_it_office_edits_a_row_in_place_with_the_keyboard(page, live_server, world):
    ozg_id = 10104  # no plan record yet: the first edit creates it
    signed_in(page, live_server, world.it_office, list_path(world))
    name = f"Bearbeiten: {label(world, ozg_id)}"

    focused = tab_to(page, name, presses=120)
    assert focused["text"] == name, "the edit control is in the tab order"
    assert focused["outline"] != "none" and focused["width"] >= 2, f"the focus is visible: {focused}"

    navigations = count_navigations(page)
    page.keyboard.press("Enter")
    form = row_form(page, world, ozg_id)
    form.wait_for()
    state = form.get_by_label("Stand")
    expect(state).to_be_focused()
    state.select_option(label="kurzfristig geplant")
    form.get_by_label("Zielquartal").fill("2026-Q4")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == "Speichern":
            break
    page.keyboard.press("Enter")

    expect(page.locator("#zeilen-status")).to_have_text(f"Gespeichert: {label(world, ozg_id)}")
    row = page.locator(f"#ozg-{ozg_id}")
    expect(row).to_contain_text("kurzfristig geplant")
    expect(row).to_contain_text("2026-Q4")
    expect(edit_link(page, world, ozg_id)).to_be_focused()
    assert navigations == [], "htmx swapped the row; the page was not reloaded"

    plan = OzgPlan.objects.get(organisation=world.organisation, ozg_leistung=world.leistungen[ozg_id])
    assert (plan.state, plan.target_quarter, plan.version) == (PlanState.KURZFRISTIG, "2026-Q4", 1)
    change = plan.changes.get()
    assert (change.user, change.source) == (world.it_office, ChangeSource.INLINE)


# --- no lost update --------------------------------------------------------------------------------------------------


def test_the_second_of_two_in_place_edits_gets_a_conflict_naming_the_first(page, other_page, live_server, world):
    ozg_id = 10102
    plan = world.plans[ozg_id]
    signed_in(page, live_server, world.it_office, list_path(world))
    signed_in(other_page, live_server, world.it_office2, list_path(world))
    for p in (page, other_page):
        edit_link(p, world, ozg_id).click()
        row_form(p, world, ozg_id).wait_for()

    first = row_form(page, world, ozg_id)
    first.get_by_label("Stand").select_option(label="umgesetzt")
    first.get_by_role("button", name="Speichern").click()
    expect(page.locator("#zeilen-status")).to_have_text(f"Gespeichert: {label(world, ozg_id)}")

    second = row_form(other_page, world, ozg_id)
    second.get_by_label("Zielquartal").fill("2027-Q1")
    second.get_by_role("button", name="Speichern").click()
    conflict = other_page.locator("#konflikt")
    expect(conflict).to_contain_text("Nicht gespeichert: jemand anderes hat diese Planung geändert")
    expect(conflict).to_contain_text("Iris Steuer am")
    expect(conflict).to_contain_text("(Bearbeitung in der Liste): Stand: „kurzfristig geplant“ → „umgesetzt“")
    expect(conflict).to_contain_text("Stand: „umgesetzt“")
    second = row_form(other_page, world, ozg_id)
    assert second.get_by_label("Zielquartal").input_value() == "2027-Q1", "the input is kept"
    assert_accessible(other_page)
    assert_fits(other_page, second.get_by_role("button", name="Speichern"), "ozg-konflikt")

    plan.refresh_from_db()
    assert (plan.state, plan.target_quarter, plan.version) == (PlanState.UMGESETZT, "2026-Q2", 2)
    assert list(OzgPlanChange.objects.filter(plan=plan).values_list("user", flat=True)) == [world.it_office.pk]

    # Saving again, having read the message, writes what the second person sees in the form, as the message says;
    # the history keeps both changes, each under its author's name.
    second.get_by_role("button", name="Speichern").click()
    expect(other_page.locator("#zeilen-status")).to_have_text(f"Gespeichert: {label(world, ozg_id)}")
    plan.refresh_from_db()
    assert (plan.state, plan.target_quarter, plan.version) == (PlanState.KURZFRISTIG, "2027-Q1", 3)
    authors = OzgPlanChange.objects.filter(plan=plan).order_by("version").values_list("user", flat=True)
    assert list(authors) == [world.it_office.pk, world.it_office2.pk]


# --- accessibility and layout ----------------------------------------------------------------------------------------


def test_the_list_plain_and_filtered_is_accessible_and_fits_both_widths(page, live_server, world):
    signed_in(page, live_server, world.it_office, list_path(world))
    expect(page.locator("#ozg-planung tbody th[scope=row]")).to_have_count(len(LEISTUNGEN))
    assert_accessible(page)
    assert_fits(page, page.get_by_role("button", name="Filter anwenden"), "ozg-liste")

    page.goto(f"{live_server.url}{list_path(world)}?q=e&kommunal=ja&stand=nicht_geplant&stand=langfristig")
    expect(page.locator("#ozg-planung tbody th[scope=row]")).to_have_text(["10103", "10104", "10105"])
    expect(page.get_by_role("link", name="Filter zurücksetzen")).to_be_visible()
    assert_accessible(page)
    assert_fits(page, page.get_by_role("button", name="Filter anwenden"), "ozg-liste-gefiltert")


def test_a_row_in_edit_mode_and_the_bulk_form_are_accessible_and_fit_both_widths(page, live_server, world):
    ozg_id = 10105
    signed_in(page, live_server, world.it_office, list_path(world))
    edit_link(page, world, ozg_id).click()
    form = row_form(page, world, ozg_id)
    form.wait_for()
    assert_accessible(page)
    assert_fits(page, form.get_by_role("button", name="Speichern"), "ozg-zeile-bearbeiten")

    page.goto(f"{live_server.url}{list_path(world)}")
    page.get_by_label(f"{label(world, 10101)} auswählen").check()
    page.get_by_label(f"{label(world, 10103)} auswählen").check()
    page.locator("summary", has_text="Sammelbearbeitung").click()
    bulk = page.locator("#sammelformular")
    bulk.get_by_label("Zielquartal").fill("2027-Q3")
    assert_accessible(page)
    assert_fits(page, bulk.get_by_role("button", name="Werte setzen"), "ozg-sammelbearbeitung")

    bulk.get_by_role("button", name="Werte setzen").click()
    expect(page.get_by_role("status").filter(has_text="Sammelbearbeitung gespeichert")).to_contain_text("2 von 2")
    quarters = dict(
        OzgPlan.objects.filter(organisation=world.organisation).values_list("ozg_leistung__ozg_id", "target_quarter")
    )
    assert (quarters[10101], quarters[10103], quarters[10102]) == ("2027-Q3", "2027-Q3", "2026-Q2")


def test_the_detail_page_is_accessible_and_fits_both_widths(page, live_server, world):
    ozg_id = 10103
    signed_in(page, live_server, world.it_office, f"{list_path(world)}{ozg_id}/")
    page.get_by_label("Zielquartal").fill("2028-Q1")
    page.get_by_role("button", name="Speichern").click()
    page.get_by_role("status").filter(has_text="Ihre Änderungen wurden gespeichert.").wait_for()
    expect(page.locator("#historie")).to_contain_text("Zielquartal: „–“ → „2028-Q1“")
    assert_accessible(page)
    assert_fits(page, page.get_by_role("button", name="Speichern"), "ozg-detail")
