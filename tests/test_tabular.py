"""The shared reader for uploaded tables: encodings, formats, the header, row numbers, and the files it must refuse."""

import datetime
import io
import re
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leika.tabular import MAX_BYTES, Column, ImportFailed, RowError, read_table

COLUMNS = [
    Column("key", "Schluessel", ("Schluessel", "Schlüssel", "Leistungsschlüssel", "Nummer")),
    Column("name", "Bezeichnung", ("Bezeichnung", "Name")),
    Column("typ", "Typ", ("Typ", "Typisierung"), required=False),
    Column("published", "Veröffentlichungsdatum", ("Veröffentlichungsdatum",), required=False),
]
FORMULA = "Die Zelle beginnt mit „=“ und sähe in Excel wie eine Formel aus; bitte als Text ohne führendes „=“ liefern."
MB = 1024 * 1024


def write(tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def refused(source, filename: str, **kwargs) -> ImportFailed:
    with pytest.raises(ImportFailed) as caught:
        read_table(source, filename, COLUMNS, **kwargs)
    return caught.value


def only_message(failure: ImportFailed) -> str:
    assert len(failure.errors) == 1, failure.errors
    return failure.errors[0].message


def xlsx_bytes(rows, title="Leistungen") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zeros_zip(members: int, size: int) -> bytes:
    """An archive of members full of zeros, written in 1 MB chunks so the test never holds them in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for number in range(members):
            with archive.open(f"xl/worksheets/sheet{number}.xml", "w") as member:
                for _ in range(size // MB):
                    member.write(bytes(MB))
    return buffer.getvalue()


# --- CSV: encodings and delimiters ---------------------------------------------------------------------------------


def test_it_reads_a_utf8_csv(tmp_path):
    path = write(
        tmp_path,
        "leika.csv",
        b"Schluessel;Bezeichnung;Typ\n"
        b"99008001000000;Personalausweis;1\n"
        b"99008001012001; Personalausweis Ausstellung ;2/3\n",
    )
    table = read_table(path, "leika.csv", COLUMNS)
    assert table.rows == [
        {"key": "99008001000000", "name": "Personalausweis", "typ": "1", "published": "", "_row": 2},
        {"key": "99008001012001", "name": "Personalausweis Ausstellung", "typ": "2/3", "published": "", "_row": 3},
    ]
    assert table.present == {"key", "name", "typ"}
    assert table.sheet is None


def test_it_reads_a_utf8_csv_with_byte_order_mark(tmp_path):
    path = write(tmp_path, "leika.csv", "Schlüssel;Bezeichnung\n99008001000000;Größenänderung\n".encode("utf-8-sig"))
    assert read_table(path, "leika.csv", COLUMNS).rows[0] == {
        "key": "99008001000000",
        "name": "Größenänderung",
        "typ": "",
        "published": "",
        "_row": 2,
    }


def test_it_reads_the_iso_8859_1_download_of_the_fim_portal(tmp_path):
    header = (
        "Schluessel;Leistungsgruppierung;Leistungskennung;Verrichtung;Verrichtungsdetail;Bezeichnung;Bezeichnung2;Typ;"
        "Veröffentlichungsdatum (DD.MM.YYYY hh:mm);Besondere Merkmale;Synonyme"
    )
    line = "99123004012000;123;004;012;000;Straßensondernutzung für Fußgängerzone Öffnung;;4b;01.10.2019 00:00;;Gehweg"
    path = write(tmp_path, "fim.csv", f"{header}\r\n{line}\r\n".encode("iso-8859-1"))
    row = read_table(path, "fim.csv", COLUMNS).rows[0]
    assert row["name"] == "Straßensondernutzung für Fußgängerzone Öffnung"
    assert row["typ"] == "4b"
    assert row["published"] == "01.10.2019 00:00"


def test_it_reads_windows_1252_typographic_quotes(tmp_path):
    content = "Schluessel;Bezeichnung\n99008001000000;„Bürgerbüro“ – Termin\n".encode("cp1252")
    assert b"\x84" in content  # the low quote exists in Windows-1252 only, not in ISO-8859-1
    path = write(tmp_path, "leika.csv", content)
    assert read_table(path, "leika.csv", COLUMNS).rows[0]["name"] == "„Bürgerbüro“ – Termin"


def test_it_reads_excels_unicode_text_in_utf16(tmp_path):
    path = write(tmp_path, "export.txt", "Schlüssel\tBezeichnung\n99008001000000\tÄnderung\n".encode("utf-16"))
    assert read_table(path, "export.txt", COLUMNS).rows[0]["name"] == "Änderung"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('Schluessel,Bezeichnung\n99008001000000,"Ausweis, vorläufig"\n', "Ausweis, vorläufig"),
        ("Schluessel\tBezeichnung\n99008001000000\tAusweis; vorläufig\n", "Ausweis; vorläufig"),
        ("Schluessel;Bezeichnung\n99008001000000;Ausweis, vorläufig\n", "Ausweis, vorläufig"),
    ],
    ids=["comma", "tab", "semicolon"],
)
def test_it_detects_the_delimiter_from_the_header(tmp_path, content, expected):
    path = write(tmp_path, "leika.csv", content.encode())
    row = read_table(path, "leika.csv", COLUMNS).rows[0]
    assert (row["key"], row["name"]) == ("99008001000000", expected)


# --- header ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "Schluessel",
        "Schlüssel",
        "Leistungsschlüssel",
        "Leistungsschluessel",
        " SCHLÜSSEL ",
        "Leistungs-Schlüssel",
        "Nummer (LeiKa)",
    ],
)
def test_it_accepts_every_spelling_of_a_column(tmp_path, spelling):
    path = write(tmp_path, "leika.csv", f"{spelling};Bezeichnung\n99008001000000;Personalausweis\n".encode())
    assert read_table(path, "leika.csv", COLUMNS).rows[0]["key"] == "99008001000000"


def test_a_renamed_required_column_is_named_with_the_columns_found(tmp_path):
    path = write(tmp_path, "leika.csv", b"Key;Bezeichnung;Typ\n99008001000000;Personalausweis;1\n")
    failure = refused(path, "leika.csv")
    [error] = failure.errors
    assert (error.row, error.field) == (1, "Schluessel")
    assert error.message.startswith(
        "Die Pflichtspalte „Schluessel“ fehlt. Gefundene Spalten: „Key“, „Bezeichnung“, „Typ“."
    )
    assert "Leistungsschlüssel" in error.message
    assert str(failure).startswith("Zeile 1, Spalte „Schluessel“: Die Pflichtspalte „Schluessel“ fehlt.")


def test_every_missing_required_column_is_reported(tmp_path):
    path = write(tmp_path, "leika.csv", b"Typ\n1\n")
    assert [(e.row, e.field) for e in refused(path, "leika.csv").errors] == [(1, "Schluessel"), (1, "Bezeichnung")]


def test_a_column_given_twice_is_refused(tmp_path):
    path = write(tmp_path, "leika.csv", b"Schluessel;Bezeichnung;Nummer\n99008001000000;Ausweis;99008001000000\n")
    failure = refused(path, "leika.csv")
    assert failure.errors == [
        RowError(1, "Schluessel", "Die Spalte „Schluessel“ kommt mehrfach vor: A („Schluessel“), C („Nummer“).")
    ]


def test_unknown_columns_are_ignored_and_absent_optional_ones_are_empty(tmp_path):
    path = write(tmp_path, "leika.csv", b"Bemerkung;Bezeichnung;Schluessel\n=intern;Ausweis;99008001000000\n")
    table = read_table(path, "leika.csv", COLUMNS)
    assert table.rows == [{"key": "99008001000000", "name": "Ausweis", "typ": "", "published": "", "_row": 2}]
    assert table.present == {"key", "name"}


# --- empty and wrong files -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"\r\n\n   \n", "\ufeff".encode()], ids=["0 bytes", "blank lines", "BOM"])
def test_an_empty_file_is_refused(tmp_path, content):
    path = write(tmp_path, "leika.csv", content)
    assert only_message(refused(path, "leika.csv")) == "Die Datei „leika.csv“ ist leer."


def test_a_file_with_only_the_header_is_refused(tmp_path):
    path = write(tmp_path, "leika.csv", b"Schluessel;Bezeichnung\n\n;\n")
    assert only_message(refused(path, "leika.csv")) == (
        "Die Datei „leika.csv“ enthält keine Datenzeilen, nur die Kopfzeile."
    )


def test_a_text_file_named_xlsx_is_refused(tmp_path):
    path = write(tmp_path, "leika.xlsx", b"Schluessel;Bezeichnung\n99008001000000;Ausweis\n")
    assert only_message(refused(path, "leika.xlsx")).startswith("Die Datei „leika.xlsx“ ist keine Excel-Datei (xlsx).")


def test_an_old_xls_named_xlsx_is_refused(tmp_path):
    path = write(tmp_path, "leika.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    message = only_message(refused(path, "leika.xlsx"))
    assert message.startswith("Die Datei „leika.xlsx“ ist keine Excel-Datei (xlsx), sondern eine ältere Excel-Datei")


def test_an_xlsx_named_csv_is_refused(tmp_path):
    path = write(tmp_path, "leika.csv", xlsx_bytes([["Schluessel", "Bezeichnung"], ["99008001000000", "Ausweis"]]))
    message = only_message(refused(path, "leika.csv"))
    assert message.startswith("Die Datei „leika.csv“ ist keine CSV-Textdatei, sondern ein ZIP-Archiv oder eine Excel")


def test_a_pdf_named_csv_is_refused(tmp_path):
    path = write(tmp_path, "leika.csv", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    assert only_message(refused(path, "leika.csv")) == (
        "Die Datei „leika.csv“ ist keine CSV-Textdatei, sondern ein PDF-Dokument."
    )


def test_a_binary_file_named_csv_is_refused(tmp_path):
    path = write(tmp_path, "leika.csv", b"Schluessel;Bezeichnung\n\x00\x01\x02\xff\xfe\x00\x10")
    assert only_message(refused(path, "leika.csv")).startswith(
        "Die Datei „leika.csv“ ist keine CSV-Textdatei (sie enthält Binärdaten)"
    )


def test_a_control_character_is_refused_with_its_row_and_column(tmp_path):
    path = write(
        tmp_path, "leika.csv", b"Schluessel;Bezeichnung\n99008001000000;Ausweis\n99008001012001;Pass\x07wort\n"
    )
    assert refused(path, "leika.csv").errors == [
        RowError(3, "Bezeichnung", "Die Zelle enthält das unsichtbare Steuerzeichen U+0007; bitte entfernen.")
    ]


def test_an_unclosed_quote_is_refused_with_its_row(tmp_path):
    path = write(tmp_path, "leika.csv", b'Schluessel;Bezeichnung\n99008001000000;Ausweis\n99008001012001;"Pass\n1;2\n')
    failure = refused(path, "leika.csv")
    assert failure.errors == [RowError(3, None, "Ein Anführungszeichen wird bis zum Dateiende nicht geschlossen.")]


@pytest.mark.parametrize("filename", ["leika.xls", "leika.pdf", "leika", "leika.csv.exe"])
def test_an_unknown_extension_is_refused_naming_the_accepted_formats(tmp_path, filename):
    path = write(tmp_path, "upload", b"Schluessel;Bezeichnung\n99008001000000;Ausweis\n")
    message = only_message(refused(path, filename))
    assert message.startswith("Das Dateiformat ")
    assert "wird nicht unterstützt; erlaubt sind CSV (.csv, .txt) oder Excel (.xlsx)." in message


def test_a_missing_file_is_reported_in_german(tmp_path):
    assert only_message(refused(tmp_path / "fehlt.csv", "fehlt.csv")) == (
        "Die Datei „fehlt.csv“ konnte nicht gelesen werden."
    )


# --- size --------------------------------------------------------------------------------------------------------


def test_a_file_over_the_limit_is_refused(tmp_path):
    content = b"Schluessel;Bezeichnung\n" + b"99008001000000;Personalausweis\n" * 70
    path = write(tmp_path, "leika.csv", content)
    expected = "Die Datei „leika.csv“ ist 2 KB groß; erlaubt sind höchstens 1 KB."
    assert len(content) // 1024 == 2
    assert only_message(refused(path, "leika.csv", max_bytes=1024)) == expected
    assert only_message(refused(io.BytesIO(content), "leika.csv", max_bytes=1024)) == expected
    assert read_table(path, "leika.csv", COLUMNS, max_bytes=len(content)).rows[-1]["_row"] == 71


class Unreadable(io.FileIO):
    def read(self, *args):
        raise AssertionError("the file was read")

    readall = readinto = read


def test_the_default_limit_refuses_101_mb_without_reading_them(tmp_path):
    path = tmp_path / "riesig.csv"
    with path.open("wb") as file:
        file.truncate(101 * MB)  # sparse: takes no disk space
    assert MAX_BYTES == 50 * MB
    expected = "Die Datei „riesig.csv“ ist 101 MB groß; erlaubt sind höchstens 50 MB."
    assert only_message(refused(path, "riesig.csv")) == expected
    with Unreadable(path) as file:
        assert only_message(refused(file, "riesig.csv")) == expected


def test_an_uploaded_file_is_refused_by_its_size(tmp_path):
    upload = SimpleUploadedFile("leika.csv", b"Schluessel;Bezeichnung\n" + b"x" * 3000)
    assert only_message(refused(upload, "leika.csv", max_bytes=2000)) == (
        "Die Datei „leika.csv“ ist 2 KB groß; erlaubt sind höchstens 1 KB."
    )


# --- formula injection and row numbers -----------------------------------------------------------------------------


def test_a_csv_cell_starting_with_equals_is_refused_with_row_and_field(tmp_path):
    content = (
        "Schluessel;Bezeichnung;Bemerkung\n"
        '99008001000000;=HYPERLINK("http://example.org");\n'
        "99008001012001;Ausweis; =nur eine Notiz\n"
        "=1+1;  =SUMME(A1:A2);\n"
    )
    failure = refused(write(tmp_path, "leika.csv", content.encode()), "leika.csv")
    assert failure.errors == [
        RowError(2, "Bezeichnung", FORMULA),
        RowError(4, "Schluessel", FORMULA),
        RowError(4, "Bezeichnung", FORMULA),
    ]
    assert str(failure).splitlines()[0] == f"Zeile 2, Spalte „Bezeichnung“: {FORMULA}"


def test_row_numbers_count_blank_lines_and_records_with_line_breaks(tmp_path):
    content = (
        "\n"
        "Schluessel;Bezeichnung\n"  # row 2
        "99008001000000;Ausweis\n"  # row 3
        "\n"  # row 4, skipped
        '99008001012001;"Ausweis\nAusstellung\r\nerstmalig"\n'  # row 5, three lines
        ";\n"  # row 6, skipped
        "99008001012003;=Verlust\n"  # row 7
    )
    path = write(tmp_path, "leika.csv", content.encode())
    assert refused(path, "leika.csv").errors == [RowError(7, "Bezeichnung", FORMULA)]
    table = read_table(write(tmp_path, "ok.csv", content.replace("=", "").encode()), "ok.csv", COLUMNS)
    assert [row["_row"] for row in table.rows] == [3, 5, 7]
    assert table.rows[1]["name"] == "Ausweis\nAusstellung\r\nerstmalig"


def test_every_row_error_is_collected_and_the_message_is_shortened(tmp_path):
    lines = ["Schluessel;Bezeichnung"] + [f"9900800100{n:04d};=x" for n in range(25)]
    failure = refused(write(tmp_path, "leika.csv", "\n".join(lines).encode()), "leika.csv")
    assert [error.row for error in failure.errors] == list(range(2, 27))
    text = str(failure).splitlines()
    assert len(text) == 21
    assert text[19] == f"Zeile 21, Spalte „Bezeichnung“: {FORMULA}"
    assert text[20] == "… und 5 weitere Fehler"


def test_row_errors_read_as_the_user_sees_them():
    assert str(RowError(5, "Schluessel", "Fehlt.")) == "Zeile 5, Spalte „Schluessel“: Fehlt."
    assert str(RowError(5, None, "Fehlt.")) == "Zeile 5: Fehlt."
    assert str(RowError(None, "--version", "Fehlt.")) == "Spalte „--version“: Fehlt."
    assert str(RowError(None, None, "Fehlt.")) == "Fehlt."


# --- uploads ---------------------------------------------------------------------------------------------------------


def test_it_reads_a_django_upload_even_after_it_was_read_once():
    upload = SimpleUploadedFile("leika.csv", "Schlüssel;Bezeichnung\n99008001000000;Ausweis\n".encode("cp1252"))
    upload.read()
    table = read_table(upload, upload.name, COLUMNS)
    assert table.rows == [{"key": "99008001000000", "name": "Ausweis", "typ": "", "published": "", "_row": 2}]


# --- XLSX --------------------------------------------------------------------------------------------------------


def test_xlsx_numbers_dates_and_text_become_the_text_a_user_expects(tmp_path):
    rows = [
        ["Nummer", "Bezeichnung", "Typ", "Veröffentlichungsdatum"],
        [99050036005000, "Versteigerergewerbe Erlaubnis", 4, datetime.datetime(2019, 10, 1)],
        [99050058108000.0, " Versteigerer Bestellung ", 2.5, datetime.datetime(2021, 11, 11, 13, 45)],
        [None, "ohne Schlüssel", True, datetime.date(2020, 2, 29)],
    ]
    path = write(tmp_path, "wsp.xlsx", xlsx_bytes(rows, title="Live WSP"))
    table = read_table(path, "wsp.xlsx", COLUMNS)
    assert table.sheet == "Live WSP"
    assert table.rows == [
        {
            "key": "99050036005000",
            "name": "Versteigerergewerbe Erlaubnis",
            "typ": "4",
            "published": "2019-10-01",
            "_row": 2,
        },
        {
            "key": "99050058108000",
            "name": "Versteigerer Bestellung",
            "typ": "2.5",
            "published": "2021-11-11 13:45:00",
            "_row": 3,
        },
        {"key": "", "name": "ohne Schlüssel", "typ": "WAHR", "published": "2020-02-29", "_row": 4},
    ]


@pytest.mark.parametrize("stored", [b"9.9050036005E+13", b"99050036005000.0"])
def test_an_xlsx_key_stored_as_a_floating_point_number_keeps_its_14_digits(tmp_path, stored):
    content = xlsx_bytes([["Nummer", "Bezeichnung"], [99050036005000, "Versteigerergewerbe Erlaubnis"]])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    assert b"<v>99050036005000</v>" in sheet
    members["xl/worksheets/sheet1.xml"] = sheet.replace(b"<v>99050036005000</v>", b"<v>" + stored + b"</v>")
    path = write(tmp_path, "wsp.xlsx", zip_bytes(members))
    assert read_table(path, "wsp.xlsx", COLUMNS).rows[0]["key"] == "99050036005000"


def test_xlsx_header_is_the_first_non_empty_row_and_rows_keep_their_sheet_numbers(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["C3"], sheet["D3"] = "Schlüssel", "Bezeichnung"
    sheet["C4"], sheet["D4"] = "99008001000000", "Ausweis"
    sheet["C7"], sheet["D7"] = "99008001012001", "Ausweis Ausstellung"
    path = tmp_path / "leika.xlsx"
    workbook.save(path)
    rows = read_table(path, "leika.xlsx", COLUMNS).rows
    assert [(row["_row"], row["key"]) for row in rows] == [(4, "99008001000000"), (7, "99008001012001")]


@pytest.mark.parametrize("as_text", [False, True], ids=["formula", "text starting with ="])
def test_an_xlsx_formula_cell_is_refused_with_row_and_field(tmp_path, as_text):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Schluessel", "Bezeichnung"])
    sheet.append(["99008001000000", "Ausweis"])
    sheet.append(["99008001012001", '=A3&" Ausstellung"'])
    if as_text:
        sheet["B3"].data_type = "s"
    path = tmp_path / "leika.xlsx"
    workbook.save(path)
    assert refused(path, "leika.xlsx").errors == [RowError(3, "Bezeichnung", FORMULA)]


def test_an_xlsx_whose_stored_dimensions_are_wrong_is_read_to_the_end(tmp_path):
    content = xlsx_bytes([["Schluessel", "Bezeichnung"], ["99008001000000", "Ausweis"], ["99008001012001", "Pass"]])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    # openpyxl writes the element with or without a space before "/>", as it writes with lxml or without.
    stored = re.search(rb'<dimension ref="A1:B3" ?/>', sheet)
    assert stored
    members["xl/worksheets/sheet1.xml"] = sheet.replace(stored.group(0), b'<dimension ref="A1" />')
    path = write(tmp_path, "leika.xlsx", zip_bytes(members))
    assert [row["name"] for row in read_table(path, "leika.xlsx", COLUMNS).rows] == ["Ausweis", "Pass"]


def test_an_xlsx_with_only_a_header_is_refused(tmp_path):
    path = write(tmp_path, "leika.xlsx", xlsx_bytes([["Schluessel", "Bezeichnung"]]))
    assert only_message(refused(path, "leika.xlsx")) == (
        "Die Datei „leika.xlsx“ enthält keine Datenzeilen, nur die Kopfzeile."
    )


def test_an_xlsx_upload_is_read():
    content = xlsx_bytes([["Schluessel", "Bezeichnung"], [99008001000000, "Ausweis"]])
    upload = SimpleUploadedFile("leika.xlsx", content, content_type="application/octet-stream")
    assert read_table(upload, "leika.xlsx", COLUMNS).rows[0]["key"] == "99008001000000"


def test_a_zip_that_unpacks_to_more_than_200_mb_is_refused(tmp_path):
    path = write(tmp_path, "bombe.xlsx", zeros_zip(members=21, size=10 * MB))  # no member alone is suspicious
    assert path.stat().st_size < 5 * MB
    assert only_message(refused(path, "bombe.xlsx")) == (
        "Die Excel-Datei „bombe.xlsx“ würde entpackt 210 MB belegen (erlaubt sind 200 MB); sie wird nicht geöffnet."
    )


def test_a_highly_compressed_member_is_refused(tmp_path):
    path = write(tmp_path, "bombe.xlsx", zeros_zip(members=1, size=11 * MB))
    message = only_message(refused(path, "bombe.xlsx"))
    assert message.startswith(
        "Die Excel-Datei „bombe.xlsx“ ist verdächtig stark gepackt (xl/worksheets/sheet0.xml: 11 MB"
    )


def test_a_zip_with_too_many_members_is_refused(tmp_path):
    path = write(tmp_path, "viele.xlsx", zip_bytes({f"x/{n}.xml": b"" for n in range(10_001)}))
    assert only_message(refused(path, "viele.xlsx")) == (
        "Die Excel-Datei „viele.xlsx“ enthält 10001 Teile; das ist keine gewöhnliche Arbeitsmappe."
    )


def test_xml_with_entity_declarations_is_refused(tmp_path):
    content = xlsx_bytes([["Schluessel", "Bezeichnung"], ["99008001000000", "Ausweis"]])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["xl/workbook.xml"] = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + members["xl/workbook.xml"]
    path = write(tmp_path, "leika.xlsx", zip_bytes(members))
    assert only_message(refused(path, "leika.xlsx")) == (
        "Die Excel-Datei „leika.xlsx“ enthält unzulässige XML-Deklarationen; sie wird nicht geöffnet."
    )


def test_a_corrupt_zip_is_refused(tmp_path):
    content = xlsx_bytes([["Schluessel", "Bezeichnung"], ["99008001000000", "Ausweis"]])
    path = write(tmp_path, "kaputt.xlsx", content[: len(content) // 2])
    assert only_message(refused(path, "kaputt.xlsx")) == (
        "Die Datei „kaputt.xlsx“ ist keine Excel-Datei (xlsx): das ZIP-Archiv ist beschädigt."
    )


def test_a_zip_that_is_no_workbook_is_refused(tmp_path):
    path = write(tmp_path, "archiv.xlsx", zip_bytes({"liesmich.txt": b"Hallo"}))
    assert only_message(refused(path, "archiv.xlsx")) == (
        "Die Excel-Datei „archiv.xlsx“ ist beschädigt oder keine gültige Arbeitsmappe (xlsx)."
    )


# --- the reference files -------------------------------------------------------------------------------------------


def test_it_reads_the_reference_files(shared_data):
    leika = read_table(shared_data / "kdn2019_leika.csv", "kdn2019_leika.csv", COLUMNS)
    assert len(leika.rows) == 4813
    assert leika.rows[0]["key"] == "99012001000000"
    portal = read_table(shared_data / "wsp_nrw_online_services_2021.xlsx", "wsp.xlsx", COLUMNS)
    assert portal.rows[0]["key"] == "99050036005000"
    assert all(len(row["key"]) == 14 for row in portal.rows if row["key"])
