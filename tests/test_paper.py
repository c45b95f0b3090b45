"""The committee paper of the demo (issue 17): closed rounds by default, the figures of the records in every output
(print view, .docx draft, workbook, also after LibreOffice), German file names, whole-word sheet names, and the
Stadt Aachen's paper from its OZG plans alone, with no empty method field."""

import io
import re
from urllib.parse import quote

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from docx import Document

from monitoring import dashboard as figures
from monitoring.choices import ProjectState, Status
from monitoring.models import Assessment, ITProject, Organisation, SurveyRound
from monitoring.paper import PaperChoice, compose, default_rounds
from monitoring.yoy import compare

from . import factories
from .helpers import libreoffice_csv
from .test_dashboard import page_tables

pytestmark = pytest.mark.django_db

KREIS, STADT = "StädteRegion Aachen", "Stadt Aachen"
FILE_STEM = "StädteRegion Aachen – Sachstand Digitalisierung 2024"
STATUS_ORDER = [Status.ANALOG, Status.KEIN_POTENZIAL, Status.PDF, Status.DIGITAL, Status.PROJEKT]


def organisation(name=KREIS) -> Organisation:
    return Organisation.objects.get(name=name)


def round_of(year) -> SurveyRound:
    return SurveyRound.objects.get(organisation__name=KREIS, year=year)


def recorded(year) -> dict[str, int]:
    """Rows per status of a round, counted straight from the records."""
    rows = Assessment.objects.filter(round=round_of(year)).values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def it_office(name=KREIS) -> Client:
    prefix = "sr" if name == KREIS else "ac"
    client = Client()
    client.force_login(get_user_model().objects.get(username=f"it.{prefix}"))
    return client


def url(name, org=None, query="") -> str:
    return reverse(name, args=[(org or organisation()).pk]) + (f"?{query}" if query else "")


def number(text: str) -> int:
    return int(text.replace(".", ""))


def default_paper():
    org = organisation()
    return compose(org, PaperChoice(rounds=default_rounds(list(figures.rounds_of(org)))))


# --- what the paper holds --------------------------------------------------------------------------------------


@pytest.mark.usefixtures("demo")
def test_the_paper_takes_the_closed_rounds_and_the_committee_table_of_the_records():
    paper = default_paper()
    assert [r.year for r in paper.rounds] == [2023, 2024], "the open round 2025 only when chosen"
    assert not paper.provisional and paper.title == "Sachstand Digitalisierung 2024"
    assert paper.file_stem == FILE_STEM
    status = paper.tables()[0]
    assert status.header == ["Umsetzungsstatus", "2023", "2024"]
    for status_value in STATUS_ORDER:
        row = status.row(Status(status_value).label)
        assert row.values == [recorded(2023)[status_value], recorded(2024)[status_value]]
    assert status.row(figures.ALL_SERVICES).values == [835, 1187]


@pytest.mark.usefixtures("demo")
def test_the_paper_shows_the_dashboards_figures_shortened_not_changed():
    paper = default_paper()
    tables = {table.slug: table for table in paper.tables()}
    org = organisation()
    sections = figures.sections_of(figures.Selection.of(org, [round_of(2023), round_of(2024)], round_of(2024)))
    dashboard = {table.slug: table for table in figures.all_tables(sections)}
    for slug in ("gleiche-basis-2023-2024", "ueberleitung-2023-2024", "einheiten-2024", "ozg-zaehlregel-2024"):
        assert [r.values for r in tables[slug].rows] == [r.values for r in dashboard[slug].rows], slug

    # The five largest families, the others summed, and the sum of all: the bridge's catalogue effects.
    families, full = tables["katalogeffekte-2023-2024"], dashboard["katalogeffekte-2023-2024"]
    assert "Leistungsobjekt" not in families.header
    assert len(families.rows) == 5 + 2
    assert families.rows[-2].label == f"Übrige {len(full.rows) - 5} Leistungsfamilien"
    assert families.rows[-1].values[-1] == sum(r.values[-1] for r in full.rows) == 1187 - 835
    assert sum(r.values[-1] for r in families.rows[:-1]) == families.rows[-1].values[-1]
    assert families.rows[0].label == "Aufenthaltserlaubnis"

    # Projects by department and state: 197 in all, the same per state as the project table by state.
    projects = tables["projekte-einheiten-2024"]
    total = projects.rows[-1]
    assert total.values[len(ProjectState)] == 197 == ITProject.objects.filter(organisation=org, year=2024).count()
    by_state = dashboard["projekte-2024"]
    assert total.values[: len(ProjectState)] == [r.values[0] for r in by_state.rows if not r.is_total]


@pytest.mark.usefixtures("demo")
def test_the_text_of_the_main_developments_is_made_of_the_records():
    paper = default_paper()
    text = " ".join(paper.text)
    comparison = compare(round_of(2023), round_of(2024))
    before, after = comparison.like_for_like_earlier, comparison.like_for_like_later
    d = Status.DIGITAL.value
    change = round(100 * (after[d] / comparison.followed - before[d] / comparison.followed), 1)
    assert change > 0
    assert f"stieg der Anteil digitaler Leistungen um {change:.1f}".replace(".", ",") + " Prozentpunkte" in text
    assert "1.187 Verwaltungsleistungen erfasst (2023: 835)" in text
    assert "Aufenthaltserlaubnis (+175) und Jagdschein (+95)" in text  # 6 → 181 and 7 → 102 LeiKa entries
    assert "A 62 Kataster- und Vermessungsamt" in text
    assert "197 IT-Projekte" in text


@pytest.mark.usefixtures("demo")
def test_an_open_round_comes_in_only_when_chosen_and_is_marked_provisional():
    org = organisation()
    paper = compose(org, PaperChoice(rounds=[round_of(2024), round_of(2025)]))
    assert paper.provisional and paper.title == "Sachstand Digitalisierung 2025 (vorläufig)"
    assert paper.tables()[0].header == ["Umsetzungsstatus", "2024", "2025 (vorläufig)"]
    assert any("Runde 2025 sind vorläufig" in sentence for sentence in paper.text)
    html = it_office().get(url("dashboard_paper", query=f"runden={round_of(2025).pk}&abschnitte=status")).content
    assert "Vorläufige Zahlen" in html.decode()


# --- the composer and its outputs --------------------------------------------------------------------------------


@pytest.mark.usefixtures("demo")
def test_the_composer_opens_with_the_closed_rounds_and_offers_print_docx_and_xlsx():
    response = it_office().get(url("dashboard_paper"))
    assert response.status_code == 200
    html = response.content.decode()
    checked = set(re.findall(r'name="runden" id="[^"]+" value="(\d+)" checked', html))
    assert checked == {str(round_of(2023).pk), str(round_of(2024).pk)}
    for name in ("dashboard_paper_print", "dashboard_paper_docx", "dashboard_paper_xlsx"):
        assert f'href="{url(name)}"' in html
    assert page_tables(html)["status"][-1] == ["Alle Dienstleistungen", "835", "1.187"]
    # A link that names only the rounds keeps the other defaults: every section, five families, projects summed.
    linked = it_office().get(url("dashboard_paper", query=f"runden={round_of(2024).pk}")).content.decode()
    assert {"status", "einheiten-2024", "projekte-einheiten-2024"} <= set(page_tables(linked))
    printed = it_office().get(url("dashboard_paper_print")).content.decode()
    assert "Hauptnavigation" not in printed and "<form" not in printed
    assert list(page_tables(printed)) == list(page_tables(html))


@pytest.mark.usefixtures("demo")
def test_the_docx_draft_holds_heading_text_status_table_and_method_note():
    response = it_office().get(url("dashboard_paper_docx"))
    assert response.status_code == 200
    assert f"filename*=utf-8''{quote(FILE_STEM + '.docx')}" in response["Content-Disposition"]
    document = Document(io.BytesIO(response.content))
    paragraphs = [p.text for p in document.paragraphs]
    assert f"{KREIS}: Sachstand Digitalisierung 2024" in paragraphs
    assert any("Prozentpunkte" in p for p in paragraphs) and "Methodische Hinweise" in paragraphs
    notes = " ".join(paragraphs[paragraphs.index("Methodische Hinweise") :])
    for part in ("Für alle Tabellen: ", "Zähleinheit: ", "Katalogversion: ", "Reifegradskala: ", "Stichtag: "):
        assert part in notes, part
    assert notes.count("Katalogversion: ") == 1, "what the notes share is said once"
    status = document.tables[0]
    rows = [[cell.text for cell in row.cells] for row in status.rows]
    assert rows[0] == ["Umsetzungsstatus", "2023", "2024"]
    for status_value, row in zip(STATUS_ORDER, rows[1:], strict=False):
        assert row[0] == Status(status_value).label
        assert [number(row[1]), number(row[2])] == [recorded(2023)[status_value], recorded(2024)[status_value]]
    assert rows[-1] == ["Alle Dienstleistungen", "835", "1.187"]
    header = status.rows[0]._tr.trPr
    assert header is not None and header.find("{*}tblHeader") is not None, "the header row repeats on every page"


@pytest.mark.usefixtures("demo")
def test_the_workbook_has_a_german_name_whole_word_sheet_names_and_the_records(tmp_path):
    response = it_office().get(url("dashboard_paper_xlsx"))
    disposition = response["Content-Disposition"]
    assert f"filename*=utf-8''{quote(FILE_STEM + '.xlsx')}" in disposition
    assert 'filename="StaedteRegion Aachen - Sachstand Digitalisierung 2024.xlsx"' in disposition
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    tables = default_paper().tables()
    assert len(workbook.sheetnames) == len(tables) == len({name.lower() for name in workbook.sheetnames})
    for name, table in zip(workbook.sheetnames, tables, strict=True):
        assert len(name) <= 31
        source = table.sheet or table.title
        assert source == name or source.startswith(name + " "), (name, source)
    for sheet in workbook.worksheets:
        fonts = {cell.font.name for row in sheet.iter_rows() for cell in row if cell.value is not None}
        assert fonts == {"Calibri"}, sheet.title
        assert sheet.print_area and sheet.print_title_rows, sheet.title

    path = tmp_path / "vorlage.xlsx"
    path.write_bytes(response.content)
    rows = libreoffice_csv(path, tmp_path)
    header = rows.index(["Umsetzungsstatus", "2023", "2024"])
    # Numbers as LibreOffice stores them; a thousands separator, where its locale writes one, is dropped.
    read = [[label, *(int(re.sub(r"[.,]", "", value)) for value in values)] for label, *values in rows[header + 1 :]]
    expected = [[Status(s).label, recorded(2023)[s], recorded(2024)[s]] for s in STATUS_ORDER]
    assert read == [*expected, ["Alle Dienstleistungen", 835, 1187]]


@pytest.mark.usefixtures("demo")
def test_the_dashboards_workbook_has_a_german_name_too():
    response = it_office().get(url("dashboard_xlsx"))
    name = f"{KREIS} – Auswertung Digitalisierung 2023–2025.xlsx"
    assert f"filename*=utf-8''{quote(name)}" in response["Content-Disposition"]


@pytest.mark.usefixtures("demo")
def test_the_paper_is_for_members_of_the_organisation_only():
    stranger = Client()
    stranger.force_login(factories.person("fremd"))
    for name in ("dashboard_paper", "dashboard_paper_print", "dashboard_paper_docx", "dashboard_paper_xlsx"):
        assert stranger.get(url(name)).status_code == 404, name
    assert it_office(STADT).get(url("dashboard_paper")).status_code == 404


@pytest.mark.usefixtures("demo")
def test_a_choice_that_is_not_valid_is_shown_with_its_error_not_printed():
    client = it_office()
    response = client.get(url("dashboard_paper_docx", query="familien=-1&projekte=zusammenfassung"))
    assert response.status_code == 400
    assert "kern-form-input--error" in response.content.decode() or "kern-error" in response.content.decode()


# --- the Stadt Aachen: OZG plans, no survey rounds ---------------------------------------------------------------


@pytest.mark.usefixtures("demo")
def test_the_stadt_aachen_gets_its_ozg_paper_and_dashboard_with_complete_method_notes():
    org = organisation(STADT)
    client = it_office(STADT)
    paper = compose(org, PaperChoice(rounds=[]))
    assert [block.slug for block in paper.blocks] == ["ozg"]
    quotas = paper.tables()[0]
    assert quotas.column("Anzahl")[:5] == [575, 209, 73, 22, 15]
    assert "mit allen geplanten 110 (52,6 %)" in " ".join(paper.text)
    assert [reason for reason, _ in paper.missing] == ["keine Erhebungsrunde gewählt"]
    for table in paper.tables():
        assert all(value.strip() for _, value in table.method.lines), table.slug

    html = client.get(url("dashboard", org)).content.decode()
    assert "Noch keine Erhebungsrunde" in html and 'name="runden"' not in html
    assert "OZG-Quote laut eigener Planung" in html and "34,9 %" in html
    for table in figures.all_tables(figures.sections_of(figures.default_selection(org))):
        assert all(value.strip() for _, value in table.method.lines), table.slug
    assert client.get(url("dashboard_paper", org)).status_code == 200
    draft = Document(io.BytesIO(client.get(url("dashboard_paper_docx", org)).content))
    assert [cell.text for cell in draft.tables[0].rows[2].cells] == ["davon kommunal", "209", "–"]
    response = client.get(url("dashboard_paper_xlsx", org))
    year = paper.year
    assert f"{quote(f'{STADT} – Sachstand Digitalisierung {year}.xlsx')}" in response["Content-Disposition"]
