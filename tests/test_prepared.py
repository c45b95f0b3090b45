"""`leika.prepared.PreparedQuery`: a query compiled once per shape gives, for any values, the rows the ORM gives; and
the queries of every page that use it (access scope, rounds, badges, columns, a page's rows, its OZG links) answer
as the querysets they were written as."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leika.models import CatalogueVersion, LeikaEntry
from leika.prepared import PreparedQuery
from monitoring.access import AccessScope, editable_departments, readable_departments, scope_rows
from monitoring.filtersets import CHOICES_CATALOGUE, SCOPE_ROUNDS
from monitoring.models import Assessment, SurveyRound
from monitoring.tables import PAGE_ROWS, STORED_COLUMNS, chosen_columns, ozg_of_row, remember_columns, table_rows
from monitoring.workday import BADGE_ROWS, _badge_rows
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return factories.workspace_world()


def built_counting(build):
    """`build`, counting its calls in `.calls`."""

    def counted(**values):
        counted.calls += 1
        return build(**values)

    counted.calls = 0
    return counted


def test_rows_are_the_orm_rows_for_every_value_and_the_query_is_built_once_per_shape(w):
    build = built_counting(
        lambda version, keys: (
            LeikaEntry.objects.filter(version=version, pk__in=keys).order_by("key").values_list("pk", "key", "name")
        )
    )
    query = PreparedQuery(LeikaEntry, build)
    ids = [entry.pk for entry in w.entries]
    for keys in (ids[:2], ids[2:4], [ids[4], ids[0]], ids[1:]):
        expected = list(
            LeikaEntry.objects.filter(version=w.version, pk__in=keys).order_by("key").values_list("pk", "key", "name")
        )
        assert query(version=w.version.pk, keys=keys) == expected
    assert build.calls == 2, "one build for two keys (three lists), one for four"
    assert len(query.shapes) == 2
    other = factories.catalogue_version("LeiKa 2025", 2025)
    assert query(version=other.pk, keys=ids[:2]) == []


def test_one_query_per_call_and_the_same_sql_each_time(w):
    query = PreparedQuery(LeikaEntry, lambda version: LeikaEntry.objects.filter(version=version).values_list("pk"))
    with CaptureQueriesContext(connection) as first:
        query(version=w.version.pk)
    with CaptureQueriesContext(connection) as second:
        query(version=w.version.pk + 1000)
    assert len(first) == len(second) == 1
    assert str(w.version.pk) in first[0]["sql"] and str(w.version.pk + 1000) in second[0]["sql"]


def test_dicts_single_values_and_converted_types_as_the_orm_gives_them(w):
    as_dicts = PreparedQuery(SurveyRound, lambda pk: SurveyRound.objects.filter(pk=pk).values("year", "is_closed"))
    assert as_dicts(pk=w.previous_round.pk) == [{"year": 2023, "is_closed": True}]
    flat = PreparedQuery(SurveyRound, lambda pk: SurveyRound.objects.filter(pk=pk).values_list("year", flat=True))
    assert flat(pk=w.round.pk) == [2024]
    # Dates and booleans come back as Python's, on SQLite too (text and integers there): the ORM's converters ran.
    imported = PreparedQuery(
        CatalogueVersion, lambda pk: CatalogueVersion.objects.filter(pk=pk).values_list("imported_at", "name")
    )
    [(imported_at, name)] = imported(pk=w.version.pk)
    assert isinstance(imported_at, datetime.datetime) and imported_at.tzinfo is not None
    assert (imported_at, name) == (w.version.imported_at, w.version.name)
    closed = PreparedQuery(SurveyRound, lambda pk: SurveyRound.objects.filter(pk=pk).values_list("is_closed"))
    assert closed(pk=w.previous_round.pk) == [(True,)] and closed(pk=w.round.pk) == [(False,)]


def test_refuses_what_it_cannot_put_in_place(w):
    query = PreparedQuery(LeikaEntry, lambda keys: LeikaEntry.objects.filter(pk__in=keys).values_list("pk"))
    with pytest.raises(TypeError):
        query(keys=["1"])
    with pytest.raises(TypeError):
        query(keys=True)
    with pytest.raises(ValueError, match="jede ID nur einmal"):
        query(keys=[1, 1])
    with CaptureQueriesContext(connection) as asked:
        assert query(keys=[]) == []
    assert len(asked) == 0, "IN () matches nothing: nothing to ask"
    constant = PreparedQuery(LeikaEntry, lambda keys: LeikaEntry.objects.filter(pk=1).values_list("pk"))
    with pytest.raises(ValueError, match="Platzhalter ohne Stelle"):
        constant(keys=5)


def test_the_access_scope_is_the_orm_scope_for_every_persona(w):
    people = [w.editor, w.reader, w.other_editor, w.it_office, w.foreign_it, factories.superuser()]
    people.append(factories.person("outsider", w.org))
    for user in people:
        expected = list(scope_rows(readable_departments(user), editable_departments(user)))
        assert AccessScope(user).departments == expected, user.username
    assert [row[0] for row in AccessScope(w.reader).departments] == [w.dep.pk]
    assert AccessScope(w.reader).editable_department_ids == []
    assert AccessScope(w.it_office).editable_department_ids == [w.dep.pk, w.other_dep.pk]


def test_the_rounds_catalogue_badges_and_columns_are_the_orm_answers(w):
    organisations = sorted({w.org.pk, w.other_org.pk})
    assert SCOPE_ROUNDS(organisations=organisations) == list(SCOPE_ROUNDS.build(organisations=organisations))
    assert [row[1] for row in SCOPE_ROUNDS(organisations=[w.org.pk])] == [2023, 2024]
    scales = [w.scale.pk]
    assert sorted(CHOICES_CATALOGUE(scales=scales)) == sorted(CHOICES_CATALOGUE.build(scales=scales))
    assert sorted(BADGE_ROWS(user=w.editor.pk)) == sorted(_badge_rows(w.editor.pk))
    assert BADGE_ROWS(user=w.editor.pk) != []
    assert chosen_columns(w.editor) != ["status"]
    remember_columns(w.editor, ["status"])
    assert chosen_columns(w.editor) == ["status"] == STORED_COLUMNS(user=w.editor.pk)[0]


def test_a_pages_rows_and_their_ozg_links_are_the_orm_answers(w):
    departments = [w.dep.pk, w.other_dep.pk]
    keys = [w.rows[3].pk, w.rows[0].pk, w.rows[2].pk]
    expected = {row["pk"]: row for row in table_rows(Assessment.objects.filter(pk__in=keys), scope_known=True)}
    got = {row["pk"]: row for row in PAGE_ROWS(departments=departments, keys=keys)}
    assert got == expected and len(got) == 3
    # Outside the departments, a key reads nothing.
    assert PAGE_ROWS(departments=[w.other_dep.pk], keys=keys) == []
    confirmed = got[w.rows[2].pk]["confirmed_at"]
    assert isinstance(confirmed, datetime.datetime) and confirmed <= timezone.now()
    # With its OZG-Leistungen, in the order of their ids whatever order the database joined them in.
    assert ozg_of_row(got[w.rows[2].pk]["ozg"]) == ("10034 Wohngeld", "Bauen & Wohnen")
    assert got[w.rows[0].pk]["ozg"] is None and ozg_of_row(None) == ("", "")
    second = factories.ozg_leistung(999, "Zweite", themenfeld="Bildung")
    second.leika_entries.add(w.entries[2])
    [row] = PAGE_ROWS(departments=departments, keys=[w.rows[2].pk])
    assert ozg_of_row(row["ozg"]) == ("999 Zweite, 10034 Wohngeld", "Bauen & Wohnen, Bildung")
