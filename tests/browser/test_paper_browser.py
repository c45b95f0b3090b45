"""The IT office of the demo's StädteRegion in a real browser (issue 17): the committee paper in three clicks, printed
by Chromium to an A4 PDF of 2–4 pages with page numbers and no heading apart from its table; the .docx and .xlsx
downloads under their German names; the dashboard and the composer accessible (axe), no table wider than the
content at 1366 px, and screenshots at 1366, 1280 and 390 px in build/browser/ for a person to look at.
"""

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from docx import Document

from monitoring.models import Organisation

from .conftest import assert_accessible, screenshot, signed_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FILE_STEM = "StädteRegion Aachen – Sachstand Digitalisierung 2024"


@pytest.fixture
def it_office():
    """The demo as load_demo builds it, and the StädteRegion's IT office (it.sr)."""
    from monitoring.demo.build import build_demo

    build_demo(log=lambda line: None)
    return get_user_model().objects.get(username="it.sr")


def pdf_page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))


def pdf_pages_text(path: Path) -> list[str]:
    """The text of each page in drawing order without any white space (the gaps between table cells are no
    characters), read by LibreOffice's PDF reader (xpdfimport, beside soffice; the suite needs LibreOffice)."""
    soffice = shutil.which("soffice")
    reader = Path(os.path.realpath(soffice)).parent / "xpdfimport" if soffice else None
    assert reader is not None and reader.exists(), "LibreOffice fehlt: Debian-Paket libreoffice-calc-nogui"
    output = subprocess.run([str(reader), str(path)], capture_output=True, text=True, errors="replace", timeout=60)
    pages: list[list[str]] = []
    for line in output.stdout.splitlines():
        if line.startswith("startPage"):
            pages.append([])
        elif line.startswith("drawChar") and pages:
            parts = line.split(" ", 10)
            pages[-1].append(parts[10] if len(parts) > 10 else " ")
    return [squeezed("".join(chars)) for chars in pages]


def squeezed(text: str) -> str:
    return "".join(text.split())


def tables_overflowing(page) -> list[str]:
    """The tables wider than their box (which then scrolls), and the page itself if it scrolls sideways."""
    return page.evaluate(
        """() => {
          const wide = [...document.querySelectorAll('.report-scroll')]
            .filter(box => box.scrollWidth > box.clientWidth + 1)
            .map(box => box.querySelector('table').dataset.slug);
          if (document.documentElement.scrollWidth > window.innerWidth) wide.push('page');
          return wide;
        }"""
    )


def test_the_it_office_gets_the_committee_paper_in_three_clicks(page, live_server, it_office, tmp_path):
    organisation = Organisation.objects.get(name="StädteRegion Aachen")
    signed_in(page, live_server, it_office, f"/auswertung/{organisation.pk}/")

    page.get_by_role("link", name="Ausschussvorlage", exact=True).click()  # 1
    page.get_by_role("heading", name="Ausschussvorlage: StädteRegion Aachen", level=1).wait_for()
    assert page.get_by_role("checkbox", name="2025 (offen: vorläufige Zahlen)").is_checked() is False
    assert page.get_by_role("checkbox", name="2024 (abgeschlossen)").is_checked()

    with page.expect_download() as docx:  # 2 (Word)
        page.get_by_role("link", name="Entwurf der Mitteilungsvorlage (.docx)").click()
    assert docx.value.suggested_filename == f"{FILE_STEM}.docx"
    document = Document(docx.value.path())
    assert [cell.text for cell in document.tables[0].rows[-1].cells] == ["Alle Dienstleistungen", "835", "1.187"]

    with page.expect_download() as xlsx:  # 2 (Excel)
        page.get_by_role("link", name="Tabellen (.xlsx)").click()
    assert xlsx.value.suggested_filename == f"{FILE_STEM}.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(Path(xlsx.value.path()).read_bytes()))
    assert workbook.sheetnames[0] == "Umsetzungsstatus"

    page.get_by_role("link", name="Druckansicht (PDF)").click()  # 2 (print)
    page.get_by_role("heading", name="Sachstand Digitalisierung 2024", level=1).wait_for()
    assert_accessible(page)
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", path=str(tmp_path / "vorlage.pdf"))
    pages = pdf_page_count(pdf)
    assert 2 <= pages <= 4, f"{pages} Seiten"
    text = pdf_pages_text(tmp_path / "vorlage.pdf")
    assert len(text) == pages
    assert squeezed("Sachstand Digitalisierung 2024") in text[0]
    assert squeezed("Umsetzungsstatus wie gemeldet") in text[0]
    assert squeezed("Alle Dienstleistungen 835 1.187") in text[0], "the key table on page 1"
    for number, content in enumerate(text, start=1):
        assert squeezed(f"Seite {number} von {pages}") in content, "page numbers in the margin"
    # No heading without its table: each section's heading is on the page of its first table's caption.
    for heading, caption in [
        ("Organisationseinheiten 2024", "Organisationseinheiten nach Umsetzungsstatus 2024"),
        ("EfA und IT-Projekte 2024", "Einer für Alle (EfA) 2024"),
        ("Anmerkungen zur Methode", "Wo nicht anders angegeben"),
    ]:
        on = [i for i, content in enumerate(text) if squeezed(heading) in content]
        assert on and squeezed(caption) in text[on[0]], heading


def test_dashboard_and_composer_are_accessible_and_fit_the_screen(page, live_server, it_office):
    organisation = Organisation.objects.get(name="StädteRegion Aachen")
    dashboard = f"/auswertung/{organisation.pk}/"
    signed_in(page, live_server, it_office, dashboard)
    page.set_viewport_size({"width": 1366, "height": 900})

    tiles = page.locator(".key-figure")
    assert tiles.count() == 6
    assert "23,8 %" in tiles.first.inner_text()
    assert page.get_by_role("navigation", name="Inhalt").get_by_role("link").count() >= 6
    assert_accessible(page)
    assert tables_overflowing(page) == [], "no table wider than the content at 1366 px"
    chart = page.get_by_role("img", name="Diagramm: Umsetzungsstatus wie gemeldet")
    legend = page.locator(".chart-legend").first
    assert legend.inner_text().split("\n")[:3] == ["Analog", "Kein Optimierungspotenzial", "PDF"]
    assert chart.locator("rect.chart-bar--status").count() == 15, "five statuses in each of three years"
    for width in (1366, 1280, 390):
        screenshot(page, "auswertung-kennzahlen", width)
        assert "page" not in tables_overflowing(page), width

    page.set_viewport_size({"width": 1366, "height": 900})
    page.locator("summary.report-section__summary").first.click()
    assert not page.get_by_role("table", name="Umsetzungsstatus wie gemeldet").is_visible()
    page.get_by_role("link", name="Zum Jahresvergleich").click()
    assert page.get_by_role("table", name="Umsetzungsstatus wie gemeldet").is_visible(), "the tile opens its section"

    page.goto(f"{live_server.url}{dashboard}vorlage/")
    page.get_by_role("heading", name="Ausschussvorlage: StädteRegion Aachen", level=1).wait_for()
    assert_accessible(page)
    assert tables_overflowing(page) == []
    for width in (1366, 1280, 390):
        screenshot(page, "ausschussvorlage", width)
        assert "page" not in tables_overflowing(page), width
    page.goto(f"{live_server.url}{dashboard}vorlage/druck/")
    screenshot(page, "ausschussvorlage-druck", 1280)
