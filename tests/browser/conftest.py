"""Browser tests: Playwright drives Debian's chromium (never a downloaded browser), axe-core comes from node_modules.

Helpers for the tests: login() fills in the German login form, assert_accessible() runs axe-core on the current page
and fails on every violation of impact "serious" or "critical", screenshot() saves the page at a given width to
ARTEFACTS (build/browser/ unless BROWSER_ARTEFACTS says otherwise).
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse database access from it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# Screenshots for a person to look at (never compared by the tests); build/ is not committed.
ARTEFACTS = Path(os.environ.get("BROWSER_ARTEFACTS", Path(__file__).resolve().parents[2] / "build" / "browser"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FAILING_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} fehlt; bitte mit `apt-get install -y chromium` installieren.", pytrace=False)
    from django.db import connections

    originals = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        # Within Playwright's event loop Django hands out new connection objects (asgiref's Local keeps them per
        # context). They must know the serialized reference data of the test database, or serialized_rollback
        # would silently restore nothing after a flush.
        for alias, original in originals.items():
            contents = getattr(original, "_test_serialized_contents", None)
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # Close those connections while still in their context; PostgreSQL cannot drop a test database in use.
        connections.close_all()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies, no session) per test, in German."""
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def other_page(browser):
    """A second browser context with its own cookies: another person at another desk."""
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def signed_in(page, live_server, user, path):
    """Open `path` as `user` with a session made on the server: the login form is tested once, not before every page."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page.goto(f"{live_server.url}{path}")
    page.get_by_role("button", name=f"Abmelden ({user.get_username()})").wait_for()


def count_navigations(page) -> list[str]:
    """Every load of a new document in the main frame from now on (htmx swaps load none)."""
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    return navigations


def tab_to(page, text: str, presses: int = 80) -> dict:
    """Press Tab until the focused element's text is `text` (or `presses` run out); its text and focus outline."""
    focused = {}
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const el = document.activeElement, style = getComputedStyle(el);"
            " return {text: el.textContent.trim().replace(/\\s+/g, ' '), outline: style.outlineStyle,"
            " width: parseFloat(style.outlineWidth)}; }"
        )
        if focused["text"] == text:
            break
    return focused


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/anmelden/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("button", name=f"Abmelden ({username})").wait_for()


def screenshot(page, name: str, width: int) -> Path:
    """The whole page at `width` CSS pixels, saved as ARTEFACTS/<name>-<width>.png."""
    page.set_viewport_size({"width": width, "height": 900})
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# The widths every page is looked at: a laptop and a phone.
WIDTHS = (1280, 390)


def look(page, name: str) -> None:
    """axe, no sideways scrolling, and a screenshot at each of WIDTHS; the window at 1280 px again afterwards."""
    assert_accessible(page)
    for width in WIDTHS:
        screenshot(page, name, width)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def assert_accessible(page):
    """Run axe-core on the page as it is now; fail with a readable list of serious and critical violations."""
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} fehlt; bitte `npm ci` ausführen.", pytrace=False)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not as a <script> tag: the page's Content-Security-Policy forbids
        # inline scripts, and the test must not weaken it.
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    results = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    violations = [v for v in results["violations"] if v["impact"] in FAILING_IMPACTS]
    if violations:
        pytest.fail(f"axe-core meldet auf {page.url}:\n{format_violations(violations)}", pytrace=False)


def format_violations(violations) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:200]}")
            summary = node.get("failureSummary") or ""
            lines.extend(f"      {line}" for line in summary.splitlines() if line.strip())
        if len(violation["nodes"]) > 5:
            lines.append(f"    … und {len(violation['nodes']) - 5} weitere Elemente")
    return "\n".join(lines)
