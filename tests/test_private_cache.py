"""What a signed-in user sees (pages, htmx fragments, exports) carries `Cache-Control: private, no-store`; public
pages and static files keep their own caching."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from leika.models import CatalogueVersion

pytestmark = pytest.mark.django_db


def directives(response) -> set[str]:
    return {part.strip() for part in response.headers.get("Cache-Control", "").split(",") if part.strip()}


@pytest.fixture
def signed_in(client):
    client.force_login(get_user_model().objects.create_user("sr.a33", password="richtiges-kennwort-2026"))
    return client


@pytest.fixture
def version():
    return CatalogueVersion.objects.create(name="LeiKa 2024", valid_from=date(2024, 1, 1), source="FIM-Portal")


def test_pages_of_a_signed_in_user_are_private_and_not_stored(signed_in, version):
    for path in ["/", "/leistungen/", "/kataloge/", f"/kataloge/{version.pk}/abgleich/", "/barrierefreiheit/"]:
        response = signed_in.get(path)
        assert response.status_code == 200, path
        assert {"private", "no-store"} <= directives(response), path
        assert "public" not in directives(response)


def test_htmx_fragments_are_private_and_not_stored(signed_in):
    response = signed_in.get("/leistungen/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_exports_are_private_and_not_stored(signed_in, version, suffix):
    response = signed_in.get(f"/kataloge/{version.pk}/abgleich.{suffix}")
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)


def test_an_error_page_of_a_signed_in_user_is_not_stored_either(signed_in):
    response = signed_in.get("/kataloge/999999/abgleich/")
    assert response.status_code == 404
    assert {"private", "no-store"} <= directives(response)


def test_public_pages_for_anonymous_visitors_are_left_alone(client):
    assert "no-store" not in directives(client.get("/barrierefreiheit/"))


def test_static_files_keep_their_caching_for_a_signed_in_user(signed_in):
    response = signed_in.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in directives(response) and "private" not in directives(response)
