"""The accessibility check itself: it fails, and says why, when a page has serious violations."""

import pytest

from .conftest import assert_accessible

BAD_PAGE = """<!DOCTYPE html><html lang="de"><head><title>Schlecht</title></head><body><main>
<h1>Schlecht</h1><img src="data:,"><p style="color:#c8c8c8;background:#fff">kaum lesbar</p>
<input type="text"></main></body></html>"""

GOOD_PAGE = """<!DOCTYPE html><html lang="de"><head><title>Gut</title></head><body><main>
<h1>Gut</h1><img src="data:," alt="Logo"><p>gut lesbar</p>
<label for="feld">Feld</label><input id="feld" type="text"></main></body></html>"""


def test_it_fails_on_serious_violations_and_lists_them(page):
    page.set_content(BAD_PAGE)
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_accessible(page)
    message = str(failure.value)
    for rule in ("image-alt", "color-contrast", "label"):
        assert rule in message


def test_it_passes_a_clean_page(page):
    page.set_content(GOOD_PAGE)
    assert_accessible(page)
