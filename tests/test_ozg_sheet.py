"""An organisation's OZG plans as an Excel sheet: download, edit, upload, preview, apply all or nothing.

The world of tests/factories.py's plan_world(): Musterstadt on the municipal scale 0–5; 10101 Wohngeld (A 12,
umgesetzt, level 3), 10102 Hundesteuer (A 50, kurzfristig 2025-Q1), 10103 Reisepass (no plan record); personas:
editor and reader of A 12, other_editor of A 50, the IT office, and the IT office of the Nachbarkreis.
"""

from unittest import mock

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitoring.choices import PlanState
from monitoring.models import ChangeSource, OzgPlan, OzgPlanChange
from monitoring.planning import apply_plan_changes
from ozg.choices import EfaKind, Land
from ozg.models import EfaOffer
from tests import factories
from tests.helpers import login, sheet_line, xlsx_download, xlsx_upload

pytestmark = pytest.mark.django_db

(OZG_ID, VERSION, NAME, THEMENFELD, STATE, QUARTER, LEVEL, DEPARTMENT, URL, EFA, OVERRIDE, REASON, NOTE) = range(1, 14)


@pytest.fixture
def w():
    return factories.plan_world()


def state():
    rows = OzgPlan.objects.order_by("pk").values_list(
        "pk", "version", "state", "target_quarter", "maturity_level", "responsible_department", "note"
    )
    return list(rows), OzgPlanChange.objects.count()


def download(client, w, query="") -> openpyxl.Workbook:
    return xlsx_download(client, reverse("ozg_plan_sheet", args=[w.org.pk]) + query, "OZG-Planung-Musterstadt.xlsx")


def line_of(sheet, ozg_id: int) -> int:
    return sheet_line(sheet, OZG_ID, ozg_id)


def upload(client, w, workbook, name="OZG-Planung.xlsx"):
    return xlsx_upload(client, reverse("ozg_plan_sheet_upload", args=[w.org.pk]), workbook, name)


def preview_with_notes(client, w, notes: dict[int, str]):
    """The preview of the user's downloaded sheet with the notes of some rows changed."""
    sheet = download(client, w)["OZG-Planung"]
    for ozg_id, note in notes.items():
        sheet.cell(line_of(sheet, ozg_id), NOTE).value = note
    return upload(client, w, sheet.parent)


def apply(client, w, response):
    token = response.context["token"]
    assert token
    return client.post(reverse("ozg_plan_sheet_apply", args=[w.org.pk, token]))


def listed(response) -> set[tuple]:
    return {
        (row.record.ozg_id, change["field"], change["old"], change["new"])
        for row in response.context["plan"].changes
        for change in row.changes
    }


def errors(response) -> list[tuple]:
    return [(e.row, e.field) for e in response.context["plan"].errors]


# --- download ------------------------------------------------------------------------------------------------------


def test_the_sheet_holds_the_rows_of_the_filter_the_user_may_change(client, w):
    workbook = download(login(client, w.people.it_office), w)
    assert workbook.sheetnames == ["OZG-Planung", "Hinweise", "Auswahllisten"]
    sheet = workbook["OZG-Planung"]
    assert [cell.value for cell in sheet[1]][:6] == [
        "OZG-ID",
        "Bearbeitungsstand",
        "OZG-Leistung",
        "Themenfeld",
        "Stand",
        "Zielquartal",
    ]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [row[:3] for row in rows] == [[10101, 1, "Wohngeld"], [10102, 1, "Hundesteuer"], [10103, 0, "Reisepass"]]
    assert rows[0][STATE - 1 : DEPARTMENT] == ["umgesetzt", None, str(w.level[3]), "A 12 Bürgeramt"]
    assert rows[2][STATE - 1] == "nicht geplant"
    assert sheet.column_dimensions["B"].hidden and sheet.protection.sheet
    assert sheet.cell(2, OZG_ID).protection.locked and not sheet.cell(2, NOTE).protection.locked
    validated = {str(v.sqref) for v in sheet.data_validations.dataValidation}
    assert validated == {"E2:E4", "G2:G4", "H2:H4", "K2:K4"}
    notes = {row[0]: row[1] for row in workbook["Hinweise"].iter_rows(min_row=2, values_only=True)}
    assert notes["Organisation"] == "Musterstadt" and "(3 Zeilen)" in notes["Zähleinheit"]

    # The list's filter carries over; a department's editor gets the rows of their department only.
    filtered = download(client, w, "?q=Hund")["OZG-Planung"]
    assert [row[0] for row in filtered.iter_rows(min_row=2, values_only=True)] == [10102]
    own = download(login(client, w.people.editor), w)["OZG-Planung"]
    assert [row[0] for row in own.iter_rows(min_row=2, values_only=True)] == [10101]
    assert [v.formula1 for v in own.data_validations.dataValidation if str(v.sqref) == "H2"] == [
        "Auswahllisten!$C$2:$C$2"  # only the editor's own department to hand the row to
    ]


def test_download_and_upload_cost_the_same_queries_for_3_and_for_13_rows(client, w):
    client = login(client, w.people.it_office)

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as download_queries:
            sheet = download(client, w)["OZG-Planung"]
        for line in range(2, sheet.max_row + 1):
            sheet.cell(line, NOTE).value = "geprüft"
        with CaptureQueriesContext(connection) as upload_queries:
            assert not upload(client, w, sheet.parent).context["plan"].errors
        return len(download_queries), len(upload_queries)

    few = queries()
    for n in range(10):
        leistung = factories.ozg_leistung(10200 + n, f"Leistung {n}")
        offer = EfaOffer.objects.create(
            ozg_leistung=leistung, name=f"Angebot {n}", providing_land=Land.NI, kind=EfaKind.NACHNUTZUNG_VEREINBART
        )
        level = w.level[n % 5]
        factories.ozg_plan(w.org, leistung, maturity_level=level, responsible_department=w.dep, efa_offer=offer)
    assert queries() == few


def test_the_list_links_to_the_sheet_for_those_who_may_change_plans(client, w):
    list_url = reverse("ozg_plans", args=[w.org.pk])
    sheet_url = reverse("ozg_plan_sheet", args=[w.org.pk])
    page = login(client, w.people.editor).get(list_url + "?q=Wohn&seite=1").content.decode()
    assert f"{sheet_url}?q=Wohn" in page and reverse("ozg_plan_sheet_upload", args=[w.org.pk]) in page
    assert sheet_url not in login(client, w.people.reader).get(list_url).content.decode()


# --- the round trip ------------------------------------------------------------------------------------------------


def test_a_round_trip_previews_the_edits_then_applies_them_with_history(client, w):
    offer = EfaOffer.objects.create(
        ozg_leistung=w.own, name="Wohngeld-Digital", providing_land=Land.NI, kind=EfaKind.NACHNUTZUNG_VEREINBART
    )
    apply_plan_changes(w.people.it_office, w.org, [w.other], {"note": '=HYPERLINK("http://x")'})
    client = login(client, w.people.it_office)
    sheet = download(client, w)["OZG-Planung"]
    assert sheet.cell(line_of(sheet, 10102), NOTE).value == '\'=HYPERLINK("http://x")'  # neutralised
    own, federal = line_of(sheet, 10101), line_of(sheet, 10103)
    sheet.cell(own, QUARTER).value = "2026-Q2"
    sheet.cell(own, EFA).value = "Wohngeld-Digital"
    sheet.cell(own, URL).value = "www.example.org/wohngeld"
    sheet.cell(federal, STATE).value = "kurzfristig geplant"
    sheet.cell(federal, DEPARTMENT).value = "A 50"  # the code is accepted as well
    sheet.cell(federal, OVERRIDE).value = "zählt als kommunal"
    sheet.cell(federal, REASON).value = "- Passstelle im Bürgeramt"
    before = state()

    response = upload(client, w, sheet.parent)
    assert response.status_code == 200 and not response.context["plan"].errors
    assert listed(response) == {
        (10101, "target_quarter", "", "2026-Q2"),
        (10101, "efa_offer", "", str(offer)),
        (10101, "online_service_url", "", "https://www.example.org/wohngeld"),
        (10103, "state", "nicht geplant", "kurzfristig geplant"),
        (10103, "responsible_department", "", "A 50 Sozialamt"),
        (10103, "municipal_override", "", "zählt als kommunal"),
        (10103, "municipal_reason", "", "- Passstelle im Bürgeramt"),
    }
    assert response.context["plan"].unchanged == 1  # the neutralised formula-like note round-trips unchanged
    content = response.content.decode()
    assert "Vorschau: OZG-Planung.xlsx" in content and "2 OZG-Leistungen übernehmen" in content
    assert state() == before  # the preview writes nothing

    response = apply(client, w, response)
    assert response.status_code == 302 and response["Location"] == reverse("ozg_plans", args=[w.org.pk])
    assert "2 OZG-Leistungen der OZG-Planung geändert" in client.get(response["Location"]).content.decode()
    w.own_plan.refresh_from_db()
    assert (w.own_plan.version, w.own_plan.target_quarter, w.own_plan.efa_offer) == (2, "2026-Q2", offer)
    created = OzgPlan.objects.get(organisation=w.org, ozg_leistung=w.federal)
    assert (created.state, created.responsible_department, created.municipal_override) == (
        PlanState.KURZFRISTIG,
        w.other_dep,
        True,
    )
    history = OzgPlanChange.objects.filter(source=ChangeSource.SHEET).order_by("plan__ozg_leistung__ozg_id")
    assert [(c.plan.ozg_leistung.ozg_id, c.user, c.comment) for c in history] == [
        (10101, w.people.it_office, "Excel-Tabelle „OZG-Planung.xlsx“"),
        (10103, w.people.it_office, "Excel-Tabelle „OZG-Planung.xlsx“"),
    ]
    assert history[0].get_source_display() == "Excel-Tabelle"
    # The same preview cannot be applied twice.
    assert client.post(reverse("ozg_plan_sheet_apply", args=[w.org.pk, "x"])).status_code == 404


def test_errors_name_row_and_column_and_block_applying(client, w):
    client = login(client, w.people.it_office)
    sheet = download(client, w)["OZG-Planung"]
    own, other, federal = (line_of(sheet, ozg_id) for ozg_id in (10101, 10102, 10103))
    sheet.cell(own, STATE).value = "vielleicht"
    sheet.cell(own, LEVEL).value = "9 – Wunschdenken"
    sheet.cell(other, QUARTER).value = "2026-Q5"
    sheet.cell(other, EFA).value = "Hundesteuer online"
    sheet.cell(federal, OVERRIDE).value = "zählt nicht als kommunal"
    sheet.cell(federal, DEPARTMENT).value = "A 99"
    before = state()

    response = upload(client, w, sheet.parent)
    assert sorted(errors(response)) == sorted(
        [
            (own, "Stand"),
            (own, "Reifegrad"),
            (other, "genutztes EfA-Angebot"),
            (federal, "verantwortliche Einheit"),
        ]
    )
    messages = {(e.row, e.field): e.message for e in response.context["plan"].errors}
    assert messages[(own, "Stand")].startswith("„vielleicht“ ist kein erlaubter Wert. Erlaubt: „umgesetzt“")
    assert messages[(other, "genutztes EfA-Angebot")].endswith("Es gibt keines; bitte leer lassen.")
    assert response.context["token"] is None
    assert "es kann nichts übernommen werden" in response.content.decode()

    # Once the values are allowed, the plan's rules speak: the quarter's form, an override needs its reason.
    sheet.cell(own, STATE).value = "umgesetzt"
    sheet.cell(own, LEVEL).value = None
    sheet.cell(other, EFA).value = None
    sheet.cell(federal, DEPARTMENT).value = None
    response = upload(client, w, sheet.parent)
    assert errors(response) == [(other, "Zielquartal"), (federal, "Begründung der Abweichung")]
    assert "braucht eine Begründung" in response.context["plan"].errors[1].message
    assert str(response.context["plan"].errors[1]).startswith(f"Zeile {federal}, Spalte „Begründung der Abweichung“")
    assert state() == before


# --- someone else changed a row after the download -----------------------------------------------------------------


def test_a_row_changed_after_the_download_names_who_changed_what_and_is_not_overwritten(client, w):
    client = login(client, w.people.it_office)
    sheet = download(client, w)["OZG-Planung"]
    sheet.cell(line_of(sheet, 10101), QUARTER).value = "2027-Q1"
    sheet.cell(line_of(sheet, 10102), NOTE).value = "Satzung fehlt"
    apply_plan_changes(w.people.editor, w.org, [w.own], {"target_quarter": "2026-Q4"}, versions={w.own.pk: 1})

    response = upload(client, w, sheet.parent)
    plan = response.context["plan"]
    assert listed(response) == {(10102, "note", "", "Satzung fehlt")}
    [item] = plan.conflicts
    assert item["conflict"].row == w.own_plan
    assert item["changes"] == [{"field": "target_quarter", "label": "Zielquartal", "old": "2026-Q4", "new": "2027-Q1"}]
    [line] = item["conflict"].lines()
    assert line.startswith("editor am ") and "Zielquartal: „“ → „2026-Q4“" in line
    content = response.content.decode()
    assert "Inzwischen von anderen geändert: werden nicht übernommen" in content
    assert "jetzt gespeichert „2026-Q4“, in Ihrer Tabelle „2027-Q1“" in content

    assert apply(client, w, response).status_code == 302
    w.own_plan.refresh_from_db()
    assert w.own_plan.target_quarter == "2026-Q4"
    assert OzgPlan.objects.get(pk=w.other_plan.pk).note == "Satzung fehlt"


def test_a_change_between_preview_and_apply_refuses_everything(client, w):
    client = login(client, w.people.it_office)
    preview = preview_with_notes(client, w, {10101: "eins", 10102: "zwei"})
    assert len(preview.context["plan"].changes) == 2
    apply_plan_changes(
        w.people.other_editor, w.org, [w.other], {"state": PlanState.UMGESETZT}, versions={w.other.pk: 1}
    )
    before = state()

    response = apply(client, w, preview)
    assert response.status_code == 409
    assert state() == before
    content = response.content.decode()
    assert "Es wurde nichts gespeichert: 1 OZG-Leistung wurde nach der Vorschau von anderen geändert" in content
    assert "10102 Hundesteuer" in content and "other_editor am " in content


def test_a_failure_while_applying_leaves_everything_unchanged(client, w, monkeypatch):
    client = login(client, w.people.it_office)
    preview = preview_with_notes(client, w, dict.fromkeys((10101, 10102, 10103), "geprüft"))
    before = state()
    # The plans are written first, then their history: the failure comes after the first write.
    monkeypatch.setattr(OzgPlanChange.objects, "bulk_create", mock.Mock(side_effect=DatabaseError("Datenträger voll")))
    with pytest.raises(DatabaseError):
        apply(client, w, preview)
    assert state() == before


# --- who may use the sheet -----------------------------------------------------------------------------------------


def test_a_department_editor_changes_only_their_rows_and_gets_one_neutral_answer_for_others(client, w):
    it_sheet = download(login(client, w.people.it_office), w)["OZG-Planung"]
    client = login(client, w.people.editor)
    for ozg_id in (10101, 10102, 10103):
        it_sheet.cell(line_of(it_sheet, ozg_id), NOTE).value = "vom Bürgeramt"
    line = it_sheet.max_row + 1
    it_sheet.cell(line, OZG_ID).value = 99999
    it_sheet.cell(line, VERSION).value = 1
    it_sheet.cell(line, STATE).value = "umgesetzt"
    before = state()

    response = upload(client, w, it_sheet.parent)
    found = [(e.row, e.field, e.message) for e in response.context["plan"].errors]
    assert [row for row, _, _ in found] == [line_of(it_sheet, 10102), line_of(it_sheet, 10103), line]
    for (_, field, message), ozg_id in zip(found, (10102, 10103, 99999), strict=True):
        assert field == "OZG-ID"
        assert message == (
            f"Die OZG-ID {ozg_id} gehört nicht zu den Planungen von Musterstadt, die Sie ändern dürfen; die Zeile "
            "wird nicht übernommen."
        )
    assert "Hundesteuer" not in response.content.decode() and "Sozialamt" not in response.content.decode()
    assert response.context["token"] is None

    # Nor can the editor hand their row to a department they do not edit.
    own = download(client, w)["OZG-Planung"]
    own.cell(2, DEPARTMENT).value = "A 50 Sozialamt"
    assert errors(upload(client, w, own.parent)) == [(2, "verantwortliche Einheit")]
    assert state() == before


@pytest.mark.parametrize(("persona", "expected"), [("reader", 403), ("foreign_it", 404)])
def test_readers_and_other_organisations_are_refused(client, w, persona, expected):
    client = login(client, getattr(w.people, persona))
    before = state()
    assert client.get(reverse("ozg_plan_sheet", args=[w.org.pk])).status_code == expected
    file = SimpleUploadedFile("OZG-Planung.xlsx", b"PK\x03\x04")
    assert client.post(reverse("ozg_plan_sheet_upload", args=[w.org.pk]), {"file": file}).status_code == expected
    assert client.post(reverse("ozg_plan_sheet_apply", args=[w.org.pk, "token"])).status_code == expected
    assert state() == before


def test_anonymous_visitors_are_sent_to_login(client, w):
    for response in (
        client.get(reverse("ozg_plan_sheet", args=[w.org.pk])),
        client.post(reverse("ozg_plan_sheet_upload", args=[w.org.pk])),
    ):
        assert response.status_code == 302 and response["Location"].startswith("/anmelden/")


def test_a_preview_of_another_user_cannot_be_applied(client, w):
    token = preview_with_notes(login(client, w.people.it_office), w, {10101: "x"}).context["token"]
    other = login(client.__class__(), w.people.editor)
    before = state()
    assert other.post(reverse("ozg_plan_sheet_apply", args=[w.org.pk, token])).status_code == 404
    assert state() == before


# --- hostile files -------------------------------------------------------------------------------------------------


def test_a_formula_typed_into_the_sheet_is_refused_with_row_and_column(client, w):
    before = state()
    response = preview_with_notes(login(client, w.people.it_office), w, {10102: "=1+1"})
    assert (response.status_code, response.context.get("token"), state()) == (400, None, before)
    [message] = response.context["failed"]
    assert message.startswith("Zeile 3, Spalte „Anmerkung“: Die Zelle beginnt mit „=“ und sähe in Excel wie")


def test_wrong_and_oversized_files_get_clear_german_errors(client, w):
    client = login(client, w.people.it_office)
    url = reverse("ozg_plan_sheet_upload", args=[w.org.pk])
    response = client.post(url, {"file": SimpleUploadedFile("OZG-Planung.csv", b"a;b\n1;2\n")})
    assert response.status_code == 400
    assert "Bitte die Tabelle als Excel-Arbeitsmappe (.xlsx) hochladen" in response.content.decode()

    response = client.post(url, {"file": SimpleUploadedFile("OZG-Planung.xlsx", b"OZG-ID;Stand\n")})
    assert response.status_code == 400
    assert response.context["failed"] == [
        "Die Datei „OZG-Planung.xlsx“ ist keine Excel-Datei (xlsx). Eine CSV-Datei bitte mit der Endung .csv hochladen."
    ]

    response = client.post(url, {"file": SimpleUploadedFile("OZG-Planung.xlsx", b"PK\x03\x04" + b"0" * 5 * 2**20)})
    assert response.status_code == 400
    assert "erlaubt sind 5 MB" in response.content.decode()

    workbook = download(client, w)
    workbook["OZG-Planung"].delete_cols(STATE)
    response = upload(client, w, workbook)
    assert response.status_code == 400
    assert response.context["failed"][0].startswith("Zeile 1, Spalte „Stand“: Die Pflichtspalte „Stand“ fehlt.")
