"""Imports in the browser: upload, a preview that writes nothing, then confirm; crosswalk and carry-over pages."""

import datetime

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leika.models import CatalogueVersion, LeikaEntry
from monitoring.choices import Status
from monitoring.models import Assessment, Department, SurveyRound
from ozg.models import MaturityScale
from tests import factories
from tests.helpers import job_page, running_jobs

from .test_import_commands import V1, V2, fim_csv, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def it_office(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    org = factories.kreis()
    return factories.it_office(org), org


@pytest.fixture
def cataloguer(settings, tmp_path):
    """The catalogue role, the only one that imports the shared LeiKa and OZG catalogues."""
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    return factories.cataloguer()


def upload(client, content: bytes, name="katalog.csv", **fields):
    data = {"kind": "leika", "version_name": "2024", "file": SimpleUploadedFile(name, content), **fields}
    return client.post(reverse("import_start"), data)


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(reverse("import_start"))
    assert response.status_code == 302 and "/anmelden/" in response["Location"]


def test_staff_without_the_it_office_role_may_not_import(client, it_office):
    _, org = it_office
    client.force_login(factories.person("editor", org))
    assert client.get(reverse("import_start")).status_code == 403
    assert upload(client, fim_csv(V1)).status_code == 403
    assert CatalogueVersion.objects.count() == 0


def test_the_preview_counts_but_writes_nothing_and_confirming_writes(client, cataloguer, tmp_path):
    client.force_login(cataloguer)
    before = snapshot()
    response = upload(client, fim_csv(V1))
    assert response.status_code == 200
    assert snapshot() == before
    lines = dict(response.context["outcome"].lines)
    assert lines["neu"] == len(V1)
    token = response.context["token"]
    with running_jobs():  # the import is written in the background; the answer is the job's page
        response = client.post(reverse("import_confirm", args=[token]))
    version = CatalogueVersion.objects.get(name="2024")
    page = job_page(client, response)
    assert "Übernommen: LeiKa-Katalog „2024“" in page
    assert reverse("crosswalk", args=[version.pk]) in page
    assert version.entries.count() == len(V1)
    assert not list((tmp_path / "uploads").iterdir()), "the stored upload is removed after confirming"
    # The token is used up: confirming twice does not import twice.
    assert client.post(reverse("import_confirm", args=[token])).status_code == 404


def test_a_bad_file_shows_row_and_field_and_writes_nothing(client, cataloguer, tmp_path):
    client.force_login(cataloguer)
    before = snapshot()
    response = upload(client, fim_csv([("9900100100000", "Zu kurz")]))
    assert response.status_code == 200
    assert response.context["failed"]
    assert "Zeile 2, Spalte „Schluessel“" in response.content.decode()
    assert snapshot() == before
    assert not list((tmp_path / "uploads").iterdir())


def test_the_form_names_missing_fields_in_german(client, cataloguer):
    client.force_login(cataloguer)
    response = client.post(reverse("import_start"), {"kind": "leika", "file": SimpleUploadedFile("a.csv", b"x")})
    assert "Bitte einen Namen für die neue Katalogversion angeben." in response.content.decode()
    response = client.post(reverse("import_start"), {"kind": "ozg", "file": SimpleUploadedFile("a.exe", b"x")})
    assert "Bitte eine CSV- oder XLSX-Datei hochladen." in response.content.decode()


def test_the_crosswalk_page_shows_the_classes_and_their_entries(client, cataloguer, tmp_path):
    client.force_login(cataloguer)
    token = upload(client, fim_csv(V1), version_name="2023").context["token"]
    with running_jobs():
        client.post(reverse("import_confirm", args=[token]))
    CatalogueVersion.objects.filter(name="2023").update(valid_from=datetime.date(2023, 1, 1))
    token = upload(client, fim_csv(V2)).context["token"]
    with running_jobs():
        client.post(reverse("import_confirm", args=[token]))
    version = CatalogueVersion.objects.get(name="2024")
    response = client.get(reverse("crosswalk", args=[version.pk]))
    counts = {label: count for _, label, count in response.context["counts"]}
    assert counts["aufgeteilt"] == 1 and counts["ausdifferenziert"] == 2 and counts["entfallen"] == 3
    response = client.get(reverse("crosswalk", args=[version.pk]), {"klasse": "entfallen"})
    page = response.content.decode()
    assert "99004001000000" in page and "Sperrmüll" in page
    response = client.get(reverse("crosswalk", args=[version.pk]), {"klasse": "nachfolger"})
    assert [row.record.key for row in response.context["table"].page] == ["99003001002001", "99003001002002"]


def test_online_services_are_proposed_and_applied_only_after_confirming(client, it_office, tmp_path):
    user, org = it_office
    client.force_login(user)
    version = CatalogueVersion.objects.create(name="2024", valid_from=datetime.date(2024, 1, 1))
    entries = [LeikaEntry.objects.create(version=version, key=k, name=n) for k, n in V1[:3]]
    department = Department.objects.create(organisation=org, code="A 32", name="Ordnungsamt")
    scale = MaturityScale.objects.get(code="ozg-1-1")
    round_obj = SurveyRound.objects.create(organisation=org, year=2024, catalogue_version=version, maturity_scale=scale)
    for entry in entries:
        Assessment.objects.create(round=round_obj, leika_entry=entry, department=department, status=Status.PDF)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Nummer", "Onlinedienst (übergeordnet)", "Live", "Landingpage", "Direktlink", "Stelle"])
    sheet.append(["Hundesteuer", 99001001000000, "", "Ja", "/antrag/hundesteuer/", None, "Kommune"])
    sheet.append(["Jagdschein", 99002001000000, "", "Nein", "/antrag/jagd/", None, "Kommune"])
    sheet.append(["Unbekannt", 99999999000000, "", "Ja", None, "/antrag/x/", "Kommune"])
    path = tmp_path / "wsp.xlsx"
    book.save(path)
    response = client.post(
        reverse("import_start"),
        {"kind": "online", "organisation": org.pk, "file": SimpleUploadedFile("wsp.xlsx", path.read_bytes())},
    )
    assert response.status_code == 200, response.context.get("errors")
    outcome = response.context["outcome"]
    assert [p.assessment.leika_entry.key for p in outcome.proposals] == ["99001001000000"]
    assert [key for _, key, _ in outcome.unknown] == ["99999999000000"]
    assert not Assessment.objects.filter(status=Status.DIGITAL).exists()
    with running_jobs():
        client.post(reverse("import_confirm", args=[response.context["token"]]))
    digital = Assessment.objects.get(status=Status.DIGITAL)
    assert digital.leika_entry.key == "99001001000000"
    assert digital.online_service_url == "https://www.service.wirtschaft.nrw/antrag/hundesteuer/"
    assert digital.confirmed_at is None


def test_an_it_office_imports_online_services_but_not_the_shared_catalogues(client, it_office):
    user, _ = it_office
    client.force_login(user)
    form = client.get(reverse("import_start")).context["form"]
    assert [kind for kind, _ in form.fields["kind"].choices] == ["online"]
    response = upload(client, fim_csv(V1))
    assert response.context["form"].errors["kind"], "LeiKa is not offered, a forged choice is refused"
    response = client.post(reverse("import_start"), {"kind": "ozg", "file": SimpleUploadedFile("o.csv", b"x")})
    assert response.context["form"].errors["kind"]
    assert CatalogueVersion.objects.count() == 0


def test_the_catalogue_role_imports_catalogues_and_a_token_of_a_lost_role_writes_nothing(client, cataloguer):
    client.force_login(cataloguer)
    form = client.get(reverse("import_start")).context["form"]
    assert [kind for kind, _ in form.fields["kind"].choices] == ["leika", "ozg"]
    token = upload(client, fim_csv(V1)).context["token"]
    cataloguer.groups.clear()
    with running_jobs():
        response = client.post(reverse("import_confirm", args=[token]))
    assert response.status_code == 403
    assert CatalogueVersion.objects.count() == 0
