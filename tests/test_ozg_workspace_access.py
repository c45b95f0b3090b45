"""Who reaches which page of the OZG planning workspace: 404 for another organisation, 403 for read-only rows."""

import pytest
from django.urls import reverse

from monitoring.models import OzgPlan, OzgPlanChange

from . import factories
from .helpers import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return factories.plan_world()


def urls(w, ozg_id):
    args = [w.org.pk, ozg_id]
    return {
        "list": reverse("ozg_plans", args=[w.org.pk]),
        "xlsx": reverse("ozg_plans_xlsx", args=[w.org.pk]),
        "csv": reverse("ozg_plans_csv", args=[w.org.pk]),
        "detail": reverse("ozg_plan_detail", args=args),
        "row_edit": reverse("ozg_plan_row_edit", args=args),
    }


def person(w, name):
    return getattr(w.people, name)


def state():
    return list(OzgPlan.objects.order_by("pk").values_list("pk", "version", "state")), OzgPlanChange.objects.count()


# Reading: members of the organisation (and the superuser); the IT office of the Nachbarkreis sees nothing.
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("editor", 200),
        ("reader", 200),
        ("other_editor", 200),
        ("it_office", 200),
        ("superuser", 200),
        ("foreign_it", 404),
    ],
)
def test_reading_the_workspace(client, w, name, expected):
    client.force_login(person(w, name))
    for page, url in urls(w, w.own.ozg_id).items():
        if page == "row_edit":
            continue
        assert client.get(url).status_code == expected, page


def test_anonymous_visitors_are_sent_to_the_login_page(client, w):
    for url in urls(w, w.own.ozg_id).values():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
    response = client.post(reverse("ozg_plan_detail", args=[w.org.pk, w.own.ozg_id]), {"state": "umgesetzt"})
    assert response.status_code == 302 and OzgPlanChange.objects.count() == 0


# Editing the row of A 12 (10101), the row of A 50 (10102) and the row without a plan record (10103).
@pytest.mark.parametrize(
    ("name", "own", "other", "without_plan"),
    [
        ("editor", 200, 403, 403),
        ("reader", 403, 403, 403),
        ("other_editor", 403, 200, 403),
        ("it_office", 200, 200, 200),
        ("superuser", 200, 200, 200),
        ("foreign_it", 404, 404, 404),
    ],
)
def test_editing_rows_in_place(client, w, name, own, other, without_plan):
    client.force_login(person(w, name))
    for leistung, expected in ((w.own, own), (w.other, other), (w.federal, without_plan)):
        response = client.get(reverse("ozg_plan_row_edit", args=[w.org.pk, leistung.ozg_id]), **HTMX)
        assert response.status_code == expected, leistung


@pytest.mark.parametrize(("name", "expected"), [("reader", 403), ("other_editor", 403), ("foreign_it", 404)])
def test_a_refused_save_writes_nothing(client, w, name, expected):
    client.force_login(person(w, name))
    before = state()
    detail = client.post(
        reverse("ozg_plan_detail", args=[w.org.pk, w.own.ozg_id]),
        {"state": "nicht_geplant", "version": w.own_plan.version},
    )
    bulk = client.post(
        reverse("ozg_plans_bulk", args=[w.org.pk]),
        {"auswahl": f"{w.own.ozg_id}:{w.own_plan.version}", "sammel-state": "nicht_geplant"},
    )
    assert (detail.status_code, bulk.status_code) == (expected, expected)
    assert state() == before


def test_the_detail_page_offers_the_form_only_to_who_may_edit(client, w):
    client.force_login(w.people.reader)
    assert client.get(reverse("ozg_plan_detail", args=[w.org.pk, w.own.ozg_id])).context["form"] is None
    client.force_login(w.people.editor)
    assert client.get(reverse("ozg_plan_detail", args=[w.org.pk, w.own.ozg_id])).context["form"] is not None


def test_the_index_leads_a_member_of_one_organisation_to_its_list(client, w):
    client.force_login(w.people.editor)
    response = client.get(reverse("ozg_index"))
    assert response.status_code == 302 and response["Location"] == reverse("ozg_plans", args=[w.org.pk])
    client.force_login(w.people.superuser)
    assert client.get(reverse("ozg_index")).status_code == 200


def test_the_navigation_names_the_workspace_for_members_only(client, w):
    client.force_login(w.people.reader)
    assert "OZG-Planung" in client.get(reverse("overview")).content.decode()
    client.force_login(factories.person("nobody"))
    assert "OZG-Planung" not in client.get(reverse("overview")).content.decode()


def test_an_unknown_ozg_id_is_not_found(client, w):
    client.force_login(w.people.it_office)
    assert client.get(reverse("ozg_plan_detail", args=[w.org.pk, 99999])).status_code == 404
