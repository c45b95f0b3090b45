"""Exports of "Meine Leistungen" (.xlsx, .csv) and the committee workbook of the dashboard's tables.

Each export is read back (openpyxl, csv, LibreOffice) and compared with what the list page shows for the same filter,
across all its pages.
"""

import csv
import io
import os

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leika.models import LeikaEntry
from monitoring.choices import Status
from monitoring.exports.lists import MY_SERVICES_HEADER as HEADER
from monitoring.exports.workbooks import neutralise, report_workbook, sheet_name
from monitoring.models import Assessment, ITProject
from monitoring.report_tables import DELTA, PERCENT, TEXT, Cell, Method, ReportTable, Row
from tests import factories
from tests.factories import leika_key as key
from tests.helpers import SOFFICE, keys_listed, libreoffice_csv, login

pytestmark = pytest.mark.django_db

KEY_COLUMN = HEADER.index("Leistungsschlüssel")
STATUSES = [Status.ANALOG, Status.PDF, Status.DIGITAL]


@pytest.fixture
def world():
    return factories.workspace_world()


def add_rows(world, count: int, *, start: int = 100, department=None) -> list[Assessment]:
    """`count` more rows in the open round; every third one of each status."""
    entries = LeikaEntry.objects.bulk_create(
        LeikaEntry(version=world.version, key=key(n), name=f"Leistung Nummer {n}", typisierung=["5"])
        for n in range(start, start + count)
    )
    return Assessment.objects.bulk_create(
        Assessment(
            round=world.round,
            leika_entry=entry,
            department=department or world.dep,
            status=STATUSES[n % len(STATUSES)],
            maturity_level=world.level[1 + n % 3],
        )
        for n, entry in enumerate(entries)
    )


def keys_on_all_pages(client, query: dict) -> list[str]:
    """The keys the list page shows for the filter, page by page."""
    keys, page = [], 1
    while True:
        response = client.get(reverse("my_services"), {**query, "seite": page})
        assert response.status_code == 200
        keys += keys_listed(response)
        if not response.context["table"].page.has_next():
            return keys
        page += 1


def workbook_of(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def sheet_rows(workbook) -> list[tuple]:
    return list(workbook["Leistungen"].iter_rows(values_only=True))


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 mit BOM, damit Excel die Umlaute richtig liest"
    assert b"\r\n" in body
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


# --- exactly the rows of the filter --------------------------------------------------------------------------------


def test_the_xlsx_holds_exactly_the_rows_the_filtered_list_shows_on_all_its_pages(client, world):
    add_rows(world, 130)
    login(client, world.editor)
    query = {"runde": world.round.pk, "status": [Status.PDF, Status.DIGITAL]}
    listed = keys_on_all_pages(client, query)
    assert len(listed) > 50, "mehr Treffer als eine Seite"

    response = client.get(reverse("my_services_xlsx"), {**query, "seite": 2, "pro_seite": 25})
    rows = sheet_rows(workbook_of(response))
    assert list(rows[0]) == HEADER
    assert [row[KEY_COLUMN] for row in rows[1:]] == listed
    assert response["Content-Disposition"] == 'attachment; filename="leistungen-2024.xlsx"'


def test_the_csv_holds_exactly_the_rows_the_filtered_list_shows(client, world):
    add_rows(world, 130)
    login(client, world.it_office)
    query = {"q": "Nummer", "status": Status.ANALOG, "bestaetigt": "nein"}
    listed = keys_on_all_pages(client, query)
    assert len(listed) > 40

    response = client.get(reverse("my_services_csv"), query)
    assert response.streaming
    rows = csv_rows(response)
    assert rows[0] == HEADER
    assert [row[KEY_COLUMN] for row in rows[1:]] == listed
    assert response["Content-Disposition"] == 'attachment; filename="leistungen-offene-runden.csv"'


def test_a_row_carries_every_column_with_labels_and_numbers(client, world):
    project = ITProject.objects.create(organisation=world.org, title="Onlinedienst Bauantrag", year=2024)
    Assessment.objects.filter(pk=world.rows[1].pk).update(
        efa_kind="kein_efa", channel="eigenes_portal", online_service_url="https://example.org/bau", it_project=project
    )
    login(client, world.editor)
    rows = sheet_rows(workbook_of(client.get(reverse("my_services_xlsx"), {"q": "Bauantrag"})))
    assert len(rows) == 2
    row = dict(zip(HEADER, rows[1], strict=True))
    assert row["Leistungsschlüssel"] == key(2)
    assert row["Bezeichnung"] == "Leistung Bauantrag"
    assert row["Organisationseinheit"] == "A 12 Bürgeramt"
    assert row["Erhebungsrunde"] == 2024
    assert row["Katalogversion"] == "LeiKa 2024"
    assert row["Status"] == "Digital"
    assert row["Reifegradskala"] == world.scale.name
    assert row["Reifegrad"] == 3 and row["Reifegrad (Bezeichnung)"] == world.level[3].label
    assert row["EfA-Nachnutzung"] == "kein EfA"
    assert row["Kanal"] == "eigenes Serviceportal"
    assert row["Adresse des Onlinedienstes"] == "https://example.org/bau"
    assert row["IT-Projekt"] == "Onlinedienst Bauantrag"
    assert row["bestätigt am"] is None
    assert row["geändert am"].tzinfo is None, "Excel kennt keine Zeitzonen: lokale Uhrzeit"

    text = csv_rows(client.get(reverse("my_services_csv"), {"q": "Bauantrag"}))[1]
    assert text[HEADER.index("Reifegrad")] == "3"
    assert text[HEADER.index("geändert am")] == row["geändert am"].strftime("%d.%m.%Y %H:%M")


def test_the_xlsx_says_how_it_counts_on_a_sheet_method(client, world):
    add_rows(world, 10)
    login(client, world.editor)
    workbook = workbook_of(client.get(reverse("my_services_xlsx"), {"runde": world.round.pk, "status": Status.PDF}))
    assert workbook.sheetnames == ["Leistungen", "Methode"]
    assert workbook.properties.title == "Meine Leistungen"
    notes = {row[0]: row[1] for row in workbook["Methode"].iter_rows(min_row=2, values_only=True)}
    assert notes["Zähleinheit"] == "eine Zeile je Bewertung einer LeiKa-Leistung"
    assert "Erhebungsrunde: Musterstadt 2024" in notes["Umfang"]
    assert "Umsetzungsstatus: PDF" in notes["Umfang"]
    assert notes["Katalogversion"] == "LeiKa 2024"
    assert notes["Reifegradskala"] == world.scale.name
    assert "Uhr" in notes["Stichtag"]
    assert notes["Anzahl Zeilen"] == str(len(sheet_rows(workbook)) - 1)
    sheet = workbook["Leistungen"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])


def test_the_list_page_links_both_exports_with_its_filter(client, world):
    content = login(client, world.editor).get(reverse("my_services"), {"q": "Bau", "seite": "1"}).content.decode()
    assert 'href="/leistungen/export.xlsx?q=Bau"' in content
    assert 'href="/leistungen/export.csv?q=Bau"' in content
    assert "Als Excel herunterladen (.xlsx)" in content and "Als CSV herunterladen" in content


# --- formulas, rights, invalid filters ---------------------------------------------------------------------------


def test_text_that_a_spreadsheet_would_run_is_neutralised_in_both_files(client, world):
    LeikaEntry.objects.filter(pk=world.entries[0].pk).update(name='=HYPERLINK("http://x";"klick")')
    project = ITProject.objects.create(organisation=world.org, title="@SUMME(A1)", year=2024)
    Assessment.objects.filter(pk=world.rows[0].pk).update(justification="+49 241 000", it_project=project)
    Assessment.objects.filter(pk=world.rows[1].pk).update(justification="-1 Stelle")
    login(client, world.editor)

    rows = sheet_rows(workbook_of(client.get(reverse("my_services_xlsx"))))
    by_key = {row[KEY_COLUMN]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    assert by_key[key(1)]["Bezeichnung"] == '\'=HYPERLINK("http://x";"klick")'
    assert by_key[key(1)]["Begründung"] == "'+49 241 000"
    assert by_key[key(1)]["IT-Projekt"] == "'@SUMME(A1)"
    assert by_key[key(2)]["Begründung"] == "'-1 Stelle"

    rows = csv_rows(client.get(reverse("my_services_csv")))
    by_key = {row[KEY_COLUMN]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    assert by_key[key(1)]["Bezeichnung"] == '\'=HYPERLINK("http://x";"klick")'
    assert by_key[key(1)]["Begründung"] == "'+49 241 000"
    assert by_key[key(1)]["IT-Projekt"] == "'@SUMME(A1)"
    assert by_key[key(2)]["Begründung"] == "'-1 Stelle"


def test_it_rejects_other_departments_rows(client, world):
    add_rows(world, 20, department=world.other_dep)
    login(client, world.editor)
    xlsx_keys = {row[KEY_COLUMN] for row in sheet_rows(workbook_of(client.get(reverse("my_services_xlsx"))))[1:]}
    csv_keys = {row[KEY_COLUMN] for row in csv_rows(client.get(reverse("my_services_csv")))[1:]}
    assert xlsx_keys == csv_keys == {key(1), key(2), key(3), key(4)}

    # Asking for the other department by filter does not widen the rows either: it is no valid choice.
    response = client.get(reverse("my_services_csv"), {"einheit": world.other_dep.pk})
    assert response.status_code == 400

    login(client, world.foreign_it)
    csv_keys = [row[KEY_COLUMN] for row in csv_rows(client.get(reverse("my_services_csv")))[1:]]
    assert csv_keys == [world.foreign_row.leika_entry.key]


def test_an_invalid_filter_is_refused_with_a_german_message(client, world):
    login(client, world.editor)
    for url in (reverse("my_services_xlsx"), reverse("my_services_csv")):
        response = client.get(url, {"status": "erfunden"})
        assert response.status_code == 400
        assert "Der Filter ist ungültig" in response.content.decode()
        assert "Umsetzungsstatus" in response.content.decode()


def test_anonymous_visitors_are_sent_to_login(client, world):
    for name in ("my_services_xlsx", "my_services_csv"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/anmelden/")


@pytest.mark.parametrize("name", ["my_services_xlsx", "my_services_csv"])
def test_the_export_costs_the_same_queries_for_10_and_200_rows(client, world, name):
    login(client, world.editor)
    query = {"runde": world.round.pk, "status": [Status.PDF, Status.DIGITAL], "q": "Nummer"}

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse(name), query)
            assert response.status_code == 200
            b"".join(response.streaming_content)
        return len(captured)

    add_rows(world, 15)
    few = queries()
    add_rows(world, 300, start=200)
    assert queries() == few


# --- the committee workbook -------------------------------------------------------------------------------------


def committee_tables() -> list[ReportTable]:
    method = Method(
        counting_unit="LeiKa-Leistungen je Umsetzungsstatus",
        scope="StädteRegion Aachen, alle Organisationseinheiten",
        catalogue="LeiKa 2023 / LeiKa 2024",
        scale="OZG Reifegradmodell 1.1",
        cutoff="28.05.2024",
    )
    status = ReportTable(
        slug="status",
        title="Umsetzungsstatus: wie gemeldet / Vergleich 2023 zu 2024 je Status (Mitteilungsvorlage)",
        header=["Umsetzungsstatus", "2023", "2024", "Veränderung", "Anteil 2024"],
        rows=[
            Row("Analog", [Cell(125), Cell(126), Cell(1, DELTA), Cell(10.6, PERCENT)]),
            Row("PDF", [Cell(218), Cell(428), Cell(210, DELTA), Cell(36.1, PERCENT)]),
            Row("=Digital", [Cell(258), Cell(283), Cell(25, DELTA), Cell(None, PERCENT)]),
            Row("Alle Dienstleistungen", [Cell(835), Cell(1187), Cell(352, DELTA), Cell(100.0, PERCENT)], True),
        ],
        method=method,
    )
    second = ReportTable(
        slug="status-2",
        title="Umsetzungsstatus: wie gemeldet / Vergleich 2023 zu 2024 je Status (Mitteilungsvorlage)",
        header=["Einheit", "Hinweis"],
        rows=[Row("A 12", [Cell("-kein Hinweis", TEXT)])],
        method=method,
    )
    return [status, second]


def test_the_committee_workbook_has_title_method_one_header_row_and_real_numbers():
    workbook = openpyxl.load_workbook(io.BytesIO(report_workbook(committee_tables(), "Bericht an den Ausschuss")))
    assert workbook.properties.title == "Bericht an den Ausschuss"
    assert workbook.properties.creator == "Digitalisierungsmonitor"
    assert len(workbook.sheetnames) == 2 and len(set(name.lower() for name in workbook.sheetnames)) == 2
    assert all(len(name) <= 31 and not set(name) & set("[]:*?/\\") for name in workbook.sheetnames)

    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0].startswith("Umsetzungsstatus: wie gemeldet") and sheet["A1"].font.bold
    assert sheet["A1"].font.size > 11
    assert rows[1][0] == "Zähleinheit: LeiKa-Leistungen je Umsetzungsstatus"
    assert "Stichtag: 28.05.2024" in [row[0] for row in rows]
    header_rows = [
        number
        for number, row in enumerate(sheet.iter_rows(), start=1)
        if row[0].value and all(cell.font.bold and cell.fill.fgColor.rgb.endswith("D9E2F3") for cell in row[:5])
    ]
    assert len(header_rows) == 1
    header = header_rows[0]
    assert rows[header - 2] == (None,) * len(rows[header - 2]), "eine Leerzeile vor der Kopfzeile"
    assert [cell.value for cell in sheet[header]] == ["Umsetzungsstatus", "2023", "2024", "Veränderung", "Anteil 2024"]
    assert not sheet.merged_cells.ranges
    assert sheet.print_title_rows == f"${header}:${header}"
    assert sheet.freeze_panes == f"A{header + 1}"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert "&P" in sheet.oddFooter.right.text

    analog = sheet[header + 1]
    assert analog[1].value == 125 and isinstance(analog[1].value, int) and analog[1].number_format == "#,##0"
    assert analog[3].value == 1 and analog[3].number_format == "+#,##0;-#,##0;0"
    assert analog[4].value == pytest.approx(0.106) and analog[4].number_format == "0.0 %"
    assert sheet[header + 3][0].value == "'=Digital", "Text wird neutralisiert"
    assert sheet[header + 3][4].value is None
    total = sheet[header + 4]
    assert total[0].value == "Alle Dienstleistungen" and all(cell.font.bold for cell in total)
    assert not sheet[header + 1][0].font.bold
    # One font family in title, header and body (a nameless bold font looked different in LibreOffice and Excel).
    assert {cell.font.name for row in sheet.iter_rows() for cell in row if cell.value is not None} == {"Calibri"}
    assert sheet.print_area == f"'{sheet.title}'!$A$1:$E${header + 4}"
    assert sheet.column_dimensions["A"].width >= len("Alle Dienstleistungen")

    assert workbook.worksheets[1]["B" + str(header + 1)].value == "'-kein Hinweis"


def test_sheet_names_are_valid_unique_and_cut_only_between_words():
    taken: set[str] = set()
    assert sheet_name("Status: 2023/2024 [wie gemeldet]", taken) == "Status 2023 2024 wie gemeldet"
    assert sheet_name("status 2023 2024 wie gemeldet", taken) == "status 2023 2024 (2)"
    assert sheet_name("status 2023 2024 wie gemeldet", taken) == "status 2023 2024 (3)"
    assert sheet_name("Eine sehr lange Überschrift einer Tabelle", taken) == "Eine sehr lange Überschrift"
    assert sheet_name("Eine sehr lange Überschrift einer Tabelle", taken) == "Eine sehr lange Überschrift (2)"
    # The committee saw "Vergleich auf gleicher Basi (2)": no word is cut, no name ends on "auf", "→" or "(".
    assert sheet_name("Vergleich auf gleicher Basis 2023 → 2024", taken) == "Vergleich auf gleicher Basis"
    assert sheet_name("Vergleich auf gleicher Basis 2024 → 2025", taken) == "Vergleich auf gleicher (2)"
    assert sheet_name("Katalogeffekte 2023 → 2024 nach Leistungsfamilie", taken) == "Katalogeffekte 2023 → 2024"
    assert (
        sheet_name("Reifegrade der OZG-Leistungen (keine Skala hinterlegt)", taken) == "Reifegrade der OZG-Leistungen"
    )
    assert sheet_name("Donaudampfschifffahrtsgesellschaftskapitänsmütze", taken) == "Donaudampfschifffahrtsgesellsch"
    assert sheet_name("", taken) == "Tabelle"
    assert neutralise("@x") == "'@x" and neutralise(5) == 5


# --- LibreOffice reads the same -------------------------------------------------------------------------------


def test_libreoffice_reads_the_xlsx_as_the_page_and_openpyxl_do(client, world, tmp_path):
    assert os.path.exists(SOFFICE), "LibreOffice fehlt: Debian-Paket libreoffice-calc-nogui (make test installiert es)"
    add_rows(world, 70)
    Assessment.objects.filter(pk=world.rows[0].pk).update(justification="=1+1 Ärger, „Zitat“; Semikolon")
    login(client, world.editor)
    query = {"runde": world.round.pk}
    listed = keys_on_all_pages(client, query)
    response = client.get(reverse("my_services_xlsx"), query)
    body = b"".join(response.streaming_content)
    path = tmp_path / "leistungen.xlsx"
    path.write_bytes(body)

    read = list(openpyxl.load_workbook(io.BytesIO(body))["Leistungen"].iter_rows(values_only=True))
    calc = libreoffice_csv(path, tmp_path)
    assert calc[0] == HEADER
    assert [row[KEY_COLUMN] for row in calc[1:]] == listed
    dates = {HEADER.index("bestätigt am"), HEADER.index("geändert am")}
    for ours, theirs in zip(read[1:], calc[1:], strict=True):
        for index, value in enumerate(ours):
            if index in dates:
                assert bool(theirs[index]) == (value is not None)
            else:
                assert theirs[index] == ("" if value is None else str(value)), (HEADER[index], ours[KEY_COLUMN])
    justification = HEADER.index("Begründung")
    assert calc[1][justification] == "'=1+1 Ärger, „Zitat“; Semikolon"
