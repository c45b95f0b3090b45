"""Counts show the German thousands separator on every page (1.200, not 1200), as the dashboard does; years, ids,
keys and page numbers do not."""

import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model

from leika.models import CatalogueVersion, LeikaEntry
from monitoring.choices import OrganisationKind, OrganisationRole, Status
from monitoring.models import Assessment, Department, Membership, Organisation, SurveyRound
from ozg.models import MaturityScale, OzgLeistung, Themenfeld

pytestmark = pytest.mark.django_db

ENTRIES = 1_200
OZG_SERVICES = 1_100


@pytest.fixture(scope="module")
def big(django_db_setup, django_db_blocker):
    """One open round of 1,200 assessments in one unit, 1,100 OZG services in one Themenfeld; built once."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        scale = MaturityScale.objects.get(code="ozg-2-0")
        organisation = Organisation.objects.create(
            name="Großkreis", kind=OrganisationKind.KREIS, regionalschluessel="053340000000", maturity_scale=scale
        )
        it_office = get_user_model().objects.create_user("it.gross", password="x")
        Membership.objects.create(user=it_office, organisation=organisation, role=OrganisationRole.IT_STEUERUNG)
        admin = get_user_model().objects.create_superuser("admin.gross", password="x")
        department = Department.objects.create(organisation=organisation, code="A 32", name="Ordnungsamt")
        version = CatalogueVersion.objects.create(name="LeiKa 2024", valid_from=date(2024, 1, 1))
        entries = LeikaEntry.objects.bulk_create(
            LeikaEntry(version=version, key=f"99001{n:06d}000", name=f"Leistung {n}") for n in range(ENTRIES)
        )
        survey = SurveyRound.objects.create(
            organisation=organisation, year=2024, catalogue_version=version, maturity_scale=scale
        )
        Assessment.objects.bulk_create(
            Assessment(round=survey, leika_entry=entry, department=department, status=Status.ANALOG)
            for entry in entries
        )
        themenfeld = Themenfeld.objects.first()
        OzgLeistung.objects.bulk_create(
            OzgLeistung(ozg_id=100_000 + n, name=f"OZG-Leistung {n}", themenfeld=themenfeld)
            for n in range(OZG_SERVICES)
        )
        yield {"it_office": it_office, "admin": admin, "round": survey, "version": version, "themenfeld": themenfeld}
        transaction.set_rollback(True)


def page(client, user, path) -> str:
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def visible_text(html: str) -> str:
    """The page without its tags: attribute values (ids, form values, <progress max>) stay machine numbers."""
    return re.sub(r"<[^>]*>", " ", html)


def assert_german(html: str, number: str = "1.200"):
    text = visible_text(html)
    assert number in text
    plain = number.replace(".", "")
    found = re.search(rf".{{0,60}}(?<![\d.]){plain}(?![\d.]).{{0,20}}", text)
    assert not found, f"without separator: {found.group(0) if found else ''}"


def test_the_overview_shows_counts_with_the_separator_and_the_year_without(client, big):
    html = page(client, big["it_office"], "/")
    assert_german(html)
    assert "2024" in html and "2.024" not in html


def test_the_rounds_list_progress_and_close_pages_show_counts_with_the_separator(client, big):
    pk = big["round"].pk
    for path in ["/runden/", f"/runden/{pk}/fortschritt/", f"/runden/{pk}/abschliessen/"]:
        html = page(client, big["it_office"], path)
        assert_german(html)
        assert "2.024" not in html


def test_the_catalogue_pages_show_counts_with_the_separator(client, big):
    for path in ["/kataloge/", f"/kataloge/{big['version'].pk}/abgleich/"]:
        assert_german(page(client, big["it_office"], path))


def test_my_services_shows_the_number_of_matches_with_the_separator_and_page_numbers_without(client, big):
    html = page(client, big["it_office"], "/leistungen/")
    assert "1.200 Treffer" in html or "1.200 Leistungen" in html
    assert "Seite 1 von" in html


def test_the_navigations_badge_shows_the_separator(client, big):
    """An editor of the unit with 1,200 unconfirmed rows: the badge and its text for screen readers."""
    from monitoring.choices import DepartmentRoleKind
    from monitoring.models import DepartmentRole

    editor = get_user_model().objects.create_user("sb.gross", password="x")
    department = Department.objects.get(organisation__name="Großkreis")
    Membership.objects.create(user=editor, organisation=department.organisation, role=OrganisationRole.MITARBEIT)
    DepartmentRole.objects.create(user=editor, department=department, role=DepartmentRoleKind.BEARBEITUNG)
    html = page(client, editor, "/datenschutz/")
    assert '<span class="nav-count" aria-hidden="true">1.200</span>' in html
    assert "(1.200 noch nicht bestätigt)" in html


@pytest.mark.parametrize(
    ("path", "number"),
    [
        ("/admin/leika/catalogueversion/", "1.200"),
        ("/admin/monitoring/surveyround/", "1.200"),
        ("/admin/ozg/themenfeld/", "1.100"),
        ("/admin/leika/leikaentry/", "1.200"),
    ],
)
def test_the_admin_counts_show_the_separator(client, big, path, number):
    html = page(client, big["admin"], path)
    # The count columns, the count under the list and the one beside the search (not Django's JavaScript texts for
    # selecting all rows, which only appear after that selection).
    shown = re.findall(
        r'<td class="field-\w+_count">[^<]*</td>|<p class="paginator">.*?</p>|<span class="small quiet">.*?</span>',
        html,
        re.S,
    )
    assert shown
    assert_german(" ".join(shown), number)
