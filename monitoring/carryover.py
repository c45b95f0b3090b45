"""Opening a survey round: the previous round's assessments carried through the catalogue crosswalk.

Unchanged and renamed entries keep their values; split-off and finer entries inherit the values of their (removed
or remaining) parent; an entry that several old ones were merged into takes the most advanced of them. Every
carried row points to its source and awaits confirmation. Withdrawn entries are listed for review, not carried.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from leika.crosswalk import Change
from leika.dbstats import analyze
from leika.models import CatalogueChange, CatalogueVersion, LeikaEntry
from leika.versions import sources_in, version_chain
from ozg.models import MaturityScale

from . import notifications
from .access import it_office_organisations
from .choices import NotificationKind, Status
from .dashboard import warm_later
from .jobs import Finished
from .models import Assessment, Organisation, SurveyRound, german_count

# "Most advanced" for merges: a digital offer beats a running project beats a PDF form beats a decision that
# nothing can be optimised beats analog beats not reported; ties go to the higher maturity level.
STATUS_RANK = {
    Status.NICHT_GEMELDET: 0,
    Status.ANALOG: 1,
    Status.KEIN_POTENZIAL: 2,
    Status.PDF: 3,
    Status.PROJEKT: 4,
    Status.DIGITAL: 5,
}
CARRIED_FIELDS = (
    "department_id",
    "status",
    "efa_kind",
    "efa_offer_id",
    "channel",
    "online_service_url",
    "it_project_id",
    "justification",
)
CARRY_BATCH = 2000
REPORT_CLASSES = (
    Change.UNVERAENDERT,
    Change.UMBENANNT,
    Change.ZUSAMMENGELEGT,
    Change.NACHFOLGER,
    Change.AUSDIFFERENZIERT,
)


def _most_advanced(candidates: list[Assessment]) -> Assessment:
    return max(
        candidates,
        key=lambda a: (STATUS_RANK[a.status], a.maturity_level.value if a.maturity_level_id else -1, -a.pk),
    )


def round_to_open(
    organisation: Organisation,
    year: int,
    catalogue_version: CatalogueVersion,
    maturity_scale: MaturityScale | None = None,
    deadline=None,
) -> tuple[SurveyRound, SurveyRound | None, list[CatalogueVersion]]:
    """The new round, checked but not saved, the round it would carry over from and the catalogue versions between
    them; ValidationError in German."""
    previous = organisation.rounds.filter(year__lt=year).order_by("-year").select_related("catalogue_version").first()
    scale = maturity_scale or (previous.maturity_scale if previous else organisation.maturity_scale)
    if scale is None:
        raise ValidationError({"maturity_scale": "Bitte eine Reifegradskala wählen."})
    if organisation.rounds.filter(year=year).exists():
        raise ValidationError({"year": f"Für {year} gibt es schon eine Erhebungsrunde."})
    chain = version_chain(previous.catalogue_version, catalogue_version) if previous else []
    new_round = SurveyRound(
        organisation=organisation,
        year=year,
        catalogue_version=catalogue_version,
        maturity_scale=scale,
        deadline=deadline,
    )
    new_round.full_clean()
    return new_round, previous, chain


@transaction.atomic
def open_round(
    organisation: Organisation,
    year: int,
    catalogue_version: CatalogueVersion,
    maturity_scale: MaturityScale | None = None,
    deadline=None,
    *,
    progress=None,
    analyze_after: bool = True,
    notify: bool = True,
) -> SurveyRound:
    """Create the round and carry the latest earlier round's assessments into it; once committed, every editor of
    the organisation is told by e-mail (`notify=False` for generated data: generate_scale, the demo).

    `progress(done, total)` hears of the rows written; `analyze_after=False` leaves the statistics to a caller that
    opens many rounds in a row (generate_scale)."""
    new_round, previous, chain = round_to_open(organisation, year, catalogue_version, maturity_scale, deadline)
    try:
        with transaction.atomic():
            new_round.save()
    except IntegrityError:
        # Another round was opened in the same moment: the database kept the rule that full_clean checked.
        new_round.validate_constraints()
        raise
    if previous is not None:
        _carry(previous, new_round, chain, progress)
        if analyze_after:
            analyze(Assessment)
    if notify:
        notifications.send_on_commit(NotificationKind.ROUND_OPENED, new_round.pk)
    return new_round


def _carry(previous: SurveyRound, new_round: SurveyRound, chain: list[CatalogueVersion], progress=None) -> None:
    current = {a.leika_entry_id: a for a in previous.assessments.select_related("maturity_level")}
    # Follow the catalogue version by version: after each step `current` holds, per entry of that version,
    # the assessment of the previous round whose values it takes.
    for version in chain:
        following = {}
        for entry_id, source_ids in sources_in(version).items():
            candidates = [current[s] for s in source_ids if s in current]
            if candidates:
                following[entry_id] = _most_advanced(candidates)
        current = following
    same_scale = previous.maturity_scale_id == new_round.maturity_scale_id
    rows = []
    for entry_id, source in current.items():
        row = Assessment(round=new_round, leika_entry_id=entry_id, carried_over_from=source)
        for name in CARRIED_FIELDS:
            setattr(row, name, getattr(source, name))
        row.maturity_level_id = source.maturity_level_id if same_scale else None
        rows.append(row)
    if progress is not None:
        progress(0, len(rows))
    for start in range(0, len(rows), CARRY_BATCH):
        Assessment.objects.bulk_create(rows[start : start + CARRY_BATCH])
        if progress is not None:
            progress(min(start + CARRY_BATCH, len(rows)), len(rows))


def open_round_job(job, progress) -> Finished:
    """The background job of opening a round with carry-over (monitoring.jobs), checked again as its owner."""
    params = job.params
    organisation = it_office_organisations(job.owner).filter(pk=params["organisation"]).first()
    if organisation is None:
        raise PermissionDenied("Nur die IT-Steuerung der Organisation eröffnet ihre Erhebungsrunden.")
    new_round = open_round(
        organisation,
        params["year"],
        CatalogueVersion.objects.get(pk=params["catalogue_version"]),
        MaturityScale.objects.get(pk=params["maturity_scale"]) if params.get("maturity_scale") else None,
        datetime.date.fromisoformat(params["deadline"]) if params.get("deadline") else None,
        progress=progress,
    )
    carried = new_round.assessments.count()
    warm_later([organisation])  # the dashboard opens on the new round now
    return Finished(
        f"Die Erhebungsrunde {new_round} ist eröffnet; {german_count(carried)} Bewertungen wurden aus der vorigen "
        "Runde übernommen und warten auf Bestätigung.",
        result_url=reverse("carry_over", args=[new_round.pk]),
        result_label="Zum Bericht über die Übernahme",
    )


def open_round_params(data: dict) -> dict:
    """The open-round form's cleaned data as a job keeps it."""
    return {
        "organisation": data["organisation"].pk,
        "year": data["year"],
        "catalogue_version": data["catalogue_version"].pk,
        "maturity_scale": data["maturity_scale"].pk if data.get("maturity_scale") else None,
        "deadline": data["deadline"].isoformat() if data.get("deadline") else "",
    }


@dataclass
class CarryOverReport:
    round: SurveyRound
    previous: SurveyRound | None
    classes: dict[str, list[Assessment]] = field(default_factory=dict)
    withdrawn: list[CatalogueChange] = field(default_factory=list)
    new_out_of_scope: list[LeikaEntry] = field(default_factory=list)

    @property
    def carried(self) -> int:
        return sum(len(rows) for rows in self.classes.values())

    @property
    def labelled_classes(self) -> list[tuple[str, str, list[Assessment]]]:
        """(class, its German label, rows) in report order; the label is the class's, not the entry's own change."""
        return [(kind, Change(kind).label, rows) for kind, rows in self.classes.items()]


def carry_over_report(round_obj: SurveyRound, readable=None) -> CarryOverReport:
    """Each carry-over class with its count and entries, the withdrawn entries to review, and new ones outside scope.

    `readable` (the assessments a person may read) narrows the rows and the withdrawn entries to theirs: a
    department sees its own rows here, not the whole organisation's.
    """
    readable = Assessment.objects.all() if readable is None else readable
    previous = round_obj.organisation.rounds.filter(year__lt=round_obj.year).order_by("-year").select_related().first()
    report = CarryOverReport(round_obj, previous, {kind: [] for kind in REPORT_CLASSES})
    rows = (
        readable.filter(round=round_obj, carried_over_from__isnull=False)
        .select_related("leika_entry", "department", "carried_over_from__leika_entry")
        .order_by("leika_entry__key")
    )
    same_version = previous is not None and previous.catalogue_version_id == round_obj.catalogue_version_id
    merged_targets = set(
        CatalogueChange.objects.filter(version=round_obj.catalogue_version, kind=Change.ZUSAMMENGELEGT).values_list(
            "successor_id", flat=True
        )
    )
    for row in rows:
        if same_version:
            kind = Change.UNVERAENDERT
        elif row.leika_entry_id in merged_targets:
            kind = Change.ZUSAMMENGELEGT
        else:
            kind = row.leika_entry.change or Change.UNVERAENDERT
        report.classes.setdefault(kind, []).append(row)
    if previous is not None and not same_version:
        in_scope = readable.filter(round=previous).values("leika_entry_id")
        report.withdrawn = list(
            CatalogueChange.objects.filter(
                version=round_obj.catalogue_version, kind=Change.ENTFALLEN, entry_id__in=in_scope
            ).select_related("entry")
        )
        report.new_out_of_scope = list(
            round_obj.catalogue_version.entries.filter(change=Change.NEU).exclude(assessments__round=round_obj)
        )
    return report
