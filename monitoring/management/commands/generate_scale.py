"""`manage.py generate_scale`: a deterministic synthetic data set (catalogue, rounds, history) for benchmarks."""

import datetime
import random
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from leika.catalogue import create_version
from leika.dbstats import analyze, models_of
from leika.keys import LeikaKey
from leika.models import CatalogueVersion, LeikaEntry
from monitoring.carryover import open_round
from monitoring.choices import Channel, OrganisationKind, PlanState, Status
from monitoring.editing import apply_changes
from monitoring.models import (
    Assessment,
    AssessmentChange,
    ChangeSource,
    Department,
    Organisation,
    OzgPlan,
    SurveyRound,
)
from ozg import reference
from ozg.models import MaturityLevel, MaturityScale, OzgLeistung, Themenfeld

PRESETS = {"small": (1, 1200, 2), "medium": (1, 15000, 5), "large": (400, 1500, 5)}
VERSION_PREFIX = "Skala "
FIRST_YEAR = 2020
DEPARTMENTS_PER_ORGANISATION = 15
BATCH = 2000
# apply_changes filters by primary keys; chunks keep every statement under SQLite's variable limit.
EDIT_CHUNK = 500

# Round 1 of a Kreis: a plausible spread over the committee's clusters.
STATUS_WEIGHTS = {
    Status.ANALOG: 30,
    Status.KEIN_POTENZIAL: 12,
    Status.PDF: 24,
    Status.DIGITAL: 18,
    Status.PROJEKT: 6,
    Status.NICHT_GEMELDET: 10,
}
# Level on the OZG Reifegradmodell 1.1 that goes with each cluster.
MATURITY_OF = {
    Status.ANALOG: 0,
    Status.KEIN_POTENZIAL: 1,
    Status.PDF: 1,
    Status.DIGITAL: 3,
    Status.PROJEKT: 1,
    Status.NICHT_GEMELDET: None,
}
# One step of progress from one round to the next; Kein Optimierungspotenzial and Digital stay as they are.
NEXT_STATUS = {
    Status.NICHT_GEMELDET: Status.ANALOG,
    Status.ANALOG: Status.PDF,
    Status.PDF: Status.DIGITAL,
    Status.PROJEKT: Status.DIGITAL,
}
ADVANCE_SHARE = 0.15
SPLIT_SHARE = 0.03
REFINE_SHARE = 0.01
RENAME_SHARE = 0.02
DROP_SHARE = 0.01
JUSTIFICATION = "Die Leistung wird nur sehr selten nachgefragt; eine Digitalisierung lohnt den Aufwand nicht."
WORDS = ("Antrag", "Genehmigung", "Bescheinigung", "Anzeige", "Erlaubnis", "Registrierung", "Auskunft", "Zuschuss")
TOPICS = ("Abfall", "Bau", "Gewerbe", "Jagd", "Kfz", "Schule", "Soziales", "Umwelt", "Veterinär", "Wasser")


def _lo_key(number: int) -> str:
    return f"98{100 + number // 1000:03d}{number % 1000:03d}000000"


def _name(rng: random.Random, key: str) -> str:
    return f"{rng.choice(WORDS)} {rng.choice(TOPICS)} {key[2:8]}-{key[8:11]}-{key[11:]}"


class CatalogueGenerator:
    """Keys and names of each version, derived from the previous one with splits, refinements, renames and drops."""

    def __init__(self, rng: random.Random, size: int):
        self.rng = rng
        self.size = size
        self.next_family = 0

    def _new_family(self) -> dict[str, str]:
        lo = _lo_key(self.next_family)
        self.next_family += 1
        family = {lo: _name(self.rng, lo)}
        if self.rng.random() < 0.3:
            for verrichtung in range(1, self.rng.randint(2, 4)):
                key = f"{lo[:8]}{verrichtung * 10:03d}000"
                family[key] = _name(self.rng, key)
        return family

    def first(self) -> dict[str, str]:
        entries: dict[str, str] = {}
        while len(entries) < self.size:
            entries.update(self._new_family())
        return self._trim(entries)

    def _trim(self, entries: dict[str, str]) -> dict[str, str]:
        """Drop leaves (keys without descendants) from the end until the version has exactly `size` entries."""
        keys = sorted(entries)
        parents = {LeikaKey(k).parent.value for k in keys if LeikaKey(k).parent}
        for key in reversed(keys):
            if len(entries) <= self.size:
                break
            if key not in parents:
                del entries[key]
        return entries

    def following(self, previous: dict[str, str]) -> dict[str, str]:
        rng = self.rng
        keys = sorted(previous)
        parents = {LeikaKey(k).parent.value for k in keys if LeikaKey(k).parent}
        entries = dict(previous)
        for key in keys:
            kind = LeikaKey(key).kind
            leaf = key not in parents
            roll = rng.random()
            if kind == "LO" and leaf and roll < SPLIT_SHARE:
                # The Leistungsobjekt is replaced by finer entries with a Verrichtung: aufgeteilt / Nachfolger.
                del entries[key]
                for verrichtung in range(1, rng.randint(3, 4)):
                    finer = f"{key[:8]}{verrichtung * 10 + 1:03d}000"
                    entries[finer] = _name(rng, finer)
            elif kind == "LOV" and leaf and roll < REFINE_SHARE:
                # The entry stays and gains details: ausdifferenziert.
                for detail in range(1, rng.randint(3, 4)):
                    finer = f"{key[:11]}{detail:03d}"
                    entries[finer] = _name(rng, finer)
            elif roll < SPLIT_SHARE + RENAME_SHARE:
                entries[key] = f"{previous[key]} (neu gefasst)"
            elif leaf and roll < SPLIT_SHARE + RENAME_SHARE + DROP_SHARE:
                del entries[key]
        while len(entries) < self.size:
            entries.update(self._new_family())
        return self._trim(entries)


class Command(BaseCommand):
    help = (
        "Erzeugt einen reproduzierbaren synthetischen Datenbestand für Lasttests: Katalogversionen „Skala 1“ bis "
        "„Skala K“ mit Abgleich, Organisationen mit je 15 Organisationseinheiten, Erhebungsrunden mit Bewertungen "
        "und Änderungshistorie."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--preset",
            choices=sorted(PRESETS),
            help="small = 1×1200×2, medium = 1×15000×5, large = 400×1500×5 (Organisationen × Leistungen × Runden)",
        )
        parser.add_argument("--organisations", type=int, help="Anzahl der Organisationen")
        parser.add_argument("--entries", type=int, help="Leistungen je Katalogversion")
        parser.add_argument("--rounds", type=int, help="Erhebungsrunden (= Katalogversionen)")
        parser.add_argument("--seed", type=int, default=1, help="Startwert des Zufallsgenerators (Vorgabe: 1)")

    def handle(self, *args, **options) -> None:
        organisations, entries, rounds = PRESETS.get(options["preset"], (None, None, None))
        organisations = options["organisations"] or organisations
        entries = options["entries"] or entries
        rounds = options["rounds"] or rounds
        if not (organisations and entries and rounds):
            raise CommandError("Bitte --preset oder --organisations, --entries und --rounds angeben.")
        if organisations < 1 or entries < 10 or rounds < 1:
            raise CommandError("Mindestens 1 Organisation, 10 Leistungen und 1 Runde.")
        if rounds > 80 or organisations > 99999:
            raise CommandError("Höchstens 80 Runden und 99.999 Organisationen.")
        if CatalogueVersion.objects.filter(name__startswith=VERSION_PREFIX).exists():
            raise CommandError(
                "Es gibt bereits Skalendaten (Katalogversionen „Skala …“); der Befehl legt sie nur in einer Datenbank "
                "ohne sie an."
            )
        try:
            with transaction.atomic():
                counts = Generator(organisations, entries, rounds, options["seed"]).run()
                analyze(*models_of("leika", "ozg", "monitoring"))
        except ValidationError as error:
            raise CommandError("Erzeugen fehlgeschlagen: " + "; ".join(error.messages)) from None
        self.stdout.write(
            f"Skalendaten angelegt: {counts['versions']} Katalogversionen mit {counts['entries']} Leistungen, "
            f"{counts['organisations']} Organisationen mit {counts['departments']} Organisationseinheiten, "
            f"{counts['rounds']} Erhebungsrunden, {counts['assessments']} Bewertungen, "
            f"{counts['changes']} Änderungen, {counts['plans']} OZG-Planungen."
        )


class Generator:
    def __init__(self, organisations: int, entries: int, rounds: int, seed: int):
        self.organisations = organisations
        self.entries = entries
        self.rounds = rounds
        self.seed = seed
        self.created_organisations: list[Organisation] = []

    def run(self) -> dict[str, int]:
        reference.seed(Themenfeld, MaturityScale, MaturityLevel)
        self.scale = MaturityScale.objects.get(code=reference.SCALE_OZG_1_1)
        self.levels = {level.value: level for level in self.scale.levels.all()}
        versions = self._catalogue()
        for number in range(1, self.organisations + 1):
            self._organisation(number, versions)
        version_ids = [v.pk for v in versions]
        return {
            "versions": len(versions),
            "entries": LeikaEntry.objects.filter(version_id__in=version_ids).count(),
            "organisations": self.organisations,
            "departments": self.organisations * DEPARTMENTS_PER_ORGANISATION,
            "rounds": self.organisations * self.rounds,
            "assessments": Assessment.objects.filter(round__catalogue_version_id__in=version_ids).count(),
            "changes": AssessmentChange.objects.filter(assessment__round__catalogue_version_id__in=version_ids).count(),
            "plans": OzgPlan.objects.filter(organisation__in=self.created_organisations).count(),
        }

    # catalogue ---------------------------------------------------------------------------------------------------

    def _catalogue(self) -> list[CatalogueVersion]:
        generator = CatalogueGenerator(random.Random(self.seed), self.entries)
        versions, previous, content = [], None, None
        for number in range(1, self.rounds + 1):
            content = generator.first() if content is None else generator.following(content)
            version = CatalogueVersion(
                name=f"{VERSION_PREFIX}{number}",
                valid_from=datetime.date(FIRST_YEAR + number - 1, 1, 1),
                source="Synthetische Skalendaten (generate_scale)",
                predecessor=previous,
            )
            create_version(version, [LeikaEntry(key=key, name=name) for key, name in sorted(content.items())])
            versions.append(version)
            previous = version
        return versions

    # organisations -------------------------------------------------------------------------------------------------

    def _organisation(self, number: int, versions: list[CatalogueVersion]) -> None:
        rng = random.Random(self.seed * 1_000_003 + number)
        org = Organisation.objects.create(
            name=f"Skalenkreis {number:05d}",
            kind=OrganisationKind.KREIS,
            regionalschluessel=f"099{number:09d}",
            maturity_scale=self.scale,
        )
        self.created_organisations.append(org)
        departments = Department.objects.bulk_create(
            [
                Department(organisation=org, code=f"A {index:02d}", name=f"Amt {index:02d}")
                for index in range(1, DEPARTMENTS_PER_ORGANISATION + 1)
            ]
        )
        if not all(d.pk for d in departments):
            departments = list(org.departments.order_by("code"))
        offset = rng.randrange(DEPARTMENTS_PER_ORGANISATION)
        for index, version in enumerate(versions):
            year = FIRST_YEAR + index
            if index == 0:
                round_obj = SurveyRound.objects.create(
                    organisation=org, year=year, catalogue_version=version, maturity_scale=self.scale
                )
                entries = list(version.entries.order_by("key"))
            else:
                round_obj = open_round(org, year, version, self.scale, analyze_after=False, notify=False)
                covered = round_obj.assessments.values("leika_entry_id")
                entries = list(version.entries.exclude(pk__in=covered).order_by("key"))
            Assessment.objects.bulk_create(
                [self._assessment(rng, round_obj, entry, departments, offset) for entry in entries], batch_size=BATCH
            )
            if index > 0:
                self._advance(rng, round_obj)
            if index < len(versions) - 1:
                SurveyRound.objects.filter(pk=round_obj.pk).update(is_closed=True)
        self._plans(rng, org)

    def _assessment(self, rng, round_obj, entry, departments, offset) -> Assessment:
        status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
        # Related objects are set, not ids, so validate_many needs no query per row.
        row = Assessment(
            round=round_obj,
            leika_entry=entry,
            department=departments[(int(entry.key[5:8]) + offset) % len(departments)],
            status=status,
        )
        level = MATURITY_OF[status]
        row.maturity_level = self.levels[level] if level is not None else None
        if status == Status.KEIN_POTENZIAL:
            row.justification = JUSTIFICATION
        if status == Status.DIGITAL:
            row.channel = Channel.OWN_PORTAL
            row.online_service_url = f"https://service.skalenkreis.example/leistung/{entry.key}"
        return row

    def _advance(self, rng, round_obj) -> None:
        """Move a seeded share of the rows one step on, through the editing path so that history is recorded."""
        targets = defaultdict(list)
        rows = round_obj.assessments.order_by("leika_entry__key").values_list("pk", "status")
        for pk, status in rows:
            if status in NEXT_STATUS and rng.random() < ADVANCE_SHARE:
                targets[NEXT_STATUS[status]].append(pk)
        for status, ids in sorted(targets.items()):
            values = {"status": status, "maturity_level": self.levels[MATURITY_OF[status]]}
            if status == Status.DIGITAL:
                values["channel"] = Channel.OWN_PORTAL
            for start in range(0, len(ids), EDIT_CHUNK):
                apply_changes(
                    None, ids[start : start + EDIT_CHUNK], values, source=ChangeSource.IMPORT, confirmation="set"
                )

    def _plans(self, rng, org) -> None:
        leistungen = list(OzgLeistung.objects.order_by("ozg_id"))
        if not leistungen:
            return
        plans = []
        for ozg in leistungen:
            state = rng.choices(list(PlanState), weights=[35, 20, 25, 20])[0]
            plan = OzgPlan(organisation=org, ozg_leistung=ozg, state=state)
            if state == PlanState.UMGESETZT:
                plan.maturity_level = self.levels[rng.randint(2, 4)]
                plan.target_quarter = f"{rng.randint(FIRST_YEAR, FIRST_YEAR + 4)}-Q{rng.randint(1, 4)}"
            elif state in (PlanState.KURZFRISTIG, PlanState.LANGFRISTIG):
                plan.target_quarter = f"{FIRST_YEAR + self.rounds + rng.randint(0, 2)}-Q{rng.randint(1, 4)}"
            plans.append(plan)
        OzgPlan.objects.bulk_create(plans, batch_size=BATCH)
