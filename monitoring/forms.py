"""The forms of the monitoring pages: edit assessments and OZG plans, Rückfragen, columns, rounds, sheets, imports.

The model's rules are not checked by these forms: `editing.apply_changes` checks them once, under the row lock, and
the views map its `RowsInvalid` errors back onto the fields, so every path shows the same German messages.
"""

from pathlib import Path

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone

from leika.models import CatalogueVersion
from leika.tabular import MAX_BYTES
from ozg.choices import EfaKind
from ozg.models import EfaOffer, MaturityLevel, MaturityScale

from . import paper
from .access import it_office_organisations
from .choices import Channel, PlanState, ResponsibleKind, Status
from .editing import EDITABLE_FIELDS, RowsInvalid
from .exports.workbooks import XLSX_CONTENT_TYPE
from .imports import ALLOWED_SUFFIXES, KINDS, LEIKA, ONLINE, OZG, allowed_kinds
from .models import (
    JUSTIFICATION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    Assessment,
    EditRefused,
    ITProject,
    Organisation,
    OzgPlan,
    Question,
    SurveyRound,
    validate_quarter,
)
from .planning import PLAN_FIELDS
from .roundtrip import MAX_SHEET_BYTES

NOT_GIVEN = "keine Angabe"
# A version larger than the database holds is refused by the form, before any query.
MAX_DATABASE_INTEGER = 2**31 - 1


def formfield(model_field, **kwargs):
    """Form fields as the model declares them; addresses typed without scheme are taken as https."""
    if isinstance(model_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return model_field.formfield(**kwargs)


def limit_length(field: forms.CharField, max_length: int) -> None:
    field.max_length = max_length
    field.validators.append(MaxLengthValidator(max_length))
    field.widget.attrs["maxlength"] = str(max_length)


class WritePathForm(forms.ModelForm):
    """The values of one row (an assessment, a plan) plus the version the editor saw. The rules are not checked
    here: the write path checks them under the row lock, and `show_refusal` puts its reasons on the form."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=MAX_DATABASE_INTEGER)

    def _post_clean(self):
        # Deliberately no model validation and no change of the instance: the write path does both under the lock.
        pass

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}

    def show_rule_errors(self, errors: dict[str, list[str]]) -> None:
        """Put the rule errors of `RowsInvalid.errors[row]` at their fields (form-wide when not a field here)."""
        for name, messages in errors.items():
            for message in messages:
                if name in self.fields:
                    self.add_error(name, message)
                elif name == NON_FIELD_ERRORS:
                    self.add_error(None, message)
                else:
                    label = self._meta.model._meta.get_field(name).verbose_name
                    self.add_error(None, f"{label}: {message}")

    def show_refusal(self, refused: EditRefused) -> None:
        """Put the reasons of a refused save on the form: rule errors at their fields, anything else above it."""
        if isinstance(refused, RowsInvalid):
            self.show_rule_errors(next(iter(refused.errors.values())))
        else:
            for line in refused.lines():
                self.add_error(None, line)


def change_comment_field(of_what: str) -> forms.CharField:
    """The optional comment a detail page saves with a change, shown in the history."""
    return forms.CharField(
        label="Kommentar zur Änderung",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=f"Erscheint in der Änderungshistorie {of_what}.",
    )


class AssessmentValuesForm(WritePathForm):
    """The values of one assessment plus the version the editor saw; choices narrowed to the row's round."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_DATABASE_INTEGER)

    def __init__(self, *args, assessment: Assessment, **kwargs):
        kwargs.setdefault("initial", {})["version"] = assessment.version
        super().__init__(*args, instance=assessment, **kwargs)
        round_obj = assessment.round
        fields = self.fields
        if "justification" in fields:
            limit_length(fields["justification"], JUSTIFICATION_MAX_LENGTH)
        if "maturity_level" in fields:
            fields["maturity_level"].queryset = MaturityLevel.objects.filter(scale_id=round_obj.maturity_scale_id)
            fields["maturity_level"].empty_label = "kein Reifegrad"
        if "it_project" in fields:
            fields["it_project"].queryset = ITProject.objects.filter(organisation_id=round_obj.organisation_id)
            fields["it_project"].empty_label = "kein IT-Projekt"
        if "efa_offer" in fields:
            fields["efa_offer"].queryset = EfaOffer.objects.order_by("name")
            fields["efa_offer"].empty_label = "kein EfA-Angebot"
        if "efa_kind" in fields:
            fields["efa_kind"].choices = [("", NOT_GIVEN), *EfaKind.choices]
        if "channel" in fields:
            fields["channel"].choices = [("", NOT_GIVEN), *Channel.choices]


class AssessmentForm(AssessmentValuesForm):
    """Every value of an assessment, on its detail page."""

    comment = change_comment_field("dieser Leistung")

    class Meta:
        model = Assessment
        fields = EDITABLE_FIELDS
        formfield_callback = formfield
        widgets = {"justification": forms.Textarea(attrs={"rows": 3})}


class RowForm(AssessmentValuesForm):
    """The few values that are changed most often, edited in place in the list."""

    class Meta:
        model = Assessment
        fields = ("status", "maturity_level", "justification")
        widgets = {"justification": forms.Textarea(attrs={"rows": 2})}


KEEP = ""
CLEAR = "leer"


class BulkValuesForm(forms.Form):
    """Values to set on many rows at once, through the one write path; an empty choice leaves a field as it is.

    A subclass names its `plain_fields` (set as entered when not empty) and offers the records of each related
    field with `offer`, which adds "– unverändert –" and the clearing choice; `needs_values` says when at least
    one value must be chosen.
    """

    plain_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "sammel")
        super().__init__(*args, **kwargs)
        self.records: dict[str, dict] = {}

    def offer(self, name: str, records: dict, none_label: str, options=None) -> None:
        """Records of a related field by their primary key as text; `options` when grouped otherwise."""
        self.records[name] = records
        options = options if options is not None else [(pk, str(record)) for pk, record in records.items()]
        self.fields[name].choices = [(KEEP, "– unverändert –"), (CLEAR, none_label), *options]

    def needs_values(self, data) -> bool:
        return True

    def clean(self):
        data = super().clean()
        if self.needs_values(data) and not self.values():
            raise forms.ValidationError("Bitte wählen Sie mindestens einen Wert, der gesetzt werden soll.")
        return data

    def values(self) -> dict:
        data = self.cleaned_data
        values = {}
        for name in self.plain_fields:
            value = data.get(name)
            value = value.strip() if isinstance(value, str) else value
            if value:
                values[name] = value
        for name, records in self.records.items():
            chosen = data.get(name)
            if chosen == CLEAR:
                values[name] = None
            elif chosen:
                values[name] = records[chosen]
        return values


class BulkEditForm(BulkValuesForm):
    """Values to set on many assessments at once; an empty choice leaves the field as it is."""

    plain_fields = ("status", "justification")

    SELECTED = "auswahl"
    ALL_MATCHING = "alle"
    SET = "setzen"
    CONFIRM = "bestaetigen"

    scope = forms.ChoiceField(
        label="Welche Zeilen?",
        choices=[(SELECTED, "die ausgewählten Zeilen"), (ALL_MATCHING, "alle Treffer des Filters")],
        initial=SELECTED,
        widget=forms.RadioSelect,
    )
    status = forms.ChoiceField(
        label="Umsetzungsstatus", required=False, choices=[(KEEP, "– unverändert –"), *Status.choices]
    )
    maturity_level = forms.ChoiceField(label="Reifegrad", required=False)
    justification = forms.CharField(
        label="Begründung",
        required=False,
        max_length=JUSTIFICATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Leer lassen, um die Begründungen nicht zu ändern.",
    )
    comment = forms.CharField(
        label="Kommentar zur Änderung",
        required=False,
        max_length=2000,
        help_text="Erscheint in der Änderungshistorie jeder geänderten Leistung.",
    )
    action = forms.ChoiceField(choices=[(SET, "Werte setzen"), (CONFIRM, "unverändert bestätigen")])
    seen_at = forms.CharField(required=False, widget=forms.HiddenInput)
    filter = forms.CharField(required=False, widget=forms.HiddenInput)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, rounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.levels = {
            str(level.pk): level
            for level in MaturityLevel.objects.filter(scale__in=rounds.values("maturity_scale"))
            .select_related("scale")
            .order_by("scale__name", "value")
        }
        scales: dict[str, list] = {}
        for pk, level in self.levels.items():
            scales.setdefault(level.scale.name, []).append((pk, str(level)))
        options = next(iter(scales.values())) if len(scales) == 1 else list(scales.items())
        self.offer("maturity_level", self.levels, "kein Reifegrad", options)

    def needs_values(self, data) -> bool:
        return data.get("action") == self.SET


# --- OZG plans -------------------------------------------------------------------------------------------------------

MUNICIPAL_BY_KIND = "wie die Art der Organisation und der Katalog es vorgeben"


def plan_levels(organisation: Organisation):
    """The levels of the organisation's own scale; every level where it has none (the rules allow any then)."""
    levels = MaturityLevel.objects.select_related("scale").order_by("scale__name", "value")
    return levels.filter(scale_id=organisation.maturity_scale_id) if organisation.maturity_scale_id else levels


class PlanValuesForm(WritePathForm):
    """The values of an organisation's plan for one OZG-Leistung; a plan without a record yet has version 0."""

    def __init__(self, *args, organisation: Organisation, leistung, plan: OzgPlan | None = None, **kwargs):
        instance = plan or OzgPlan(organisation=organisation, ozg_leistung=leistung, version=0)
        kwargs.setdefault("initial", {})["version"] = instance.version
        super().__init__(*args, instance=instance, **kwargs)
        fields = self.fields
        if "maturity_level" in fields:
            fields["maturity_level"].queryset = plan_levels(organisation)
            fields["maturity_level"].empty_label = "kein Reifegrad"
        if "responsible_department" in fields:
            fields["responsible_department"].queryset = organisation.departments.order_by("code")
            fields["responsible_department"].empty_label = "keine Einheit"
        if "efa_offer" in fields:
            fields["efa_offer"].queryset = EfaOffer.objects.filter(ozg_leistung=leistung).order_by("name")
            fields["efa_offer"].empty_label = "kein EfA-Angebot"
        if "responsible_kind" in fields:
            fields["responsible_kind"].choices = [("", "laut OZG-Katalog"), *ResponsibleKind.choices]
        if "municipal_override" in fields:
            fields["municipal_override"].choices = [
                ("", MUNICIPAL_BY_KIND),
                ("True", "zählt als kommunal"),
                ("False", "zählt nicht als kommunal"),
            ]
        for name in ("note", "municipal_reason"):
            if name in fields:
                limit_length(fields[name], NOTE_MAX_LENGTH)


class PlanForm(PlanValuesForm):
    """Every value of a plan, on its detail page."""

    comment = change_comment_field("dieser OZG-Leistung")

    class Meta:
        model = OzgPlan
        fields = PLAN_FIELDS
        formfield_callback = formfield
        widgets = {"note": forms.Textarea(attrs={"rows": 3}), "municipal_reason": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"municipal_reason": "Pflicht, wenn die OZG-Leistung abweichend als kommunal zählt oder nicht."}


class PlanRowForm(PlanValuesForm):
    """The values changed most often, edited in place in the list."""

    class Meta:
        model = OzgPlan
        fields = ("state", "target_quarter", "maturity_level", "responsible_department")


class PlanBulkForm(BulkValuesForm):
    """Values to set on the selected plans at once; an empty choice leaves the field as it is."""

    plain_fields = ("state", "target_quarter")

    state = forms.ChoiceField(label="Stand", required=False, choices=[(KEEP, "– unverändert –"), *PlanState.choices])
    target_quarter = forms.CharField(
        label="Zielquartal",
        required=False,
        max_length=7,
        validators=[validate_quarter],
        help_text="JJJJ-Q1 bis JJJJ-Q4; leer lassen, um die Zielquartale nicht zu ändern.",
    )
    maturity_level = forms.ChoiceField(label="Reifegrad", required=False)
    responsible_department = forms.ChoiceField(label="verantwortliche Einheit", required=False)
    comment = forms.CharField(
        label="Kommentar zur Änderung",
        required=False,
        max_length=2000,
        help_text="Erscheint in der Änderungshistorie jeder geänderten OZG-Leistung.",
    )

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer("maturity_level", {str(level.pk): level for level in plan_levels(organisation)}, "kein Reifegrad")
        departments = {str(d.pk): d for d in organisation.departments.order_by("code")}
        self.offer("responsible_department", departments, "keine Einheit")

    def needs_values(self, data) -> bool:
        return not self.errors


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        labels = {"text": "Ihre Rückfrage"}


class AnswerForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ["answer"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 3})}
        labels = {"answer": "Ihre Antwort"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answer"].required = True


class ColumnsForm(forms.Form):
    columns = forms.MultipleChoiceField(label="Spalten anzeigen", required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, choices, **kwargs):
        kwargs.setdefault("prefix", "spalten")
        super().__init__(*args, **kwargs)
        self.fields["columns"].choices = choices


# --- the dashboard ---------------------------------------------------------------------------------------------------


class ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """The choices of a field from the records the view has read already (`field.listed`): drawing the form costs
    no query (Django's iterator asks the database each time a field is drawn)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.listed:
            yield self.choice(obj)

    def __len__(self):
        return len(self.field.listed) + (self.field.empty_label is not None)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.field.listed)


class RoundsForm(forms.Form):
    """Which rounds form the series and which round the department, OZG, EfA and project tables look at."""

    runden = forms.ModelMultipleChoiceField(
        label="Erhebungsrunden im Vergleich",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Ohne Auswahl: alle Runden. Verglichen wird jeweils eine Runde mit der nächsten gewählten.",
    )
    runde = forms.ModelChoiceField(
        label="Runde für Organisationseinheiten, OZG, EfA und Projekte",
        queryset=None,
        required=False,
        empty_label="die jüngste abgeschlossene Runde",
    )

    def __init__(self, data, rounds, listed=None):
        """`rounds`: the organisation's rounds (a queryset, for the checks); `listed`: the same, read already."""
        super().__init__(data)
        for name in ("runden", "runde"):
            field = self.fields[name]
            if listed is not None:
                field.iterator, field.listed = ListedChoiceIterator, listed
            field.queryset = rounds
            field.label_from_instance = lambda r: f"{r.year} ({r.state_label})"


class PaperForm(forms.Form):
    """The committee paper's choices: rounds (the closed ones unless others are chosen), sections, level of detail.

    Unbound (the composer as it opens) it stands for its defaults, so the first preview needs no click."""

    runden = forms.ModelMultipleChoiceField(
        label="Erhebungsrunden",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Abgeschlossene Runden sind vorausgewählt; eine offene Runde kommt nur hinein, wenn Sie sie wählen, "
        "und ist dann als vorläufig gekennzeichnet. Verglichen werden die beiden jüngsten gewählten Runden.",
    )
    abschnitte = forms.MultipleChoiceField(
        label="Abschnitte",
        choices=list(paper.SECTIONS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Ohne Auswahl: alle Abschnitte.",
    )
    familien = forms.IntegerField(
        label="Katalogeffekte: so viele Leistungsfamilien einzeln zeigen",
        min_value=0,
        max_value=100,
        required=False,
        help_text="Die Familien mit den größten Veränderungen; die übrigen stehen zusammengefasst in einer Zeile.",
    )
    projekte = forms.ChoiceField(
        label="IT-Projekte",
        choices=[
            (paper.PROJECTS_SUMMARY, "zusammengefasst nach Stand und Organisationseinheit"),
            (paper.PROJECTS_LIST, "jedes Projekt einzeln (lange Liste)"),
        ],
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, data, rounds, listed):
        """`rounds`: the organisation's rounds (a queryset, for the checks); `listed`: the same, read already."""
        initial = {
            "runden": [r.pk for r in paper.default_rounds(listed)],
            "abschnitte": list(paper.SECTIONS),
            "familien": paper.DEFAULT_TOP_FAMILIES,
            "projekte": paper.PROJECTS_SUMMARY,
        }
        super().__init__(data, initial=initial)
        field = self.fields["runden"]
        field.iterator, field.listed = ListedChoiceIterator, listed
        field.queryset = rounds
        field.label_from_instance = lambda r: (
            f"{r.year} (abgeschlossen)" if r.is_closed else f"{r.year} (offen: vorläufige Zahlen)"
        )
        self.listed = listed

    def choice(self) -> "paper.PaperChoice | None":
        """What was chosen, the defaults if nothing was sent; None if what was sent is not valid."""
        if not self.is_bound:
            return paper.PaperChoice(rounds=paper.default_rounds(self.listed))
        if not self.is_valid():
            return None
        # A link may name only some choices (runden=…&abschnitte=…): the others keep their defaults.
        data = self.cleaned_data
        return paper.PaperChoice(
            rounds=list(data["runden"]),
            sections=list(data["abschnitte"]) or list(paper.SECTIONS),
            top_families=paper.DEFAULT_TOP_FAMILIES if data["familien"] is None else data["familien"],
            projects=data["projekte"] or paper.PROJECTS_SUMMARY,
        )


# --- survey rounds ---------------------------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        # The browser's date picker sends and expects ISO dates, whatever the page's language.
        super().__init__(attrs, format="%Y-%m-%d")


class OpenRoundForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label="Organisation",
        queryset=Organisation.objects.none(),
        error_messages={"invalid_choice": "Für diese Organisation können Sie keine Runde eröffnen."},
    )
    year = forms.IntegerField(label="Jahr", min_value=2000, max_value=2100)
    catalogue_version = forms.ModelChoiceField(
        label="Katalogversion",
        queryset=CatalogueVersion.objects.order_by("-valid_from", "-pk"),
        help_text="Die Werte der vorigen Runde werden über den Katalogabgleich in diese Version übernommen.",
    )
    maturity_scale = forms.ModelChoiceField(
        label="Reifegradskala",
        queryset=MaturityScale.objects.all(),
        required=False,
        help_text="Leer lassen, um die Skala der vorigen Runde (oder der Organisation) zu verwenden.",
    )
    deadline = forms.DateField(label="Meldefrist", required=False, widget=DateInput())

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].empty_label = "– bitte wählen –"
        self.fields["catalogue_version"].empty_label = "– bitte wählen –"
        self.fields["maturity_scale"].empty_label = "wie bisher"
        if not self.is_bound:
            self.initial.setdefault("year", timezone.localdate().year)
            only = list(organisations[:2])
            if len(only) == 1:
                self.initial.setdefault("organisation", only[0].pk)


class DeadlineForm(forms.ModelForm):
    class Meta:
        model = SurveyRound
        fields = ["deadline"]
        widgets = {"deadline": DateInput()}
        help_texts = {"deadline": "Leer lassen, wenn die Runde keine Frist hat."}

    def clean_deadline(self):
        if self.instance.is_closed:
            raise ValidationError("Die Runde ist abgeschlossen; ihre Meldefrist kann nicht mehr geändert werden.")
        return self.cleaned_data["deadline"]


# --- imports ---------------------------------------------------------------------------------------------------------


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label="Art der Datei", choices=KINDS, widget=forms.RadioSelect)
    file = forms.FileField(label="Datei (CSV oder XLSX)")
    version_name = forms.CharField(label="Name der neuen Katalogversion", max_length=100, required=False)
    valid_from = forms.DateField(label="gültig ab", required=False, help_text="TT.MM.JJJJ; leer: heute")
    mapping = forms.FileField(
        label="Zuordnungsdatei für Zusammenlegungen (optional)", required=False, help_text="Spalten alt;neu"
    )
    organisation = forms.ModelChoiceField(label="Organisation", queryset=None, required=False)
    withdraw_missing = forms.BooleanField(
        label="Die Datei ist der vollständige OZG-Katalog: nicht enthaltene OZG-Leistungen als entfallen markieren",
        required=False,
        help_text="Sie bleiben mit ihren Planungen erhalten, werden aber nicht mehr gezählt.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = allowed_kinds(user)
        self.fields["kind"].choices = [(kind, label) for kind, label in KINDS if kind in allowed]
        if len(allowed) == 1:
            self.fields["kind"].initial = allowed[0]
        self.fields["organisation"].queryset = it_office_organisations(user).order_by("name")
        if OZG not in allowed:
            del self.fields["withdraw_missing"]
        if LEIKA not in allowed:
            for name in ("version_name", "valid_from", "mapping"):
                del self.fields[name]

    def _check_upload(self, name):
        upload = self.cleaned_data.get(name)
        if upload is None:
            return None
        if Path(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise forms.ValidationError("Bitte eine CSV- oder XLSX-Datei hochladen.")
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"Die Datei ist {upload.size / 1024 / 1024:.0f} MB groß; erlaubt sind {MAX_BYTES // 1024 // 1024} MB."
            )
        return upload

    def clean_file(self):
        return self._check_upload("file")

    def clean_mapping(self):
        return self._check_upload("mapping")

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == LEIKA and not data.get("version_name", "").strip():
            self.add_error("version_name", "Bitte einen Namen für die neue Katalogversion angeben.")
        if kind == ONLINE and not data.get("organisation"):
            self.add_error("organisation", "Bitte die Organisation wählen, deren offene Runde ergänzt wird.")
        return data


# --- department sheets -----------------------------------------------------------------------------------------------


class SheetUploadForm(forms.Form):
    file = forms.FileField(
        label="Bearbeitete Tabelle (.xlsx)",
        widget=forms.FileInput(attrs={"accept": f".xlsx,{XLSX_CONTENT_TYPE}"}),
        help_text=f"Die heruntergeladene und bearbeitete Datei, höchstens {MAX_SHEET_BYTES // 1024 // 1024} MB.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() != ".xlsx":
            raise forms.ValidationError(
                "Bitte die Tabelle als Excel-Arbeitsmappe (.xlsx) hochladen; andere Formate werden nicht angenommen."
            )
        if upload.size > MAX_SHEET_BYTES:
            raise forms.ValidationError(
                f"Die Datei ist {upload.size / 1024 / 1024:.1f} MB groß; erlaubt sind "
                f"{MAX_SHEET_BYTES // 1024 // 1024} MB.".replace(".", ",", 1)
            )
        return upload
