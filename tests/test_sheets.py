"""A department's Excel sheet for the open round: download, edit, upload, preview, apply.

The world of tests/factories.py's workspace_world(): the Bürgeramt (A 12) has four rows in the open round 2024
and three in the closed round 2023, the Sozialamt (A 50) one; personas: editor and editor2 of A 12, a reader of
A 12, an editor of A 50, the IT office, and the IT office of another organisation.
"""

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.urls import reverse

from monitoring.choices import Status
from monitoring.editing import apply_changes
from monitoring.models import Assessment, AssessmentChange, ChangeSource
from tests import factories
from tests.helpers import login, sheet_line, state, xlsx_download, xlsx_upload

pytestmark = pytest.mark.django_db

ID, VERSION, KEY, NAME, STATUS, LEVEL, EFA, CHANNEL, URL, PROJECT, JUSTIFICATION, CONFIRMED = range(1, 13)


@pytest.fixture
def world():
    return factories.workspace_world()


def download_url(world, round_obj=None, department=None):
    return reverse("department_sheet_download", args=[(department or world.dep).pk, (round_obj or world.round).pk])


def upload_url(world, round_obj=None, department=None):
    return reverse("department_sheet_upload", args=[(department or world.dep).pk, (round_obj or world.round).pk])


def download(client, world) -> openpyxl.Workbook:
    return xlsx_download(client, download_url(world), "Leistungen-A-12-2024.xlsx")


def line_of(sheet, key: str) -> int:
    return sheet_line(sheet, KEY, key)


def upload(client, world, workbook, name="Leistungen.xlsx"):
    return xlsx_upload(client, upload_url(world), workbook, name)


def listed_changes(response) -> set[tuple]:
    return {
        (row.record.leika_entry.key, change["field"], change["old"], change["new"])
        for row in response.context["plan"].changes
        for change in row.changes
    }


def apply(client, world, response):
    token = response.context["token"]
    assert token
    return client.post(reverse("department_sheet_apply", args=[world.dep.pk, world.round.pk, token]))


# --- download ------------------------------------------------------------------------------------------------------


def test_the_sheet_has_one_row_per_assessment_of_the_department_and_round(client, world):
    workbook = download(login(client, world.editor), world)
    assert workbook.sheetnames == ["Leistungen", "Hinweise", "Auswahllisten"]
    sheet = workbook["Leistungen"]
    assert [cell.value for cell in sheet[1]] == [
        "Bewertungs-ID",
        "Bearbeitungsstand",
        "Leistungsschlüssel",
        "Bezeichnung",
        "Umsetzungsstatus",
        "Reifegrad",
        "EfA-Nachnutzung",
        "Kanal des Onlineangebots",
        "Adresse des Onlinedienstes",
        "IT-Projekt",
        "Begründung",
        "bestätigt",
    ]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [row[CONFIRMED - 1] for row in rows] == ["nein", "nein", "ja", "nein"]
    assert [row[:3] for row in rows] == [[r.pk, r.version, r.leika_entry.key] for r in world.rows[:4]]
    assert rows[1][STATUS - 1 : LEVEL] == ["Digital", str(world.level[3])]
    assert not sheet.merged_cells.ranges
    assert sheet.column_dimensions["A"].hidden and sheet.column_dimensions["B"].hidden
    assert sheet.protection.sheet
    assert sheet.cell(2, ID).protection.locked and sheet.cell(2, KEY).protection.locked
    assert not sheet.cell(2, STATUS).protection.locked and not sheet.cell(2, JUSTIFICATION).protection.locked
    validated = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert validated["E2:E5"] == "Auswahllisten!$A$2:$A$7"
    assert set(validated) == {"E2:E5", "F2:F5", "G2:G5", "H2:H5", "L2:L5"}  # no IT projects in this organisation
    assert not sheet.cell(2, CONFIRMED).protection.locked
    lists = workbook["Auswahllisten"]
    assert lists.sheet_state == "hidden"
    assert [lists.cell(r, 1).value for r in range(2, 8)] == [label for _, label in Status.choices]
    assert workbook.properties.title == "Leistungen A 12 Bürgeramt – Erhebungsrunde 2024"


def test_the_notes_sheet_explains_the_sheet_and_its_method(client, world):
    notes = download(login(client, world.editor), world)["Hinweise"]
    facts = {row[0]: row[1] for row in notes.iter_rows(min_row=2, values_only=True)}
    assert facts["Organisationseinheit"] == "A 12 Bürgeramt"
    assert facts["Erhebungsrunde"] == "2024"
    assert facts["Katalogversion"] == "LeiKa 2024"
    assert facts["Reifegradskala"].startswith(str(world.scale)) and str(world.level[7]) in facts["Reifegradskala"]
    assert facts["Heruntergeladen am"]
    assert "4 Zeilen" in facts["Zähleinheit"]
    assert "Bearbeitungsstand" in facts["Nicht ändern"]


# --- the round trip ------------------------------------------------------------------------------------------------


def test_a_sheet_round_trip_previews_exactly_the_edits_then_applies_them_with_history(client, world):
    client = login(client, world.editor)
    workbook = download(client, world)
    sheet = workbook["Leistungen"]
    first, second, third, fourth = (line_of(sheet, r.leika_entry.key) for r in world.rows[:4])
    sheet.cell(first, STATUS).value = "PDF"
    sheet.cell(first, JUSTIFICATION).value = "- vorläufig, Rückfrage an @Team"
    sheet.cell(fourth, LEVEL).value = str(world.level[2])
    sheet.cell(third, LEVEL).value = "9 – Wunschdenken"
    before = state()

    response = upload(client, world, workbook)
    assert response.status_code == 200
    plan = response.context["plan"]
    assert listed_changes(response) == {
        (world.rows[0].leika_entry.key, "status", "Analog", "PDF"),
        (world.rows[0].leika_entry.key, "justification", "", "- vorläufig, Rückfrage an @Team"),
        (world.rows[3].leika_entry.key, "maturity_level", "", str(world.level[2])),
    }
    assert [(e.row, e.field) for e in plan.errors] == [(third, "Reifegrad")]
    assert "„9 – Wunschdenken“ ist kein Reifegrad" in plan.errors[0].message
    assert f"Zeile {third}, Spalte „Reifegrad“" in str(plan.errors[0])
    assert response.context["token"] is None  # an error blocks applying
    content = response.content.decode()
    assert "es kann nichts übernommen werden" in content and "übernehmen</span>" not in content
    assert state() == before

    sheet.cell(third, LEVEL).value = str(world.level[3])
    response = upload(client, world, workbook)
    assert not response.context["plan"].errors
    assert len(listed_changes(response)) == 4
    assert state() == before  # the preview writes nothing

    response = apply(client, world, response)
    assert response.status_code == 302 and response["Location"] == reverse("department_sheet", args=[world.dep.pk])
    page = client.get(response["Location"]).content.decode()
    assert "3 Leistungen von A 12 in der Erhebungsrunde 2024 geändert" in page
    assert f"?einheit={world.dep.pk}&amp;runde={world.round.pk}" in page  # the link to the list

    rows = {row.pk: row for row in Assessment.objects.filter(pk__in=[r.pk for r in world.rows])}
    assert rows[world.rows[0].pk].status == Status.PDF
    assert rows[world.rows[0].pk].justification == "- vorläufig, Rückfrage an @Team"
    assert rows[world.rows[2].pk].maturity_level == world.level[3]
    assert rows[world.rows[3].pk].maturity_level == world.level[2]
    assert rows[world.rows[1].pk].version == world.rows[1].version  # untouched
    history = AssessmentChange.objects.filter(source=ChangeSource.SHEET).order_by("assessment_id")
    assert [(c.assessment_id, c.user, c.version) for c in history] == [
        (world.rows[n].pk, world.editor, world.rows[n].version + 1) for n in (0, 2, 3)
    ]
    assert {f["field"] for f in history[0].fields} == {"status", "justification"}
    assert history[0].comment == "Excel-Tabelle „Leistungen.xlsx“"
    assert rows[world.rows[0].pk].confirmed_by == world.editor

    # The same preview cannot be applied twice.
    assert client.post(reverse("department_sheet_apply", args=[world.dep.pk, world.round.pk, "x"])).status_code == 404


def test_formula_like_text_is_neutralised_in_the_download_and_round_trips_unchanged(client, world):
    texts = ['=HYPERLINK("http://x")', "+49 241 123", "-5 Tage", "@Team", "'=schon mit Apostroph", "''"]
    for row, text in zip(world.rows[:4], texts, strict=False):
        apply_changes(world.it_office, [row.pk], {"justification": text})
    apply_changes(world.it_office, [world.rows[3].pk], {"online_service_url": "https://example.org/-antrag"})
    client = login(client, world.editor)
    workbook = download(client, world)
    sheet = workbook["Leistungen"]
    cells = [sheet.cell(line_of(sheet, r.leika_entry.key), JUSTIFICATION).value for r in world.rows[:4]]
    assert cells == ['\'=HYPERLINK("http://x")', "'+49 241 123", "'-5 Tage", "'@Team"]
    # Our apostrophe before a text that begins with an apostrophe and a trigger is doubled, so it survives.
    apply_changes(world.it_office, [world.rows[0].pk], {"justification": texts[4]})
    sheet = download(client, world)["Leistungen"]
    assert sheet.cell(line_of(sheet, world.rows[0].leika_entry.key), JUSTIFICATION).value == "''=schon mit Apostroph"

    response = upload(client, world, sheet.parent)
    plan = response.context["plan"]
    assert (plan.changes, plan.errors, plan.unchanged) == ([], [], 4)
    assert "keine Änderungen" in response.content.decode()


def test_a_formula_typed_into_the_sheet_is_refused_with_row_and_column(client, world):
    client = login(client, world.editor)
    workbook = download(client, world)
    sheet = workbook["Leistungen"]
    line = line_of(sheet, world.rows[1].leika_entry.key)
    sheet.cell(line, JUSTIFICATION).value = "=1+1"
    before = state()
    response = upload(client, world, workbook)
    assert response.status_code == 400
    assert response.context["failed"] == [
        f"Zeile {line}, Spalte „Begründung“: Die Zelle beginnt mit „=“ und sähe in Excel wie eine Formel aus; "
        "bitte als Text ohne führendes „=“ liefern."
    ]
    assert state() == before


def test_rule_errors_are_shown_at_their_row_and_column(client, world):
    client = login(client, world.editor)
    workbook = download(client, world)
    sheet = workbook["Leistungen"]
    line = line_of(sheet, world.rows[0].leika_entry.key)
    sheet.cell(line, STATUS).value = "Kein Optimierungspotenzial"
    sheet.cell(line, URL).value = "kein link"
    sheet.cell(line_of(sheet, world.rows[1].leika_entry.key), STATUS).value = None
    response = upload(client, world, workbook)
    errors = [(e.row, e.field, e.message) for e in response.context["plan"].errors]
    assert (line, "Adresse des Onlinedienstes", "Bitte eine gültige Adresse eingeben.") in errors
    assert any(
        row == line_of(sheet, world.rows[1].leika_entry.key) and field == "Umsetzungsstatus" for row, field, _ in errors
    )
    sheet.cell(line, URL).value = "www.example.org/antrag"  # without scheme: taken as https, like the form
    sheet.cell(line_of(sheet, world.rows[1].leika_entry.key), STATUS).value = "digital"  # codes and case are accepted
    response = upload(client, world, workbook)
    assert [(e.row, e.field) for e in response.context["plan"].errors] == [(line, "Begründung")]
    assert "braucht eine Begründung" in response.context["plan"].errors[0].message


# --- confirming unchanged rows in the sheet (issue 16) -------------------------------------------------------------


def mark_confirmed(sheet, rows, value="ja"):
    for row in rows:
        sheet.cell(line_of(sheet, row.leika_entry.key), CONFIRMED).value = value


def test_rows_marked_confirmed_are_confirmed_unchanged_with_history_from_the_sheet(client, world):
    client = login(client, world.editor)
    workbook = download(client, world)
    sheet = workbook["Leistungen"]
    unconfirmed = [world.rows[0], world.rows[1], world.rows[3]]
    mark_confirmed(sheet, [*unconfirmed, world.rows[2]])  # row 2 is confirmed already: nothing to do there
    response = upload(client, world, workbook, "Bürgeramt.xlsx")
    plan = response.context["plan"]
    assert [row.record.pk for row in plan.confirmations] == [row.pk for row in unconfirmed]
    assert (plan.changes, plan.errors, plan.unchanged) == ([], [], 1)
    content = response.content.decode()
    assert "Unverändert zu bestätigen: 3 Leistungen mit „ja“ in der Spalte „bestätigt“" in content
    for row in unconfirmed:
        assert f'<td class="kern-table__cell">{row.leika_entry.key}</td>' in content
    assert "3 Leistungen übernehmen" in content
    before = {row.pk: (row.status, row.maturity_level_id, row.version) for row in unconfirmed}

    applied = apply(client, world, response)
    assert applied.status_code == 302
    page = client.get(applied["Location"]).content.decode()
    assert "0 Leistungen von A 12 in der Erhebungsrunde 2024 geändert, 3 unverändert bestätigt." in page
    for row in Assessment.objects.filter(pk__in=before):
        status, level, version = before[row.pk]
        assert (row.status, row.maturity_level_id, row.version) == (status, level, version + 1)
        assert row.confirmed_at is not None and row.confirmed_by == world.editor
    history = AssessmentChange.objects.filter(assessment__in=unconfirmed)
    assert sorted(change.assessment_id for change in history) == sorted(before)
    assert {(change.source, change.user_id, change.comment) for change in history} == {
        (ChangeSource.SHEET, world.editor.pk, "Excel-Tabelle „Bürgeramt.xlsx“")
    }
    assert all(change.fields == [] for change in history)
    sheet = download(client, world)["Leistungen"]
    assert [sheet.cell(line, CONFIRMED).value for line in range(2, 6)] == ["ja"] * 4


def test_changes_and_confirmations_are_applied_together(client, world):
    client = login(client, world.editor)
    workbook = download(client, world)
    sheet = workbook["Leistungen"]
    mark_confirmed(sheet, [world.rows[0]])
    sheet.cell(line_of(sheet, world.rows[3].leika_entry.key), STATUS).value = "PDF"  # "nein", but saving confirms
    response = upload(client, world, workbook)
    plan = response.context["plan"]
    assert [row.record.pk for row in plan.confirmations] == [world.rows[0].pk]
    assert listed_changes(response) == {(world.rows[3].leika_entry.key, "status", "nicht gemeldet", "PDF")}
    assert apply(client, world, response).status_code == 302
    confirmed = dict(Assessment.objects.filter(pk__in=[r.pk for r in world.rows]).values_list("pk", "confirmed_at"))
    assert confirmed[world.rows[0].pk] and confirmed[world.rows[3].pk] and not confirmed[world.rows[1].pk]
    sources = dict(AssessmentChange.objects.values_list("assessment", "source"))
    assert sources == {world.rows[0].pk: ChangeSource.SHEET, world.rows[3].pk: ChangeSource.SHEET}


def test_a_row_marked_confirmed_that_someone_changed_after_the_download_is_not_confirmed(client, world):
    client = login(client, world.editor)
    workbook = download(client, world)
    mark_confirmed(workbook["Leistungen"], [world.rows[0], world.rows[1]])
    apply_changes(world.editor2, [world.rows[0].pk], {"status": Status.PDF}, confirmation="clear")
    plan = upload(client, world, workbook).context["plan"]
    assert [row.record.pk for row in plan.confirmations] == [world.rows[1].pk]
    assert plan.changed_meanwhile == 1


def test_no_and_empty_confirm_nothing_and_other_values_are_errors(client, world):
    client = login(client, world.editor)
    workbook = download(client, world)
    sheet = workbook["Leistungen"]
    mark_confirmed(sheet, [world.rows[0]], "nein")
    mark_confirmed(sheet, [world.rows[1]], None)
    mark_confirmed(sheet, [world.rows[2]], "nein")  # confirmed already: "nein" takes nothing back
    mark_confirmed(sheet, [world.rows[3]], "vielleicht")
    plan = upload(client, world, workbook).context["plan"]
    assert plan.confirmations == []
    [error] = plan.errors
    assert (error.row, error.field) == (line_of(sheet, world.rows[3].leika_entry.key), "bestätigt")
    assert error.message == "„vielleicht“ ist kein erlaubter Wert. Erlaubt: „ja“, „nein“."


def test_a_sheet_downloaded_before_the_column_existed_still_uploads(client, world):
    client = login(client, world.editor)
    workbook = download(client, world)
    sheet = workbook["Leistungen"]
    sheet.protection.sheet = False
    sheet.delete_cols(CONFIRMED)
    sheet.cell(line_of(sheet, world.rows[3].leika_entry.key), STATUS).value = "PDF"
    plan = upload(client, world, workbook).context["plan"]
    assert (len(plan.changes), plan.confirmations, plan.errors) == (1, [], [])


# --- someone else changed a row after the download -----------------------------------------------------------------


def test_a_row_changed_after_the_download_is_shown_and_not_overwritten(client, world):
    client = login(client, world.editor)
    workbook = download(client, world)
    sheet = workbook["Leistungen"]
    sheet.cell(line_of(sheet, world.rows[0].leika_entry.key), STATUS).value = "Digital"
    sheet.cell(line_of(sheet, world.rows[3].leika_entry.key), STATUS).value = "PDF"
    # Editor2 changes row 0 (which the sheet also changes) and row 2 (which the sheet leaves as it was).
    apply_changes(world.editor2, [world.rows[0].pk], {"status": Status.PROJEKT}, versions={world.rows[0].pk: 1})
    apply_changes(world.editor2, [world.rows[2].pk], {"status": Status.PDF}, versions={world.rows[2].pk: 1})

    response = upload(client, world, workbook)
    plan = response.context["plan"]
    assert listed_changes(response) == {(world.rows[3].leika_entry.key, "status", "nicht gemeldet", "PDF")}
    [item] = plan.conflicts
    assert item["conflict"].assessment.pk == world.rows[0].pk
    assert item["changes"] == [
        {"field": "status", "label": "Umsetzungsstatus", "old": "Projekt in Umsetzung", "new": "Digital"}
    ]
    [line] = item["conflict"].lines()
    assert line.startswith("Editor2 am ") and "„Analog“ → „Projekt in Umsetzung“" in line
    content = response.content.decode()
    assert "Inzwischen von anderen geändert: werden nicht übernommen" in content
    assert "jetzt gespeichert „Projekt in Umsetzung“, in Ihrer Tabelle „Digital“" in content
    # Row 2 still holds its old value in the sheet; it was not edited there, so editor2's change simply stays.
    assert plan.changed_meanwhile == 1
    assert "in Ihrer Tabelle unverändert (bleiben wie gespeichert)" in content

    assert apply(client, world, response).status_code == 302
    statuses = dict(Assessment.objects.filter(pk__in=[r.pk for r in world.rows]).values_list("pk", "status"))
    assert statuses[world.rows[0].pk] == Status.PROJEKT
    assert statuses[world.rows[2].pk] == Status.PDF
    assert statuses[world.rows[3].pk] == Status.PDF


def test_a_conflict_between_preview_and_apply_writes_nothing(client, world):
    client = login(client, world.editor)
    workbook = download(client, world)
    sheet = workbook["Leistungen"]
    sheet.cell(line_of(sheet, world.rows[0].leika_entry.key), STATUS).value = "PDF"
    sheet.cell(line_of(sheet, world.rows[3].leika_entry.key), STATUS).value = "PDF"
    preview = upload(client, world, workbook)
    assert len(preview.context["plan"].changes) == 2
    apply_changes(world.editor2, [world.rows[3].pk], {"status": Status.DIGITAL}, versions={world.rows[3].pk: 1})
    before = state()

    response = apply(client, world, preview)
    assert response.status_code == 409
    assert state() == before
    content = response.content.decode()
    assert "Es wurde nichts gespeichert" in content and world.rows[3].leika_entry.key in content


def test_a_failure_while_applying_leaves_everything_unchanged(client, world, monkeypatch):
    client = login(client, world.editor)
    workbook = download(client, world)
    sheet = workbook["Leistungen"]
    for row in world.rows[:4]:
        sheet.cell(line_of(sheet, row.leika_entry.key), STATUS).value = "PDF"
    preview = upload(client, world, workbook)
    before = state()

    def fail(*args, **kwargs):
        raise DatabaseError("Datenträger voll")

    # The rows are updated first, then the history is written: the failure comes after the first write.
    monkeypatch.setattr(AssessmentChange.objects, "bulk_create", fail)
    with pytest.raises(DatabaseError):
        apply(client, world, preview)
    assert state() == before


# --- who may use which sheet ---------------------------------------------------------------------------------------


def test_rows_of_other_departments_rounds_and_unknown_ids_are_refused(client, world):
    client = login(client, world.editor)
    workbook = download(client, world)
    sheet = workbook["Leistungen"]
    strangers = [world.rows[4], world.foreign_row, world.prev[0]]
    for row in strangers:
        line = sheet.max_row + 1
        sheet.cell(line, ID).value = row.pk
        sheet.cell(line, VERSION).value = row.version
        sheet.cell(line, KEY).value = row.leika_entry.key
        sheet.cell(line, STATUS).value = "Digital"
    sheet.cell(sheet.max_row + 1, ID).value = 999999
    sheet.cell(sheet.max_row, VERSION).value = 1
    sheet.cell(sheet.max_row, KEY).value = "99001001001000"
    sheet.cell(sheet.max_row, STATUS).value = "PDF"
    sheet.cell(line_of(sheet, world.rows[0].leika_entry.key), STATUS).value = "PDF"
    before = state()

    response = upload(client, world, workbook)
    plan = response.context["plan"]
    messages = [(e.row, e.field, e.message) for e in plan.errors]
    assert [row for row, _, _ in messages] == [6, 7, 8, 9]
    assert all(field == "Bewertungs-ID" for _, field, _ in messages)
    # One neutral answer for a foreign and an unknown ID: nothing about where a row lives, nor whether it exists.
    for (_, _, message), pk in zip(messages, [*(row.pk for row in strangers), 999999], strict=True):
        assert message == (
            f"Die Bewertungs-ID {pk} gehört nicht zur Tabelle von A 12 in der Runde 2024; die Zeile wird nicht "
            "übernommen."
        )
    page = response.content.decode()
    assert "A 50" not in page and "Nachbarkreis" not in page and "2023" not in page
    assert response.context["token"] is None
    assert state() == before


@pytest.mark.parametrize("persona, expected", [("reader", 403), ("other_editor", 404), ("foreign_it", 404)])
def test_users_who_may_not_edit_the_department_are_refused(client, world, persona, expected):
    client = login(client, getattr(world, persona))
    before = state()
    assert client.get(download_url(world)).status_code == expected
    assert client.get(reverse("department_sheet", args=[world.dep.pk])).status_code == expected
    file = SimpleUploadedFile("Leistungen.xlsx", b"PK\x03\x04")
    assert client.post(upload_url(world), {"file": file}).status_code == expected
    apply_url = reverse("department_sheet_apply", args=[world.dep.pk, world.round.pk, "token"])
    assert client.post(apply_url).status_code == expected
    assert state() == before


def test_a_closed_round_and_a_round_of_another_organisation_are_refused(client, world):
    client = login(client, world.editor)
    assert client.get(download_url(world, world.previous_round)).status_code == 403
    file = SimpleUploadedFile("Leistungen.xlsx", b"PK\x03\x04")
    assert client.post(upload_url(world, world.previous_round), {"file": file}).status_code == 403
    assert client.get(download_url(world, world.foreign_round)).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, world):
    for response in (
        client.get(reverse("department_sheets")),
        client.get(download_url(world)),
        client.post(upload_url(world)),
    ):
        assert response.status_code == 302 and response["Location"].startswith("/anmelden/")


def test_a_preview_of_another_user_cannot_be_applied(client, world):
    editor = login(client, world.editor)
    workbook = download(editor, world)
    sheet = workbook["Leistungen"]
    sheet.cell(line_of(sheet, world.rows[0].leika_entry.key), STATUS).value = "PDF"
    token = upload(editor, world, workbook).context["token"]
    other = login(client.__class__(), world.editor2)
    before = state()
    assert other.post(reverse("department_sheet_apply", args=[world.dep.pk, world.round.pk, token])).status_code == 404
    assert state() == before


# --- wrong files ---------------------------------------------------------------------------------------------------


def test_wrong_files_get_clear_german_errors(client, world):
    client = login(client, world.editor)
    response = client.post(upload_url(world), {"file": SimpleUploadedFile("Leistungen.csv", b"a;b\n1;2\n")})
    assert response.status_code == 400
    assert "Bitte die Tabelle als Excel-Arbeitsmappe (.xlsx) hochladen" in response.content.decode()

    response = client.post(upload_url(world), {"file": SimpleUploadedFile("Leistungen.xlsx", b"Schluessel;Name\n")})
    assert response.status_code == 400
    assert response.context["failed"] == [
        "Die Datei „Leistungen.xlsx“ ist keine Excel-Datei (xlsx). Eine CSV-Datei bitte mit der Endung .csv hochladen."
    ]

    workbook = download(client, world)
    workbook["Leistungen"].delete_cols(STATUS)
    response = upload(client, world, workbook)
    assert response.status_code == 400
    [message] = response.context["failed"]
    assert message.startswith("Zeile 1, Spalte „Umsetzungsstatus“: Die Pflichtspalte „Umsetzungsstatus“ fehlt.")


# --- entry points --------------------------------------------------------------------------------------------------


def test_the_sheet_page_lists_the_editable_departments_with_their_open_round(client, world):
    content = login(client, world.editor).get(reverse("department_sheets")).content.decode()
    assert "A 12 Bürgeramt · Erhebungsrunde 2024" in content
    assert download_url(world) in content and upload_url(world) in content
    assert "A 50" not in content and "2023" not in content
    it_page = login(client, world.it_office).get(reverse("department_sheets")).content.decode()
    assert "A 12 Bürgeramt · Erhebungsrunde 2024" in it_page and "A 50 Sozialamt · Erhebungsrunde 2024" in it_page
    one = login(client, world.it_office).get(reverse("department_sheet", args=[world.other_dep.pk])).content.decode()
    assert "A 50 Sozialamt · Erhebungsrunde 2024" in one and "A 12 Bürgeramt ·" not in one


def test_the_list_links_to_the_sheet_for_editors_only(client, world):
    link = reverse("department_sheets")
    assert link in login(client, world.editor).get(reverse("my_services")).content.decode()
    assert link not in login(client, world.reader).get(reverse("my_services")).content.decode()
