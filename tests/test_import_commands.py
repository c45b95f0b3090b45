"""import_leika and import_ozg: small files of our own for each class and each kind of bad input, and the real data."""

import io
import zipfile

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone

from leika.crosswalk import Change
from leika.importing import FileSource
from leika.models import CatalogueChange, CatalogueVersion, LeikaEntry
from ozg.importing import import_ozg
from ozg.models import OzgLeistung

pytestmark = pytest.mark.django_db

HEADER = "Schluessel;Leistungsgruppierung;Leistungskennung;Verrichtung;Verrichtungsdetail;Bezeichnung;Bezeichnung2;Typ;"
HEADER += "Veröffentlichungsdatum;Besondere Merkmale;Synonyme"

V1 = [
    ("99001001000000", "Hundesteuer"),
    ("99001001001000", "Hundesteuer Anmeldung"),
    ("99002001000000", "Jagdschein"),
    ("99002001001000", "Jagdschein Erteilung"),
    ("99003001000000", "Aufenthaltserlaubnis"),
    ("99003001002000", "Aufenthaltserlaubnis Verlängerung"),
    ("99004001000000", "Sperrmüll"),
    ("99005001000000", "Wohngeld Antrag"),
    ("99005002000000", "Lastenzuschuss"),
]
V2 = [
    ("99001001000000", "Hundesteuer"),
    ("99001001001000", "Hundesteuer Anmeldung eines Hundes"),
    ("99002001000000", "Jagdschein"),
    ("99002001001000", "Jagdschein Erteilung"),
    ("99002001001001", "Jagdschein Erteilung Jugendjagdschein"),
    ("99002001002000", "Jagdschein Verlängerung"),
    ("99003001000000", "Aufenthaltserlaubnis"),
    ("99003001002001", "Aufenthaltserlaubnis Verlängerung zum Studium"),
    ("99003001002002", "Aufenthaltserlaubnis Verlängerung zur Erwerbstätigkeit"),
    ("99005003000000", "Wohngeld"),
    ("05334001000000", "Förderung steckerfertiger Photovoltaikanlagen"),
]


def fim_csv(rows, encoding="iso-8859-1") -> bytes:
    lines = [HEADER]
    for key, name in rows:
        lines.append(
            f"{key};{key[2:5]};{key[5:8]};{key[8:11]};{key[11:14]};{name};;2/3;01.10.2024 08:00;"
            "Gebühr|Frist;Syn A|Syn B"
        )
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def write(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def snapshot():
    return (
        CatalogueVersion.objects.count(),
        LeikaEntry.objects.count(),
        CatalogueChange.objects.count(),
        OzgLeistung.objects.count(),
        OzgLeistung.leika_entries.through.objects.count(),
    )


@pytest.fixture
def first_version(tmp_path):
    code, out, _ = run(
        "import_leika", write(tmp_path, "v1.csv", fim_csv(V1)), "--version", "2023", "--valid-from", "2023-01-01"
    )
    assert code == 0
    return CatalogueVersion.objects.get(name="2023")


def test_a_first_import_makes_every_entry_new(tmp_path):
    code, out, _ = run("import_leika", write(tmp_path, "v1.csv", fim_csv(V1)), "--version", "2023")
    assert code == 0
    assert out.splitlines()[-1] == f"neu: {len(V1)}"
    entry = LeikaEntry.objects.get(key="99001001000000")
    assert (entry.name, entry.typisierung, entry.synonyms, entry.special_features) == (
        "Hundesteuer",
        ["2/3"],
        ["Syn A", "Syn B"],
        ["Gebühr", "Frist"],
    )
    assert timezone.localtime(entry.published_at).strftime("%d.%m.%Y %H:%M") == "01.10.2024 08:00"


def test_the_second_import_prints_all_eight_classes_in_order(tmp_path, first_version):
    mapping = write(tmp_path, "mapping.csv", b"alt;neu\n99005001000000;99005003000000\n99005002000000;99005003000000\n")
    code, out, _ = run(
        "import_leika",
        write(tmp_path, "v2.csv", fim_csv(V2)),
        "--version",
        "2024",
        "--valid-from",
        "2024-01-01",
        "--mapping",
        mapping,
    )
    assert code == 0
    assert out.splitlines() == [
        "unverändert: 4",
        "umbenannt: 1",
        "zusammengelegt: 2",
        "aufgeteilt: 1",
        "entfallen: 1",
        "Nachfolger: 3",
        "ausdifferenziert: 2",
        "neu: 1",
    ]
    version = CatalogueVersion.objects.get(name="2024")
    assert version.predecessor == first_version
    assert version.changes.get(entry__key="99004001000000").kind == Change.ENTFALLEN
    assert version.changes.get(entry__key="99005002000000").successor.key == "99005003000000"
    finer = version.entries.get(key="99002001001001")
    assert (finer.change, finer.predecessor.key) == (Change.AUSDIFFERENZIERT, "99002001001000")
    assert finer.predecessor.version == first_version


def test_a_dry_run_counts_but_writes_nothing(tmp_path, first_version):
    before = snapshot()
    code, out, err = run("import_leika", write(tmp_path, "v2.csv", fim_csv(V2)), "--version", "2024", "--dry-run")
    assert code == 0
    assert "aufgeteilt: 1" in out.splitlines()
    assert "Probelauf" in err
    assert snapshot() == before


def test_reimporting_an_unchanged_file_writes_nothing(tmp_path, first_version):
    before = snapshot()
    # Same content, other encoding and format: still the same catalogue.
    code, out, err = run("import_leika", write(tmp_path, "again.csv", fim_csv(V1, "utf-8")), "--version", "2023 neu")
    assert code == 0
    assert f"unverändert: {len(V1)}" in out.splitlines()
    assert "entspricht der Katalogversion „2023“" in err
    assert snapshot() == before


def test_the_same_columns_import_from_xlsx(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(";"))
    for key, name in V1:
        sheet.append([int(key), key[2:5], key[5:8], key[8:11], key[11:14], name, "", "2/3", "", "", ""])
    path = tmp_path / "auszug.xlsx"
    book.save(path)
    code, out, _ = run("import_leika", str(path), "--version", "Auszug")
    assert code == 0
    assert set(LeikaEntry.objects.values_list("key", flat=True)) == {key for key, _ in V1}


def test_a_merge_mapping_naming_unknown_keys_is_refused_with_row_and_column(tmp_path, first_version):
    mapping = write(tmp_path, "mapping.csv", b"alt;neu\n99009999000000;99005003000000\n")
    before = snapshot()
    code, _, err = run(
        "import_leika", write(tmp_path, "v2.csv", fim_csv(V2)), "--version", "2024", "--mapping", mapping
    )
    assert code == 1
    assert "Zeile 2, Spalte „alt“" in err
    assert snapshot() == before


# --- bad input ------------------------------------------------------------------------------------------------


def bad_files(tmp_path):
    good = fim_csv(V1).decode("iso-8859-1")
    zip_bomb = tmp_path / "bombe.xlsx"
    with (
        zipfile.ZipFile(zip_bomb, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member,
    ):
        chunk = b"0" * (1024 * 1024)
        for _ in range(210):
            member.write(chunk)
    huge = tmp_path / "riesig.csv"
    with huge.open("wb") as file:
        file.truncate(101 * 1024 * 1024)
    return {
        "wrong encoding": (write(tmp_path, "utf16.csv", good.encode("utf-16-le")), "UTF-8 oder ISO-8859-1"),
        "missing column": (
            write(tmp_path, "ohne.csv", good.replace("Bezeichnung;", "Titel;", 1).encode()),
            "Bezeichnung",
        ),
        "duplicate key": (
            write(tmp_path, "doppelt.csv", fim_csv(V1 + [("99001001000000", "Hundesteuer doppelt")])),
            "Zeile 11, Spalte „Schluessel“",
        ),
        "short key": (
            write(tmp_path, "kurz.csv", fim_csv([("9900100100000", "Zu kurz")])),
            "Zeile 2, Spalte „Schluessel“",
        ),
        "letters in key": (write(tmp_path, "buchstaben.csv", fim_csv([("99001001A00000", "X")])), "14-stellig"),
        "empty file": (write(tmp_path, "leer.csv", b""), "leer"),
        "not what its name says": (write(tmp_path, "falsch.xlsx", fim_csv(V1)), "keine Excel-Datei"),
        "100 MB": (str(huge), "MB"),
        "zip bomb": (str(zip_bomb), "entpackt"),
        "formula": (
            write(tmp_path, "formel.csv", fim_csv([("99001001000000", '=HYPERLINK("x")')])),
            "Zeile 2, Spalte „Bezeichnung“",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "wrong encoding",
        "missing column",
        "duplicate key",
        "short key",
        "letters in key",
        "empty file",
        "not what its name says",
        "100 MB",
        "zip bomb",
        "formula",
    ],
)
def test_bad_input_exits_1_with_a_german_message_and_writes_nothing(tmp_path, first_version, case):
    path, expected = bad_files(tmp_path)[case]
    before = snapshot()
    code, out, err = run("import_leika", path, "--version", "kaputt")
    assert code == 1
    assert expected in err
    assert "Traceback" not in err + out
    assert "nichts geschrieben" in err
    assert snapshot() == before


def test_an_existing_version_name_with_other_content_is_refused(tmp_path, first_version):
    code, _, err = run("import_leika", write(tmp_path, "v2.csv", fim_csv(V2)), "--version", "2023")
    assert code == 1
    assert "gibt es bereits" in err


def test_a_missing_file_is_named(tmp_path):
    code, _, err = run("import_leika", str(tmp_path / "fehlt.csv"), "--version", "x")
    assert (code, "gibt es nicht" in err) == (1, True)


# --- OZG ------------------------------------------------------------------------------------------------------

OZG_CSV = (
    "OZG-ID;Bezeichnung;Lage;Themenfeld;Zuständigkeit\n"
    "10513;Abbruchgenehmigung;Bauen & Immobilien;Bauen & Wohnen;Kommune\n"
)


def test_ozg_import_creates_then_updates_by_id(tmp_path):
    code, out, _ = run("import_ozg", write(tmp_path, "ozg.csv", OZG_CSV.encode()))
    assert (code, out.splitlines()) == (0, ["neu: 1", "umbenannt: 0", "geändert: 0", "entfällt: 0", "unverändert: 0"])
    changed = OZG_CSV.replace("Abbruchgenehmigung;", "Abbruch- und Rückbaugenehmigung;")
    code, out, _ = run("import_ozg", write(tmp_path, "ozg2.csv", changed.encode()))
    assert out.splitlines() == ["neu: 0", "umbenannt: 1", "geändert: 0", "entfällt: 0", "unverändert: 0"]
    leistung = OzgLeistung.objects.get(ozg_id=10513)
    assert (leistung.name, leistung.lage.name, leistung.themenfeld.name, leistung.zustaendigkeit) == (
        "Abbruch- und Rückbaugenehmigung",
        "Bauen & Immobilien",
        "Bauen & Wohnen",
        "kommune",
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (OZG_CSV.replace("Bauen & Wohnen;", "Bauen;"), "Zeile 2, Spalte „Themenfeld“"),
        (OZG_CSV.replace("10513", "ABC"), "Zeile 2, Spalte „OZG-ID“"),
        (OZG_CSV.replace("Kommune", "Gemeindeverband"), "Zeile 2, Spalte „Zuständigkeit“"),
        (OZG_CSV + OZG_CSV.splitlines()[1] + "\n", "Zeile 3, Spalte „OZG-ID“"),
        ("OZG-ID;Name;Themenfeld\n", "Lage"),
    ],
)
def test_bad_ozg_input_is_refused_with_row_and_field(tmp_path, content, expected):
    code, _, err = run("import_ozg", write(tmp_path, "ozg.csv", content.encode()))
    assert code == 1
    assert expected in err
    assert OzgLeistung.objects.count() == 0


def test_a_leika_file_naming_an_unknown_ozg_id_is_refused(tmp_path):
    content = b"Schluessel;Bezeichnung;OZG-ID\n99001001000000;Hundesteuer;10999\n"
    code, _, err = run("import_leika", write(tmp_path, "mit_ozg.csv", content), "--version", "x")
    assert code == 1
    assert "Zeile 2, Spalte „OZG-ID“" in err
    assert LeikaEntry.objects.count() == 0


def test_the_real_kdn_catalogues_import_with_their_mapping(shared_data):
    code, out, _ = run("import_ozg", str(shared_data / "kdn2019_ozg.csv"))
    assert code == 0
    assert OzgLeistung.objects.count() == 557
    code, out, _ = run("import_leika", str(shared_data / "kdn2019_leika.csv"), "--version", "LeiKa 10/2019")
    assert code == 0, out
    assert out.splitlines()[-1] == "neu: 4813"
    version = CatalogueVersion.objects.get(name="LeiKa 10/2019")
    assert version.entries.count() == 4813
    abbruch = version.entries.get(key="99012001001000")
    assert list(abbruch.ozg_leistungen.values_list("ozg_id", flat=True)) == [10513]
    linked = version.entries.filter(ozg_leistungen__isnull=False).distinct().count()
    with_id = sum(
        1
        for line in (shared_data / "kdn2019_leika.csv").read_text(encoding="utf-8").splitlines()[1:]
        if line.rsplit(";", 1)[1].strip()
    )
    assert linked == with_id


def test_ozg_import_lists_every_row_it_changes_and_marks_an_entirely_new_name(tmp_path):
    catalogue = (
        "OZG-ID;Bezeichnung;Lage;Themenfeld;Zuständigkeit\n"
        "10235;Jagdschein;Freizeit;Engagement & Hobby;Kommune\n"
        "10513;Abbruchgenehmigung;Bauen & Immobilien;Bauen & Wohnen;Kommune\n"
        "10110;Abfallentsorgung;Wohnen & Umzug;Bauen & Wohnen;Kommune\n"
    )
    run("import_ozg", write(tmp_path, "v1.csv", catalogue.encode()))
    published = write(
        tmp_path,
        "v2.csv",
        (
            "OZG-ID;Bezeichnung;Lage;Themenfeld;Zuständigkeit\n"
            "10235;Sterbefallanzeige;Sterbefall;Familie & Kind;Kommune\n"
            "10513;Abbruch- und Rückbaugenehmigung;Bauen & Immobilien;Bauen & Wohnen;Land\n"
            "10600;Neue Leistung;Arbeit;Arbeit & Ruhestand;\n"
        ).encode(),
    )

    preview = import_ozg(FileSource(published, "v2.csv"), dry_run=True, withdraw_missing=True)
    rows = {change.ozg_id: change for change in preview.rows}
    assert [(c.ozg_id, c.kind, c.name_replaced) for c in preview.rows] == [
        (10235, "umbenannt", True),
        (10600, "neu", False),
        (10513, "umbenannt", False),
        (10110, "entfällt", False),
    ], "an entirely new name first, then by kind"
    assert ("Bezeichnung", "Jagdschein", "Sterbefallanzeige") in rows[10235].fields
    assert ("Themenfeld", "Engagement & Hobby", "Familie & Kind") in rows[10235].fields
    assert ("Zuständigkeit", "Kommune", "Land") in rows[10513].fields
    assert OzgLeistung.objects.current().count() == 3, "the preview writes nothing"

    code, out, err = run("import_ozg", published, "--entfallene-markieren")
    assert code == 0
    assert out.splitlines() == ["neu: 1", "umbenannt: 2", "geändert: 0", "entfällt: 1", "unverändert: 0"]
    assert "Prüfen: OZG-ID 10235 heißt nun „Sterbefallanzeige“ statt „Jagdschein“." in err
    assert OzgLeistung.objects.get(ozg_id=10110).withdrawn_on == timezone.localdate()
    assert sorted(OzgLeistung.objects.current().values_list("ozg_id", flat=True)) == [10235, 10513, 10600]

    code, out, _ = run("import_ozg", write(tmp_path, "v3.csv", catalogue.encode()))
    assert OzgLeistung.objects.get(ozg_id=10110).withdrawn_on is None, "a file that names it again takes it back"
    assert out.splitlines() == ["neu: 0", "umbenannt: 2", "geändert: 1", "entfällt: 0", "unverändert: 0"]
