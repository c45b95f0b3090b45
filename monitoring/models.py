"""Organisations, their departments and projects, survey rounds with their assessments, and OZG plans.

The domain rules (scale of a maturity level, justification of "Kein Optimierungspotenzial", project of the same
organisation, closed rounds are read-only) are enforced here, on every ORM path, and the closed-round lock once more by
a database trigger (see migration 0002). On the same paths every write of assessments raises its round's change
counter, in the writer's transaction: the dashboard's figures of a round are kept for as long as the counter stands.
"""

import re

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import F, Q

from leika.models import CatalogueVersion, LeikaEntry
from ozg.choices import EfaKind
from ozg.models import EfaOffer, MaturityLevel, MaturityScale, OzgLeistung

from .choices import (
    Channel,
    DepartmentRoleKind,
    JobKind,
    JobState,
    NotificationKind,
    OrganisationKind,
    OrganisationRole,
    PlanState,
    ProjectState,
    ResponsibleKind,
    Status,
)

# The text field has no limit in the database (a migration would buy nothing); every path keeps it readable.
JUSTIFICATION_MAX_LENGTH = 2000
# Values of an assessment checked by their model field on every write path (relations are checked by the rules).
CHECKED_VALUE_FIELDS = ("status", "efa_kind", "channel", "online_service_url")

CLOSED_ROUND_MESSAGE = (
    "Die Erhebungsrunde %(round)s ist abgeschlossen; ihre Bewertungen können nicht mehr geändert werden."
)


def field_errors(instance, names):
    """(field, message) for each of the fields' own checks (choices, address, quarter, length) that fails, so that
    imports, sheets and bulk edits refuse what the form refuses, e.g. a "javascript:" address."""
    for name in names:
        try:
            instance._meta.get_field(name).clean(getattr(instance, name), instance)
        except ValidationError as error:
            for message in error.messages:
                yield name, message


def too_long(text, limit: int) -> bool:
    return len(text or "") > limit


def german_count(number: int) -> str:
    return f"{number:,}".replace(",", ".")


class EditRefused(Exception):
    """An edit that was refused as a whole: nothing was written; `lines()` says why, in German, for the person."""

    def lines(self) -> list[str]:
        raise NotImplementedError


class ClosedRoundError(EditRefused, ValidationError):
    """Raised when anything tries to write an assessment of a closed survey round."""

    def __init__(self, round_label: str):
        ValidationError.__init__(self, CLOSED_ROUND_MESSAGE, code="closed_round", params={"round": round_label})

    def lines(self) -> list[str]:
        return list(self.messages)


class Organisation(models.Model):
    name = models.CharField("Name", max_length=200, unique=True)
    kind = models.CharField("Art", max_length=30, choices=OrganisationKind.choices)
    regionalschluessel = models.CharField(
        "Regionalschlüssel",
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^[0-9]{12}\Z", "Der Regionalschlüssel muss aus genau 12 Ziffern bestehen.")],
    )
    maturity_scale = models.ForeignKey(
        MaturityScale,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name="eigene Reifegradskala",
        help_text="Skala, auf der die Organisation den Reifegrad ihrer OZG-Leistungen angibt.",
    )

    class Meta:
        verbose_name = "Organisation"
        verbose_name_plural = "Organisationen"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Department(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="departments", verbose_name="Organisation"
    )
    code = models.CharField("Kürzel", max_length=20, help_text="z. B. „A 12“ oder „FB 15“")
    name = models.CharField("Bezeichnung", max_length=200)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="übergeordnete Organisationseinheit",
    )

    class Meta:
        verbose_name = "Organisationseinheit"
        verbose_name_plural = "Organisationseinheiten"
        ordering = ["organisation", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="department_code_unique_per_organisation")
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def clean(self):
        if self.parent_id is None:
            return
        if self.parent.organisation_id != self.organisation_id:
            raise ValidationError({"parent": "Die übergeordnete Einheit gehört zu einer anderen Organisation."})
        node, seen = self.parent, set()
        while node is not None:
            if node.pk == self.pk or node.pk in seen:
                raise ValidationError({"parent": "Eine Einheit kann nicht sich selbst untergeordnet sein."})
            seen.add(node.pk)
            node = node.parent


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name="Benutzer_in"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name="Organisation"
    )
    role = models.CharField("Rolle", max_length=20, choices=OrganisationRole.choices)

    class Meta:
        verbose_name = "Mitgliedschaft"
        verbose_name_plural = "Mitgliedschaften"
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique_per_organisation")
        ]

    def __str__(self):
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"


class DepartmentRole(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="department_roles",
        verbose_name="Benutzer_in",
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="roles", verbose_name="Organisationseinheit"
    )
    role = models.CharField("Rolle", max_length=20, choices=DepartmentRoleKind.choices)

    class Meta:
        verbose_name = "Rolle in einer Organisationseinheit"
        verbose_name_plural = "Rollen in Organisationseinheiten"
        constraints = [models.UniqueConstraint(fields=["user", "department"], name="department_role_unique")]

    def __str__(self):
        return f"{self.user} – {self.department} ({self.get_role_display()})"


class ITProject(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="it_projects", verbose_name="Organisation"
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="it_projects",
        verbose_name="Organisationseinheit",
    )
    title = models.CharField("Titel", max_length=300)
    year = models.PositiveSmallIntegerField(
        "Jahr", validators=[MinValueValidator(2000), MaxValueValidator(2100)], db_index=True
    )
    state = models.CharField("Stand", max_length=20, choices=ProjectState.choices, default=ProjectState.GEPLANT)

    class Meta:
        verbose_name = "IT-Projekt"
        verbose_name_plural = "IT-Projekte"
        ordering = ["organisation", "-year", "title"]

    def __str__(self):
        return f"{self.title} ({self.year})"

    def clean(self):
        if self.department_id and self.department.organisation_id != self.organisation_id:
            raise ValidationError({"department": "Die Organisationseinheit gehört zu einer anderen Organisation."})


class SurveyRound(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="rounds", verbose_name="Organisation"
    )
    year = models.PositiveSmallIntegerField("Jahr", validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    catalogue_version = models.ForeignKey(
        CatalogueVersion, on_delete=models.PROTECT, related_name="rounds", verbose_name="Katalogversion"
    )
    maturity_scale = models.ForeignKey(
        MaturityScale, on_delete=models.PROTECT, related_name="rounds", verbose_name="Reifegradskala"
    )
    is_closed = models.BooleanField("abgeschlossen", default=False, db_index=True)
    deadline = models.DateField("Meldefrist", null=True, blank=True)
    # Raised by every write of the round's assessments (see count_changes): what the dashboard's kept figures of the
    # round are keyed by, so an unchanged round, open or closed, is never counted again.
    change_count = models.PositiveBigIntegerField("Änderungszähler", default=0, editable=False)

    class Meta:
        verbose_name = "Erhebungsrunde"
        verbose_name_plural = "Erhebungsrunden"
        ordering = ["organisation", "year"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="round_unique_per_year"),
            # Two open rounds would put every service twice into the departments' lists.
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(is_closed=False),
                name="one_open_round_per_organisation",
                violation_error_message="Diese Organisation hat schon eine offene Erhebungsrunde.",
            ),
        ]

    def __str__(self):
        return f"{self.organisation} {self.year}"

    def save(self, *args, **kwargs):
        # The counter is raised in the database only (count_changes): saving a round read earlier never writes back
        # the value it read, which would undo a raise made since and bring back figures kept for older rows.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "change_count"
            ]
        super().save(*args, **kwargs)

    @property
    def state_label(self) -> str:
        return "abgeschlossen" if self.is_closed else "offen"

    def other_open_round(self) -> "SurveyRound | None":
        """The organisation's open round other than this one, if any (there can be at most one)."""
        return self.organisation.rounds.filter(is_closed=False).exclude(pk=self.pk).order_by("year").first()

    def validate_constraints(self, exclude=None):
        # The database constraint says "schon eine offene Runde"; a person needs to know which one.
        if not self.is_closed and self.organisation_id:
            other = self.other_open_round()
            if other is not None:
                raise ValidationError(
                    f"Die Erhebungsrunde {other} ist noch offen; eine Organisation hat höchstens eine offene "
                    f"Runde. Bitte schließen Sie {other.year} ab, bevor Sie eine weitere öffnen."
                )
        super().validate_constraints(exclude=exclude)

    def clean(self):
        if self.pk is None:
            return
        stored = SurveyRound.objects.filter(pk=self.pk).values("catalogue_version_id", "maturity_scale_id").first()
        if stored and self.assessments.exists():
            # Catalogue and scale define what the round's values mean; swapping them would re-interpret every row.
            if stored["catalogue_version_id"] != self.catalogue_version_id:
                raise ValidationError(
                    {
                        "catalogue_version": "Die Runde hat bereits Bewertungen; ihre Katalogversion "
                        "kann nicht mehr geändert werden."
                    }
                )
            if stored["maturity_scale_id"] != self.maturity_scale_id:
                raise ValidationError(
                    {
                        "maturity_scale": "Die Runde hat bereits Bewertungen; ihre Reifegradskala "
                        "kann nicht mehr geändert werden."
                    }
                )


def _round_labels_closed(round_ids) -> list[str]:
    closed = SurveyRound.objects.filter(pk__in=set(round_ids), is_closed=True).select_related("organisation")
    return [str(r) for r in closed]


def count_changes(round_ids) -> None:
    """Raise the change counter of the rounds whose assessments were just written; called inside the write's
    transaction and after the write (rows first, then the round: the order every writer locks in)."""
    ids = {pk for pk in round_ids if pk is not None}
    if ids:
        SurveyRound.objects.filter(pk__in=ids).update(change_count=F("change_count") + 1)


# Fields a rule of Assessment depends on; a queryset update of one of them is checked row by row.
RULE_FIELDS = {"round", "leika_entry", "department", "maturity_level", "status", "justification", "it_project"}


class AssessmentQuerySet(models.QuerySet):
    """Queryset paths that bypass Model.save() still honour the rules, above all the closed-round lock."""

    def _refuse_closed(self, extra_round_ids=()) -> set[int]:
        """The rounds the rows are in (and `extra_round_ids`), none of them closed."""
        round_ids = set(self.order_by().values_list("round_id", flat=True).distinct()) | set(extra_round_ids)
        closed = _round_labels_closed(round_ids)
        if closed:
            raise ClosedRoundError(", ".join(closed))
        return round_ids

    def update(self, **kwargs):
        target = kwargs.get("round")
        target_ids = [getattr(target, "pk", target)] if target is not None else []
        if "round_id" in kwargs:
            target_ids.append(kwargs["round_id"])
        round_ids = self._refuse_closed(target_ids)
        self._check_rules(kwargs)
        with transaction.atomic(using=self.db, savepoint=False):
            updated = super().update(**kwargs)
            if updated:
                count_changes(round_ids)
        return updated

    def _check_rules(self, kwargs) -> None:
        """Plain values that a rule depends on are checked against each row they would land in.

        Expressions (F(), Case() as bulk_update sends them) cannot be evaluated here; bulk_update checks its rows
        itself before it sends them.
        """
        plain = {
            name: value
            for name, value in kwargs.items()
            if name.removesuffix("_id") in RULE_FIELDS and not hasattr(value, "resolve_expression")
        }
        if not plain:
            return
        rows = list(self.select_related("leika_entry", "department", "maturity_level", "it_project"))
        for row in rows:
            for name, value in plain.items():
                setattr(row, name, value)
        Assessment.validate_many(rows)
        if "justification" in plain and isinstance(plain["justification"], str):
            kwargs["justification"] = plain["justification"].strip()

    update.queryset_only = True

    def delete(self):
        round_ids = self._refuse_closed()
        with transaction.atomic(using=self.db, savepoint=False):
            deleted = super().delete()
            count_changes(round_ids)
        return deleted

    delete.queryset_only = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        Assessment.validate_many(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            count_changes({obj.round_id for obj in objs})
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        stored_round_ids = Assessment.validate_many(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            updated = super().bulk_update(objs, fields, *args, **kwargs)
            count_changes(stored_round_ids | {obj.round_id for obj in objs})
        return updated


class Assessment(models.Model):
    round = models.ForeignKey(
        SurveyRound, on_delete=models.PROTECT, related_name="assessments", verbose_name="Erhebungsrunde"
    )
    leika_entry = models.ForeignKey(
        LeikaEntry, on_delete=models.PROTECT, related_name="assessments", verbose_name="LeiKa-Leistung"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="assessments", verbose_name="zuständige Einheit"
    )
    status = models.CharField(
        "Umsetzungsstatus", max_length=20, choices=Status.choices, default=Status.NICHT_GEMELDET, db_index=True
    )
    maturity_level = models.ForeignKey(
        MaturityLevel, on_delete=models.PROTECT, null=True, blank=True, verbose_name="Reifegrad"
    )
    efa_kind = models.CharField("EfA-Nachnutzung", max_length=30, choices=EfaKind.choices, blank=True)
    efa_offer = models.ForeignKey(
        EfaOffer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name="nachgenutztes EfA-Angebot",
    )
    channel = models.CharField("Kanal des Onlineangebots", max_length=20, choices=Channel.choices, blank=True)
    online_service_url = models.URLField("Adresse des Onlinedienstes", max_length=500, blank=True)
    it_project = models.ForeignKey(
        ITProject,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name="IT-Projekt",
    )
    justification = models.TextField("Begründung", blank=True)
    carried_over_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_into",
        verbose_name="übernommen aus",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="zuletzt bestätigt von",
    )
    confirmed_at = models.DateTimeField("zuletzt bestätigt am", null=True, blank=True)
    created_at = models.DateTimeField("angelegt am", auto_now_add=True)
    updated_at = models.DateTimeField("geändert am", auto_now=True)
    # Raised by every edit through monitoring.editing; an edit based on an older number is refused (no lost update).
    version = models.PositiveIntegerField("Bearbeitungsstand", default=1, editable=False)
    # The entry's key, kept on the row by the database itself (trigger of migration 0012, on every insert and on
    # every update that changes the entry or the key, also by raw SQL): the lists sort a round's rows by it from an
    # index of this table alone, without joining the catalogue. Read it from the database, not from an instance
    # created in this process (there it stays "" until read again).
    entry_key = models.CharField("Leistungsschlüssel", max_length=14, default="", editable=False)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = "Bewertung"
        verbose_name_plural = "Bewertungen"
        ordering = ["round", "entry_key"]
        constraints = [
            models.UniqueConstraint(fields=["round", "leika_entry"], name="assessment_unique_per_round_entry"),
            models.CheckConstraint(
                condition=~Q(status=Status.KEIN_POTENZIAL) | ~Q(justification=""),
                name="assessment_kein_potenzial_needs_justification",
                violation_error_message="„Kein Optimierungspotenzial“ braucht eine Begründung.",
            ),
        ]
        indexes = [
            models.Index(fields=["round", "status"]),
            # The lists read a round's rows in key order from these indexes alone (PostgreSQL; elsewhere plain
            # indexes): a department's (the first page is the index's first entries), or all departments' (the IT
            # office). With entry, status and confirmation included, a list filtered by status, its progress bar
            # and the join to the entries' names of a text search need not visit the rows either.
            models.Index(
                fields=["round", "department", "entry_key"],
                include=["id", "leika_entry", "status", "confirmed_at"],
                name="assessment_round_department",
            ),
            models.Index(
                fields=["round", "entry_key"],
                include=["department", "id", "leika_entry", "status", "confirmed_at"],
                name="assessment_round_key",
            ),
        ]

    def __str__(self):
        return f"{self.leika_entry} – {self.round}"

    def save(self, *args, **kwargs):
        self.justification = (self.justification or "").strip()
        stored_round_id = self.validate()
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            super().save(*args, **kwargs)
            count_changes({self.round_id, stored_round_id})

    def delete(self, *args, **kwargs):
        stored = self._stored_round()
        if stored is not None and stored.is_closed:
            raise ClosedRoundError(str(stored))
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            deleted = super().delete(*args, **kwargs)
            count_changes({stored.pk if stored else self.round_id})
        return deleted

    @property
    def row_label(self) -> str:
        """How messages name the row."""
        return f"{self.leika_entry.key} {self.leika_entry.name}"

    @property
    def awaiting_confirmation(self) -> bool:
        return self.confirmed_at is None

    # --- rules -------------------------------------------------------------------------------------------------

    def rule_errors(self, round_obj: SurveyRound) -> dict[str, list[str]]:
        """The field errors of this assessment against the rules, given its (possibly cached) round."""
        errors: dict[str, list[str]] = {}

        def add(field, message):
            errors.setdefault(field, []).append(message)

        if round_obj.is_closed:
            add(NON_FIELD_ERRORS, CLOSED_ROUND_MESSAGE % {"round": round_obj})
        if self.leika_entry_id and self.leika_entry.version_id != round_obj.catalogue_version_id:
            add(
                "leika_entry",
                f"Die LeiKa-Leistung stammt nicht aus der Katalogversion der Runde ({round_obj.catalogue_version}).",
            )
        if self.department_id and self.department.organisation_id != round_obj.organisation_id:
            add("department", "Die Organisationseinheit gehört zu einer anderen Organisation als die Runde.")
        if self.maturity_level_id and self.maturity_level.scale_id != round_obj.maturity_scale_id:
            add("maturity_level", f"Der Reifegrad gehört nicht zur Skala der Runde ({round_obj.maturity_scale}).")
        for name, message in field_errors(self, CHECKED_VALUE_FIELDS):
            add(name, message)
        if too_long(self.justification, JUSTIFICATION_MAX_LENGTH):
            add("justification", f"Die Begründung ist länger als {german_count(JUSTIFICATION_MAX_LENGTH)} Zeichen.")
        if self.status == Status.KEIN_POTENZIAL and not (self.justification or "").strip():
            add("justification", "„Kein Optimierungspotenzial“ braucht eine Begründung.")
        if self.it_project_id and self.it_project.organisation_id != round_obj.organisation_id:
            add("it_project", "Das IT-Projekt gehört zu einer anderen Organisation.")
        return errors

    def _stored_round(self) -> SurveyRound | None:
        """The round the stored row is in (None for a new row)."""
        if self.pk is None:
            return None
        return SurveyRound.objects.filter(assessments__pk=self.pk).select_related("organisation").first()

    def _stored_round_closed(self) -> str | None:
        stored = self._stored_round()
        return str(stored) if stored is not None and stored.is_closed else None

    def clean(self):
        errors = {}
        stored_closed = self._stored_round_closed()
        if stored_closed:
            errors[NON_FIELD_ERRORS] = [CLOSED_ROUND_MESSAGE % {"round": stored_closed}]
        if self.round_id:
            for field, messages in self.rule_errors(self.round).items():
                errors.setdefault(field, []).extend(m for m in messages if m not in errors.get(field, []))
        if errors:
            raise ValidationError(errors)

    def validate(self) -> int | None:
        """What save() checks: the rules, with the closed-round lock as its own exception type. Returns the id of
        the round the stored row is in (None for a new row)."""
        stored = self._stored_round()
        if stored is not None and stored.is_closed:
            raise ClosedRoundError(str(stored))
        if self.round.is_closed:
            raise ClosedRoundError(str(self.round))
        errors = self.rule_errors(self.round)
        if errors:
            raise ValidationError(errors)
        return stored.pk if stored is not None else None

    @classmethod
    def _load_related(cls, objs) -> None:
        """The records the rules read, fetched once per relation for the whole batch instead of once per row."""
        for name, model in (
            ("leika_entry", LeikaEntry),
            ("department", Department),
            ("maturity_level", MaturityLevel),
            ("it_project", ITProject),
        ):
            field = cls._meta.get_field(name)
            missing = {
                getattr(obj, field.attname)
                for obj in objs
                if getattr(obj, field.attname) is not None and not field.is_cached(obj)
            }
            if not missing:
                continue
            loaded = model._base_manager.in_bulk(missing)
            for obj in objs:
                value = getattr(obj, field.attname)
                if value is not None and not field.is_cached(obj) and value in loaded:
                    field.set_cached_value(obj, loaded[value])

    @classmethod
    def validate_many(cls, objs) -> set[int]:
        """Check a batch with one query for rounds and one for stored rows, as bulk paths need. Returns the ids of
        the rounds the stored rows are in."""
        rounds = {
            r.pk: r
            for r in SurveyRound.objects.filter(pk__in={o.round_id for o in objs}).select_related(
                "organisation", "catalogue_version", "maturity_scale"
            )
        }
        stored_round_ids = set(
            cls.objects.filter(pk__in=[o.pk for o in objs if o.pk])
            .order_by()
            .values_list("round_id", flat=True)
            .distinct()
        )
        stored_closed = _round_labels_closed(stored_round_ids)
        if stored_closed:
            raise ClosedRoundError(", ".join(stored_closed))
        cls._load_related(objs)
        for position, obj in enumerate(objs, start=1):
            round_obj = rounds[obj.round_id]
            if round_obj.is_closed:
                raise ClosedRoundError(str(round_obj))
            errors = obj.rule_errors(round_obj)
            if errors:
                first = "; ".join(f"{m}" for messages in errors.values() for m in messages)
                raise ValidationError(f"Zeile {position} ({obj.leika_entry.key}): {first}", code="invalid_row")
        return stored_round_ids


class ChangeSource(models.TextChoices):
    PAGE = "seite", "Detailseite"
    INLINE = "zeile", "Bearbeitung in der Liste"
    BULK = "sammel", "Sammelbearbeitung"
    CONFIRM = "bestaetigung", "Bestätigung"
    IMPORT = "import", "Import"
    ADMIN = "admin", "Verwaltung"
    SHEET = "tabelle", "Excel-Tabelle"


class ChangeRecord(models.Model):
    """What every recorded change holds: who, when, through which path, each field's old and new value."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="Benutzer_in",
    )
    at = models.DateTimeField("Zeitpunkt", db_index=True)
    source = models.CharField("Weg", max_length=20, choices=ChangeSource.choices)
    version = models.PositiveIntegerField("Bearbeitungsstand danach")
    # [{"field": name, "label": verbose name, "old": shown old value, "new": shown new value}, ...]
    fields = models.JSONField("Änderungen", default=list, blank=True)
    comment = models.TextField("Kommentar", blank=True, max_length=2000)

    class Meta:
        abstract = True
        ordering = ["-at", "-pk"]


class AssessmentChange(ChangeRecord):
    """One recorded change of an assessment: who, when, through which path, each field's old and new value."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="changes", verbose_name="Bewertung"
    )

    class Meta(ChangeRecord.Meta):
        verbose_name = "Änderung einer Bewertung"
        verbose_name_plural = "Änderungen von Bewertungen"
        indexes = [models.Index(fields=["assessment", "version"])]

    def __str__(self):
        return f"{self.assessment} – {self.get_source_display()} ({self.at:%d.%m.%Y %H:%M})"


class Question(models.Model):
    """A Rückfrage of the IT office on an assessment and the department's answer."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="questions", verbose_name="Bewertung"
    )
    text = models.TextField("Rückfrage", max_length=2000)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="gestellt von"
    )
    asked_at = models.DateTimeField("gestellt am", auto_now_add=True)
    answer = models.TextField("Antwort", blank=True, max_length=2000)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="beantwortet von",
    )
    answered_at = models.DateTimeField("beantwortet am", null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "Rückfrage"
        verbose_name_plural = "Rückfragen"
        ordering = ["-asked_at", "-pk"]

    def __str__(self):
        return f"Rückfrage zu {self.assessment}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class TablePreference(models.Model):
    """The columns a user chose for a list page, remembered across sessions."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="table_preferences", verbose_name="Benutzer_in"
    )
    table = models.CharField("Tabelle", max_length=50)
    columns = models.JSONField("Spalten", default=list)

    class Meta:
        verbose_name = "Spaltenauswahl"
        verbose_name_plural = "Spaltenauswahlen"
        constraints = [models.UniqueConstraint(fields=["user", "table"], name="table_preference_unique")]

    def __str__(self):
        return f"{self.user}: {self.table}"


QUARTER_PATTERN = re.compile(r"^(20[0-9]{2})-Q([1-4])\Z")


def validate_quarter(value: str) -> None:
    if value and not QUARTER_PATTERN.match(value):
        raise ValidationError(
            "Das Zielquartal muss die Form JJJJ-Q1 bis JJJJ-Q4 haben (erhalten: „%(value)s“).",
            code="invalid_quarter",
            params={"value": value},
        )


# Values of a plan checked by their model field on every write path (relations are checked by the rules).
PLAN_CHECKED_VALUE_FIELDS = ("state", "responsible_kind", "target_quarter", "online_service_url", "municipal_override")
NOTE_MAX_LENGTH = 2000


class OzgPlan(models.Model):
    """An organisation's plan for one OZG-Leistung. A missing record means "nicht geplant" with no other values;
    the write path (`monitoring.planning.apply_plan_changes`) creates it on the first edit."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="ozg_plans", verbose_name="Organisation"
    )
    ozg_leistung = models.ForeignKey(
        OzgLeistung, on_delete=models.PROTECT, related_name="plans", verbose_name="OZG-Leistung"
    )
    responsible_kind = models.CharField(
        "zuständig", max_length=20, choices=ResponsibleKind.choices, blank=True, help_text="leer: laut OZG-Katalog"
    )
    responsible_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ozg_plans",
        verbose_name="verantwortliche Einheit",
    )
    state = models.CharField(
        "Stand", max_length=20, choices=PlanState.choices, default=PlanState.NICHT_GEPLANT, db_index=True
    )
    target_quarter = models.CharField(
        "Zielquartal", max_length=7, blank=True, validators=[validate_quarter], help_text="z. B. 2025-Q1"
    )
    maturity_level = models.ForeignKey(
        MaturityLevel, on_delete=models.PROTECT, null=True, blank=True, verbose_name="Reifegrad"
    )
    online_service_url = models.URLField("Adresse des Onlinedienstes", max_length=500, blank=True)
    efa_offer = models.ForeignKey(
        EfaOffer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ozg_plans",
        verbose_name="genutztes EfA-Angebot",
    )
    # None: kommunal or not as the organisation's kind and the catalogue say (monitoring.planning.counts_as_municipal).
    municipal_override = models.BooleanField(
        "kommunal abweichend",
        null=True,
        blank=True,
        choices=[(True, "zählt als kommunal"), (False, "zählt nicht als kommunal")],
    )
    municipal_reason = models.TextField("Begründung der Abweichung", blank=True)
    note = models.TextField("Anmerkung", blank=True)
    updated_at = models.DateTimeField("geändert am", null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="geändert von",
    )
    # Raised by every edit through monitoring.planning; an edit based on an older number is refused (no lost update).
    version = models.PositiveIntegerField("Bearbeitungsstand", default=1, editable=False)

    class Meta:
        verbose_name = "OZG-Planung"
        verbose_name_plural = "OZG-Planungen"
        ordering = ["organisation", "ozg_leistung__ozg_id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "ozg_leistung"], name="ozg_plan_unique_per_organisation"),
            models.CheckConstraint(
                condition=Q(municipal_override__isnull=True) | ~Q(municipal_reason=""),
                name="ozg_plan_override_needs_reason",
                violation_error_message="Eine Abweichung von „kommunal“ braucht eine Begründung.",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "responsible_department"])]

    def __str__(self):
        return f"{self.organisation}: {self.ozg_leistung} ({self.get_state_display()})"

    def save(self, *args, **kwargs):
        self.municipal_reason = (self.municipal_reason or "").strip()
        errors = self.rule_errors()
        if errors:
            raise ValidationError(errors)
        super().save(*args, **kwargs)

    @property
    def row_label(self) -> str:
        """How messages name the row."""
        return f"{self.ozg_leistung.ozg_id} {self.ozg_leistung.name}"

    def rule_errors(self) -> dict[str, list[str]]:
        """The field errors of this plan against the rules; every write path asks here."""
        errors: dict[str, list[str]] = {}

        def add(field, message):
            errors.setdefault(field, []).append(message)

        organisation = self.organisation
        if self.responsible_department_id and self.responsible_department.organisation_id != self.organisation_id:
            add("responsible_department", "Die Organisationseinheit gehört zu einer anderen Organisation.")
        scale_id = organisation.maturity_scale_id
        if self.maturity_level_id and scale_id and self.maturity_level.scale_id != scale_id:
            add(
                "maturity_level",
                f"Der Reifegrad gehört nicht zur Skala der Organisation ({organisation.maturity_scale}).",
            )
        if self.efa_offer_id and self.efa_offer.ozg_leistung_id != self.ozg_leistung_id:
            add("efa_offer", "Das EfA-Angebot gehört zu einer anderen OZG-Leistung.")
        for name, message in field_errors(self, PLAN_CHECKED_VALUE_FIELDS):
            add(name, message)
        for name in ("note", "municipal_reason"):
            if too_long(getattr(self, name), NOTE_MAX_LENGTH):
                add(name, f"Der Text ist länger als {german_count(NOTE_MAX_LENGTH)} Zeichen.")
        if self.municipal_override is not None and not (self.municipal_reason or "").strip():
            add("municipal_reason", "Eine Abweichung von „kommunal“ braucht eine Begründung.")
        return errors

    def clean(self):
        errors = self.rule_errors()
        # The quarter is checked by its field's validator during full_clean; reporting it here again would say it twice.
        errors.pop("target_quarter", None)
        if errors:
            raise ValidationError(errors)


class OzgPlanChange(ChangeRecord):
    """One recorded change of an OZG plan: who, when, through which path, each field's old and new value."""

    plan = models.ForeignKey(OzgPlan, on_delete=models.CASCADE, related_name="changes", verbose_name="OZG-Planung")

    class Meta(ChangeRecord.Meta):
        verbose_name = "Änderung einer OZG-Planung"
        verbose_name_plural = "Änderungen von OZG-Planungen"
        indexes = [models.Index(fields=["plan", "version"])]

    def __str__(self):
        return f"{self.plan} – {self.get_source_display()} ({self.at:%d.%m.%Y %H:%M})"


class BackgroundJob(models.Model):
    """Long work run by the task worker (monitoring.jobs): who asked for it, how far it is, and what came of it.

    django-tasks records whether a task ran, not how far it got nor what a person should read; this record carries
    that, and the input (`params`: uploaded files, parameters) until the work is done, so that an interrupted job
    can be started again.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="background_jobs", verbose_name="Auftraggeber"
    )
    # Where set, the organisation's IT office may follow the job too (opening its round, a department's sheet).
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name="Organisation"
    )
    kind = models.CharField("Art", max_length=20, choices=JobKind.choices)
    title = models.CharField("Auftrag", max_length=300)
    state = models.CharField("Stand", max_length=20, choices=JobState.choices, default=JobState.QUEUED)
    done = models.PositiveIntegerField("erledigt", default=0)
    total = models.PositiveIntegerField("insgesamt", default=0)
    unit = models.CharField("Einheit", max_length=40, blank=True)  # what `done` and `total` count ("Zeilen")
    message = models.TextField("Meldung", blank=True)
    lines = models.JSONField("Einzelheiten", default=list, blank=True)
    params = models.JSONField("Eingaben", default=dict, blank=True)
    result_url = models.CharField("Ergebnis", max_length=500, blank=True)
    result_label = models.CharField("Ergebnis (Linktext)", max_length=200, blank=True)
    result_file = models.CharField("Datei", max_length=200, blank=True)  # a name in EXPORT_DIR
    result_name = models.CharField("Dateiname", max_length=200, blank=True)  # the name the download carries
    task_result_id = models.CharField("Aufgaben-ID", max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField("Versuche", default=0)
    created_at = models.DateTimeField("angelegt", auto_now_add=True)
    updated_at = models.DateTimeField("geändert", auto_now=True)
    started_at = models.DateTimeField("gestartet", null=True, blank=True)
    heartbeat_at = models.DateTimeField("letztes Lebenszeichen", null=True, blank=True)
    finished_at = models.DateTimeField("beendet", null=True, blank=True)
    expires_at = models.DateTimeField("Datei gelöscht ab", null=True, blank=True)

    class Meta:
        verbose_name = "Hintergrundauftrag"
        verbose_name_plural = "Hintergrundaufträge"
        indexes = [models.Index(fields=["owner", "-created_at"], name="job_owner_created")]

    def __str__(self):
        return self.title

    @property
    def is_finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED, JobState.INTERRUPTED)

    @property
    def may_restart(self) -> bool:
        return self.state == JobState.INTERRUPTED


class NotificationPreference(models.Model):
    """A person's choice for one kind of e-mail; without a record the kind's default holds
    (`choices.NOTIFICATIONS_OFF_BY_DEFAULT`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name="Benutzer_in",
    )
    kind = models.CharField("Art", max_length=20, choices=NotificationKind.choices)
    enabled = models.BooleanField("erwünscht", default=True)

    class Meta:
        verbose_name = "Einstellung einer Benachrichtigung"
        verbose_name_plural = "Einstellungen der Benachrichtigungen"
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")]

    def __str__(self):
        return f"{self.user}: {self.get_kind_display()} ({'an' if self.enabled else 'aus'})"


class SentReminder(models.Model):
    """A reminder or digest that `send_reminders` has sent: one per person, round, kind and occasion (`occasion`: the
    reminder's number of days before the deadline, or the digest's calendar week), so that a second run on the same
    day, or a run after a missed day, sends nobody anything twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="Benutzer_in"
    )
    round = models.ForeignKey(
        SurveyRound, on_delete=models.CASCADE, related_name="sent_reminders", verbose_name="Erhebungsrunde"
    )
    kind = models.CharField("Art", max_length=20, choices=NotificationKind.choices)
    occasion = models.CharField("Anlass", max_length=20)
    sent_on = models.DateField("gesendet am")

    class Meta:
        verbose_name = "gesendete Erinnerung"
        verbose_name_plural = "gesendete Erinnerungen"
        constraints = [models.UniqueConstraint(fields=["user", "round", "kind", "occasion"], name="sent_reminder_once")]

    def __str__(self):
        return f"{self.get_kind_display()} an {self.user} ({self.round}, {self.occasion})"
