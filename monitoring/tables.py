"""The tables of the filtered lists (Meine Leistungen, crosswalk, Rückfragen, OZG-Planung): columns, what rows need."""

import django_tables2 as tables
from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Prefetch
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django_tables2.data import TableQuerysetData
from django_tables2.rows import BoundRows

from ozg.models import OzgLeistung

from .choices import STATUS_BADGE, STATUS_BADGE_VARIANT, PlanState
from .filtersets import with_row_figures
from .links import assessment_url
from .models import TablePreference
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


def chosen_columns(user) -> list[str]:
    """The user's remembered choice of columns, or the defaults."""
    stored = TablePreference.objects.filter(user=user, table=TABLE_NAME).values_list("columns", flat=True).first()
    if stored is None:
        return list(DEFAULT_COLUMNS)
    known = {name for name, _ in CHOOSABLE_COLUMNS}
    return [name for name in stored if name in known]


def remember_columns(user, columns: list[str]) -> None:
    TablePreference.objects.update_or_create(user=user, table=TABLE_NAME, defaults={"columns": list(columns)})


def table_rows(queryset):
    """Everything the columns show, in a fixed number of queries however many rows there are."""
    return (
        with_row_figures(queryset)
        .select_related("leika_entry", "department", "maturity_level", "round__organisation")
        .prefetch_related(
            Prefetch(
                "leika_entry__ozg_leistungen",
                queryset=OzgLeistung.objects.select_related("themenfeld").order_by("ozg_id"),
            )
        )
    )


def status_badge(assessment) -> str:
    variant = STATUS_BADGE_VARIANT.get(assessment.status, "")
    icon = (
        format_html('<span class="kern-icon kern-icon--{}" aria-hidden="true"></span>', variant)
        if variant in ("success", "info", "warning", "danger")
        else ""
    )
    return format_html(
        '<span class="kern-badge kern-badge--small{} {}">{}<span class="kern-label">{}</span></span>',
        f" kern-badge--{variant}" if variant else "",
        STATUS_BADGE.get(assessment.status, ""),
        icon,
        assessment.get_status_display(),
    )


def confirmation_text(assessment) -> str:
    if assessment.confirmed_at is None:
        return "Nein"
    return f"Ja, {date_format(timezone.localtime(assessment.confirmed_at), 'd.m.Y')}"


class EditableListMeta:
    """What the editable lists ("Meine Leistungen", OZG-Planung) share: one template, German parameter names."""

    template_name = "monitoring/_list_table.html"
    order_by_field = "sortierung"
    page_field = "seite"
    per_page_field = "pro_seite"


class MyServicesTable(tables.Table):
    # For monitoring/_list_table.html: the table's id, what its caption counts, the template of one row.
    html_id = "leistungen"
    caption_noun = "Leistungen"
    row_template = "monitoring/workspace/row.html"

    selection = tables.Column(verbose_name="Auswahl", empty_values=(), orderable=False)
    key = tables.Column(verbose_name="Schlüssel", accessor="leika_entry__key", order_by=("leika_entry__key", "pk"))
    name = tables.Column(verbose_name="Leistung", accessor="leika_entry__name", order_by=("leika_entry__name", "pk"))
    department = tables.Column(
        verbose_name="Einheit", accessor="department__code", order_by=("department__code", "leika_entry__key", "pk")
    )
    status = tables.Column(verbose_name="Status", order_by=("status", "leika_entry__key", "pk"))
    maturity_level = tables.Column(
        verbose_name="Reifegrad", order_by=("maturity_level__value", "leika_entry__key", "pk"), default="–"
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
        row_attrs = {"id": lambda record: f"zeile-{record.pk}", "class": "kern-table__row"}

    def __init__(self, data, *, request, columns, editable_departments, next_url, **kwargs):
        chosen = set(columns)
        exclude = [name for name, _ in CHOOSABLE_COLUMNS if name not in chosen]
        super().__init__(data, exclude=exclude, **kwargs)
        self.request = request
        self.editable_departments = set(editable_departments)
        self.next_url = next_url
        self.focus_row = None  # a row returned after an in-place edit gets the keyboard focus back
        self.notices: dict[int, str] = {}

    def is_editable(self, record) -> bool:
        return record.department_id in self.editable_departments and not record.round.is_closed

    def render_selection(self, record):
        if not self.is_editable(record):
            return ""
        return format_html(
            '<div class="kern-form-check"><input type="checkbox" class="kern-form-check__checkbox" id="auswahl-{pk}"'
            ' name="auswahl" value="{pk}:{version}" form="sammelformular">'
            '<label class="kern-label" for="auswahl-{pk}"><span class="kern-sr-only">{key} {name} auswählen'
            "</span></label></div>",
            pk=record.pk,
            version=record.version,
            key=record.leika_entry.key,
            name=record.leika_entry.name,
        )

    def render_key(self, record):
        return format_html(
            '<a class="kern-link" href="{}">{}</a>',
            assessment_url(record.pk),
            record.leika_entry.key,
        )

    def render_department(self, record):
        return format_html('<abbr title="{}">{}</abbr>', record.department.name, record.department.code)

    def render_status(self, record):
        return status_badge(record)

    def render_ozg(self, record):
        leistungen = record.leika_entry.ozg_leistungen.all()
        if not leistungen:
            return "–"
        return format_html_join(", ", "{}", ((str(leistung),) for leistung in leistungen))

    def render_themenfeld(self, record):
        names = sorted({leistung.themenfeld.name for leistung in record.leika_entry.ozg_leistungen.all()})
        return ", ".join(names) or "–"

    def render_confirmed(self, record):
        return confirmation_text(record)

    def render_open_questions(self, record, value):
        if not value:
            return "0"
        return format_html(
            '<a class="kern-link" href="{}#rueckfragen">{}<span class="kern-sr-only"> offene Rückfragen</span></a>',
            assessment_url(record.pk),
            value,
        )

    def render_changed(self, record, value):
        if record.carried_over_from_id is None:
            return "Ja (neu)"
        return "Ja" if value else "Nein"

    def render_actions(self, record):
        # Rendered once per row: without the request, so that the context processors do not run for every row;
        # the one thing the snippet needs from the request is the CSRF token.
        return render_to_string(
            "monitoring/workspace/row_actions.html",
            {
                "assessment": record,
                "editable": self.is_editable(record),
                "next": self.next_url,
                "focus": self.focus_row == record.pk,
                "notice": self.notices.get(record.pk, ""),
                "csrf_token": get_token(self.request),
            },
        )

    @property
    def visible_column_count(self) -> int:
        return len(self.columns)


class NarrowPagePaginator(Paginator):
    """A page of a table over a queryset in two steps: the primary keys of the page by a narrow query (only the
    joins that filters and sort keys need, so the database sorts and skips narrow tuples, or walks an index), then
    the wide rows with all their joined relations for those keys alone. A deep page or a sort on a joined column
    then costs the same width of rows whatever the size of the list."""

    def _get_page(self, object_list, number, paginator):
        if isinstance(self.object_list, BoundRows) and isinstance(self.object_list.data, TableQuerysetData):
            keys = list(object_list.data.values_list("pk", flat=True))
            rows = self.object_list.data.data.order_by().in_bulk(keys)
            object_list = BoundRows(
                [rows[key] for key in keys], table=object_list.table, pinned_data=object_list.pinned_data
            )
        return super()._get_page(object_list, number, paginator)


def paginate(table: tables.Table, request, per_page: int, paginator_class=Paginator) -> None:
    """The page the querystring asks for (the first for a bad number, the last for one too high), in its order."""
    ordering = request.GET.getlist(table.prefixed_order_by_field)
    if ordering and table.orderable:
        table.order_by = ordering
    options = {"per_page": per_page, "paginator_class": paginator_class}
    try:
        table.paginate(page=request.GET.get(table.prefixed_page_field) or 1, **options)
    except PageNotAnInteger:
        table.paginate(page=1, **options)
    except EmptyPage:
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
    row_template = "monitoring/ozg/row.html"

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
