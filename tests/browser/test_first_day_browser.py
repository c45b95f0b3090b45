"""The pages issue 13 changed, as their users see them: crosswalk and Rückfragen lists, the refused reopening, the OZG
import preview. axe-core, no sideways scrolling at 1280 and 390 px, screenshots as artefacts."""

import pytest

from leika.crosswalk import Change
from leika.models import CatalogueChange, LeikaEntry
from monitoring.choices import Status
from monitoring.models import Question
from ozg.models import OzgLeistung, Themenfeld

from .. import factories
from .conftest import login, look

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "ein-langes-Kennwort-1"


@pytest.fixture
def world():
    organisation = factories.kreis("Musterkreis", regionalschluessel="053340000000", maturity_scale=factories.scale())
    it_office = factories.it_office(organisation, "it.muster", password=PASSWORD)
    cataloguer = factories.cataloguer("katalog", password=PASSWORD)
    department = factories.department(organisation, "A 32", "Ordnungsamt")
    old = factories.catalogue_version("LeiKa 2023", 2023, source="FIM-Portal")
    new = factories.catalogue_version("LeiKa 2024", predecessor=old, source="FIM-Portal")
    old_entries = [factories.leika_entry(old, n, f"Gewerbeanmeldung Variante {n}") for n in range(1, 4)]
    new_entries = [factories.leika_entry(new, n, f"Gewerbeanmeldung Variante {n}") for n in range(1, 3)]
    CatalogueChange.objects.bulk_create(
        [
            CatalogueChange(version=new, entry=e, kind=Change.UNVERAENDERT, successor=s)
            for e, s in zip(old_entries[:2], new_entries, strict=True)
        ]
        + [CatalogueChange(version=new, entry=old_entries[2], kind=Change.ENTFALLEN)]
    )
    LeikaEntry.objects.filter(version=new).update(change="")
    previous = factories.closed_round(
        organisation,
        2023,
        version=old,
        fill=lambda r: [factories.assessment(r, e, department, status=Status.PDF) for e in old_entries],
    )
    current = factories.survey_round(organisation, 2024, version=new)
    rows = [factories.assessment(current, e, department, status=Status.ANALOG) for e in new_entries]
    Question.objects.create(assessment=rows[0], text="Ist die Gewerbeanmeldung schon online? " * 4, asked_by=it_office)
    OzgLeistung.objects.create(
        ozg_id=10235, name="Jagdschein", themenfeld=Themenfeld.objects.get(name="Engagement & Hobby")
    )
    factories.editor(department, "sb.muster", password=PASSWORD)
    return {
        "new": new,
        "previous": previous,
        "current": current,
        "rows": rows,
        "it": it_office,
        "cataloguer": cataloguer,
    }


def test_the_crosswalk_and_the_questions_list_read_well(page, live_server, world):
    login(page, live_server, "it.muster", PASSWORD)
    page.goto(f"{live_server.url}/kataloge/{world['new'].pk}/abgleich/?klasse=entfallen")
    page.get_by_role("table", name="Klasse „entfallen“: 1 Einträge").wait_for()
    look(page, "abgleich")
    page.goto(f"{live_server.url}/rueckfragen/")
    page.get_by_role("table", name="Offene Rückfragen: 1").wait_for()
    look(page, "rueckfragen")


def test_reopening_a_round_while_another_is_open_names_it_and_offers_no_button(page, live_server, world):
    login(page, live_server, "it.muster", PASSWORD)
    page.goto(f"{live_server.url}/runden/{world['previous'].pk}/wieder-oeffnen/")
    page.get_by_text("Die Runde 2024 dieser Organisation ist noch offen.").wait_for()
    assert page.get_by_role("button", name="Runde 2023 wieder öffnen").count() == 0
    look(page, "wieder-oeffnen-verweigert")


def test_the_ozg_import_preview_marks_an_entirely_new_name(page, live_server, world, tmp_path, settings):
    settings.IMPORT_UPLOAD_DIR = tmp_path
    path = tmp_path / "ozg.csv"
    path.write_text("OZG-ID;Bezeichnung;Lage;Themenfeld\n10235;Sterbefallanzeige;Sterbefall;Familie & Kind\n")
    login(page, live_server, "katalog", PASSWORD)
    page.goto(f"{live_server.url}/importe/")
    page.get_by_role("radio", name="OZG-Leistungen").check()
    page.get_by_label("Datei (CSV oder XLSX)").set_input_files(str(path))
    page.get_by_role("button", name="Vorschau anzeigen").click()
    page.get_by_text("völlig andere Bezeichnung – prüfen").wait_for()
    look(page, "ozg-vorschau")


def test_a_save_after_the_round_was_closed_says_so_and_keeps_the_input(page, live_server, world):
    login(page, live_server, "sb.muster", PASSWORD)
    row = world["rows"][1]
    page.goto(f"{live_server.url}/bewertungen/{row.pk}/")
    page.get_by_label("Begründung").fill("Vor Ort und per Post.")
    factories.close(world["current"])  # the IT office closes the round while the clerk types
    page.get_by_role("button", name="Speichern").click()
    page.get_by_text(
        "Nicht gespeichert: die Erhebungsrunde Musterkreis 2024 wurde inzwischen abgeschlossen."
    ).wait_for()
    assert page.get_by_label("Begründung").input_value() == "Vor Ort und per Post."
    look(page, "gespeichert-nach-abschluss")
