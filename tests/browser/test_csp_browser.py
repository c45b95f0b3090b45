"""The Content-Security-Policy in a real browser: a script smuggled into the page does not run, while the
application's own htmx still edits a row in place and nothing of ours violates the policy."""

import pytest
from playwright.sync_api import expect

from .test_workspace_browser import control, label, signed_in, world  # noqa: F401 (world is a fixture)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

INJECTED = (
    "<script>window.eingeschleust = 'Skript';</script>"
    '<img alt="" src="/static/css/app.css" onerror="window.eingeschleust = \'Ereignis\'">'
    '<a id="javascript-link" href="javascript:void(window.eingeschleust=\'Link\')">x</a>'
)
WATCH_VIOLATIONS = """
window.verstoesse = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.verstoesse.push(event.effectiveDirective + ' ' + (event.blockedURI || ''));
});
"""


def inject_into_html(route):
    """As if an attacker had managed to put markup into the page unescaped (the case the policy is there for)."""
    response = route.fetch()
    body = response.text()
    if "text/html" in response.headers.get("content-type", "") and "</main>" in body:
        body = body.replace("</main>", INJECTED + "</main>", 1)
    route.fulfill(response=response, body=body)


def test_an_injected_inline_script_is_blocked_while_htmx_still_works(page, live_server, world):  # noqa: F811
    page.add_init_script(WATCH_VIOLATIONS)
    page.route("**/leistungen/**", inject_into_html)
    signed_in(page, live_server, world.editor)
    page.locator("#javascript-link").click()

    assert page.evaluate("() => window.eingeschleust") is None
    violations = page.evaluate("() => window.verstoesse")
    assert any(v.startswith("script-src-elem") for v in violations), violations
    assert any(v.startswith("script-src-attr") for v in violations), violations
    page.unroute("**/leistungen/**")
    page.evaluate("() => { window.verstoesse = []; }")

    # htmx (served from our own origin) swaps the row form in and saves it, without a single violation.
    row = world.rows["Gewerbeanmeldung"]
    tr = page.locator(f"#zeile-{row.pk}")
    tr.get_by_role("link", name=control("Bearbeiten", row)).click()
    form = tr.get_by_role("form", name=f"{label(row)} bearbeiten")
    form.get_by_label("Umsetzungsstatus").select_option(label="Digital")
    form.get_by_role("button", name="Speichern").click()
    expect(page.locator(f"#zeile-{row.pk} .row-feedback[role=status]")).to_have_text(f"Gespeichert: {label(row)}")
    assert page.evaluate("() => window.verstoesse") == []


def test_no_page_of_ours_violates_the_policy(page, live_server, world):  # noqa: F811
    page.add_init_script(WATCH_VIOLATIONS)
    signed_in(page, live_server, world.it_office, path="/")
    for path in ["/", "/leistungen/", "/rueckfragen/", "/kataloge/", "/runden/", "/barrierefreiheit/", "/datenschutz/"]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("() => window.verstoesse") == [], path
