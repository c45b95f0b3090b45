"""Exports of the crosswalk list of a catalogue version and of the Rückfragen list (.xlsx, .csv).

Each file is read back and compared with what its page shows for the same filter, across all its pages.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leika.crosswalk import Change
from leika.models import CatalogueChange, CatalogueVersion, LeikaEntry
from monitoring.exports.lists import ENTRY_COLUMNS, OLD_SIDE_COLUMNS, QUESTION_HEADER
from monitoring.models import Question
from tests import factories
from tests.factories import leika_key as key
from tests.helpers import login
from tests.test_list_exports import csv_rows, workbook_of

pytestmark = pytest.mark.django_db

OLD_SIDE_HEADER = [heading for heading, _ in OLD_SIDE_COLUMNS]
ENTRY_HEADER = [heading for heading, _ in ENTRY_COLUMNS]
TEXT_COLUMN = QUESTION_HEADER.index("Rückfrage")


@pytest.fixture
def world():
    return factories.workspace_world()


def rows_of(workbook, sheet: str) -> list[tuple]:
    return list(workbook[sheet].iter_rows(values_only=True))


def method_of(workbook) -> dict[str, str]:
    return {row[0]: row[1] for row in workbook["Methode"].iter_rows(min_row=2, values_only=True)}


def all_pages(client, url: str, query: dict, record_label) -> list[str]:
    """What the list page shows for the filter, page by page, one label per row."""
    labels, page = [], 1
    while True:
        response = client.get(url, {**query, "seite": page})
        assert response.status_code == 200
        shown = response.context["table"].page
        labels += [record_label(row.record) for row in shown]
        if not shown.has_next():
            return labels
        page += 1


# --- the crosswalk of a catalogue version ---------------------------------------------------------------------------


def subject(number: int) -> str:
    return "Jagdschein" if number % 3 == 0 else "Hundesteuer"


class Catalogues:
    """Katalog 2023 and its successor Katalog 2024: even old keys stay, odd ones are gone; the new version adds keys."""

    def __init__(self):
        self.old = CatalogueVersion.objects.create(name="Katalog 2023", valid_from=datetime.date(2023, 1, 1))
        self.new = CatalogueVersion.objects.create(
            name="Katalog 2024", valid_from=datetime.date(2024, 1, 1), predecessor=self.old
        )
        self.unrelated = CatalogueVersion.objects.create(name="Fremd 2024", valid_from=datetime.date(2024, 6, 1))
        self.next = 1

    def add(self, count: int) -> None:
        numbers = range(self.next, self.next + count)
        self.next += count
        old = LeikaEntry.objects.bulk_create(
            LeikaEntry(version=self.old, key=key(n), name=f"{subject(n)} Variante {n}") for n in numbers
        )
        kept = {entry.key: entry for entry in old if int(entry.key[5:8]) % 2 == 0}
        new = LeikaEntry.objects.bulk_create(
            [
                LeikaEntry(
                    version=self.new,
                    key=entry.key,
                    name=entry.name,
                    change=Change.UNVERAENDERT,
                    predecessor=entry,
                )
                for entry in kept.values()
            ]
            + [LeikaEntry(version=self.new, key=f"{key(n)[:-3]}009", name=f"{subject(n)} Neu {n}") for n in numbers]
        )
        LeikaEntry.objects.filter(version=self.new, change="").update(change=Change.NEU)
        successor = {entry.key: entry for entry in new}
        CatalogueChange.objects.bulk_create(
            CatalogueChange(
                version=self.new,
                entry=entry,
                kind=Change.UNVERAENDERT if entry.key in kept else Change.ENTFALLEN,
                successor=successor.get(entry.key) if entry.key in kept else None,
            )
            for entry in old
        )
        LeikaEntry.objects.bulk_create(
            LeikaEntry(version=self.unrelated, key=key(n), name=f"Hundesteuer Variante {n}") for n in numbers
        )


@pytest.fixture
def catalogues():
    return Catalogues()


def change_key(change) -> str:
    return change.entry.key


def entry_key(entry) -> str:
    return entry.key


def test_the_crosswalk_xlsx_of_an_old_side_class_holds_exactly_the_rows_of_all_pages(client, world, catalogues):
    catalogues.add(400)
    login(client, world.reader)
    query = {"klasse": Change.ENTFALLEN, "q": "hundesteuer"}
    listed = all_pages(client, reverse("crosswalk", args=[catalogues.new.pk]), query, change_key)
    assert len(listed) > 100, "mehr Treffer als eine Seite"
    assert len(listed) < catalogues.new.changes.filter(kind=Change.ENTFALLEN).count(), "der Filter grenzt ein"

    response = client.get(reverse("crosswalk_xlsx", args=[catalogues.new.pk]), {**query, "seite": 2})
    rows = rows_of(workbook_of(response), "Abgleich")
    assert list(rows[0]) == OLD_SIDE_HEADER
    assert [row[0] for row in rows[1:]] == listed
    assert all(row[2] == "entfallen" and row[3] is None for row in rows[1:])
    assert response["Content-Disposition"] == 'attachment; filename="abgleich-katalog-2024-entfallen.xlsx"'


def test_the_crosswalk_csv_of_the_entries_holds_exactly_the_rows_of_all_pages(client, world, catalogues):
    catalogues.add(160)
    login(client, world.editor)
    query = {"q": "Hundesteuer"}
    listed = all_pages(client, reverse("crosswalk", args=[catalogues.new.pk]), query, entry_key)
    assert len(listed) > 100, "mehr Treffer als eine Seite"
    assert len(listed) < catalogues.new.entries.count(), "der Filter grenzt ein"

    response = client.get(reverse("crosswalk_csv", args=[catalogues.new.pk]), query)
    assert response.streaming
    rows = csv_rows(response)
    assert rows[0] == ENTRY_HEADER
    assert [row[0] for row in rows[1:]] == listed
    assert response["Content-Disposition"] == 'attachment; filename="abgleich-katalog-2024.csv"'


def test_a_crosswalk_row_names_class_successor_and_origin(client, world, catalogues):
    catalogues.add(4)
    login(client, world.reader)
    url = reverse("crosswalk_xlsx", args=[catalogues.new.pk])

    old_side = rows_of(workbook_of(client.get(url, {"klasse": Change.UNVERAENDERT})), "Abgleich")
    assert old_side[1:] == [
        (key(2), "Hundesteuer Variante 2", "unverändert", key(2), "Hundesteuer Variante 2"),
        (key(4), "Hundesteuer Variante 4", "unverändert", key(4), "Hundesteuer Variante 4"),
    ]
    entries = rows_of(workbook_of(client.get(url, {"q": key(2)[:8]})), "Abgleich")
    assert entries[1:] == [
        (key(2), "Hundesteuer Variante 2", "unverändert", key(2), "Hundesteuer Variante 2"),
        (f"{key(2)[:-3]}009", "Hundesteuer Neu 2", "neu", None, None),
    ]


def test_the_crosswalk_xlsx_says_how_it_counts_on_a_sheet_method(client, world, catalogues):
    catalogues.add(10)
    login(client, world.reader)
    response = client.get(
        reverse("crosswalk_xlsx", args=[catalogues.new.pk]), {"klasse": Change.ENTFALLEN, "q": "Hundesteuer"}
    )
    workbook = workbook_of(response)
    assert workbook.sheetnames == ["Abgleich", "Methode"]
    notes = method_of(workbook)
    assert notes["Zähleinheit"] == "eine Zeile je Schlüssel der Vorgängerversion und was aus ihm wurde"
    assert "Klasse „entfallen“" in notes["Umfang"] and "„Hundesteuer“" in notes["Umfang"]
    assert notes["Katalogversion"] == "Katalog 2024"
    assert notes["Vorgängerversion"] == "Katalog 2023"
    assert "Uhr" in notes["Stichtag"]
    assert notes["Anzahl Zeilen"] == "3" == str(len(rows_of(workbook, "Abgleich")) - 1)

    notes = method_of(workbook_of(client.get(reverse("crosswalk_xlsx", args=[catalogues.unrelated.pk]))))
    assert notes["Zähleinheit"] == "eine Zeile je Eintrag (LeiKa-Leistung) der Katalogversion"
    assert notes["Umfang"] == "alle Einträge der Version"
    assert notes["Vorgängerversion"] == "keine (kein Abgleich)"


def test_the_crosswalk_page_links_both_exports_with_its_filter(client, world, catalogues):
    login(client, world.reader)
    url = reverse("crosswalk", args=[catalogues.new.pk])
    content = client.get(url, {"klasse": "entfallen", "q": "Hund", "seite": "1"}).content.decode()
    assert f'href="/kataloge/{catalogues.new.pk}/abgleich.xlsx?klasse=entfallen&amp;q=Hund"' in content
    assert f'href="/kataloge/{catalogues.new.pk}/abgleich.csv?klasse=entfallen&amp;q=Hund"' in content


def test_crosswalk_names_that_a_spreadsheet_would_run_are_neutralised(client, world, catalogues):
    catalogues.add(2)
    LeikaEntry.objects.filter(version=catalogues.old, key=key(1)).update(name='=HYPERLINK("http://x";"klick")')
    login(client, world.reader)
    query = {"klasse": Change.ENTFALLEN}
    rows = rows_of(workbook_of(client.get(reverse("crosswalk_xlsx", args=[catalogues.new.pk]), query)), "Abgleich")
    assert rows[1][1] == '\'=HYPERLINK("http://x";"klick")'
    rows = csv_rows(client.get(reverse("crosswalk_csv", args=[catalogues.new.pk]), query))
    assert rows[1][1] == '\'=HYPERLINK("http://x";"klick")'


def test_the_crosswalk_export_holds_only_its_version_and_needs_a_login(client, world, catalogues):
    catalogues.add(6)
    for name in ("crosswalk_xlsx", "crosswalk_csv"):
        response = client.get(reverse(name, args=[catalogues.new.pk]))
        assert response.status_code == 302 and response["Location"].startswith("/anmelden/")
    login(client, world.reader)
    rows = csv_rows(client.get(reverse("crosswalk_csv", args=[catalogues.new.pk]), {"klasse": "erfunden"}))
    assert [row[0] for row in rows[1:]] == list(catalogues.new.entries.order_by("key").values_list("key", flat=True)), (
        "eine unbekannte Klasse gilt wie auf der Seite als keine"
    )
    assert client.get(reverse("crosswalk_csv", args=[999999])).status_code == 404


@pytest.mark.parametrize("name", ["crosswalk_xlsx", "crosswalk_csv"])
@pytest.mark.parametrize("kind", [Change.UNVERAENDERT, ""])
def test_the_crosswalk_export_costs_the_same_queries_for_few_and_many_rows(client, world, catalogues, name, kind):
    login(client, world.reader)
    url = reverse(name, args=[catalogues.new.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"klasse": kind, "q": "Hundesteuer"})
            assert response.status_code == 200
            b"".join(response.streaming_content)
        return len(captured)

    catalogues.add(10)
    few = queries()
    catalogues.add(300)
    assert queries() == few


# --- the Rückfragen ------------------------------------------------------------------------------------------------


def ask(world, count: int, *, start: int = 1, assessment=None, answered_every: int = 0) -> None:
    """`count` Rückfragen on the editor's rows (or on `assessment`), at differing times; every n-th one answered."""
    targets = [assessment] if assessment else world.rows[:4]
    questions = Question.objects.bulk_create(
        Question(assessment=targets[n % len(targets)], text=f"Rückfrage Nummer {n}", asked_by=world.it_office)
        for n in range(start, start + count)
    )
    base = timezone.now() - datetime.timedelta(days=30)
    for offset in range(7):
        Question.objects.filter(pk__in=[q.pk for q in questions[offset::7]]).update(
            asked_at=base + datetime.timedelta(hours=offset)
        )
    if answered_every:
        Question.objects.filter(pk__in=[q.pk for q in questions[::answered_every]]).update(
            answer="Ja.", answered_by=world.editor, answered_at=timezone.now()
        )


def question_text(question) -> str:
    return question.text


@pytest.mark.parametrize("query", [{}, {"alle": "1"}])
def test_the_questions_xlsx_holds_exactly_the_rows_of_all_pages(client, world, query):
    ask(world, 150, answered_every=3)
    login(client, world.editor)
    listed = all_pages(client, reverse("questions"), query, question_text)
    assert len(listed) > 50, "mehr Treffer als eine Seite"

    response = client.get(reverse("questions_xlsx"), {**query, "seite": 2})
    rows = rows_of(workbook_of(response), "Rückfragen")
    assert list(rows[0]) == QUESTION_HEADER
    assert [row[TEXT_COLUMN] for row in rows[1:]] == listed
    expected = "rueckfragen-alle.xlsx" if query else "rueckfragen-offen.xlsx"
    assert response["Content-Disposition"] == f'attachment; filename="{expected}"'


@pytest.mark.parametrize("query", [{}, {"alle": "1"}])
def test_the_questions_csv_holds_exactly_the_rows_of_all_pages(client, world, query):
    ask(world, 150, answered_every=4)
    login(client, world.it_office)
    listed = all_pages(client, reverse("questions"), query, question_text)
    assert len(listed) > 50

    response = client.get(reverse("questions_csv"), query)
    assert response.streaming
    rows = csv_rows(response)
    assert rows[0] == QUESTION_HEADER
    assert [row[TEXT_COLUMN] for row in rows[1:]] == listed


def test_a_question_row_carries_every_column(client, world):
    Question.objects.filter(pk=world.question.pk).update(
        answer="Seit März.", answered_by=world.editor, answered_at=timezone.now()
    )
    login(client, world.editor)
    rows = rows_of(workbook_of(client.get(reverse("questions_xlsx"), {"alle": "1"})), "Rückfragen")
    assert len(rows) == 2
    row = dict(zip(QUESTION_HEADER, rows[1], strict=True))
    assert row["Organisation"] == "Musterstadt"
    assert row["Erhebungsrunde"] == 2024
    assert row["Organisationseinheit"] == "A 12 Bürgeramt"
    assert row["Leistungsschlüssel"] == key(2)
    assert row["Bezeichnung"] == "Leistung Bauantrag"
    assert row["Rückfrage"] == "Ist der Onlinedienst schon live?"
    assert row["gestellt von"] == "It"
    assert row["gestellt am"].tzinfo is None, "Excel kennt keine Zeitzonen: lokale Uhrzeit"
    assert row["Antwort"] == "Seit März."
    assert row["beantwortet von"] == "Editor"
    assert isinstance(row["beantwortet am"], datetime.datetime)

    text = csv_rows(client.get(reverse("questions_csv"), {"alle": "1"}))[1]
    assert text[QUESTION_HEADER.index("gestellt am")] == row["gestellt am"].strftime("%d.%m.%Y %H:%M")
    assert csv_rows(client.get(reverse("questions_csv"))) == [QUESTION_HEADER], "beantwortet: nicht mehr offen"


def test_the_questions_xlsx_says_how_it_counts_on_a_sheet_method(client, world):
    ask(world, 5)
    login(client, world.editor)
    workbook = workbook_of(client.get(reverse("questions_xlsx")))
    assert workbook.sheetnames == ["Rückfragen", "Methode"]
    notes = method_of(workbook)
    assert notes["Zähleinheit"] == "eine Zeile je Rückfrage zu einer Bewertung"
    assert notes["Umfang"].startswith("nur offene Rückfragen")
    assert notes["Erhebungsrunden"] == "Musterstadt 2024"
    assert "Uhr" in notes["Stichtag"]
    assert notes["Anzahl Zeilen"] == "6" == str(len(rows_of(workbook, "Rückfragen")) - 1)
    assert method_of(workbook_of(client.get(reverse("questions_xlsx"), {"alle": "1"})))["Umfang"].startswith(
        "alle Rückfragen"
    )


def test_the_questions_page_links_both_exports_with_its_filter(client, world):
    content = login(client, world.editor).get(reverse("questions"), {"alle": "1", "seite": "1"}).content.decode()
    assert 'href="/rueckfragen.xlsx?alle=1"' in content
    assert 'href="/rueckfragen.csv?alle=1"' in content


def test_question_texts_that_a_spreadsheet_would_run_are_neutralised(client, world):
    Question.objects.filter(pk=world.question.pk).update(
        text="=1+1", answer="-nein", answered_by=world.editor, answered_at=timezone.now()
    )
    LeikaEntry.objects.filter(pk=world.entries[1].pk).update(name="@SUMME(A1)")
    login(client, world.editor)
    xlsx = rows_of(workbook_of(client.get(reverse("questions_xlsx"), {"alle": "1"})), "Rückfragen")
    row = dict(zip(QUESTION_HEADER, xlsx[1], strict=True))
    assert (row["Rückfrage"], row["Antwort"], row["Bezeichnung"]) == ("'=1+1", "'-nein", "'@SUMME(A1)")
    row = dict(zip(QUESTION_HEADER, csv_rows(client.get(reverse("questions_csv"), {"alle": "1"}))[1], strict=True))
    assert (row["Rückfrage"], row["Antwort"], row["Bezeichnung"]) == ("'=1+1", "'-nein", "'@SUMME(A1)")


def test_questions_on_rows_the_user_may_not_read_are_not_exported(client, world):
    ask(world, 3, start=900, assessment=world.rows[4])  # the other department of the same organisation
    ask(world, 3, start=950, assessment=world.foreign_row)  # another organisation

    login(client, world.editor)
    texts = {row[TEXT_COLUMN] for row in csv_rows(client.get(reverse("questions_csv"), {"alle": "1"}))[1:]}
    assert texts == {"Ist der Onlinedienst schon live?"}
    xlsx = rows_of(workbook_of(client.get(reverse("questions_xlsx"), {"alle": "1"})), "Rückfragen")
    assert {row[TEXT_COLUMN] for row in xlsx[1:]} == texts

    login(client, world.it_office)
    texts = {row[TEXT_COLUMN] for row in csv_rows(client.get(reverse("questions_csv")))[1:]}
    assert "Rückfrage Nummer 900" in texts and not any(text.startswith("Rückfrage Nummer 95") for text in texts)

    login(client, world.foreign_it)
    texts = [row[TEXT_COLUMN] for row in csv_rows(client.get(reverse("questions_csv")))[1:]]
    assert sorted(texts) == ["Rückfrage Nummer 950", "Rückfrage Nummer 951", "Rückfrage Nummer 952"]

    client.logout()
    for name in ("questions_xlsx", "questions_csv"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/anmelden/")


@pytest.mark.parametrize("name", ["questions_xlsx", "questions_csv"])
def test_the_questions_export_costs_the_same_queries_for_few_and_many_rows(client, world, name):
    login(client, world.editor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse(name), {"alle": "1"})
            assert response.status_code == 200
            b"".join(response.streaming_content)
        return len(captured)

    ask(world, 10, answered_every=2)
    few = queries()
    ask(world, 300, start=100, answered_every=2)
    assert queries() == few
