"""The tables of the filtered lists (Meine Leistungen, crosswalk, Rückfragen, OZG-Planung): columns, what rows need."""

from functools import cache, cached_property

import django_tables2 as tables
from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Aggregate, CharField, Count, F, OuterRef, Q, Subquery, TextField, Value, Window
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django_tables2.data import TableQuerysetData
from django_tables2.rows import BoundRows
from markupsafe import escape

from leika.prepared import PreparedQuery
from ozg.models import OzgLeistung, level_name

from .choices import STATUS_BADGE, STATUS_BADGE_VARIANT, PlanState, Status
from .filtersets import CHANGED_SINCE_LAST_ROUND, with_row_figures
from .links import PLACEHOLDER, address_pattern, assessment_url
from .models import Assessment, TablePreference
from .planning import plan_of

TABLE_NAME = "meine_leistungen"
# Selection, key and actions are always shown: without them a row can be neither found again nor edited.
CHOOSABLE_COLUMNS = (
    ("name", "Leistung"),
    ("department", "Einheit"),
    ("status", "Status"),
    ("maturity_level", "Reifegrad"),
    ("ozg", "OZG-Leistung(en)"),
    ("themenfeld", "Themenfeld"),
    ("confirmed", "bestätigt"),
    ("open_questions", "offene Rückfragen"),
    ("changed", "geändert seit Vorrunde"),
)
DEFAULT_COLUMNS = [name for name, _ in CHOOSABLE_COLUMNS if name != "themenfeld"]
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50


STORED_COLUMNS = PreparedQuery(
    TablePreference,
    lambda user: TablePreference.objects.filter(user=user, table=TABLE_NAME).values_list("columns", flat=True),
)


def chosen_columns(user) -> list[str]:
    """The user's remembered choice of columns, or the defaults."""
    stored = next(iter(STORED_COLUMNS(user=user.pk)), None) if user.pk else None  # one at most per user and table
    if stored is None:
        return list(DEFAULT_COLUMNS)
    known = {name for name, _ in CHOOSABLE_COLUMNS}
    return [name for name in stored if name in known]


def remember_columns(user, columns: list[str]) -> None:
    TablePreference.objects.update_or_create(user=user, table=TABLE_NAME, defaults={"columns": list(columns)})


# What a row of "Meine Leistungen" shows, read as plain values: no model instances for a page of rows.
ROW_FIELDS = (
    "pk",
    "version",
    "status",
    "confirmed_at",
    "carried_over_from_id",
    "department_id",
    "leika_entry_id",
    "open_questions",
    "changed_since_last_round",
)
ROW_RELATED = {
    "key": F("leika_entry__key"),
    "name": F("leika_entry__name"),
    "level_value": F("maturity_level__value"),
    "level_label": F("maturity_level__label"),
}
# What a row shows of its department and round, read with it unless the table is told them (MyServicesTable's
# `departments` and `closed_rounds`).
ROW_SCOPE = {
    "department_code": F("department__code"),
    "department_name": F("department__name"),
    "round_closed": F("round__is_closed"),
}


# Between the OZG-Leistungen of a row as the database joins them, and between the OZG id, name and Themenfeld of
# each: control characters, in no name.
SEPARATOR, FIELD = "\x1e", "\x1f"


class Joined(Aggregate):
    """The texts of a group as one text, separated by SEPARATOR, in no particular order (PostgreSQL's STRING_AGG,
    SQLite's GROUP_CONCAT, which orders by nothing before SQLite 3.44): whoever reads it sorts."""

    function = "STRING_AGG"
    output_field = TextField()

    def __init__(self, expression, **extra):
        super().__init__(expression, Value(SEPARATOR), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


# A row's OZG-Leistungen, each as "ozg_id FIELD name FIELD Themenfeld", read with the row in one subquery: no query
# of their own (see ozg_of_row).
ROW_OZG = {
    "ozg": Subquery(
        OzgLeistung.leika_entries.through.objects.filter(leikaentry=OuterRef("leika_entry"))
        .order_by()
        .values("leikaentry")
        .annotate(
            texts=Joined(
                Concat(
                    Cast("ozgleistung__ozg_id", CharField()),
                    Value(FIELD),
                    "ozgleistung__name",
                    Value(FIELD),
                    "ozgleistung__themenfeld__name",
                )
            )
        )
        .values("texts")
    )
}


def ozg_of_row(texts: str | None) -> tuple[str, str]:
    """(its OZG-Leistungen as "ozg_id name" in the order of their ids, its Themenfelder by name, each once), joined
    with ", ", from ROW_OZG's text of a row."""
    if not texts:
        return "", ""
    leistungen = sorted(
        (int(ozg_id), name, themenfeld)
        for ozg_id, name, themenfeld in (text.split(FIELD) for text in texts.split(SEPARATOR))
    )
    labels = ", ".join(f"{ozg_id} {name}" for ozg_id, name, _ in leistungen)
    return labels, ", ".join(sorted({themenfeld for *_, themenfeld in leistungen}))


def table_rows(queryset, *, scope_known: bool = False):
    """The rows as "Meine Leistungen" shows them, with their OZG-Leistungen, in one query however many there are.
    `scope_known`: the table knows the departments and rounds, so the query does not join them (each join costs the
    database more to plan the query than to run it for a page of rows)."""
    related = ROW_RELATED if scope_known else {**ROW_RELATED, **ROW_SCOPE}
    return with_row_figures(queryset).values(*ROW_FIELDS, "round_id", **related, **ROW_OZG)


# The rows of a page of "Meine Leistungen" by their keys, of the readable departments only (the keys come from the
# scoped list anyway): one query compiled once per process for each number of departments and keys.
PAGE_ROWS = PreparedQuery(
    Assessment,
    lambda departments, keys: table_rows(
        Assessment.objects.filter(department_id__in=departments, pk__in=keys).order_by(), scope_known=True
    ),
)

# Every text of a row that is not made of digits and our own addresses: escaped in plain_rows, so that the rows'
# template (no escaping of its own) shows them as text (a name "<b>" as "&lt;b&gt;").
ESCAPED_ROW_TEXTS = (
    "key",
    "name",
    "label",
    "department_code",
    "department_name",
    "maturity",
    "ozg",
    "themenfeld",
    "confirmed",
    "changed",
    "notice",
    "feedback",
)


def page_rows_of(departments: list[int]):
    """The `rows` of a NarrowPagePaginator over "Meine Leistungen": the page's rows read by their keys."""
    return lambda keys: PAGE_ROWS(departments=departments, keys=keys)


# The rows of departments in rounds in the list's own order (round, key), a slice of them: the database walks the
# index of a round's keys (by department, or of all departments) and reads the joined values of those rows alone.
ROWS_IN_ORDER = PreparedQuery(
    Assessment,
    lambda departments, rounds: table_rows(
        Assessment.objects.filter(department_id__in=departments, round_id__in=rounds).order_by(
            "round_id", "entry_key", "pk"
        ),
        scope_known=True,
    ),
)


def rows_in_order_of(departments: list[int], rounds: list[int]):
    """The `wide_page` of a NarrowPagePaginator over all rows of `departments` in `rounds`, in the list's order."""
    return lambda low, high: ROWS_IN_ORDER(departments=departments, rounds=rounds, rows=(low, high))


@cache
def badge_of_status(status: str) -> str:
    """The badge of a status: a label and a colour (and an icon where KERN has one), built once per status."""
    variant = STATUS_BADGE_VARIANT.get(status, "")
    icon = (
        format_html('<span class="kern-icon kern-icon--{}" aria-hidden="true"></span>', variant)
        if variant in ("success", "info", "warning", "danger")
        else ""
    )
    return format_html(
        '<span class="kern-badge kern-badge--small{} {}">{}<span class="kern-label">{}</span></span>',
        f" kern-badge--{variant}" if variant else "",
        STATUS_BADGE.get(status, ""),
        icon,
        Status(status).label if status in Status.values else status,
    )


def status_badge(assessment) -> str:
    return badge_of_status(assessment.status)


def confirmation_text(assessment) -> str:
    return confirmed_text(assessment.confirmed_at)


def confirmed_text(confirmed_at) -> str:
    if confirmed_at is None:
        return "Nein"
    return f"Ja, {date_format(timezone.localtime(confirmed_at), 'd.m.Y')}"


class EditableListMeta:
    """What the editable lists ("Meine Leistungen", OZG-Planung) share: one template, German parameter names."""

    template_name = "monitoring/_list_table.html"
    order_by_field = "sortierung"
    page_field = "seite"
    per_page_field = "pro_seite"


def descending(names, is_descending: bool) -> list[str]:
    return [f"-{name}" if is_descending else name for name in names]


class MyServicesTable(tables.Table):
    """The columns, their order and which of them the user chose; the rows themselves are plain values
    (`page_rows`) that one template (`rows_template`) renders, on the page as for a single row sent back by htmx."""

    # For monitoring/_list_table.html: the table's id, what its caption counts, the template of the rows.
    html_id = "leistungen"
    caption_noun = "Leistungen"
    rows_template = "monitoring/workspace/rows.html"

    selection = tables.Column(verbose_name="Auswahl", empty_values=(), orderable=False)
    key = tables.Column(verbose_name="Leistung", accessor="leika_entry__key", order_by=("entry_key", "pk"))
    name = tables.Column(verbose_name="Leistung", accessor="leika_entry__name", order_by=("leika_entry__name", "pk"))
    department = tables.Column(
        verbose_name="Einheit", accessor="department__code", order_by=("department__code", "entry_key", "pk")
    )
    status = tables.Column(verbose_name="Status", order_by=("status", "entry_key", "pk"))
    maturity_level = tables.Column(
        verbose_name="Reifegrad", order_by=("maturity_level__value", "entry_key", "pk"), default="–"
    )
    ozg = tables.Column(verbose_name="OZG-Leistung(en)", empty_values=(), orderable=False)
    themenfeld = tables.Column(verbose_name="Themenfeld", empty_values=(), orderable=False)
    confirmed = tables.Column(
        verbose_name="bestätigt", accessor="confirmed_at", empty_values=(), order_by=("confirmed_at", "pk")
    )
    open_questions = tables.Column(verbose_name="offene Rückfragen", order_by=("open_questions", "pk"))
    changed = tables.Column(
        verbose_name="geändert seit Vorrunde",
        accessor="changed_since_last_round",
        order_by=("changed_since_last_round", "pk"),
    )
    actions = tables.Column(verbose_name="Aktionen", empty_values=(), orderable=False)

    class Meta(EditableListMeta):
        empty_text = "Keine Leistungen gefunden."
        # No column is sorted until one is chosen (the list's own order is by round and key); said here, so that
        # django-tables2 does not try every combination of columns to find one that matches the query's order.
        order_by = ()

    def __init__(
        self, data, *, columns, editable_departments, next_url, departments=None, closed_rounds=None, **kwargs
    ):
        """`departments` ({id: (code, name)}) and `closed_rounds` ({id: closed}): those of the rows, when known, for
        rows read without them (table_rows with scope_known)."""
        chosen = set(columns)
        exclude = [name for name, _ in CHOOSABLE_COLUMNS if name not in chosen]
        super().__init__(data, exclude=exclude, **kwargs)
        # The name shares the key's cell (one column less, so the list fits a laptop's screen without scrolling);
        # hidden, not left out, so that the list still sorts by it.
        if "name" in chosen:
            self.columns.hide("name")
        self.shown = dict.fromkeys(columns, True)  # for the row template: {% if table.shown.status %}
        self.editable_departments = set(editable_departments)
        self.departments = departments
        self.closed_rounds = closed_rounds
        self.next_url = next_url
        self.escaped_next_url = escape(next_url)  # for the rows' template, which escapes nothing itself
        self.focus_row = None  # a row returned after an in-place edit gets the keyboard focus back
        self.notices: dict[int, str] = {}
        self.feedback: dict[int, str] = {}  # what a save or confirmation did, shown at the row itself

    # The figures are computed per row by the database: only when the list is sorted by them. The open questions
    # as one count over a join rather than a subquery per row, which the database would run for every row it sorts.
    def order_open_questions(self, queryset, is_descending):
        rows = queryset.alias(open_questions=Count("questions", filter=Q(questions__answered_at__isnull=True)))
        return rows.order_by(*descending(("open_questions", "pk"), is_descending)), True

    def order_changed(self, queryset, is_descending):
        rows = queryset.alias(changed_since_last_round=CHANGED_SINCE_LAST_ROUND)
        return rows.order_by(*descending(("changed_since_last_round", "pk"), is_descending)), True

    def is_editable(self, row) -> bool:
        return row["department_id"] in self.editable_departments and not row["round_closed"]

    @cached_property
    def page_rows(self) -> list[dict]:
        """The rows of the page (of the whole table if it is not paginated), ready for the row template."""
        return self.plain_rows(self.paginated_rows.data)

    def plain_rows(self, rows) -> list[dict]:
        """What the row template shows of each row (of table_rows), worked out in one pass: texts, the badge, the
        addresses from one pattern each, the OZG-Leistungen sorted."""
        rows = list(rows)
        detail, edit, confirm = (
            address_pattern(name) for name in ("assessment_detail", "assessment_row_edit", "assessment_confirm")
        )
        for row in rows:
            if "department_code" not in row:
                row["department_code"], row["department_name"] = self.departments[row["department_id"]]
                row["round_closed"] = self.closed_rounds[row["round_id"]]
            pk = str(row["pk"])
            level = row["level_value"]
            # Carried over and not yet confirmed is nobody's report yet: said apart from a confirmed value.
            if row["carried_over_from_id"] is None:
                changed = "Ja (neu)"
            elif row["changed_since_last_round"]:
                changed = "Ja"
            elif row["confirmed_at"] is None:
                changed = "Nein, übernommen (noch nicht bestätigt)"
            else:
                changed = "Nein, bestätigt"
            row.update(
                id=pk,
                # Texts, not numbers: the template would format a number for the locale, at a cost, per use.
                version=str(row["version"]),
                label=f"{row['key']} {row['name']}",
                badge=badge_of_status(row["status"]),
                maturity=level_name(level, row["level_label"]) if level is not None else "–",
                confirmed=confirmed_text(row["confirmed_at"]),
                changed=changed,
                editable=self.is_editable(row),
                focus=self.focus_row == row["pk"],
                notice=self.notices.get(row["pk"], ""),
                feedback=self.feedback.get(row["pk"], ""),
                detail_url=detail.replace(PLACEHOLDER, pk),
                edit_url=edit.replace(PLACEHOLDER, pk),
                confirm_url=confirm.replace(PLACEHOLDER, pk),
            )
            labels, themenfelder = ozg_of_row(row["ozg"])
            row["ozg"], row["themenfeld"] = labels or "–", themenfelder or "–"
            # Escaped here, once each (the template shows them as they are, some of them twice or three times).
            for name in ESCAPED_ROW_TEXTS:
                if name in row:
                    row[name] = escape(row[name])
        return rows

    @property
    def visible_column_count(self) -> int:
        return len(self.columns)


WIDE_PAGE_ROWS = 500


class NarrowPagePaginator(Paginator):
    """A page of a table over a queryset in two steps: the primary keys of the page by a narrow query (only the
    joins that filters and sort keys need, so the database sorts and skips narrow tuples, or walks an index), then
    the wide rows with all their joined relations for those keys alone. A deep page or a sort on a joined column
    then costs the same width of rows whatever the size of the list.

    By default the table's own queryset is both: narrowed to the keys for the page, read whole for the rows. A list
    whose table holds only the narrow query names the others:
    - `rows`: the queryset the page's rows are read from, with everything they show (model instances, or values
      with "pk"), or a function that reads them for a list of keys;
    - `counted`: the queryset counted, when the table's sort added what a count does not need;
    - `page_filter`: conditions that every row meets anyway but that let the database walk an index in the order
      of the page (the catalogue version of a round's rows), added to the query of the keys only;
    - `count_with_page`: count the rows (and the confirmed among them: `confirmed_read`) in the query of the page's
      keys, for a list whose filters make the database read every candidate row anyway (a text search): one pass
      over them instead of one for the count, one for the progress and one for the page;
    - `known_count`: the count, already known (the same list asked again for its last page);
    - `wide_page`: a function (low, high) that reads the rows of the table from low to high whole in one query, in
      the table's order, when an index gives that order: used for the pages within the first `WIDE_PAGE_ROWS` rows
      (further on the database would join every row it skips).
    """

    def __init__(
        self,
        object_list,
        per_page,
        *args,
        rows=None,
        counted=None,
        page_filter=None,
        count_with_page=False,
        known_count=None,
        wide_page=None,
        **kwargs,
    ):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.rows = rows
        self.counted = counted
        self.page_filter = page_filter
        self.count_with_page = count_with_page
        self.wide_page = wide_page
        self.keys_read: tuple[int, list] | None = None  # (offset, keys) of a page read together with the count
        self.confirmed_read: int | None = None  # the confirmed rows, counted with them (rows with a confirmed_at)
        if known_count is not None:
            self.count = known_count

    @cached_property
    def count(self):
        return self.counted.count() if self.counted is not None else super().count

    def narrow_keys(self):
        """The primary keys of the table's rows in its order, narrowed by `page_filter`; None for a table over a
        list."""
        if not (isinstance(self.object_list, BoundRows) and isinstance(self.object_list.data, TableQuerysetData)):
            return None
        ordered = self.object_list.data.data
        narrow = ordered.filter(self.page_filter) if self.page_filter is not None else ordered
        return narrow.values_list("pk", flat=True)

    def page(self, number):
        keys = self.narrow_keys()
        asked = str(number)
        if self.count_with_page and "count" not in self.__dict__ and keys is not None and asked.isdigit():
            low = (max(int(asked), 1) - 1) * self.per_page
            # The confirmed among them in the same pass: the list's progress bar over the same rows.
            counted = keys.annotate(total=Window(Count("pk")), confirmed=Window(Count("confirmed_at")))
            rows = list(counted.values_list("pk", "total", "confirmed")[low : low + self.per_page])
            if rows or low == 0:
                self.count = rows[0][1] if rows else 0
                self.confirmed_read = rows[0][2] if rows else 0
                self.keys_read = (low, [key for key, *_ in rows])
        return super().page(number)

    def page_keys(self, keys, low: int, high: int) -> list:
        """The keys from `low` to `high` of the ordered `keys`. A page in the second half is read from the end, in
        the reverse order: the database then reads and skips (or sorts) the rows behind it, not the rows before it,
        so the last page costs what the first does. Exact because every sort of these lists ends with a unique key."""
        if not keys.query.order_by or low <= self.count - high:
            return list(keys[low:high])
        return list(keys.reverse()[self.count - high : self.count - low])[::-1]

    def _get_page(self, object_list, number, paginator):
        # The page's slice of the ordered queryset (for a table over a queryset).
        sliced = getattr(getattr(object_list, "data", None), "query", None)
        if self.wide_page is not None and sliced is not None and sliced.high_mark <= WIDE_PAGE_ROWS:
            page = self.wide_page(sliced.low_mark, sliced.high_mark)
            object_list = BoundRows(page, table=object_list.table, pinned_data=object_list.pinned_data)
        elif (narrow := self.narrow_keys()) is not None:
            if self.keys_read is not None and self.keys_read[0] == sliced.low_mark:
                keys = self.keys_read[1]
            else:
                keys = self.page_keys(narrow, sliced.low_mark, sliced.high_mark)
            if callable(self.rows):
                wide = self.rows(keys)
            else:
                wide = (self.rows if self.rows is not None else self.object_list.data.data).order_by()
                wide = wide.filter(pk__in=keys)
            found = {row["pk"] if isinstance(row, dict) else row.pk: row for row in wide}
            page = [found[key] for key in keys if key in found]
            object_list = BoundRows(page, table=object_list.table, pinned_data=object_list.pinned_data)
        return super()._get_page(object_list, number, paginator)


def paginate(table: tables.Table, request, per_page: int, paginator_class=Paginator, **options) -> None:
    """The page the querystring asks for (the first for a bad number, the last for one too high), in its order.
    `options` go to the paginator (see NarrowPagePaginator)."""
    ordering = request.GET.getlist(table.prefixed_order_by_field)
    if ordering and table.orderable:
        table.order_by = ordering
    options = {"per_page": per_page, "paginator_class": paginator_class, **options}
    try:
        table.paginate(page=request.GET.get(table.prefixed_page_field) or 1, **options)
    except PageNotAnInteger:
        table.paginate(page=1, **options)
    except EmptyPage:
        if isinstance(table.paginator, NarrowPagePaginator):
            options["known_count"] = table.paginator.count
        table.paginate(page=table.paginator.num_pages, **options)


def kern_attrs(**table) -> dict:
    """The KERN classes of head, body and cells (settings), with the table's own class and id: a table's `attrs`
    replace the defaults as a whole, so they are merged here."""
    return {**settings.DJANGO_TABLES2_TABLE_ATTRS, **table}


# --- the crosswalk of a catalogue version ----------------------------------------------------------------------------


def key_and_name(entry) -> str:
    return f"{entry.key} {entry.name}" if entry else "–"


class CrosswalkTable(tables.Table):
    """The crosswalk list of a version, in the order of its FilterSet; the caption names class and count."""

    class Meta:
        template_name = "django_tables2/kern.html"
        attrs = kern_attrs(**{"class": "kern-table kern-table--small report", "id": "crosswalk-entries"})
        orderable = False
        page_field = "seite"
        empty_text = "Keine Einträge."

    def __init__(self, data, *, version, **kwargs):
        super().__init__(data, **kwargs)
        self.version = version
        self.caption = ""


class CrosswalkChangeTable(CrosswalkTable):
    """A class of the old side: what became of the predecessor's keys."""

    key = tables.Column(verbose_name="Schlüssel (alt)", accessor="entry__key")
    name = tables.Column(verbose_name="Bezeichnung (alt)", accessor="entry__name")
    kind = tables.Column(verbose_name="Klasse", accessor="get_kind_display")
    successor = tables.Column(verbose_name="Nachfolger", empty_values=())

    class Meta(CrosswalkTable.Meta):  # django-tables2 reads only the class's own Meta
        pass

    def __init__(self, data, *, version, **kwargs):
        super().__init__(data, version=version, **kwargs)
        self.columns["successor"].column.verbose_name = f"Nachfolger in {version.name}"

    def render_successor(self, record):
        return key_and_name(record.successor)


class CrosswalkEntryTable(CrosswalkTable):
    """The entries of the version, all or those of a class of the new side, with where they come from."""

    key = tables.Column(verbose_name="Schlüssel")
    name = tables.Column(verbose_name="Bezeichnung")
    kind = tables.Column(verbose_name="Art")
    change = tables.Column(verbose_name="Klasse", accessor="get_change_display", default="–")
    predecessor = tables.Column(verbose_name="Herkunft in der Vorversion", empty_values=())

    class Meta(CrosswalkTable.Meta):
        pass

    def render_predecessor(self, record):
        return key_and_name(record.predecessor)


# --- the Rückfragen --------------------------------------------------------------------------------------------------


def person_name(user) -> str:
    """A user as the pages name them: the full name, else the user name."""
    return user.get_full_name() or user.get_username()


class QuestionTable(tables.Table):
    service = tables.Column(verbose_name="Leistung", empty_values=())
    department = tables.Column(verbose_name="Einheit", accessor="assessment__department__code")
    round = tables.Column(verbose_name="Runde", accessor="assessment__round")
    text = tables.Column(verbose_name="Rückfrage")
    asked = tables.Column(verbose_name="gestellt", empty_values=())
    state = tables.Column(verbose_name="Stand", empty_values=())

    class Meta:
        template_name = "django_tables2/kern.html"
        attrs = kern_attrs(id="rueckfragen")
        orderable = False
        page_field = "seite"

    def __init__(self, data, *, empty_text: str, **kwargs):
        super().__init__(data, empty_text=empty_text, **kwargs)
        self.caption = ""

    def render_service(self, record):
        entry = record.assessment.leika_entry
        return format_html(
            '<a class="kern-link" href="{}#rueckfragen">{} {}</a>',
            assessment_url(record.assessment_id),
            entry.key,
            entry.name,
        )

    def render_text(self, value):
        return Truncator(value).chars(200)

    def render_asked(self, record):
        asker = person_name(record.asked_by) if record.asked_by else "unbekannt"
        return f"{date_format(timezone.localtime(record.asked_at), 'd.m.Y')}, {asker}"

    def render_state(self, record):
        if record.is_open:
            return "offen"
        answered = date_format(timezone.localtime(record.answered_at), "d.m.Y")
        return f"beantwortet am {answered}: {Truncator(record.answer).chars(120)}"


# --- the OZG plans of an organisation --------------------------------------------------------------------------------


PLAN_BADGE_VARIANT = {
    PlanState.UMGESETZT: "success",
    PlanState.KURZFRISTIG: "info",
    PlanState.LANGFRISTIG: "warning",
    PlanState.NICHT_GEPLANT: "",
}


def plan_state_badge(state: str) -> str:
    """The badge of a plan state; an OZG-Leistung without a plan record reads "nicht geplant"."""
    state = state or PlanState.NICHT_GEPLANT
    variant = PLAN_BADGE_VARIANT.get(state, "")
    return format_html(
        '<span class="kern-badge kern-badge--small{}"><span class="kern-label">{}</span></span>',
        f" kern-badge--{variant}" if variant else "",
        PlanState(state).label if state in PlanState.values else state,
    )


class PlanTable(tables.Table):
    """One row per OZG-Leistung (`planning.plan_rows`), its plan (`own_plan`) joined: no query per row."""

    html_id = "ozg-planung"
    caption_noun = "OZG-Leistungen"
    rows_template = "monitoring/ozg/rows.html"

    selection = tables.Column(verbose_name="Auswahl", empty_values=(), orderable=False)
    ozg_id = tables.Column(verbose_name="OZG-ID", order_by=("ozg_id",))
    name = tables.Column(verbose_name="OZG-Leistung", order_by=("name", "ozg_id"))
    themenfeld = tables.Column(
        verbose_name="Themenfeld", accessor="themenfeld__name", order_by=("themenfeld__name", "ozg_id")
    )
    municipal = tables.Column(verbose_name="kommunal", accessor="is_municipal", order_by=("-is_municipal", "ozg_id"))
    state = tables.Column(verbose_name="Stand", empty_values=(), order_by=("own_plan__state", "ozg_id"))
    target_quarter = tables.Column(
        verbose_name="Zielquartal", empty_values=(), order_by=("own_plan__target_quarter", "ozg_id")
    )
    maturity_level = tables.Column(
        verbose_name="Reifegrad", empty_values=(), order_by=("own_plan__maturity_level__value", "ozg_id")
    )
    department = tables.Column(
        verbose_name="verantwortliche Einheit",
        empty_values=(),
        order_by=("own_plan__responsible_department__code", "ozg_id"),
    )
    actions = tables.Column(verbose_name="Aktionen", empty_values=(), orderable=False)

    class Meta(EditableListMeta):
        empty_text = "Keine OZG-Leistungen gefunden."
        row_attrs = {"id": lambda record: f"ozg-{record.ozg_id}", "class": "kern-table__row"}

    def __init__(self, data, *, departments, base_url: str, **kwargs):
        """`departments`: those whose plans the user edits, None for all (the IT office); `base_url`: the
        organisation's list, under which each row's pages are `<ozg_id>/`, `<ozg_id>/zeile/bearbeiten/`."""
        super().__init__(data, **kwargs)
        self.departments = None if departments is None else set(departments)
        self.base_url = base_url
        self.focus_row = None

    def is_editable(self, record) -> bool:
        if self.departments is None:
            return True
        plan = plan_of(record)
        return plan is not None and plan.responsible_department_id in self.departments

    @property
    def page_rows(self):
        return self.paginated_rows

    def row_url(self, record, action: str = "") -> str:
        return f"{self.base_url}{record.ozg_id}/{action}"

    @staticmethod
    def version(record) -> int:
        return plan_of(record).version if plan_of(record) else 0

    def render_selection(self, record):
        if not self.is_editable(record):
            return ""
        return format_html(
            '<div class="kern-form-check"><input type="checkbox" class="kern-form-check__checkbox" id="auswahl-{id}"'
            ' name="auswahl" value="{id}:{version}" form="sammelformular">'
            '<label class="kern-label" for="auswahl-{id}"><span class="kern-sr-only">{id} {name} auswählen'
            "</span></label></div>",
            id=record.ozg_id,
            version=self.version(record),
            name=record.name,
        )

    def render_ozg_id(self, record):
        return format_html('<a class="kern-link" href="{}">{}</a>', self.row_url(record), record.ozg_id)

    def render_municipal(self, record, value):
        overridden = plan_of(record) is not None and plan_of(record).municipal_override is not None
        return ("ja" if value else "nein") + (" (abweichend)" if overridden else "")

    def render_state(self, record):
        return plan_state_badge(plan_of(record).state if plan_of(record) else "")

    def render_target_quarter(self, record):
        return (plan_of(record) and plan_of(record).target_quarter) or "–"

    def render_maturity_level(self, record):
        level = plan_of(record).maturity_level if plan_of(record) else None
        return str(level) if level else "–"

    def render_department(self, record):
        department = plan_of(record).responsible_department if plan_of(record) else None
        if department is None:
            return "–"
        return format_html('<abbr title="{}">{}</abbr>', department.name, department.code)

    def render_actions(self, record):
        label = format_html('<span class="kern-sr-only">: {} {}</span>', record.ozg_id, record.name)
        focus = " autofocus" if self.focus_row == record.ozg_id else ""
        if not self.is_editable(record):
            return format_html('<a class="kern-link" href="{}"{}>Ansehen{}</a>', self.row_url(record), focus, label)
        return format_html(
            '<a class="kern-link" href="{}" hx-get="{}" hx-target="closest tr" hx-swap="outerHTML"{}>Bearbeiten{}</a>',
            self.row_url(record),
            self.row_url(record, "zeile/bearbeiten/"),
            focus,
            label,
        )
