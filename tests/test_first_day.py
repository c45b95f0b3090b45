"""A municipality's first day (issue 13): one open round, the catalogue role, no leaks, one validation for all paths."""

import openpyxl
import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from monitoring.carryover import open_round
from monitoring.editing import RowsInvalid, apply_changes
from monitoring.models import Assessment, SurveyRound
from ozg.models import OzgLeistung, Themenfeld
from tests import factories
from tests.helpers import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return factories.workspace_world()


# --- 4. one open round per organisation ------------------------------------------------------------------------


def test_opening_a_second_round_names_the_open_one_and_opens_nothing(client, world):
    login(client, world.it_office)
    payload = {
        "organisation": world.org.pk,
        "year": 2025,
        "catalogue_version": world.version.pk,
        "maturity_scale": "",
        "deadline": "",
    }
    response = client.post(reverse("rounds"), payload)
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert errors == [
        "Die Erhebungsrunde Musterstadt 2024 ist noch offen; eine Organisation hat höchstens eine offene Runde. "
        "Bitte schließen Sie 2024 ab, bevor Sie eine weitere öffnen."
    ]
    assert not SurveyRound.objects.filter(organisation=world.org, year=2025).exists()
    assert Assessment.objects.filter(round__organisation=world.org, round__is_closed=False).count() == len(world.rows)


def test_the_database_itself_refuses_a_second_open_round(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyRound.objects.create(
            organisation=world.org,
            year=2026,
            catalogue_version=world.version,
            maturity_scale=world.round.maturity_scale,
        )
    with pytest.raises(ValidationError) as refused:
        open_round(world.org, 2026, world.version)
    assert "Musterstadt 2024 ist noch offen" in str(refused.value)


def test_reopening_a_round_while_another_is_open_is_refused_with_its_name(client, world):
    login(client, world.it_office)
    page = client.get(reverse("round_reopen", args=[world.previous_round.pk])).content.decode()
    assert "Die Runde 2024 dieser Organisation ist noch offen." in page
    assert "Runde 2023 wieder öffnen" not in page, "no button that can only fail"
    response = client.post(reverse("round_reopen", args=[world.previous_round.pk]), follow=True)
    assert "wurde nicht wieder geöffnet: die Runde Musterstadt 2024 ist noch offen" in response.content.decode()
    assert SurveyRound.objects.get(pk=world.previous_round.pk).is_closed


# --- 2. the catalogues belong to the catalogue role ------------------------------------------------------------


def test_only_the_catalogue_role_changes_ozg_leistungen_in_the_admin(client, world):
    staff = factories.person("staff", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="ozg", codename__endswith="ozgleistung")
    )
    client.force_login(staff)
    url = reverse("admin:ozg_ozgleistung_change", args=[world.ozg.pk])
    data = {"ozg_id": world.ozg.ozg_id, "name": "Anders", "themenfeld": world.ozg.themenfeld_id, "zustaendigkeit": ""}
    assert client.get(url).status_code == 200, "looking is allowed"
    client.post(url, data)
    assert OzgLeistung.objects.get(pk=world.ozg.pk).name == "Wohngeld", "changing is not"
    staff.groups.add(Group.objects.get(name="Katalogpflege"))
    client.force_login(type(staff).objects.get(pk=staff.pk))
    assert client.post(url, data).status_code == 302
    assert OzgLeistung.objects.get(pk=world.ozg.pk).name == "Anders"


def test_the_ozg_preview_lists_every_changed_row_and_marks_an_entirely_new_name(client, settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path
    OzgLeistung.objects.create(
        ozg_id=10235, name="Jagdschein", themenfeld=Themenfeld.objects.get(name="Engagement & Hobby")
    )
    client.force_login(factories.cataloguer())
    content = "OZG-ID;Bezeichnung;Lage;Themenfeld\n10235;Sterbefallanzeige;Sterbefall;Familie & Kind\n"
    response = client.post(
        reverse("import_start"),
        {"kind": "ozg", "file": SimpleUploadedFile("ozg.csv", content.encode()), "withdraw_missing": "on"},
    )
    page = response.content.decode()
    assert "völlig andere Bezeichnung – prüfen" in page
    assert "Bezeichnung: „Jagdschein“ → „Sterbefallanzeige“" in page
    assert "Themenfeld: „Engagement &amp; Hobby“ → „Familie &amp; Kind“" in page
    assert OzgLeistung.objects.get(ozg_id=10235).name == "Jagdschein", "the preview writes nothing"


# --- 6. nothing about rows one may not read -------------------------------------------------------------------


def test_the_carry_over_report_shows_a_department_only_its_own_rows(client, world):
    factories.close(world.round)
    new_round = open_round(world.org, 2025, world.version)
    own, other = world.rows[0].leika_entry, world.rows[4].leika_entry
    member = factories.editor(world.dep, "mitglied")
    client.force_login(member)
    page = client.get(reverse("carry_over", args=[new_round.pk])).content.decode()
    assert own.key in page
    assert f'<td class="kern-table__cell">{other.key}</td>' not in page, "a row of A 50, which A 12 cannot open"
    client.force_login(world.it_office)
    assert other.key in client.get(reverse("carry_over", args=[new_round.pk])).content.decode()


# --- 8. every write path validates like the form --------------------------------------------------------------


def test_a_script_address_is_refused_on_every_path(client, world, settings, tmp_path):
    row = world.rows[3]
    with pytest.raises(RowsInvalid) as refused:
        apply_changes(world.editor, [row.pk], {"online_service_url": "javascript:alert(1)"})
    assert "Adresse des Onlinedienstes" in " ".join(refused.value.lines())
    with pytest.raises(ValidationError):
        Assessment.validate_many([Assessment(**{**_fields(row), "online_service_url": "javascript:alert(1)"})])

    settings.IMPORT_UPLOAD_DIR = tmp_path
    book = openpyxl.Workbook()
    book.active.append(["Name", "Nummer", "Live", "Landingpage"])
    book.active.append(["Hundesteuer", row.leika_entry.key, "Ja", "javascript:alert(1)"])
    path = tmp_path / "wsp.xlsx"
    book.save(path)
    client.force_login(world.it_office)
    response = client.post(
        reverse("import_start"),
        {"kind": "online", "organisation": world.org.pk, "file": SimpleUploadedFile("wsp.xlsx", path.read_bytes())},
    )
    assert response.context["failed"]
    assert any("Zeile 2" in str(error) and "Landingpage" in str(error) for error in response.context["errors"])
    assert not Assessment.objects.filter(online_service_url__startswith="javascript").exists()


def test_an_over_long_justification_is_refused_outside_the_form_too(world):
    with pytest.raises(RowsInvalid) as refused:
        apply_changes(world.editor, [world.rows[3].pk], {"justification": "x" * 2001})
    assert "Die Begründung ist länger als 2.000 Zeichen." in " ".join(refused.value.lines())


def _fields(row):
    return {f.attname: getattr(row, f.attname) for f in Assessment._meta.concrete_fields if f.attname != "id"}
