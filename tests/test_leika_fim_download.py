"""The FIM portal's own download layout: part names instead of codes, from the real 2019 catalogue, CSV and XLSX."""

import csv
import io
from types import SimpleNamespace

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leika.catalogue import family_names
from leika.crosswalk import Change
from leika.models import CatalogueVersion, LeikaEntry
from monitoring.yoy import Effect, _name_families
from tests.helpers import running_jobs

from .test_import_commands import run, snapshot, write

pytestmark = pytest.mark.django_db

HEADER = [
    "Schluessel",
    "Leistungsgruppierung",
    "Leistungskennung",
    "Verrichtung",
    "Verrichtungsdetail",
    "Bezeichnung",
    "Bezeichnung2",
    "Typ",
    "Veröffentlichungsdatum (DD.MM.YYYY hh:mm)",
    "Besondere Merkmale",
    "Synonyme",
]
# The KDN file is UTF-8 and has a few characters ISO-8859-1 lacks; the FIM file could not carry them either.
TO_LATIN1 = str.maketrans({"–": "-", "—": "-", "„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'", "…": "..."})
GROUP_NAMES = {"008": "Pass- und Ausweiswesen"}  # invented: the KDN file has no group names; others stay empty


def _after(name: str, prefix: str) -> str | None:
    return name[len(prefix) :].strip() if prefix and name.startswith(prefix) else None


def _common_words(names: list[str]) -> str:
    words = []
    for column in zip(*(name.split() for name in names), strict=False):
        if len(set(column)) > 1:
            break
        words.append(column[0])
    return " ".join(words)


def official_rows(path) -> list[dict[str, str]]:
    """The KDN entries as the FIM portal publishes them, the part names taken from the LO and LOV entries' names.

    The LO entry's name is the Leistungskennung, the LOV's name minus it the Verrichtung, the rest of an LOVD's name
    the Verrichtungsdetail; a family without an LO entry is named by the words its entries share.
    """
    with open(path, encoding="utf-8", newline="") as file:
        source = list(csv.DictReader(file, delimiter=";"))
    names = {row["Schluessel"]: row["Bezeichnung"].translate(TO_LATIN1) for row in source}
    families: dict[str, list[str]] = {}
    for key in names:
        families.setdefault(key[:8], []).append(key)
    objects = {
        family: names.get(family + "000000") or _common_words([names[k] for k in keys]) or names[keys[0]]
        for family, keys in families.items()
    }
    verrichtungen: dict[str, str] = {}
    for key in sorted(names):
        if key.endswith("000000") or key[:11] in verrichtungen:
            continue
        lov = names.get(key[:11] + "000")
        rest = _after(lov or names[key], objects[key[:8]])
        rest = (lov or names[key]) if rest is None else rest
        # Without an LOV entry the LOVD's name does not tell where the Verrichtung ends: take its first word.
        verrichtungen[key[:11]] = rest if lov is not None else (rest.split() or [""])[0]
    rows = []
    for source_row in source:
        key = source_row["Schluessel"]
        obj = objects[key[:8]]
        verrichtung = "" if key.endswith("000000") else verrichtungen[key[:11]]
        detail = ""
        if not key.endswith("000"):
            detail = _after(names[key], f"{obj} {verrichtung}") or names[key]
        rows.append(
            {
                "Schluessel": key,
                "Leistungsgruppierung": GROUP_NAMES.get(key[2:5], ""),
                "Leistungskennung": obj,
                "Verrichtung": verrichtung,
                "Verrichtungsdetail": detail,
                "Bezeichnung": names[key],
                "Bezeichnung2": "",
                "Typ": source_row["Typ"],
                "Veröffentlichungsdatum (DD.MM.YYYY hh:mm)": "01.10.2019 08:00",
                "Besondere Merkmale": "",
                "Synonyme": "",
            }
        )
    return rows


def official_csv(rows) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, HEADER, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode("iso-8859-1")


def official_xlsx(rows) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("LeiKa")
    sheet.append(HEADER)
    for row in rows:
        sheet.append([row[column] for column in HEADER])
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def fim_row(key, name, group="", obj="", verrichtung="", detail=""):
    return dict.fromkeys(HEADER, "") | {
        "Schluessel": key,
        "Leistungsgruppierung": group,
        "Leistungskennung": obj,
        "Verrichtung": verrichtung,
        "Verrichtungsdetail": detail,
        "Bezeichnung": name,
        "Typ": "2b",
    }


PERSONALAUSWEIS = [
    fim_row("99008001000000", "Personalausweis", "", "Personalausweis"),
    fim_row("99008001012000", "Personalausweis Ausstellung", "", "Personalausweis", "Ausstellung"),
    fim_row(
        "99008001012001", "Personalausweis Ausstellung erstmalig", "", "Personalausweis", "Ausstellung", "erstmalig"
    ),
    fim_row(
        "99008001014001", "Personalausweis Meldung wegen Diebstahl", "", "Personalausweis", "Meldung", "wegen Diebstahl"
    ),
]


def import_rows(tmp_path, rows, version, name="leika.csv", content=None):
    path = write(tmp_path, name, content if content is not None else official_csv(rows))
    # The version name starts with its year, which also orders the versions for the crosswalk.
    return run("import_leika", path, "--version", version, "--valid-from", f"{version[:4]}-10-01")


# --- the layout, on a few rows ------------------------------------------------------------------------------------


def test_the_names_of_the_key_parts_are_accepted_and_kept(tmp_path):
    code, out, err = import_rows(tmp_path, PERSONALAUSWEIS, "2019")
    assert code == 0, err
    entry = LeikaEntry.objects.get(key="99008001012001")
    assert (entry.group_name, entry.object_name, entry.verrichtung_name, entry.detail_name) == (
        "",
        "Personalausweis",
        "Ausstellung",
        "erstmalig",
    )
    lo = LeikaEntry.objects.get(key="99008001000000")
    assert (lo.object_name, lo.verrichtung_name, lo.detail_name) == ("Personalausweis", "", "")


def test_a_part_named_only_in_a_sibling_row_reaches_every_entry_of_its_prefix(tmp_path):
    rows = [dict(row) for row in PERSONALAUSWEIS]
    rows[2]["Verrichtung"] = rows[2]["Leistungskennung"] = ""
    rows[0]["Leistungsgruppierung"] = "Pass- und Ausweiswesen"
    assert import_rows(tmp_path, rows, "2019")[0] == 0
    entry = LeikaEntry.objects.get(key="99008001012001")
    assert (entry.group_name, entry.object_name, entry.verrichtung_name) == (
        "Pass- und Ausweiswesen",
        "Personalausweis",
        "Ausstellung",
    )


def test_digit_codes_are_still_accepted_also_beside_names_and_without_leading_zeros(tmp_path):
    rows = [dict(row) for row in PERSONALAUSWEIS]
    rows[1] |= {"Leistungsgruppierung": "008", "Leistungskennung": "1", "Verrichtung": "012"}
    rows[2] |= {"Leistungsgruppierung": "8", "Verrichtungsdetail": "001"}
    assert import_rows(tmp_path, rows, "2019")[0] == 0
    # The codes say nothing the key does not; the names come from the rows that give them.
    entry = LeikaEntry.objects.get(key="99008001012001")
    assert (entry.object_name, entry.verrichtung_name, entry.detail_name) == ("Personalausweis", "Ausstellung", "")


def test_a_file_with_codes_only_names_the_family_after_its_lo_entry(tmp_path):
    rows = [row | {"Leistungskennung": row["Schluessel"][5:8], "Verrichtung": ""} for row in PERSONALAUSWEIS]
    for row in rows:
        row["Verrichtungsdetail"] = ""
    assert import_rows(tmp_path, rows, "2019")[0] == 0
    assert set(LeikaEntry.objects.values_list("object_name", flat=True)) == {"Personalausweis"}


def test_spacing_and_case_are_no_disagreement_and_the_first_spelling_is_kept(tmp_path):
    rows = [dict(row) for row in PERSONALAUSWEIS]
    rows[1]["Leistungskennung"] = "personalausweis"
    rows[2]["Verrichtung"] = "Ausstellung "
    rows[3]["Leistungskennung"] = "Personal  Ausweis"
    code, _, err = import_rows(tmp_path, rows, "2019")
    assert code == 1, "“Personal Ausweis” is a different word split, not spacing"
    rows[3]["Leistungskennung"] = "PERSONALAUSWEIS"
    assert import_rows(tmp_path, rows, "2019")[0] == 0
    assert set(LeikaEntry.objects.values_list("object_name", flat=True)) == {"Personalausweis"}


def bad_rows():
    rows = [dict(row) for row in PERSONALAUSWEIS]
    wrong_code = [dict(row) for row in rows]
    wrong_code[2]["Verrichtung"] = "014"
    named_but_absent = [dict(row) for row in rows]
    named_but_absent[0]["Verrichtung"] = "Ausstellung"
    detail_of_lov = [dict(row) for row in rows]
    detail_of_lov[1]["Verrichtungsdetail"] = "erstmalig"
    two_objects = [dict(row) for row in rows]
    two_objects[3]["Leistungskennung"] = "Reisepass"
    two_verrichtungen = [dict(row) for row in rows]
    two_verrichtungen[2]["Verrichtung"] = "Ausgabe"
    two_groups = [row | {"Leistungsgruppierung": "Ausweise"} for row in rows]
    two_groups[3]["Leistungsgruppierung"] = "Meldewesen"
    twice = [*rows, fim_row("99008001012001", "Personalausweis Ausstellung erstmalig", "", "Personalausweis")]
    return {
        "a code that is not the key's": (
            wrong_code,
            "Zeile 4, Spalte „Verrichtung“: „014“ passt nicht zum Schlüssel 99008001012001 (dort 012).",
        ),
        "a Verrichtung named for an LO": (
            named_but_absent,
            "Zeile 2, Spalte „Verrichtung“: „Ausstellung“ passt nicht zum Schlüssel 99008001000000: "
            "er hat keine Verrichtung (dort 000).",
        ),
        "a detail named for an LOV": (
            detail_of_lov,
            "Zeile 3, Spalte „Verrichtungsdetail“: „erstmalig“ passt nicht zum Schlüssel 99008001012000: "
            "er hat kein Verrichtungsdetail (dort 000).",
        ),
        "two names for one Leistungsobjekt": (
            two_objects,
            "Zeile 5, Spalte „Leistungskennung“: „Reisepass“ weicht von „Personalausweis“ in Zeile 2 ab; "
            "das Leistungsobjekt 99008001 hat nur einen Namen.",
        ),
        "two names for one Verrichtung": (
            two_verrichtungen,
            "Zeile 4, Spalte „Verrichtung“: „Ausgabe“ weicht von „Ausstellung“ in Zeile 3 ab; "
            "die Verrichtung 99008001012 hat nur einen Namen.",
        ),
        "two names for one group": (
            two_groups,
            "Zeile 5, Spalte „Leistungsgruppierung“: „Meldewesen“ weicht von „Ausweise“ in Zeile 2 ab; "
            "die Leistungsgruppierung 99008 hat nur einen Namen.",
        ),
        "the same key twice": (
            twice,
            "Zeile 6, Spalte „Schluessel“: Der Schlüssel 99008001012001 steht schon in Zeile 4.",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "a code that is not the key's",
        "a Verrichtung named for an LO",
        "a detail named for an LOV",
        "two names for one Leistungsobjekt",
        "two names for one Verrichtung",
        "two names for one group",
        "the same key twice",
    ],
)
def test_what_really_disagrees_is_refused_with_row_and_column(tmp_path, case):
    rows, expected = bad_rows()[case]
    before = snapshot()
    code, _, err = import_rows(tmp_path, rows, "2019")
    assert code == 1
    assert err.splitlines()[0] == expected
    assert snapshot() == before


def test_the_same_names_in_another_order_and_format_are_the_same_catalogue(tmp_path):
    assert import_rows(tmp_path, PERSONALAUSWEIS, "2019")[0] == 0
    code, out, err = import_rows(tmp_path, [], "2020", "leika.xlsx", official_xlsx(PERSONALAUSWEIS[::-1]))
    assert code == 0 and "entspricht der Katalogversion „2019“" in err
    renamed = [dict(row) for row in PERSONALAUSWEIS]
    renamed[3]["Verrichtungsdetail"] = "bei Diebstahl"
    code, out, err = import_rows(tmp_path, renamed, "2020")
    assert code == 0 and "entspricht" not in err, "other part names are another catalogue"


# --- the real catalogue in the FIM layout -------------------------------------------------------------------------


def second_version(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """A year later: one family renamed, one withdrawn, the Personalausweis without its LO entry, new entries."""
    later = []
    for row in rows:
        key = row["Schluessel"]
        if key.startswith("99046029") or key == "99008001000000":
            continue
        row = dict(row)
        if key.startswith("99012001"):
            row["Leistungskennung"] = "Rückbaugenehmigung"
            row["Bezeichnung"] = row["Bezeichnung"].replace("Abbruchgenehmigung", "Rückbaugenehmigung")
        later.append(row)
    later.append(
        fim_row(
            "99008001012099",
            "Personalausweis Ausstellung für Minderjährige",
            GROUP_NAMES["008"],
            "Personalausweis",
            "Ausstellung",
            "für Minderjährige",
        )
    )
    later.append(fim_row("99999001000000", "Balkonkraftwerk", "", "Balkonkraftwerk"))
    later.append(fim_row("99999001001000", "Balkonkraftwerk Anmeldung", "", "Balkonkraftwerk", "Anmeldung"))
    return later


@pytest.fixture
def catalogue_2019(shared_data):
    return official_rows(shared_data / "kdn2019_leika.csv")


def test_the_real_catalogue_in_the_fim_layout_imports_with_its_names(tmp_path, catalogue_2019):
    code, out, err = import_rows(tmp_path, catalogue_2019, "2019")
    assert code == 0, err
    assert out.splitlines()[-1] == "neu: 4813"
    version = CatalogueVersion.objects.get(name="2019")
    entry = version.entries.get(key="99008001012001")
    assert (entry.name, entry.group_name, entry.object_name, entry.verrichtung_name, entry.detail_name) == (
        "Personalausweis Ausstellung erstmalig",
        "Pass- und Ausweiswesen",
        "Personalausweis",
        "Ausstellung",
        "erstmalig",
    )
    assert entry.typisierung and entry.published_at is not None
    # Every entry carries its Leistungsobjekt's name as the file gives it, also in the 14 families without an LO entry.
    given = {row["Schluessel"]: row["Leistungskennung"] for row in catalogue_2019}
    assert dict(version.entries.values_list("key", "object_name")) == given
    without_lo = {key[:8] for key in given} - {key[:8] for key in given if key.endswith("000000")}
    assert len(without_lo) == 14
    assert family_names(without_lo, [version.pk]) == {
        family: next(name for key, name in given.items() if key.startswith(family)) for family in without_lo
    }


def test_the_real_catalogue_imports_from_xlsx_as_the_same_catalogue(tmp_path, catalogue_2019):
    code, out, err = import_rows(tmp_path, catalogue_2019, "2019", "leika.xlsx", official_xlsx(catalogue_2019))
    assert code == 0, err
    assert LeikaEntry.objects.filter(object_name="Personalausweis").count() == sum(
        row["Leistungskennung"] == "Personalausweis" for row in catalogue_2019
    )
    code, out, err = import_rows(tmp_path, catalogue_2019, "2019 CSV")
    assert code == 0, err
    assert "entspricht der Katalogversion „2019“" in err


def test_the_crosswalk_between_two_real_versions_in_the_fim_layout(tmp_path, catalogue_2019):
    assert import_rows(tmp_path, catalogue_2019, "2019")[0] == 0
    code, out, err = import_rows(tmp_path, second_version(catalogue_2019), "2020", "leika2020.csv")
    assert code == 0, err
    assert out.splitlines() == [
        "unverändert: 4808",
        "umbenannt: 2",
        "zusammengelegt: 0",
        "aufgeteilt: 1",
        "entfallen: 2",
        "Nachfolger: 0",
        "ausdifferenziert: 1",
        "neu: 2",
    ]
    older, newer = CatalogueVersion.objects.get(name="2019"), CatalogueVersion.objects.get(name="2020")
    assert newer.predecessor == older
    assert newer.changes.get(entry__key="99008001000000").kind == Change.AUFGETEILT
    renamed = newer.entries.get(key="99012001001000")
    assert (renamed.change, renamed.object_name, renamed.predecessor.object_name) == (
        Change.UMBENANNT,
        "Rückbaugenehmigung",
        "Abbruchgenehmigung",
    )
    finer = newer.entries.get(key="99008001012099")
    assert (finer.change, finer.predecessor.key, finer.object_name) == (
        Change.AUSDIFFERENZIERT,
        "99008001012000",
        "Personalausweis",
    )
    # The 2020 version has no Personalausweis LO entry, and the family still has its name there.
    assert family_names({"99008001", "99012001", "99046029"}, [newer.pk]) == {
        "99008001": "Personalausweis",
        "99012001": "Rückbaugenehmigung",
    }
    assert family_names({"99008001", "99012001", "99046029"}, [newer.pk, older.pk]) == {
        "99008001": "Personalausweis",
        "99012001": "Rückbaugenehmigung",
        "99046029": "Abdrucke aus dem Schuldnerverzeichnis",
    }


def test_the_dashboard_names_a_family_without_an_lo_entry_in_the_later_version(tmp_path):
    assert import_rows(tmp_path, PERSONALAUSWEIS, "2019")[0] == 0
    renamed = [row | {"Leistungskennung": "Personalausweis (eID)"} for row in PERSONALAUSWEIS[1:]]
    for row in renamed:
        row["Bezeichnung"] = row["Bezeichnung"].replace("Personalausweis", "Personalausweis (eID)")
    assert import_rows(tmp_path, renamed, "2020")[0] == 0
    older, newer = CatalogueVersion.objects.get(name="2019"), CatalogueVersion.objects.get(name="2020")
    effects = [Effect("aufgeteilt", "99008001"), Effect("neu", "99123456")]
    _name_families(
        effects, SimpleNamespace(catalogue_version_id=older.pk), SimpleNamespace(catalogue_version_id=newer.pk)
    )
    assert [e.family_name for e in effects] == ["Personalausweis (eID)", "Leistungsobjekt 99123456"]


# --- the web import -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("filename", "make"), [("leika_fim.csv", official_csv), ("leika_fim.xlsx", official_xlsx)])
def test_a_superuser_uploads_the_fim_layout_previews_and_confirms(admin_client, settings, tmp_path, filename, make):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    before = snapshot()
    response = admin_client.post(
        reverse("import_start"),
        {"kind": "leika", "version_name": "FIM 2019", "file": SimpleUploadedFile(filename, make(PERSONALAUSWEIS))},
    )
    assert response.status_code == 200
    assert not response.context.get("failed"), response.content.decode()
    assert dict(response.context["outcome"].lines)["neu"] == len(PERSONALAUSWEIS)
    assert snapshot() == before
    with running_jobs():  # written in the background; the answer is the job's page
        response = admin_client.post(reverse("import_confirm", args=[response.context["token"]]))
    assert response.status_code == 302
    version = CatalogueVersion.objects.get(name="FIM 2019")
    assert dict(version.entries.values_list("key", "verrichtung_name")) == {
        row["Schluessel"]: row["Verrichtung"] for row in PERSONALAUSWEIS
    }


def test_a_web_upload_with_disagreeing_names_shows_row_and_column(admin_client, settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    rows, expected = bad_rows()["two names for one Leistungsobjekt"]
    response = admin_client.post(
        reverse("import_start"),
        {"kind": "leika", "version_name": "FIM", "file": SimpleUploadedFile("leika.csv", official_csv(rows))},
    )
    assert response.context["failed"]
    assert "Zeile 5, Spalte „Leistungskennung“" in response.content.decode()
    assert CatalogueVersion.objects.count() == 0


def test_the_admin_shows_the_part_names(admin_client, tmp_path):
    assert import_rows(tmp_path, PERSONALAUSWEIS, "2019")[0] == 0
    entry = LeikaEntry.objects.get(key="99008001014001")
    page = admin_client.get(reverse("admin:leika_leikaentry_change", args=[entry.pk])).content.decode()
    assert "Namen der Schlüsselteile" in page
    assert 'value="Meldung"' in page and 'value="wegen Diebstahl"' in page
