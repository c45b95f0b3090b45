"""Every write to an assessment's values goes through here: rules, version check and history in one transaction.

The pieces that are not about assessments (conflicts, refusals, snapshots, history lines) serve the OZG plans' write
path as well (`monitoring.planning`).

An editor's change is based on the version of the row they saw (`versions`: the row's version number when the page
was drawn) or on the moment they drew a list (`seen_at`, for "all rows matching the filter"). When someone else has
changed a row since, nothing is written and `EditConflict` says who changed what, so that nothing is lost silently.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.utils import timezone

from .models import Assessment, AssessmentChange, ChangeSource, ClosedRoundError, EditRefused

# The values a department reports; everything else of an assessment is structure (round, entry, department).
EDITABLE_FIELDS = (
    "status",
    "maturity_level",
    "efa_kind",
    "efa_offer",
    "channel",
    "online_service_url",
    "it_project",
    "justification",
)
# Rows written per statement (and per progress step).
WRITE_BATCH = 500
ROW_RELATIONS = (
    "round__organisation",
    "round__catalogue_version",
    "round__maturity_scale",
    "leika_entry",
    "department",
    "maturity_level",
    "efa_offer",
    "it_project",
)


def shown_value(name: str, value, model=Assessment) -> str:
    """A value of the field `name` of `model` as pages and files show it: the German label of a choice, the name
    of a related record, "" for nothing. An unknown choice is shown as stored."""
    if value in (None, ""):
        return ""
    choices = model._meta.get_field(name).choices
    if choices:
        return str(dict(choices).get(value, value))
    return str(value)


def shown(row, name: str) -> str:
    """A field's value of a stored row (an assessment, a plan) as the pages show it."""
    return shown_value(name, getattr(row, name), type(row))


def current_values(row, names=EDITABLE_FIELDS) -> list[tuple[str, str]]:
    """(label, shown value) of the row's fields `names`, as a conflict message shows what is stored now."""
    return [(str(type(row)._meta.get_field(name).verbose_name), shown(row, name)) for name in names]


def snapshot(row, fields=EDITABLE_FIELDS) -> dict[str, str]:
    return {name: shown(row, name) for name in fields}


def field_changes(before: Mapping[str, str], after: Mapping[str, str], model=Assessment) -> list[dict[str, str]]:
    """The fields of two snapshots (in their order) whose shown values differ, as the history records them."""
    return [
        {
            "field": name,
            "label": str(model._meta.get_field(name).verbose_name),
            "old": before[name],
            "new": after[name],
        }
        for name in before
        if before[name] != after[name]
    ]


@dataclass
class Conflict:
    """A row (an assessment, a plan) someone else changed after the editor saw it, with what they changed."""

    row: Assessment
    changes: list

    @property
    def assessment(self):
        return self.row

    def lines(self) -> list[str]:
        lines = []
        for change in self.changes:
            who = change.user.get_full_name() or change.user.get_username() if change.user else "unbekannt"
            when = timezone.localtime(change.at).strftime("%d.%m.%Y %H:%M")
            what = "; ".join(f"{f['label']}: „{f['old']}“ → „{f['new']}“" for f in change.fields) or "bestätigt"
            lines.append(f"{who} am {when} ({change.get_source_display()}): {what}")
        return lines or ["Die Zeile wurde inzwischen geändert."]


class EditConflict(EditRefused):
    """Someone else changed some of the rows since the editor saw them; `conflicts` says who changed what."""

    def __init__(self, conflicts: list[Conflict]):
        super().__init__(f"{len(conflicts)} Zeile(n) wurden inzwischen von anderen geändert.")
        self.conflicts = conflicts

    def lines(self) -> list[str]:
        return [line for conflict in self.conflicts for line in conflict.lines()]


class RowsInvalid(EditRefused):
    """The rules refuse some rows; `errors` maps each refused row (named by its `row_label`) to its field errors."""

    def __init__(self, errors: dict):
        super().__init__(f"{len(errors)} Zeile(n) verletzen die Regeln.")
        self.errors = errors

    def lines(self) -> list[str]:
        lines = []
        for row, fields in self.errors.items():
            for name, messages in fields.items():
                label = "Zeile" if name == NON_FIELD_ERRORS else str(type(row)._meta.get_field(name).verbose_name)
                for message in messages:
                    lines.append(f"{row.row_label}, {label}: {message}")
        return lines


@dataclass
class EditResult:
    rows: list = field(default_factory=list)
    changed: int = 0  # rows whose values changed (the others were confirmed as they are, or left alone)

    @property
    def assessments(self) -> list:
        return self.rows


@dataclass(frozen=True)
class History:
    """Where the changes of a kind of row are recorded: the change model and its link to the row."""

    model: type
    row_field: str

    def of(self, rows):
        return self.model.objects.filter(**{f"{self.row_field}__in": rows})

    def row_id(self, change) -> int:
        return getattr(change, f"{self.row_field}_id")


ASSESSMENT_HISTORY = History(AssessmentChange, "assessment")


def check_editable(values: Mapping, per_row: Mapping[int, Mapping], fields) -> None:
    unknown = (set(values) | {name for row in per_row.values() for name in row}) - set(fields)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")


def conflicts_since(rows, versions, seen_at, user, history: History = ASSESSMENT_HISTORY) -> list[Conflict]:
    """Rows changed since the editor saw them: by version number, or (for a whole list) changed after `seen_at` by
    someone else — the editor's own edits in that list since it was drawn are not a conflict with themselves."""
    candidates = [
        row
        for row in rows
        if (versions is not None and row.version != versions.get(row.pk))
        or (seen_at is not None and row.updated_at is not None and row.updated_at > seen_at)
    ]
    if not candidates:
        return []
    by_row: dict[int, list] = {row.pk: [] for row in candidates}
    for change in history.of(candidates).select_related("user").order_by("at", "pk"):
        row_id = history.row_id(change)
        seen_version = versions.get(row_id) if versions is not None else None
        # A row given without a version (and no seen_at) shows all of its history.
        newer = change.version > seen_version if seen_version is not None else seen_at is None or change.at > seen_at
        if newer:
            by_row[row_id].append(change)
    stale = []
    for row in candidates:
        if (
            versions is None
            and by_row[row.pk]
            and all(
                change.user_id is not None and change.user_id == getattr(user, "pk", None) for change in by_row[row.pk]
            )
        ):
            continue
        stale.append(Conflict(row, by_row[row.pk]))
    return stale


def set_and_check(rows, values: Mapping, per_row: Mapping[int, Mapping], fields, rules) -> dict[int, dict[str, str]]:
    """Set the values on the locked rows and check each with `rules(row)`; the snapshots before, or RowsInvalid."""
    befores, errors = {}, {}
    for row in rows:
        befores[row.pk] = snapshot(row, fields)
        for name, value in {**values, **per_row.get(row.pk, {})}.items():
            setattr(row, name, value)
        row_errors = rules(row)
        if row_errors:
            errors[row] = row_errors
    if errors:
        raise RowsInvalid(errors)
    return befores


def assessment_rules(row: Assessment) -> dict[str, list[str]]:
    row.justification = (row.justification or "").strip()
    return row.rule_errors(row.round)


def apply_changes(
    user,
    assessments: Iterable[int] | Iterable[Assessment],
    values: Mapping[str, object] | None = None,
    *,
    per_row: Mapping[int, Mapping[str, object]] | None = None,
    versions: Mapping[int, int] | None = None,
    seen_at: datetime | None = None,
    source: str = ChangeSource.PAGE,
    confirm_source: str = ChangeSource.CONFIRM,
    comment: str = "",
    confirmation: str = "set",
    progress: Callable[[int, int], None] | None = None,
) -> EditResult:
    """Set `values` (the same for every row) and `per_row` values, check, write, record; all or nothing.

    Without `versions` or `seen_at` no conflict check is made (imports confirmed by the IT office, the admin).
    `confirmation`: "set" (saving a row confirms it for the round; a row saved unchanged is recorded as confirmed),
    "keep", or "clear" (values proposed by someone else await the department's confirmation). With "keep" and
    "clear", rows whose values do not change are left alone. `confirm_source`: the path recorded for a row
    confirmed unchanged ("Bestätigung", or the sheet's when its column "bestätigt" did it). `progress(done, total)`
    hears of the rows written (a background job's progress bar).
    """
    if confirmation not in ("set", "keep", "clear"):
        raise ValueError(f"confirmation: {confirmation!r}")
    values = dict(values or {})
    per_row = per_row or {}
    check_editable(values, per_row, EDITABLE_FIELDS)
    ids = [getattr(a, "pk", a) for a in assessments]
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Assessment.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .select_related(*ROW_RELATIONS)
            .order_by("pk")
        )
        closed = {str(row.round) for row in rows if row.round.is_closed}
        if closed:
            raise ClosedRoundError(", ".join(sorted(closed)))
        conflicts = conflicts_since(rows, versions, seen_at, user)
        if conflicts:
            raise EditConflict(conflicts)
        befores = set_and_check(rows, values, per_row, EDITABLE_FIELDS, assessment_rules)
        history, written_rows = [], []
        for row in rows:
            changes = field_changes(befores[row.pk], snapshot(row))
            if not changes and confirmation != "set":
                continue
            written_rows.append(row)
            row.version += 1
            row.updated_at = now
            if confirmation == "set":
                row.confirmed_by, row.confirmed_at = user, now
            elif confirmation == "clear":
                row.confirmed_by, row.confirmed_at = None, None
            history.append(
                AssessmentChange(
                    assessment=row,
                    user=user,
                    at=now,
                    source=source if changes else confirm_source,
                    version=row.version,
                    fields=changes,
                    comment=comment.strip(),
                )
            )
        written = set(values) | {name for row in per_row.values() for name in row}
        meta = ["version", "updated_at"] + (["confirmed_by", "confirmed_at"] if confirmation != "keep" else [])
        # bulk_update raises the rounds' change counters in this transaction (models.count_changes).
        columns = [*sorted(written), "justification", *meta]
        for start in range(0, len(written_rows), WRITE_BATCH):
            Assessment.objects.bulk_update(written_rows[start : start + WRITE_BATCH], columns)
            AssessmentChange.objects.bulk_create(history[start : start + WRITE_BATCH])
            if progress is not None:
                progress(min(start + WRITE_BATCH, len(written_rows)), len(written_rows))
    return EditResult(rows, sum(bool(change.fields) for change in history))


def record_admin_change(user, assessment: Assessment, before: Mapping[str, str], comment: str = "") -> None:
    """The admin saves through ModelAdmin; this adds the history entry and raises the version like every path."""
    changes = field_changes(before, snapshot(assessment))
    if not changes:
        return
    Assessment.objects.filter(pk=assessment.pk).update(version=assessment.version + 1)
    assessment.version += 1
    AssessmentChange.objects.create(
        assessment=assessment,
        user=user,
        at=timezone.now(),
        source=ChangeSource.ADMIN,
        version=assessment.version,
        fields=changes,
        comment=comment,
    )
