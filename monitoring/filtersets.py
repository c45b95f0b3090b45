"""The FilterSets of the filtered lists and the OZG plans: each feeds its page, its .xlsx/.csv export and bulk edits."""

import hashlib
from functools import cached_property

import django_filters
from django import forms
from django.core.cache import cache
from django.db.models import BooleanField, Case, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Upper
from django.http import QueryDict
from django_filters.fields import ModelChoiceField

from leika.crosswalk import OLD_SIDE, Change
from leika.models import CatalogueVersion
from leika.prepared import PreparedQuery
from leika.versions import crosswalk_rows
from ozg.models import Lage, MaturityLevel, OzgLeistung, Themenfeld

from .access import AccessScope
from .choices import PlanState, Status
from .models import Department, Question, SurveyRound
from .progress import Progress, progress_of, round_figures

YES_NO = (("ja", "ja"), ("nein", "nein"))


def open_question_count():
    """The number of unanswered Rückfragen of the row, as one correlated subquery."""
    open_questions = (
        Question.objects.filter(assessment=OuterRef("pk"), answered_at__isnull=True)
        .order_by()
        .values("assessment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(open_questions, output_field=IntegerField()), Value(0))


# "Changed since the last round": no predecessor row, or status or maturity level differ from it.
CHANGED_SINCE_LAST_ROUND = Case(
    When(carried_over_from__isnull=True, then=Value(True)),
    When(~Q(status=F("carried_over_from__status")), then=Value(True)),
    When(maturity_level__isnull=True, carried_over_from__maturity_level__isnull=True, then=Value(False)),
    When(maturity_level=F("carried_over_from__maturity_level"), then=Value(False)),
    default=Value(True),
    output_field=BooleanField(),
)


def with_row_figures(queryset):
    """The figures the list shows and filters on, computed in the same query as the rows."""
    return queryset.annotate(open_questions=open_question_count(), changed_since_last_round=CHANGED_SINCE_LAST_ROUND)


# The choices of these filters are kept in the cache (see AssessmentFilterSet.keep_choices).
KEPT_CHOICES = ("reifegrad", "themenfeld", "einheit", "runde")
CHOICES_KEEP_SECONDS = 24 * 3600


def _ozg_links(**conditions):
    """Whether the row's LeiKa entry belongs to an OZG-Leistung matching `conditions` (no duplicate rows)."""
    links = OzgLeistung.leika_entries.through.objects.filter(leikaentry=OuterRef("leika_entry"), **conditions)
    return Exists(links)


# Both compiled once per process (leika.prepared): the list asks them on every request.
SCOPE_ROUNDS = PreparedQuery(
    SurveyRound,
    lambda organisations: (
        SurveyRound.objects.filter(organisation__in=organisations)
        .order_by("organisation__name", "year")
        .values_list(
            "pk",
            "year",
            "is_closed",
            "catalogue_version",
            "maturity_scale",
            "organisation__name",
            "organisation",
            # What the round's kept figures are keyed by (progress.figures_key), last: not a choice's source.
            "change_count",
            "catalogue_version__imported_at",
        )
    ),
)
# The levels of the scales and the Themenfelder: what the filter's choices of levels and Themenfelder show.
CHOICES_CATALOGUE = PreparedQuery(
    MaturityLevel,
    lambda scales: (
        MaturityLevel.objects.filter(scale__in=scales)
        .order_by()
        .values_list("pk", "scale", "value", "label", "scale__name")
        .union(Themenfeld.objects.order_by().values_list("pk", Value(0), Value(0), "name", Value("")), all=True)
    ),
)


class RoundChoiceField(ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({obj.state_label})"


class RoundFilter(django_filters.ModelChoiceFilter):
    field_class = RoundChoiceField


class AssessmentFilterSet(django_filters.FilterSet):
    """Filters over the rows a user may read; without a chosen round, the open rounds are shown."""

    q = django_filters.CharFilter(
        label="Suche", method="search", help_text="Teil der Bezeichnung oder Anfang des Leistungsschlüssels"
    )
    # A column of the row itself, so no duplicates to remove: DISTINCT would make the database compare whole rows.
    status = django_filters.MultipleChoiceFilter(
        label="Umsetzungsstatus", choices=Status.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    reifegrad = django_filters.ModelChoiceFilter(
        label="Reifegrad",
        field_name="maturity_level",
        queryset=MaturityLevel.objects.none(),
        empty_label="alle",
        null_label="ohne Reifegrad",
    )
    ozg = django_filters.CharFilter(label="OZG-Leistung", method="by_ozg", help_text="OZG-ID oder Teil der Bezeichnung")
    themenfeld = django_filters.ModelChoiceFilter(
        label="Themenfeld", queryset=Themenfeld.objects.all(), method="by_themenfeld", empty_label="alle"
    )
    einheit = django_filters.ModelChoiceFilter(
        label="Organisationseinheit", field_name="department", queryset=None, empty_label="alle"
    )
    bestaetigt = django_filters.ChoiceFilter(
        label="bestätigt", choices=YES_NO, method="by_confirmed", empty_label="alle"
    )
    geaendert = django_filters.ChoiceFilter(
        label="geändert seit Vorrunde", choices=YES_NO, method="by_changed", empty_label="alle"
    )
    rueckfragen = django_filters.ChoiceFilter(
        label="offene Rückfragen", choices=YES_NO, method="by_open_questions", empty_label="alle"
    )
    runde = RoundFilter(
        label="Erhebungsrunde",
        field_name="round",
        queryset=None,
        empty_label="alle offenen Runden",
    )

    def __init__(self, data=None, queryset=None, *, user=None, scope: AccessScope | None = None, **kwargs):
        """`scope`: the user's (`access.scope_of(request)`), else worked out for `user`."""
        # Always bound: an empty query still restricts the list to the open rounds.
        super().__init__(data if data is not None else {}, queryset, **kwargs)
        self.scope = scope or AccessScope(user)
        departments = Department.objects.filter(pk__in=self.scope.readable_department_ids)
        # Rounds of the organisations in which the user can read at least one department (known from the scope).
        organisations = sorted({organisation for *_, organisation in self.scope.departments})
        self.rounds = SCOPE_ROUNDS(organisations=organisations)
        rounds = SurveyRound.objects.filter(organisation__in=organisations)
        self.filters["runde"].queryset = rounds.select_related("organisation")
        self.filters["einheit"].queryset = departments.select_related("organisation")
        chosen = str(self.data.get("runde", ""))
        in_scope = [r for r in self.rounds if (str(r[0]) == chosen if chosen.isdigit() else not r[2])]
        self.filters["reifegrad"].queryset = MaturityLevel.objects.filter(
            scale__in={r[4] for r in in_scope}
        ).select_related("scale")

    @cached_property
    def choices_key(self) -> str:
        """A digest of the records that every choice offered beside the list is made of: the departments and rounds
        in the user's scope, the levels of those rounds' scales and the Themenfelder. Whatever changes a label, an
        order or a choice changes it, so what is kept under it is never stale and nothing needs to be forgotten when
        a record changes. Rounds and departments are read for the list anyway; levels and Themenfelder cost one
        small query."""
        scales = {maturity_scale for _, _, _, _, maturity_scale, *_ in self.rounds if maturity_scale is not None}
        catalogue = CHOICES_CATALOGUE(scales=sorted(scales))
        sources = repr((self.scope.departments, [r[:7] for r in self.rounds], sorted(catalogue)))
        return hashlib.sha256(sources.encode()).hexdigest()

    def keep_choices(self):
        """For a page that shows the filter form: the choices of the filters over records (rounds, departments,
        levels, Themenfelder) once per set of those records, kept under `choices_key`."""
        fields = {name: self.form.fields[name] for name in KEPT_CHOICES}
        key = "filter-choices:" + self.choices_key
        choices = cache.get(key)
        if choices is None:
            choices = {
                name: [(getattr(value, "value", value), str(label)) for value, label in field.choices]
                for name, field in fields.items()
            }
            cache.set(key, choices, CHOICES_KEEP_SECONDS)
        # The widgets show the kept choices; a submitted value is still checked against the field's queryset.
        for name, field in fields.items():
            field.widget.choices = choices[name]

    @cached_property
    def open_rounds(self) -> dict[int, int]:
        """{id: catalogue version} of the open rounds in scope."""
        return {pk: version for pk, _, is_closed, version, *_ in self.rounds if not is_closed}

    def _narrowed_by(self, names) -> tuple[list[tuple], list[int]] | None:
        """(rounds as in self.rounds, department ids) of the rows listed, when the filter narrows by no more than
        `names` of round, unit and others whose rows the caller works out itself; else None."""
        if not self.is_valid():
            return None
        data = self.form.cleaned_data
        if any(data.get(name) for name in data if name not in names):
            return None
        chosen, department = data.get("runde"), data.get("einheit")
        rounds = [r for r in self.rounds if (r[0] == chosen.pk if chosen else not r[2])]
        return rounds, ([department.pk] if department else self.scope.readable_department_ids)

    def listed_progress(self) -> "tuple[Progress, int | None] | None":
        """(progress, count) of the rows listed from the rounds' kept figures (progress.round_figures), when the
        filter narrows by round, department and confirmation alone: the progress over the rows the filter covers
        whether confirmed or not (as views.workspace.list_progress), the count of the rows listed (None where the
        filter "geändert" narrows them further). None for any other filter: those rows are counted by the database."""
        narrowed = self._narrowed_by(("runde", "einheit", "bestaetigt", "geaendert"))
        if narrowed is None:
            return None
        rounds, departments = narrowed
        figures = round_figures([(r[0], r[7], r[8]) for r in rounds])
        progress = progress_of(figures, [r[0] for r in rounds], departments)
        data = self.form.cleaned_data
        if data.get("geaendert"):
            return progress, None
        confirmed = data.get("bestaetigt")
        return progress, {"ja": progress.confirmed, "nein": progress.unconfirmed}.get(confirmed, progress.total)

    def plain_scope(self) -> tuple[list[int], list[int]] | None:
        """(departments, rounds) when the rows listed are exactly those of these departments in these rounds (no
        filter, or by round and unit only), else None."""
        narrowed = self._narrowed_by(("runde", "einheit"))
        if narrowed is None:
            return None
        rounds, departments = narrowed
        return departments, sorted(r[0] for r in rounds)

    @property
    def chosen_round(self) -> SurveyRound | None:
        """The round chosen in the filter; None for none or an invalid one (the list shows the open rounds then)."""
        self.errors  # noqa: B018 (cleans the form once)
        return self.form.cleaned_data.get("runde")

    @property
    def catalogue_versions(self) -> set[int]:
        """The catalogue versions of the rows listed: the chosen round's, else those of the open rounds."""
        chosen = self.chosen_round
        return {chosen.catalogue_version_id} if chosen else set(self.open_rounds.values())

    @property
    def searches_text(self) -> bool:
        """Whether a text filter applies: the database then reads the text of every candidate row to find the
        matches, whatever the page."""
        return self.is_valid() and any(self.form.cleaned_data.get(name) for name in ("q", "ozg"))

    def filter_queryset(self, queryset):
        if not self.chosen_round:
            # The open rounds by their ids: a few constants the database plans with, no join to the rounds.
            queryset = queryset.filter(round__in=list(self.open_rounds))
        return super().filter_queryset(queryset)

    def search(self, queryset, name, value):
        value = value.strip()
        key = value.replace(" ", "")
        # As icontains would compare, capitals with capitals, but with the names' capitals kept by the database.
        condition = Q(leika_entry__name_upper__contains=Upper(Value(value)))
        if key.isdigit():
            condition |= Q(leika_entry__key__startswith=key)
        # True of every row anyway (an entry belongs to its round's catalogue version); it lets the database read the
        # names of the versions listed only, through their index, instead of every version's.
        return queryset.filter(condition, leika_entry__version__in=self.catalogue_versions)

    def by_ozg(self, queryset, name, value):
        value = value.strip()
        if value.isdigit():
            return queryset.filter(_ozg_links(ozgleistung__ozg_id=int(value)))
        return queryset.filter(_ozg_links(ozgleistung__name__icontains=value))

    def by_themenfeld(self, queryset, name, value):
        return queryset.filter(_ozg_links(ozgleistung__themenfeld=value))

    def by_confirmed(self, queryset, name, value):
        return queryset.filter(confirmed_at__isnull=value != "ja")

    def by_changed(self, queryset, name, value):
        return queryset.alias(changed_filter=CHANGED_SINCE_LAST_ROUND).filter(changed_filter=value == "ja")

    def by_open_questions(self, queryset, name, value):
        open_questions = Exists(Question.objects.filter(assessment=OuterRef("pk"), answered_at__isnull=True))
        return queryset.filter(open_questions if value == "ja" else ~open_questions)


class CrosswalkFilterSet(django_filters.FilterSet):
    """The crosswalk list of a catalogue version: one class of the crosswalk (or all entries) and a search.

    The rows are the catalogue's own crosswalk rows (`leika.versions.crosswalk_rows`): what became of the
    predecessor's keys for a class of the old side, otherwise the entries of the version. An unknown class counts as
    none, as links from older pages may carry one.
    """

    klasse = django_filters.ChoiceFilter(label="Klasse", choices=Change.choices, method="by_class", empty_label="alle")
    q = django_filters.CharFilter(label="Schlüssel oder Bezeichnung", method="search")

    def __init__(self, data=None, *, version: CatalogueVersion, **kwargs):
        data = data.copy() if data is not None else QueryDict(mutable=True)
        if data.get("klasse") not in Change.values:
            data.pop("klasse", None)
        super().__init__(data, queryset=version.entries.all(), **kwargs)
        self.version = version

    @property
    def kind(self) -> str:
        return (self.is_valid() and self.form.cleaned_data.get("klasse")) or ""

    @property
    def query(self) -> str:
        return ((self.is_valid() and self.form.cleaned_data.get("q")) or "").strip()

    @property
    def old_side(self) -> bool:
        return self.kind in OLD_SIDE

    def filter_queryset(self, queryset):
        return crosswalk_rows(self.version, self.kind, self.query)

    def by_class(self, queryset, name, value):
        return queryset  # the class chooses the rows themselves, see filter_queryset

    def search(self, queryset, name, value):
        return queryset  # applied by crosswalk_rows, see filter_queryset


class QuestionFilterSet(django_filters.FilterSet):
    """The Rückfragen on rows the user may read, newest first: open ones only unless answered ones are asked for."""

    alle = django_filters.ChoiceFilter(
        label="auch beantwortete", choices=(("1", "ja"),), method="answered_too", empty_label="nur offene"
    )

    def __init__(self, data=None, queryset=None, **kwargs):
        # Any other value than "1" means the default, open questions only, as the page's links always meant.
        data = data.copy() if data is not None else QueryDict(mutable=True)
        if data.get("alle") != "1":
            data.pop("alle", None)
        super().__init__(data, queryset, **kwargs)

    @property
    def include_answered(self) -> bool:
        return bool(self.is_valid() and self.form.cleaned_data.get("alle"))

    def filter_queryset(self, queryset):
        if not self.include_answered:
            queryset = queryset.filter(answered_at__isnull=True)
        rows = queryset.select_related(
            "assessment__leika_entry",
            "assessment__department",
            "assessment__round__organisation",
            "asked_by",
            "answered_by",
        )
        return rows.order_by("-asked_at", "-pk")

    def answered_too(self, queryset, name, value):
        return queryset  # open-only is the default, lifted in filter_queryset


# --- the OZG plans of an organisation --------------------------------------------------------------------------------


class PlanFilterSet(django_filters.FilterSet):
    """The rows of `planning.plan_rows(organisation)`: one per current OZG-Leistung, with or without a plan record.

    "nicht geplant" includes the OZG-Leistungen without a record, as the page shows them so.
    """

    q = django_filters.CharFilter(label="Suche", method="search", help_text="OZG-ID oder Teil der Bezeichnung")
    themenfeld = django_filters.ModelChoiceFilter(
        label="Themenfeld", queryset=Themenfeld.objects.all(), empty_label="alle"
    )
    lage = django_filters.ModelChoiceFilter(label="Lage", queryset=Lage.objects.all(), empty_label="alle")
    kommunal = django_filters.ChoiceFilter(label="kommunal", choices=YES_NO, method="by_municipal", empty_label="alle")
    stand = django_filters.MultipleChoiceFilter(
        label="Stand", choices=PlanState.choices, method="by_state", widget=forms.CheckboxSelectMultiple
    )
    reifegrad = django_filters.ModelChoiceFilter(
        label="Reifegrad",
        field_name="own_plan__maturity_level",
        queryset=MaturityLevel.objects.none(),
        empty_label="alle",
        null_label="ohne Reifegrad",
    )
    einheit = django_filters.ModelChoiceFilter(
        label="verantwortliche Einheit",
        field_name="own_plan__responsible_department",
        queryset=None,
        empty_label="alle",
        null_label="ohne Einheit",
    )
    quartal = django_filters.CharFilter(
        label="Zielquartal", method="by_quarter", help_text="z. B. 2025-Q1, oder nur das Jahr: 2025"
    )

    def __init__(self, data=None, queryset=None, *, organisation, **kwargs):
        super().__init__(data if data is not None else {}, queryset, **kwargs)
        self.organisation = organisation
        self.filters["einheit"].queryset = organisation.departments.order_by("code")
        self.filters["reifegrad"].queryset = (
            MaturityLevel.objects.filter(scale_id=organisation.maturity_scale_id).select_related("scale")
            if organisation.maturity_scale_id
            else MaturityLevel.objects.select_related("scale").order_by("scale__name", "value")
        )

    def filter_queryset(self, queryset):
        # The OZG-ID is unique: a stable order for pages and exports alike.
        return super().filter_queryset(queryset).order_by("ozg_id")

    def search(self, queryset, name, value):
        value = value.strip()
        condition = Q(name__icontains=value)
        if value.isdigit():
            condition |= Q(ozg_id=int(value))
        return queryset.filter(condition)

    def by_municipal(self, queryset, name, value):
        return queryset.filter(is_municipal=value == "ja")

    def by_state(self, queryset, name, value):
        condition = Q(own_plan__state__in=value)
        if PlanState.NICHT_GEPLANT in value:
            condition |= Q(own_plan__isnull=True)
        return queryset.filter(condition)

    def by_quarter(self, queryset, name, value):
        return queryset.filter(own_plan__target_quarter__startswith=value.strip().upper())
