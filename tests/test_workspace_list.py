"""\"Meine Leistungen\" (my_services): which rows it lists, its filters, sorting, page sizes, the remembered
columns (my_services_columns) and its query count.

The world and its personas: workspace_world() in tests/factories.py.
"""

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leika.models import LeikaEntry
from monitoring import tables
from monitoring.choices import Status
from monitoring.models import Assessment, Department, Question, TablePreference
from ozg.models import OzgLeistung, Themenfeld
from tests import factories
from tests.factories import leika_key as key
from tests.helpers import keys_listed, listed_cells, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return factories.workspace_world()


def test_the_navigation_links_to_the_workspace(client, world):
    content = login(client, world.editor).get(reverse("my_services")).content.decode()
    assert 'href="/leistungen/" aria-current="page">Meine Leistungen' in content
    assert 'href="/rueckfragen/"' in content


# --- "Meine Leistungen" ----------------------------------------------------------------------------------------------


def test_the_list_shows_only_the_open_rows_of_the_own_department(client, world):
    response = login(client, world.editor).get(reverse("my_services"))
    assert response.status_code == 200
    assert keys_listed(response) == [key(1), key(2), key(3), key(4)]


def test_the_it_office_sees_every_department_of_its_organisation_only(client, world):
    response = login(client, world.it_office).get(reverse("my_services"))
    assert keys_listed(response) == [key(1), key(2), key(3), key(4), key(5)]
    response = login(client, world.foreign_it).get(reverse("my_services"))
    assert [row["pk"] for row in response.context["table"].page_rows] == [world.foreign_row.pk]


def test_a_reader_sees_the_rows_without_selection_or_bulk_form(client, world):
    response = login(client, world.reader).get(reverse("my_services"))
    assert keys_listed(response) == [key(1), key(2), key(3), key(4)]
    content = response.content.decode()
    assert 'name="auswahl"' not in content
    assert "sammelformular" not in content
    assert "Bearbeiten<" not in content
    assert response.context["bulk_form"] is None


def test_the_list_shows_status_as_text_confirmation_questions_and_change(client, world):
    response = login(client, world.editor).get(reverse("my_services"), {"q": "Bauantrag"})
    content = response.content.decode()
    assert '<span class="kern-label">Digital</span>' in content
    cells = listed_cells(response, world.rows[1].pk)
    assert cells["confirmed"] == "Nein"
    assert ">1<" in cells["open_questions"]
    assert cells["changed"] == "Ja"
    assert f'value="{world.rows[1].pk}:{world.rows[1].version}"' in cells["selection"]


def test_the_ozg_and_themenfeld_columns_show_the_linked_ozg_leistung(client, world):
    TablePreference.objects.create(user=world.editor, table="meine_leistungen", columns=["ozg", "themenfeld"])
    response = login(client, world.editor).get(reverse("my_services"), {"q": "Wohngeld"})
    content = response.content.decode()
    assert "10034 Wohngeld" in content
    assert "Bauen &amp; Wohnen" in content
    # Several: in the order of their ids, each Themenfeld once, by name.
    for ozg_id, themenfeld in ((20001, "Bildung"), (501, "Bauen & Wohnen"), (30001, "Arbeit & Ruhestand")):
        factories.ozg_leistung(ozg_id, f"Leistung {ozg_id}", themenfeld=themenfeld).leika_entries.add(world.entries[2])
    cells = listed_cells(login(client, world.editor).get(reverse("my_services"), {"q": "Wohngeld"}), world.rows[2].pk)
    assert cells["ozg"] == "501 Leistung 501, 10034 Wohngeld, 20001 Leistung 20001, 30001 Leistung 30001"
    assert cells["themenfeld"] == "Arbeit &amp; Ruhestand, Bauen &amp; Wohnen, Bildung"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "wohn"}, [3]),
        ({"q": key(2)[:12]}, [2]),
        ({"q": "99001 003"}, [3]),
        ({"status": [Status.DIGITAL]}, [2, 3]),
        ({"status": [Status.ANALOG, Status.NICHT_GEMELDET]}, [1, 4]),
        ({"ozg": "10034"}, [3]),
        ({"ozg": "wohngeld"}, [3]),
        ({"bestaetigt": "ja"}, [3]),
        ({"bestaetigt": "nein"}, [1, 2, 4]),
        ({"geaendert": "ja"}, [2, 4]),
        ({"geaendert": "nein"}, [1, 3]),
        ({"rueckfragen": "ja"}, [2]),
        ({"rueckfragen": "nein"}, [1, 3, 4]),
    ],
)
def test_each_filter_narrows_the_list(client, world, params, expected):
    response = login(client, world.editor).get(reverse("my_services"), params)
    assert keys_listed(response) == [key(n) for n in expected]


def test_several_statuses_can_be_chosen_at_once(client, world):
    content = login(client, world.editor).get(reverse("my_services")).content.decode()
    assert content.count('type="checkbox" class="kern-form-check__checkbox" name="status"') == len(Status.choices)


def test_the_maturity_level_filter_offers_the_rounds_scale(client, world):
    client = login(client, world.editor)
    response = client.get(reverse("my_services"), {"reifegrad": world.level[3].pk})
    assert keys_listed(response) == [key(2)]
    response = client.get(reverse("my_services"), {"reifegrad": "null"})
    assert keys_listed(response) == [key(1), key(3), key(4)]
    offered = set(response.context["filterset"].form.fields["reifegrad"].queryset)
    assert offered == set(world.scale.levels.all())


def test_the_themenfeld_and_department_filters(client, world):
    client = login(client, world.it_office)
    themenfeld = Themenfeld.objects.get(name="Bauen & Wohnen")
    assert keys_listed(client.get(reverse("my_services"), {"themenfeld": themenfeld.pk})) == [key(3)]
    assert keys_listed(client.get(reverse("my_services"), {"einheit": world.other_dep.pk})) == [key(5)]
    offered = set(client.get(reverse("my_services")).context["filterset"].form.fields["einheit"].queryset)
    assert offered == {world.dep, world.other_dep}


def test_an_answered_question_no_longer_counts_as_open(client, world):
    Question.objects.filter(pk=world.question.pk).update(answer="Ja", answered_at=timezone.now())
    response = login(client, world.editor).get(reverse("my_services"), {"rueckfragen": "ja"})
    assert keys_listed(response) == []


def test_another_round_can_be_viewed_read_only(client, world):
    response = login(client, world.editor).get(reverse("my_services"), {"runde": world.previous_round.pk})
    assert keys_listed(response) == [key(1), key(2), key(3)]
    content = response.content.decode()
    assert "abgeschlossen, nur lesbar" in content
    assert 'name="auswahl"' not in content
    assert response.context["bulk_form"] is None


def test_a_round_of_another_organisation_cannot_be_chosen(client, world):
    response = login(client, world.editor).get(reverse("my_services"), {"runde": world.foreign_round.pk})
    assert "runde" in response.context["filterset"].form.errors
    assert world.foreign_row.pk not in [row["pk"] for row in response.context["table"].page_rows]


def test_the_list_sorts_by_column_both_ways(client, world):
    client = login(client, world.editor)
    assert keys_listed(client.get(reverse("my_services"), {"sortierung": "-key"})) == [key(4), key(3), key(2), key(1)]
    assert keys_listed(client.get(reverse("my_services"), {"sortierung": "name"})) == [key(1), key(2), key(4), key(3)]
    by_status = client.get(reverse("my_services"), {"sortierung": "status"})
    assert keys_listed(by_status) == [key(1), key(2), key(3), key(4)]  # analog, digital, digital, nicht gemeldet
    assert 'aria-sort="ascending"' in by_status.content.decode()


def test_the_page_size_is_one_of_25_50_100(client, world):
    entries = [
        LeikaEntry(version=world.version, key=key(100 + n), name=f"Zusatz {n}", typisierung=["5"]) for n in range(60)
    ]
    LeikaEntry.objects.bulk_create(entries)
    Assessment.objects.bulk_create(Assessment(round=world.round, leika_entry=e, department=world.dep) for e in entries)
    client = login(client, world.editor)
    assert len(keys_listed(client.get(reverse("my_services")))) == 50
    assert len(keys_listed(client.get(reverse("my_services"), {"pro_seite": 25}))) == 25
    assert len(keys_listed(client.get(reverse("my_services"), {"pro_seite": 100}))) == 64
    assert len(keys_listed(client.get(reverse("my_services"), {"pro_seite": 5000}))) == 50
    second = client.get(reverse("my_services"), {"pro_seite": 25, "seite": 3})
    assert len(keys_listed(second)) == 14


@pytest.mark.parametrize(
    "order", ["key", "-key", "name", "-name", "department", "-status", "maturity_level", "-confirmed", "open_questions"]
)
def test_every_page_lists_its_part_of_the_whole_order(client, world, order):
    """Pages in the second half are read from the end of the list in reverse: they hold exactly what the list in one
    page holds at their place."""
    entries = LeikaEntry.objects.bulk_create(
        LeikaEntry(version=world.version, key=key(100 + n), name=f"Zusatz {n % 7}", typisierung=["5"])
        for n in range(60)
    )
    rows = Assessment.objects.bulk_create(
        Assessment(
            round=world.round,
            leika_entry=entry,
            department=world.dep,
            status=[Status.ANALOG, Status.PDF, Status.DIGITAL][n % 3],
            maturity_level=world.level[n % 4] if n % 5 else None,
            confirmed_at=timezone.now() if n % 4 == 0 else None,
        )
        for n, entry in enumerate(entries)
    )
    Question.objects.bulk_create(Question(assessment=row, text="?") for row in rows[::6])
    client = login(client, world.editor)
    whole = keys_listed(client.get(reverse("my_services"), {"sortierung": order, "pro_seite": 100}))
    assert len(whole) == 64
    pages = [
        keys_listed(client.get(reverse("my_services"), {"sortierung": order, "pro_seite": 25, "seite": number}))
        for number in (1, 2, 3)
    ]
    assert [key for page in pages for key in page] == whole


def test_the_first_pages_come_whole_in_one_query_in_the_order_of_the_keys(client, world, monkeypatch):
    """Unfiltered, in the list's own order: the pages within the first WIDE_PAGE_ROWS rows are read whole in one
    query that walks the index of the keys; further pages by their keys first. Both hold their part of the order,
    which is that of the entries' keys (here made in the reverse order of their ids)."""
    monkeypatch.setattr(tables, "WIDE_PAGE_ROWS", 25)
    entries = LeikaEntry.objects.bulk_create(
        LeikaEntry(version=world.version, key=key(200 - n), name=f"Zusatz {n}", typisierung=["5"]) for n in range(60)
    )
    Assessment.objects.bulk_create(Assessment(round=world.round, leika_entry=e, department=world.dep) for e in entries)
    client = login(client, world.editor)
    whole = keys_listed(client.get(reverse("my_services"), {"pro_seite": 100}))
    assert len(whole) == 64 and whole == sorted(whole)
    with CaptureQueriesContext(connection) as queries:
        first = keys_listed(client.get(reverse("my_services"), {"pro_seite": 25}))
    narrow = [q for q in queries if q["sql"].startswith('SELECT "monitoring_assessment"."id" AS "pk" FROM')]
    assert narrow == [], "the first page needs no query of its keys"
    rest = [keys_listed(client.get(reverse("my_services"), {"pro_seite": 25, "seite": n})) for n in (2, 3)]
    assert first + rest[0] + rest[1] == whole
    # Filtered by unit, the same; by anything else, the keys first.
    assert keys_listed(client.get(reverse("my_services"), {"pro_seite": 25, "einheit": world.dep.pk})) == first


@pytest.mark.parametrize("order", ["", "-name", "open_questions"])
def test_a_text_search_counts_its_matches_with_its_page(client, world, order):
    """One query reads both the count and the page's keys; every page, one beyond the last and a search without
    matches still show what they showed when counted apart."""
    entries = LeikaEntry.objects.bulk_create(
        LeikaEntry(version=world.version, key=key(100 + n), name=f"Zusatz {n % 7}", typisierung=["5"])
        for n in range(60)
    )
    Assessment.objects.bulk_create(Assessment(round=world.round, leika_entry=e, department=world.dep) for e in entries)
    client = login(client, world.editor)
    query = {"q": "zusatz", "sortierung": order, "pro_seite": 25}
    whole = keys_listed(client.get(reverse("my_services"), {**query, "pro_seite": 100}))
    assert len(whole) == 60
    with CaptureQueriesContext(connection) as queries:
        first = client.get(reverse("my_services"), query)
    assert first.context["table"].paginator.count == 60
    assert not [q for q in queries if q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "monitoring_assessment"')]
    pages = [keys_listed(client.get(reverse("my_services"), {**query, "seite": number})) for number in (2, 3)]
    assert keys_listed(first) + pages[0] + pages[1] == whole
    beyond = client.get(reverse("my_services"), {**query, "seite": 99})
    assert beyond.context["table"].page.number == 3 and keys_listed(beyond) == pages[1]
    none = client.get(reverse("my_services"), {**query, "q": "nirgends"})
    assert none.context["table"].paginator.count == 0 and keys_listed(none) == []


def test_the_chosen_columns_are_remembered(client, world):
    client = login(client, world.editor)
    headers = [column.name for column in client.get(reverse("my_services")).context["table"].columns]
    assert "themenfeld" not in headers and "status" in headers

    response = client.post(
        reverse("my_services_columns"), {"spalten-columns": ["status", "themenfeld"], "next": "/leistungen/?q=x"}
    )
    assert response.status_code == 302 and response["Location"] == "/leistungen/?q=x"
    assert TablePreference.objects.get(user=world.editor, table="meine_leistungen").columns == ["status", "themenfeld"]
    headers = [column.name for column in client.get(reverse("my_services")).context["table"].columns]
    assert headers == ["selection", "key", "status", "themenfeld", "actions"]
    # Other users keep their own choice.
    other = login(client.__class__(), world.it_office)
    # The name is shown in the key's cell: its own column is hidden but still there to sort by.
    assert "name" in [column.name for column in other.get(reverse("my_services")).context["table"].columns.iterall()]

    client.post(reverse("my_services_columns"), {"standard": "1", "next": "https://example.org/"})
    assert not TablePreference.objects.filter(user=world.editor).exists()


def test_the_users_departments_are_worked_out_once_per_page(client, world):
    client = login(client, world.it_office)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("my_services"), {"status": [Status.DIGITAL]})
    # The header's badges (monitoring.workday.badge_counts) ask once more, for the user's own rows and questions.
    scope = [query for query in queries if "monitoring_departmentrole" in query["sql"]]
    assert len([query for query in scope if "monitoring_question" not in query["sql"]]) == 1


def test_the_filter_choices_are_built_once_and_follow_every_change(client, world):
    client = login(client, world.it_office)
    client.get(reverse("my_services"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("my_services"))
    # Kept: one small query for the key (levels and Themenfelder), none per filter to list its choices.
    assert len([query for query in queries if 'FROM "ozg_themenfeld"' in query["sql"]]) == 1
    assert "Bauen &amp; Wohnen" in response.content.decode()
    world.other_dep.name = "Amt für Soziales"
    world.other_dep.save()
    Themenfeld.objects.filter(name="Bauen & Wohnen").update(name="Bauen und Wohnen")
    content = client.get(reverse("my_services")).content.decode()
    assert "A 50 Amt für Soziales" in content and "Bauen und Wohnen" in content


def test_the_kept_parts_of_the_page_hold_nothing_of_the_request(client, world, monkeypatch):
    """Filter form, bulk form fields and column choice are rendered once and kept in the shared cache: without a CSRF
    token or the time of the request, which each page still gets fresh."""
    from monitoring import fragments

    kept = {}
    monkeypatch.setattr(
        fragments.shared_cache, "set", lambda key, value, timeout=None, **options: kept.__setitem__(key, value)
    )
    client = login(client, world.editor)
    first = client.get(reverse("my_services")).content.decode()
    kept = {key: html for key, html in kept.items() if key.startswith("fragment:")}
    assert len(kept) == 3 and any('name="sammel-status"' in html for html in kept.values())
    assert not [html for html in kept.values() if "csrfmiddlewaretoken" in html or "seen_at" in html]
    monkeypatch.undo()
    client.get(reverse("my_services"))
    second = client.get(reverse("my_services")).content.decode()
    seen = [page.split('name="sammel-seen_at" value="')[1].split('"')[0] for page in (first, second)]
    assert seen[0] != seen[1] and 'name="sammel-status"' in second and 'name="csrfmiddlewaretoken"' in second


ALL_COLUMNS = [
    "name",
    "department",
    "status",
    "maturity_level",
    "ozg",
    "themenfeld",
    "confirmed",
    "open_questions",
    "changed",
]


@pytest.mark.parametrize("persona", ["editor", "it_office"])
@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": "L", "status": [Status.DIGITAL, Status.PDF], "geaendert": "ja"},
        {"sortierung": "name", "seite": "9999"},
        {"sortierung": "-department", "seite": "9999"},
        {"sortierung": "-open_questions"},
        {"sortierung": "changed", "seite": "9999"},
        {"sortierung": "maturity_level", "ozg": "OZG"},
    ],
    ids=["plain", "filtered", "last-page-by-name", "last-page-by-unit", "by-questions", "by-change", "by-level-ozg"],
)
def test_the_list_costs_the_same_queries_for_10_and_1000_rows(client, world, persona, query):
    """Filtered, sorted or not, first or last page, for an editor and for the IT office: the page's queries do not
    grow with its rows (the rows themselves are read in a fixed number of queries) nor with the list."""
    Assessment.objects.filter(round=world.round).delete()
    user = getattr(world, persona)
    url = reverse("my_services")
    TablePreference.objects.create(user=user, table="meine_leistungen", columns=ALL_COLUMNS)
    leistungen = [
        OzgLeistung.objects.create(
            ozg_id=20000 + n, name=f"OZG {n}", themenfeld=Themenfeld.objects.order_by("pk")[n % 5]
        )
        for n in range(3)
    ]

    def add_rows(start, count):
        entries = LeikaEntry.objects.bulk_create(
            LeikaEntry(version=world.version, key=f"98{start + n:06d}001000", name=f"L {start + n}", typisierung=["5"])
            for n in range(count)
        )
        rows = Assessment.objects.bulk_create(
            Assessment(
                round=world.round,
                leika_entry=entry,
                department=world.dep if n % 4 else world.other_dep,
                status=Status.DIGITAL if n % 2 else Status.PDF,
                maturity_level=world.level[n % 4],
                carried_over_from=world.prev[n % 3] if n % 3 else None,
                confirmed_at=timezone.now() if n % 5 == 0 else None,
            )
            for n, entry in enumerate(entries)
        )
        for n, entry in enumerate(entries):
            leistungen[n % 3].leika_entries.add(entry)
        Question.objects.bulk_create(Question(assessment=row, text="?") for row in rows[::3])

    def page():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"pro_seite": 100, **query})
        assert response.status_code == 200
        return response, len(queries)

    add_rows(100, 10)
    login(client, user).get(url, query)  # warm caches (session, content types, choices) so both runs count the same
    few, few_queries = page()
    assert 1 <= len(keys_listed(few)) <= 10

    add_rows(200, 990)
    # The first request after a write counts the round's rows anew (one grouped query, kept for all that follow).
    client.get(url, query)
    many, many_queries = page()
    assert many_queries == few_queries
    assert many.context["table"].paginator.count > 100
    table = many.context["table"]
    assert len(keys_listed(many)) == min(100, table.paginator.count - (table.page.number - 1) * 100)


# --- counts and progress from the rounds' kept figures -------------------------------------------------------------


def database_figures(client, params) -> tuple[int, int, int]:
    """(rows listed, covered by the progress bar, confirmed among those) as the database counts them for the list
    `params` asks for: the same filter applied to the same user's rows, counted apart."""
    from monitoring.access import AccessScope
    from monitoring.filtersets import AssessmentFilterSet

    user = client.get(reverse("my_services")).wsgi_request.user
    scope = AccessScope(user)
    query = QueryDict(urlencode(params, doseq=True))
    listed = AssessmentFilterSet(query, queryset=scope.readable_assessments(), scope=scope).qs
    wider = query.copy()
    for name in ("bestaetigt", "geaendert"):
        wider.pop(name, None)
    covered = AssessmentFilterSet(wider, queryset=scope.readable_assessments(), scope=scope).qs
    return listed.count(), covered.count(), covered.filter(confirmed_at__isnull=False).count()


@pytest.mark.parametrize("persona", ["editor", "it_office"])
@pytest.mark.parametrize(
    "params",
    [{}, {"bestaetigt": "ja"}, {"bestaetigt": "nein"}, {"geaendert": "nein"}, {"q": "Bau"}, {"status": Status.PDF}],
    ids=["all", "confirmed", "unconfirmed", "unchanged", "text", "status"],
)
def test_count_and_progress_agree_with_the_database_and_follow_each_write(client, world, persona, params):
    """The count above the list and its progress bar: from the round's kept figures (unfiltered, by round, unit,
    confirmation) or from the page's own query (text search) or counted apart; always what the database counts,
    also right after a confirmation, an edit and a new row."""
    client = login(client, getattr(world, persona))

    def shown():
        response = client.get(reverse("my_services"), params)
        progress = response.context["progress"]
        return response.context["table"].paginator.count, progress.total, progress.confirmed

    assert shown() == database_figures(client, params)
    row = world.rows[0]
    Assessment.objects.filter(pk=row.pk).update(confirmed_at=timezone.now())
    assert shown() == database_figures(client, params)
    Assessment.objects.filter(pk=world.rows[1].pk).update(status=Status.PDF, confirmed_at=None)
    assert shown() == database_figures(client, params)
    entry = LeikaEntry.objects.create(version=world.version, key=key(90), name="Bauschein", typisierung=["5"])
    Assessment.objects.create(round=world.round, leika_entry=entry, department=world.dep, status=Status.PDF)
    assert shown() == database_figures(client, params)


def test_an_unfiltered_list_is_counted_from_the_kept_figures(client, world):
    """No count of the rows per request: the round's figures are counted once after a write and kept."""
    client = login(client, world.editor)
    client.get(reverse("my_services"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("my_services"), {"bestaetigt": "nein", "einheit": world.dep.pk})
    counting = [
        q["sql"] for q in queries if "COUNT(*)" in q["sql"] or 'COUNT("monitoring_assessment"."id")' in q["sql"]
    ]
    assert counting == [] and response.context["table"].paginator.count > 0


def test_the_rows_escape_what_people_typed(client, world):
    """The rows' template (Jinja2) escapes names and texts as Django's templates would, and every confirm form
    carries the CSRF token."""
    LeikaEntry.objects.filter(pk=world.rows[0].leika_entry_id).update(name='<script>alert("x")</script> & Co')
    Department.objects.filter(pk=world.dep.pk).update(name="Amt <i>für</i> Bürger")
    content = login(client, world.editor).get(reverse("my_services") + '?q=&x="><b>').content.decode()
    assert "<script>alert" not in content and "<i>für" not in content and '"><b>' not in content
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in content
    assert 'title="Amt &lt;i&gt;für&lt;/i&gt; Bürger"' in content
    forms = content.count('class="inline-form"')
    assert forms and content.count('name="csrfmiddlewaretoken"') >= forms
