"""A portal's list of online services (such as the Wirtschafts-Service-Portal.NRW) as proposals for the open round.

Reading the list proposes, for every live service whose LeiKa key is in the round, the status Digital through a
Land portal with its link. Nothing changes until the IT office confirms; keys the round does not know are listed.
"""

from dataclasses import dataclass, field
from urllib.parse import urljoin

from django.core.exceptions import ValidationError
from django.db import transaction

from leika.dbstats import analyze
from leika.importing import FileSource
from leika.keys import KEY_PATTERN
from leika.tabular import Column, ImportFailed, RowError, read_table

from .choices import Channel, Status
from .editing import RowsInvalid, apply_changes
from .models import Assessment, AssessmentChange, ChangeSource, Organisation, SurveyRound

PORTAL_BASE_URL = "https://www.service.wirtschaft.nrw"
COLUMNS = [
    Column("key", "Nummer", ("Nummer", "Schluessel", "Schlüssel", "Leistungsschlüssel", "LeiKa-Schlüssel")),
    Column("name", "Name", ("Name", "Bezeichnung")),
    Column("live", "Live", ("Live", "online", "Status")),
    Column("landing", "Landingpage", ("Landingpage", "Link", "URL"), required=False),
    Column("direct", "Direktlink", ("Direktlink",), required=False),
]
LIVE_VALUES = {"ja", "j", "yes", "x", "1", "live", "true", "wahr"}


@dataclass
class Proposal:
    row: int
    assessment: Assessment
    url: str

    @property
    def current(self) -> str:
        return self.assessment.get_status_display()


@dataclass
class OnlineServicePlan:
    round: SurveyRound
    proposals: list[Proposal] = field(default_factory=list)
    already: int = 0
    not_live: int = 0
    unknown: list[tuple[int, str, str]] = field(default_factory=list)  # (row, key, name): not in the catalogue
    out_of_scope: list[tuple[int, str, str]] = field(default_factory=list)  # in the catalogue, not in the round

    def summary(self) -> list[tuple[str, int]]:
        return [
            ("Vorschläge", len(self.proposals)),
            ("bereits erfasst", self.already),
            ("nicht live", self.not_live),
            ("nicht im Umfang der Runde", len(self.out_of_scope)),
            ("unbekannte Schlüssel", len(self.unknown)),
        ]

    def summary_lines(self) -> list[str]:
        return [f"{label}: {count}" for label, count in self.summary()]


def open_round_of(organisation: Organisation) -> SurveyRound:
    round_obj = organisation.rounds.filter(is_closed=False).order_by("-year").select_related("organisation").first()
    if round_obj is None:
        raise ImportFailed([RowError(None, None, f"{organisation} hat keine offene Erhebungsrunde.")])
    return round_obj


def plan_online_services(source: FileSource, organisation: Organisation, base_url: str = PORTAL_BASE_URL):
    """Read the list and work out the proposals; writes nothing."""
    round_obj = open_round_of(organisation)
    table = read_table(source.data, source.filename, COLUMNS)
    errors = []
    for row in table.rows:
        if not KEY_PATTERN.match(row["key"]):
            errors.append(RowError(row["_row"], "Nummer", f"„{row['key']}“ ist kein 14-stelliger Leistungsschlüssel."))
    if errors:
        raise ImportFailed(errors)
    keys = {row["key"] for row in table.rows}
    assessments = {
        a.leika_entry.key: a
        for a in round_obj.assessments.filter(leika_entry__key__in=keys).select_related("leika_entry", "department")
    }
    in_catalogue = set(round_obj.catalogue_version.entries.filter(key__in=keys).values_list("key", flat=True))
    plan = OnlineServicePlan(round_obj)
    proposed = set()
    for row in table.rows:
        number, key = row["_row"], row["key"]
        if row["live"].casefold() not in LIVE_VALUES:
            plan.not_live += 1
            continue
        assessment = assessments.get(key)
        if assessment is None:
            target = plan.out_of_scope if key in in_catalogue else plan.unknown
            target.append((number, key, row["name"]))
            continue
        path = row.get("landing") or row.get("direct") or ""
        url = urljoin(base_url.rstrip("/") + "/", path.lstrip("/")) if path else base_url
        try:
            # The same check as the row's form and every other write path.
            Assessment._meta.get_field("online_service_url").clean(url, assessment)
        except ValidationError as error:
            column = "Landingpage" if row.get("landing") else "Direktlink"
            errors.append(RowError(number, column, f"„{url}“: {' '.join(error.messages)}"))
            continue
        if (
            assessment.status == Status.DIGITAL
            and assessment.channel == Channel.LAND_BUND_PORTAL
            and assessment.online_service_url == url
        ) or key in proposed:
            plan.already += 1
            continue
        proposed.add(key)
        plan.proposals.append(Proposal(number, assessment, url))
    if errors:
        raise ImportFailed(errors)
    return plan


@transaction.atomic
def apply_online_services(plan: OnlineServicePlan, user=None, source_name: str = "") -> int:
    """Set the proposed rows to Digital via the Land portal; they then await the department's confirmation.

    Written through the editing path, so each row's change enters its history (source: import).
    """
    try:
        result = apply_changes(
            user,
            [proposal.assessment.pk for proposal in plan.proposals],
            {"status": Status.DIGITAL, "channel": Channel.LAND_BUND_PORTAL},
            per_row={proposal.assessment.pk: {"online_service_url": proposal.url} for proposal in plan.proposals},
            source=ChangeSource.IMPORT,
            comment=f"Onlinedienste-Liste {source_name}".strip(),
            confirmation="clear",
        )
    except RowsInvalid as invalid:
        raise ImportFailed([RowError(None, None, line) for line in invalid.lines()]) from None
    analyze(Assessment, AssessmentChange)
    return result.changed
