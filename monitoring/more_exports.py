"""The crosswalk list of a catalogue version and the Rückfragen list as .xlsx and .csv: the rows their page shows.

Each export asks the same row function as its page (`crosswalk_rows`, `question_rows`) with the same querystring, so
the file holds exactly the page's rows over all its pages, in its order. Rows are read with `values_list` in chunks
and written as they come; workbook, CSV and the responses are those of "Meine Leistungen".
"""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from leika.crosswalk import OLD_SIDE, Change
from leika.models import CatalogueVersion

from .catalogue_views import crosswalk_filter, crosswalk_rows
from .exports import csv_lines, list_workbook
from .list_exports import CHUNK_SIZE, csv_response, cutoff_text, xlsx_response
from .workspace import includes_answered, question_rows

CHANGE_LABEL = dict(Change.choices)

# --- the crosswalk of a catalogue version ---------------------------------------------------------------------------

# (heading, width); the old side lists what became of the predecessor's keys, the other side this version's entries.
OLD_SIDE_COLUMNS = (
    ("Schlüssel", 17),
    ("Bezeichnung", 60),
    ("Änderung", 16),
    ("Nachfolger-Schlüssel", 20),
    ("Nachfolger-Bezeichnung", 60),
)
OLD_SIDE_FIELDS = ("entry__key", "entry__name", "kind", "successor__key", "successor__name")
ENTRY_COLUMNS = (
    ("Schlüssel", 17),
    ("Bezeichnung", 60),
    ("Änderung zur Vorversion", 24),
    ("Herkunft-Schlüssel", 20),
    ("Herkunft-Bezeichnung", 60),
)
ENTRY_FIELDS = ("key", "name", "change", "predecessor__key", "predecessor__name")


class CrosswalkExport:
    """The crosswalk list for one querystring: its rows as plain values and how they were chosen."""

    def __init__(self, version: CatalogueVersion, params):
        self.version = version
        self.kind, self.query = crosswalk_filter(params)
        self.old_side = self.kind in OLD_SIDE
        columns = OLD_SIDE_COLUMNS if self.old_side else ENTRY_COLUMNS
        self.header = [heading for heading, _ in columns]
        self.widths = [width for _, width in columns]

    def __iter__(self):
        fields = OLD_SIDE_FIELDS if self.old_side else ENTRY_FIELDS
        rows = crosswalk_rows(self.version, self.kind, self.query).values_list(*fields)
        for key, name, change, other_key, other_name in rows.iterator(chunk_size=CHUNK_SIZE):
            yield key, name, CHANGE_LABEL.get(change) or None, other_key, other_name

    def counting_unit(self) -> str:
        if self.old_side:
            return "eine Zeile je Schlüssel der Vorgängerversion und was aus ihm wurde"
        return "eine Zeile je Eintrag (LeiKa-Leistung) der Katalogversion"

    def filter_in_words(self) -> str:
        if self.old_side:
            parts = [f"Schlüssel der Vorgängerversion in der Klasse „{CHANGE_LABEL[self.kind]}“"]
        elif self.kind:
            parts = [f"Einträge der Version in der Klasse „{CHANGE_LABEL[self.kind]}“"]
        else:
            parts = ["alle Einträge der Version"]
        if self.query:
            parts.append(f"Schlüssel beginnt mit oder Bezeichnung enthält „{self.query}“")
        return "; ".join(parts)

    def method(self, cutoff) -> Callable[[int], list[tuple[str, str]]]:
        def lines(count: int) -> list[tuple[str, str]]:
            predecessor = self.version.predecessor
            return [
                ("Zähleinheit", self.counting_unit()),
                ("Umfang", self.filter_in_words()),
                ("Katalogversion", self.version.name),
                ("Vorgängerversion", predecessor.name if predecessor else "keine (kein Abgleich)"),
                ("Stichtag", cutoff_text(cutoff)),
                ("Anzahl Zeilen", str(count)),
            ]

        return lines

    def file_name(self, extension: str) -> str:
        parts = ["abgleich", slugify(self.version.name) or str(self.version.pk)]
        if self.kind:
            parts.append(self.kind)
        return f"{'-'.join(parts)}.{extension}"


def crosswalk_export(request, pk) -> CrosswalkExport:
    version = get_object_or_404(CatalogueVersion.objects.select_related("predecessor"), pk=pk)
    return CrosswalkExport(version, request.GET)


@login_required
@require_GET
def crosswalk_xlsx(request, pk):
    export = crosswalk_export(request, pk)
    workbook = list_workbook(
        export.header,
        export,
        sheet_title="Abgleich",
        title=f"Abgleich der Katalogversion {export.version.name}",
        widths=export.widths,
        method=export.method(timezone.now()),
    )
    return xlsx_response(workbook, export.file_name("xlsx"))


@login_required
@require_GET
def crosswalk_csv(request, pk):
    export = crosswalk_export(request, pk)
    return csv_response(csv_lines(export.header, export), export.file_name("csv"))


# --- the Rückfragen --------------------------------------------------------------------------------------------

QUESTION_COLUMNS = (
    ("Organisation", 24),
    ("Erhebungsrunde", 10),
    ("Organisationseinheit", 30),
    ("Leistungsschlüssel", 17),
    ("Bezeichnung", 50),
    ("Rückfrage", 60),
    ("gestellt von", 24),
    ("gestellt am", 17),
    ("Antwort", 60),
    ("beantwortet von", 24),
    ("beantwortet am", 17),
)
QUESTION_HEADER = [heading for heading, _ in QUESTION_COLUMNS]
QUESTION_WIDTHS = [width for _, width in QUESTION_COLUMNS]
QUESTION_DATETIME_COLUMNS = (QUESTION_HEADER.index("gestellt am"), QUESTION_HEADER.index("beantwortet am"))
QUESTION_FIELDS = (
    "assessment__round__organisation__name",
    "assessment__round__year",
    "assessment__department__code",
    "assessment__department__name",
    "assessment__leika_entry__key",
    "assessment__leika_entry__name",
    "text",
    "asked_by__first_name",
    "asked_by__last_name",
    "asked_by__username",
    "asked_at",
    "answer",
    "answered_by__first_name",
    "answered_by__last_name",
    "answered_by__username",
    "answered_at",
)


def person(first_name, last_name, username) -> str | None:
    """A user as the pages name them: the full name, else the user name; None for a deleted user."""
    return f"{first_name or ''} {last_name or ''}".strip() or username


class QuestionExport:
    """The Rückfragen list of a user for one querystring: its rows as plain values; notes the rounds it met."""

    def __init__(self, user, params):
        self.include_answered = includes_answered(params)
        self.queryset = question_rows(user, include_answered=self.include_answered)
        self.rounds: set[tuple[str, int]] = set()

    def __iter__(self):
        rounds = self.rounds
        rows = self.queryset.values_list(*QUESTION_FIELDS).iterator(chunk_size=CHUNK_SIZE)
        for (
            organisation,
            year,
            code,
            department,
            key,
            name,
            text,
            asker_first,
            asker_last,
            asker,
            asked_at,
            answer,
            answerer_first,
            answerer_last,
            answerer,
            answered_at,
        ) in rows:
            rounds.add((organisation, year))
            yield (
                organisation,
                year,
                f"{code} {department}",
                key,
                name,
                text,
                person(asker_first, asker_last, asker),
                asked_at,
                answer or None,
                person(answerer_first, answerer_last, answerer),
                answered_at,
            )

    def filter_in_words(self) -> str:
        shown = "alle Rückfragen, offene und beantwortete" if self.include_answered else "nur offene Rückfragen"
        return f"{shown}, zu Bewertungen der Organisationseinheiten, die Sie lesen dürfen"

    def method(self, cutoff) -> Callable[[int], list[tuple[str, str]]]:
        def lines(count: int) -> list[tuple[str, str]]:
            rounds = ", ".join(f"{organisation} {year}" for organisation, year in sorted(self.rounds))
            return [
                ("Zähleinheit", "eine Zeile je Rückfrage zu einer Bewertung"),
                ("Umfang", self.filter_in_words()),
                ("Erhebungsrunden", rounds or "–"),
                ("Stichtag", cutoff_text(cutoff)),
                ("Anzahl Zeilen", str(count)),
            ]

        return lines

    def file_name(self, extension: str) -> str:
        return f"rueckfragen-{'alle' if self.include_answered else 'offen'}.{extension}"


@login_required
@require_GET
def questions_xlsx(request):
    export = QuestionExport(request.user, request.GET)
    workbook = list_workbook(
        QUESTION_HEADER,
        export,
        sheet_title="Rückfragen",
        title="Rückfragen",
        widths=QUESTION_WIDTHS,
        datetime_columns=QUESTION_DATETIME_COLUMNS,
        method=export.method(timezone.now()),
    )
    return xlsx_response(workbook, export.file_name("xlsx"))


@login_required
@require_GET
def questions_csv(request):
    export = QuestionExport(request.user, request.GET)
    return csv_response(csv_lines(QUESTION_HEADER, export), export.file_name("csv"))
