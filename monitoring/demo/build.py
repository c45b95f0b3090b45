"""Builds the demo data set: the StädteRegion Aachen and the Stadt Aachen, as their committee reports describe them.

Everything is derived from records with a seeded random generator, so two runs give the same data. The committee
totals are reached by assigning statuses to individual services (family by family, as departments report them) and
by moving individual services between clusters from one year to the next; the totals themselves are never stored.
"""

import datetime
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from leika.catalogue import create_version
from leika.dbstats import analyze, models_of
from leika.keys import LeikaKey
from leika.models import CatalogueVersion, LeikaEntry
from ozg import reference
from ozg.choices import THEMENFELDER, EfaKind
from ozg.models import EfaOffer, Lage, MaturityLevel, MaturityScale, OzgLeistung, Themenfeld

from ..carryover import open_round
from ..choices import Channel, DepartmentRoleKind, OrganisationRole, PlanState, ProjectState, Status
from ..models import Assessment, Department, DepartmentRole, ITProject, Membership, Organisation, OzgPlan, SurveyRound
from . import data

SEED = 20240528
DEMO_PASSWORD = "demo"
BERLIN = ZoneInfo("Europe/Berlin")

A, K, P, D, U = Status.ANALOG, Status.KEIN_POTENZIAL, Status.PDF, Status.DIGITAL, Status.PROJEKT

# The two organisations and the figures their committee reports give (fixtures/demo/organisationen.json). The builder
# reaches these by assigning statuses to services; tests then count the records to check them.
ORGANISATIONS = data.organisations()
STAEDTEREGION = ORGANISATIONS["StädteRegion Aachen"]
STADT_AACHEN = ORGANISATIONS["Stadt Aachen"]
REPORT_2023 = data.status_counts(STAEDTEREGION.report["Umsetzungsstatus 2023"])
REPORT_2024 = data.status_counts(STAEDTEREGION.report["Umsetzungsstatus 2024"])
IT_PROJECTS_2024 = STAEDTEREGION.report["IT-Projekte 2024"]
STADT_PLANS = data.plan_counts(STADT_AACHEN.report["OZG-Leistungen"])

# Changes between 2023 and 2024 outside the split families, service by service.
WITHDRAWN = {A: 4, K: 2, P: 4}
MOVES = [(A, P, 3), (A, U, 2), (P, K, 1), (P, U, 65)]
KATASTER_2023_NOT_DIGITAL = {P: 5, U: 10}
OPEN_ROUND_WEEKS = 6

# The families the report tells about, by their Leistungsobjekt's name in fixtures/demo/staedteregion/.
JAGDSCHEIN, AUFENTHALTSERLAUBNIS, EINBUERGERUNG = "Jagdschein", "Aufenthaltserlaubnis", "Einbürgerung"
# Families whose services re-use an EfA offer of their OZG-Leistung (the report's three).
EFA_REUSE = (EINBUERGERUNG, "Elterngeld", "Unterhaltsvorschuss")
# The Verrichtung of the Aufenthaltserlaubnis that 2024 splits into one service per purpose (Verlängerung).
SPLIT_VERRICHTUNG = "020"


@dataclass
class Service:
    """One LeiKa entry of the demo catalogue with its department and its status per year."""

    key: str
    name: str
    department: str
    typisierung: list[str]
    family: str
    status: dict[int, str] = field(default_factory=dict)
    name_2024: str = ""
    real: bool = False  # the key is one of the real catalogue's; so is the name, where the catalogue file is there

    @property
    def parent_key(self) -> str | None:
        parent = LeikaKey(self.key).parent
        return parent.value if parent else None


@dataclass
class Family:
    prefix: str
    name: str
    department: str
    typisierung: list[str]
    real: bool  # the prefix is a real Leistungsobjekt's
    candidates: list[Service] = field(default_factory=list)
    taken: int = 0


def open_round_deadline() -> datetime.date:
    """Counted from the day the demo is loaded, so that the demo always shows a round that is still running."""
    return timezone.localdate() + datetime.timedelta(weeks=OPEN_ROUND_WEEKS)


def _at(year: int, month: int, day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, 0, tzinfo=BERLIN)


def build_demo(log=print) -> None:
    """Create the demo data unless it is there already; all in one transaction, so a failure leaves nothing."""
    with transaction.atomic():
        reference.seed(Themenfeld, MaturityScale, MaturityLevel)
        real = data.real_catalogue()
        ozg_by_id = _build_ozg_catalogue(real, log)
        KreisDemo(ozg_by_id, real, log).build()
        _build_stadt_aachen(ozg_by_id, log)
        _build_superuser(log)
        analyze(*models_of("leika", "ozg", "monitoring"))


# --- OZG catalogue ----------------------------------------------------------------------------------------------


def _build_ozg_catalogue(real: data.RealCatalogue, log) -> dict[int, OzgLeistung]:
    rows = data.ozg_leistungen()
    existing = {o.ozg_id: o for o in OzgLeistung.objects.all()}
    if len(existing) >= len(rows):
        return existing
    if real.missing:
        log(real.note())
    themenfelder = {t.name.casefold(): t for t in Themenfeld.objects.all()}
    kinds = data.lage_kinds()
    by_department = data.department_themenfelder()
    lagen: dict[str, Lage] = {}
    leistungen = []
    for row in rows:
        name, lage, themenfeld = _ozg_description(row, real, by_department)
        if lage and lage not in lagen:
            lagen[lage], _ = Lage.objects.get_or_create(name=lage, defaults={"kind": kinds.get(lage, "")})
        leistungen.append(
            OzgLeistung(
                ozg_id=row.ozg_id,
                name=name,
                themenfeld=themenfelder[themenfeld.casefold()],
                lage=lagen.get(lage),
                zustaendigkeit=row.zustaendigkeit,
            )
        )
    created = OzgLeistung.objects.bulk_create(leistungen)
    by_id = {o.ozg_id: o for o in created}
    offers = data.efa_offers()
    EfaOffer.objects.bulk_create(
        [
            EfaOffer(
                ozg_leistung=by_id[row.ozg_id],
                name=row.name,
                providing_land=row.land,
                kind=row.kind,
                available_from=row.available_from,
            )
            for row in offers
        ]
    )
    log(f"OZG-Katalog: {len(created)} OZG-Leistungen, {len(offers)} EfA-Angebote")
    return by_id


def _ozg_description(row: data.OzgRow, real: data.RealCatalogue, by_department: dict[int, str]) -> tuple[str, str, str]:
    """Name, Lage and Themenfeld: the demo's own, else the real catalogue's, else a neutral placeholder."""
    if row.name:
        return row.name, row.lage, row.themenfeld
    if row.ozg_id in real.ozg:
        return real.ozg[row.ozg_id]
    # Without the catalogue the Themenfeld is that of the department whose demo families the OZG-Leistung bundles,
    # else one of the fourteen in turn, so that the dashboard's Themenfeld table stays filled.
    themenfeld = by_department.get(row.ozg_id) or THEMENFELDER[row.ozg_id % len(THEMENFELDER)]
    return f"OZG-Leistung {row.ozg_id}", "", themenfeld


# --- StädteRegion Aachen ----------------------------------------------------------------------------------------


class KreisDemo:
    """The Kreis: two closed rounds on their own catalogue versions and an open round carried over from 2024."""

    def __init__(self, ozg_by_id: dict[int, OzgLeistung], real: data.RealCatalogue, log):
        self.ozg_by_id = ozg_by_id
        self.real = real
        self.log = log
        self.rng = random.Random(SEED)
        self.catalogue = data.kreis_catalogue()
        # The OZG-Leistung that bundles each family (by the family's name), where it has one.
        self.ozg_of_family: dict[str, int] = {}
        self.families: list[Family] = []
        self.services_2023: list[Service] = []
        self.services_2024: list[Service] = []

    def build(self) -> None:
        org, created = Organisation.objects.get_or_create(
            regionalschluessel=STAEDTEREGION.regionalschluessel,
            defaults={"name": STAEDTEREGION.name, "kind": STAEDTEREGION.kind},
        )
        if not created:
            return
        self.org = org
        self.departments = {}
        for code, name, _ in self.catalogue.departments:
            self.departments[code] = Department.objects.create(organisation=org, code=code, name=name)
        self.editors = _build_users(org, STAEDTEREGION.user_prefix, self.departments.values())
        self._plan_catalogue()
        self._assign_2023()
        self._derive_2024()
        self._write()

    # catalogue ------------------------------------------------------------------------------------------------

    def _plan_catalogue(self) -> None:
        catalogue = self.catalogue
        known = {row.prefix for row in catalogue.objects if row.prefix}
        prefixes = set(known)
        group = 150
        for code, _, typisierung in catalogue.departments:
            group += 7
            objects = [row for row in catalogue.objects if row.department == code]
            for position, row in enumerate(objects, start=1):
                # Leistungsobjekte without a real key get one from a group of their department's own.
                prefix = row.prefix or f"99{group:03d}{position:03d}"
                assert prefix not in prefixes or prefix in known, prefix
                prefixes.add(prefix)
                family = Family(prefix, row.name, code, typisierung, real=bool(row.prefix))
                family.candidates = self._candidates(family)
                self.families.append(family)
                if row.ozg_id is not None:
                    self.ozg_of_family[row.name] = row.ozg_id
        fixed = catalogue.report_families_2023
        target = sum(REPORT_2023.values()) - len(fixed)
        # Round robin over the families: every family first gets its LO entry, then one service after the other,
        # so parents always come before their children.
        taken = 0
        depth = 0
        while taken < target:
            for family in self.families:
                if taken < target and depth < len(family.candidates):
                    family.taken += 1
                    taken += 1
            depth += 1
        for family in self.families:
            self.services_2023.extend(family.candidates[: family.taken])
        self.services_2023.extend(self._report_family_2023(row) for row in fixed)
        for _, name, ozg_id in catalogue.foerderprogramme:
            if ozg_id is not None:
                self.ozg_of_family[name] = ozg_id

    def _report_family_2023(self, row: data.EntryRow) -> Service:
        family = self._report_family(row.key[:8])
        if row.ozg_id is not None:
            self.ozg_of_family[family[1]] = row.ozg_id
        name = self.real.leika.get(row.key, row.name)
        return Service(row.key, name, row.department, row.typisierung, family[1], real=True)

    def _report_family(self, prefix: str) -> tuple[str, str, str]:
        """(prefix, name, department) of a family the report tells about, from its Leistungsobjekt's row."""
        for row in self.catalogue.report_families_2023:
            if row.key == prefix + "000000":
                return prefix, row.name, row.department
        raise KeyError(prefix)

    def _report_family_named(self, name: str) -> tuple[str, str, str]:
        for row in self.catalogue.report_families_2023:
            if row.name == name and row.key.endswith("000000"):
                return row.key[:8], row.name, row.department
        raise KeyError(name)

    def _candidates(self, family: Family) -> list[Service]:
        """The family's services in the order they join the catalogue: its LO entry, its real entries, then its own."""
        rng = self.rng
        real = self.real.family(family.prefix) if family.real else []
        lo_key = f"{family.prefix}000000"
        lo_name = self.real.leika.get(lo_key, family.name)
        result = [Service(lo_key, lo_name, family.department, family.typisierung, family.name, real=family.real)]
        result += [
            Service(key, name, family.department, family.typisierung, family.name, real=True)
            for key, name in real
            if key != lo_key
        ]
        # Own Verrichtungen only where the real family has none of the same name, so no name appears twice.
        taken = {name for _, name in real}
        words = [(code, word) for code, word in self.catalogue.verrichtungen if f"{family.name} {word}" not in taken]
        verrichtungen = [(_own_code(code) if family.real else code, word) for code, word in rng.sample(words, 6)]
        for code, word in verrichtungen:
            result.append(
                Service(
                    f"{family.prefix}{code}000",
                    f"{family.name} {word}",
                    family.department,
                    family.typisierung,
                    family.name,
                )
            )
        details = rng.sample(self.catalogue.details, 6)
        for number, detail in enumerate(details, start=1):
            code, word = verrichtungen[(number - 1) % 3]
            result.append(
                Service(
                    f"{family.prefix}{code}{number:03d}",
                    f"{family.name} {word} {detail}",
                    family.department,
                    family.typisierung,
                    family.name,
                )
            )
        return result

    def _real_rest(self, family_name: str, prefix: str, department: str, present: set[str]) -> list[Service]:
        """The real entries of a report family that are not among the given keys (its 2023 services)."""
        return [
            Service(key, name, department, ["2/3"], family_name, real=True)
            for key, name in self.real.family(prefix)
            if key not in present
        ]

    # statuses 2023 ----------------------------------------------------------------------------------------------

    def _assign_2023(self) -> None:
        quota = Counter(REPORT_2023)
        forced = {
            JAGDSCHEIN: P,
            AUFENTHALTSERLAUBNIS: P,
            EINBUERGERUNG: U,
            "Elterngeld": D,
            "Unterhaltsvorschuss": D,
        }
        by_family = defaultdict(list)
        for service in self.services_2023:
            by_family[service.family].append(service)
        for family_name, status in forced.items():
            for service in by_family.pop(family_name):
                service.status[2023] = status
                quota[status] -= 1
        kataster = [s for s in self.services_2023 if s.department == "A 62"]
        for service in kataster:
            by_family.pop(service.family, None)
        not_digital = [status for status, n in KATASTER_2023_NOT_DIGITAL.items() for _ in range(n)]
        for service, status in zip(kataster, not_digital + [D] * (len(kataster) - len(not_digital)), strict=True):
            service.status[2023] = status
            quota[status] -= 1
        order = sorted(by_family)
        self.rng.shuffle(order)
        for family_name in order:
            members = by_family[family_name]
            fitting = sorted(s for s, n in quota.items() if n >= len(members))
            if fitting:
                status = self.rng.choices(fitting, weights=[quota[s] for s in fitting])[0]
                for service in members:
                    service.status[2023] = status
                quota[status] -= len(members)
            else:
                for service in members:
                    status = max(sorted(quota), key=lambda s: quota[s])
                    service.status[2023] = status
                    quota[status] -= 1
        assert not +quota and not -quota, f"Statusverteilung 2023 nicht erreicht: {quota}"

    # catalogue and statuses 2024 --------------------------------------------------------------------------------

    def _derive_2024(self) -> None:
        fixed = {JAGDSCHEIN, AUFENTHALTSERLAUBNIS}
        keys_2023 = {s.key for s in self.services_2023}
        parents_2023 = {s.parent_key for s in self.services_2023}
        movable = [
            s
            for s in self.services_2023
            if s.family not in fixed and s.department != "A 62" and s.family not in EFA_REUSE
        ]
        family_rank = {f.name: i for i, f in enumerate(self.rng.sample(self.families, len(self.families)))}

        def pick(pool, status, count):
            matching = sorted(
                (s for s in pool if s.status[2023] == status), key=lambda s: (family_rank[s.family], s.key)
            )
            assert len(matching) >= count, (status, count)
            return matching[:count]

        withdrawn = set()
        # Withdrawn services are leaves: nothing in either year descends from them, so they are simply gone.
        leaves = [s for s in movable if s.key not in parents_2023 and LeikaKey(s.key).kind != "LO"]
        for status, count in WITHDRAWN.items():
            withdrawn.update(s.key for s in pick(leaves, status, count))
        # The old "Aufenthaltserlaubnis Verlängerung" is split into one service per purpose: gone from 2024 on.
        split = {self._report_family_named(AUFENTHALTSERLAUBNIS)[0] + SPLIT_VERRICHTUNG + "000"}
        continuing = [s for s in self.services_2023 if s.key not in withdrawn and s.key not in split]
        for service in continuing:
            service.status[2024] = service.status[2023]
        for service in continuing:
            if service.department == "A 62" or service.family == EINBUERGERUNG:
                service.status[2024] = D
        moved = set()
        for source, target, count in MOVES:
            pool = [s for s in movable if s.key not in withdrawn and s.key not in moved]
            for service in pick(pool, source, count):
                service.status[2024] = target
                moved.add(service.key)
        self._rename(continuing)

        # New services: the families of the report, the regional programmes, and finer services elsewhere.
        new: list[Service] = []
        new += self._jagdschein_2024()
        new += self._aufenthaltserlaubnis_2024()
        for prefix, name, _ in self.catalogue.foerderprogramme:
            for suffix, word in (("000000", ""), ("021000", " Bewilligung"), ("023000", " Auszahlung")):
                new.append(Service(prefix + suffix, name + word, "A 80", ["5"], name, status={2024: U}))
        current = Counter(s.status[2024] for s in continuing + new)
        needed = Counter(REPORT_2024)
        needed.subtract(current)
        status_of = {s.key: s.status[2024] for s in continuing}
        for status in sorted(needed, key=lambda s: list(REPORT_2024).index(s)):
            new += self._finer_services(status, needed[status], status_of, withdrawn, keys_2023)
        self.services_2024 = continuing + new
        totals = Counter(s.status[2024] for s in self.services_2024)
        assert totals == Counter(REPORT_2024), f"Statusverteilung 2024 nicht erreicht: {totals}"

    def _rename(self, continuing: list[Service]) -> None:
        rewording = self.catalogue.renaming_2024
        renamed_families = set(self.rng.sample(sorted({s.family for s in continuing}), 12))
        for service in continuing:
            service.name_2024 = service.name
            # A real entry keeps the real catalogue's name.
            if service.family in renamed_families and not service.real:
                for old, new in rewording.items():
                    if old in service.name:
                        service.name_2024 = service.name.replace(old, new)

    def _jagdschein_2024(self) -> list[Service]:
        prefix, name, department = self._report_family_named(JAGDSCHEIN)
        existing = [s for s in self.services_2023 if s.family == name]
        result = self._real_rest(name, prefix, department, {s.key for s in existing})
        family = existing + result
        # A Verrichtung the family has already keeps its code; own ones take codes the real catalogue leaves free.
        codes = {s.name: s.key[8:11] for s in family if LeikaKey(s.key).kind == "LOV"}
        verrichtungen = [
            (codes.get(f"{name} {word}", _own_code(code)), word)
            for code, word in self.catalogue.jagdschein_verrichtungen_2024
        ]
        own = [
            Service(f"{prefix}{code}000", f"{name} {word}", department, ["2/3"], name) for code, word in verrichtungen
        ]
        for number, detail in enumerate(self.catalogue.jagdschein_details_2024, start=1):
            own += [
                Service(
                    f"{prefix}{code}{_own_detail(code, number)}", f"{name} {word} {detail}", department, ["2/3"], name
                )
                for code, word in verrichtungen
            ]
        keys, names = {s.key for s in family}, {s.name for s in family}
        result += [s for s in own if s.key not in keys and s.name not in names][: 102 - len(family)]
        assert len(existing) + len(result) == 102
        for service in result:
            service.status[2024] = P
        return result

    def _aufenthaltserlaubnis_2024(self) -> list[Service]:
        prefix, name, department = self._report_family_named(AUFENTHALTSERLAUBNIS)
        split = prefix + SPLIT_VERRICHTUNG + "000"
        kept = [s for s in self.services_2023 if s.family == name and s.key != split]
        result = self._real_rest(name, prefix, department, {s.key for s in kept} | {split})
        purposes = self.catalogue.aufenthalt_purposes_2024
        own = []
        for code, word in self.catalogue.aufenthalt_verrichtungen_2024:
            code = _own_code(code)
            own.append(Service(f"{prefix}{code}000", f"{name} {word}", department, ["2/3"], name))
            own += [
                Service(f"{prefix}{code}{n:03d}", f"{name} {word} {purpose}", department, ["2/3"], name)
                for n, purpose in enumerate(purposes, start=1)
            ]
        # The old Verlängerung, one service per purpose (where the real catalogue does not split it already), then
        # the Erteilung likewise.
        for code, word in ((SPLIT_VERRICHTUNG, "Verlängerung"), ("001", "Erteilung")):
            own += [
                Service(f"{prefix}{code}{_own_detail(code, n)}", f"{name} {word} {purpose}", department, ["2/3"], name)
                for n, purpose in enumerate(purposes, start=1)
            ]
        taken = {s.name for s in kept + result}
        result += [s for s in own if s.name not in taken][: 181 - len(kept) - len(result)]
        assert len(kept) + len(result) == 181
        for service in result:
            service.status[2024] = P
        return result

    def _finer_services(self, status, count, status_of, withdrawn, keys_2023) -> list[Service]:
        """Finer services under families that stay: the next candidates of families whose LO has this status."""
        if count <= 0:
            return []
        kataster = status == D
        families = [
            f
            for f in self.families
            if status_of.get(f"{f.prefix}000000") == status
            and (f.department == "A 62") == kataster
            and f.taken < len(f.candidates)
        ]
        families.sort(key=lambda f: f.prefix)
        self.rng.shuffle(families)
        result = []
        while len(result) < count and families:
            for family in list(families):
                if len(result) == count:
                    break
                candidate = family.candidates[family.taken]
                family.taken += 1
                if family.taken >= len(family.candidates):
                    families.remove(family)
                if candidate.parent_key in withdrawn or candidate.key in keys_2023:
                    continue
                candidate.status[2024] = status
                result.append(candidate)
        assert len(result) == count, (status, count, len(result))
        return result

    # writing ----------------------------------------------------------------------------------------------------

    def _write(self) -> None:
        scale = MaturityScale.objects.get(code=reference.SCALE_OZG_1_1)
        levels = {level.value: level for level in scale.levels.all()}
        version_2023 = CatalogueVersion(
            name="LeiKa 2023 (Demo-Auszug)",
            valid_from=datetime.date(2023, 1, 1),
            source="Demo-Daten: nachgebildeter Auszug des Leistungskatalogs für einen Kreis",
        )
        version_2024 = CatalogueVersion(
            name="LeiKa 2024 (Demo-Auszug)",
            valid_from=datetime.date(2024, 1, 1),
            source="Demo-Daten: nachgebildeter Auszug des Leistungskatalogs für einen Kreis",
        )
        entries_2023 = self._write_entries(version_2023, self.services_2023, 2023)
        version_2024.predecessor = version_2023
        entries_2024 = self._write_entries(version_2024, self.services_2024, 2024)
        projects = self._write_projects()
        efa = self._efa_offers()
        # One round after the other, each closed before the next opens: an organisation has one open round at most.
        for year, version, services, entries, confirmed in (
            (2023, version_2023, self.services_2023, entries_2023, _at(2023, 4, 14)),
            (2024, version_2024, self.services_2024, entries_2024, _at(2024, 4, 12)),
        ):
            round_obj = SurveyRound.objects.create(
                organisation=self.org,
                year=year,
                catalogue_version=version,
                maturity_scale=scale,
                deadline=datetime.date(year, 3, 31),
            )
            self._write_assessments(round_obj, services, entries, levels, projects, efa, confirmed=confirmed)
            SurveyRound.objects.filter(pk=round_obj.pk).update(is_closed=True)
        # The open round starts as the organisation opens every round: carried over, awaiting confirmation.
        open_round(
            self.org, 2025, version_2024, scale, deadline=open_round_deadline(), analyze_after=False, notify=False
        )
        self.log(f"{self.org}: {len(entries_2023)} Leistungen 2023, {len(entries_2024)} Leistungen 2024")

    def _write_entries(self, version, services, year) -> dict[str, LeikaEntry]:
        # Saved with its crosswalk to the previous version, exactly as an import would.
        by_key, _ = create_version(
            version,
            [
                LeikaEntry(
                    key=s.key,
                    name=(s.name_2024 or s.name) if year == 2024 else s.name,
                    typisierung=s.typisierung,
                )
                for s in sorted(services, key=lambda s: s.key)
            ],
        )
        links = []
        through = OzgLeistung.leika_entries.through
        for service in services:
            ozg = self.ozg_by_id.get(self.ozg_of_family.get(service.family))
            if ozg is not None:
                links.append(through(ozgleistung=ozg, leikaentry=by_key[service.key]))
        through.objects.bulk_create(links)
        return by_key

    def _write_projects(self) -> dict[tuple[int, str], ITProject]:
        """IT projects: one per family in implementation, the report's named projects, and the year's other work."""
        projects: dict[tuple[int, str], ITProject] = {}
        for year in (2023, 2024):
            services = self.services_2023 if year == 2023 else self.services_2024
            families = sorted({(s.department, s.family) for s in services if s.status.get(year) == U})
            for department, family in families:
                finished = year == 2023 and all(
                    s.status.get(2024) == D for s in self.services_2023 if s.family == family and 2024 in s.status
                )
                projects[(year, family)] = ITProject(
                    organisation=self.org,
                    department=self.departments[department],
                    year=year,
                    title=f"Digitalisierung {family}",
                    state=ProjectState.ABGESCHLOSSEN if finished else ProjectState.IN_UMSETZUNG,
                )
        for department, title in self.catalogue.named_projects_2024:
            projects[(2024, title)] = ITProject(
                organisation=self.org,
                department=self.departments[department],
                year=2024,
                title=title,
                state=ProjectState.IN_UMSETZUNG,
            )
        themes = self.catalogue.project_themes
        codes = sorted(self.departments)
        position = 0
        assert len(themes) * len(codes) >= IT_PROJECTS_2024, "zu wenige Projekttitel"
        while sum(1 for (year, _) in projects if year == 2024) < IT_PROJECTS_2024:
            theme, code = themes[position % len(themes)], codes[(position // len(themes)) % len(codes)]
            title = f"{theme} ({self.departments[code].name})"
            projects.setdefault(
                (2024, title),
                ITProject(
                    organisation=self.org,
                    department=self.departments[code],
                    year=2024,
                    title=title,
                    state=ProjectState.GEPLANT,
                ),
            )
            position += 1
        created = ITProject.objects.bulk_create(list(projects.values()))
        return dict(zip(projects.keys(), created, strict=True))

    def _efa_offers(self) -> dict[str, EfaOffer]:
        offers = {}
        for family in EFA_REUSE:
            ozg_id = self.ozg_of_family[family]
            offers[family] = EfaOffer.objects.filter(ozg_leistung__ozg_id=ozg_id).order_by("pk").first()
        return offers

    def _write_assessments(self, round_obj, services, entries, levels, projects, efa, confirmed):
        rows = []
        for service in sorted(services, key=lambda s: s.key):
            year = round_obj.year
            status = service.status[year]
            digit = int(service.key[-1])
            row = Assessment(
                round=round_obj,
                leika_entry=entries[service.key],
                department=self.departments[service.department],
                status=status,
                confirmed_at=confirmed,
                confirmed_by=self.editors[service.department],
            )
            row.maturity_level = levels[_maturity_for(status, service, digit)]
            if status == K:
                reasons = self.catalogue.kein_potenzial_reasons
                row.justification = reasons[int(service.key[-3:]) % len(reasons)]
            if status == U:
                row.it_project = projects.get((year, service.family))
            offer = efa.get(service.family)
            if status == D:
                if offer is not None:
                    row.channel, row.efa_offer, row.efa_kind = Channel.EFA, offer, EfaKind.NACHNUTZUNG_VEREINBART
                elif digit % 5 == 0:
                    row.channel = Channel.LAND_BUND_PORTAL
                    row.online_service_url = f"https://www.service.wirtschaft.nrw/leistung/{service.key}"
                else:
                    row.channel = Channel.OWN_PORTAL
                    row.online_service_url = f"https://serviceportal.staedteregion-aachen.de/leistung/{service.key}"
            elif offer is not None:
                row.efa_kind = EfaKind.NACHNUTZUNG_IN_KLAERUNG
            rows.append(row)
        return Assessment.objects.bulk_create(rows)


def _own_code(code: str) -> str:
    """The code of one of the demo's own Verrichtungen under a real Leistungsobjekt: 900 and up, which the real
    catalogue leaves free (its highest is 265), so that no own service takes a real service's key."""
    return "9" + code[1:]


def _own_detail(code: str, number: int) -> str:
    """An own Verrichtungsdetail: under a real Verrichtung from 901 on (the real catalogue's highest is 069)."""
    return f"{number if code.startswith('9') else 900 + number:03d}"


def _maturity_for(status: str, service: Service, digit: int) -> int:
    """A plausible level on the OZG Reifegradmodell 1.1 for a cluster."""
    if status == D:
        return 4 if service.department == "A 62" or digit % 3 == 0 else 3
    if status == P:
        return 2 if digit % 4 == 0 else 1
    if status in (K, U):
        return 1
    return 0


# --- Stadt Aachen ------------------------------------------------------------------------------------------------


def _build_stadt_aachen(ozg_by_id: dict[int, OzgLeistung], log) -> None:
    scale = MaturityScale.objects.get(code=reference.SCALE_KOMMUNAL_0_5)
    org, created = Organisation.objects.get_or_create(
        regionalschluessel=STADT_AACHEN.regionalschluessel,
        defaults={"name": STADT_AACHEN.name, "kind": STADT_AACHEN.kind, "maturity_scale": scale},
    )
    if not created:
        return
    departments = [Department.objects.create(organisation=org, code=c, name=n) for c, n in data.stadt_departments()]
    rng = random.Random(SEED + 1)
    municipal = sorted((o for o in ozg_by_id.values() if o.zustaendigkeit == "kommune"), key=lambda o: o.ozg_id)
    rng.shuffle(municipal)
    levels = {level.value: level for level in scale.levels.all()}
    implemented_levels = _implemented_levels(levels, dict(STADT_PLANS)[PlanState.UMGESETZT], rng)
    plans = []
    position = 0
    for state, count in STADT_PLANS:
        for ozg in municipal[position : position + count]:
            plan = OzgPlan(organisation=org, ozg_leistung=ozg, state=state)
            if state == PlanState.UMGESETZT:
                plan.maturity_level = implemented_levels.pop()
                plan.target_quarter = f"{rng.choice((2022, 2023, 2024))}-Q{rng.randint(1, 4)}"
            elif state == PlanState.KURZFRISTIG:
                plan.target_quarter = "2025-Q1"
            else:
                plan.target_quarter = f"{rng.choice((2025, 2026))}-Q{rng.randint(2, 4)}"
                plan.note = "Abhängig von der Bereitstellung eines EfA-Onlinedienstes."
            plans.append(plan)
        position += count
    plans += [
        OzgPlan(organisation=org, ozg_leistung=ozg, state=PlanState.NICHT_GEPLANT) for ozg in municipal[position:]
    ]
    OzgPlan.objects.bulk_create(plans)
    _build_users(org, STADT_AACHEN.user_prefix, departments)
    log(f"{org}: {len(plans)} OZG-Planungen")


def _implemented_levels(levels: dict, implemented: int, rng: random.Random) -> list:
    """One level per implemented OZG-Leistung, as many of each as fixtures/demo/stadt_aachen/reifegrade_umgesetzt.csv
    says, in a seeded order."""
    counts = data.stadt_implemented_levels()
    if sum(counts.values()) != implemented:
        raise ValueError(
            f"reifegrade_umgesetzt.csv zählt {sum(counts.values())} umgesetzte OZG-Leistungen, "
            f"die Vorlage {implemented}."
        )
    chosen = [levels[value] for value, n in sorted(counts.items()) for _ in range(n)]
    rng.shuffle(chosen)
    return chosen


# --- users -------------------------------------------------------------------------------------------------------


def demo_usernames() -> list[str]:
    """Every account load_demo creates, for the README and the tests."""
    names = ["admin", f"it.{STAEDTEREGION.user_prefix}", f"it.{STADT_AACHEN.user_prefix}"]
    names += [_editor_name(STAEDTEREGION.user_prefix, code) for code, *_ in data.kreis_catalogue().departments]
    names += [_editor_name(STADT_AACHEN.user_prefix, code) for code, _ in data.stadt_departments()]
    return names


def _editor_name(prefix: str, code: str) -> str:
    return f"{prefix}.{code.replace(' ', '').lower()}"


def _make_user(username: str, **fields):
    # An address under the reserved top-level domain .invalid: in development the mails appear on the console
    # (EMAIL_BACKEND), and nothing could ever reach a real mailbox.
    fields.setdefault("email", f"{username}@demo.invalid")
    user, created = get_user_model().objects.get_or_create(username=username, defaults=fields)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _build_users(org: Organisation, prefix: str, departments) -> dict[str, object]:
    """The IT office and one editor per department; returns the editors by department code."""
    editors = {}
    it_office = _make_user(f"it.{prefix}", first_name="IT-Steuerung", last_name=org.name)
    Membership.objects.get_or_create(user=it_office, organisation=org, defaults={"role": OrganisationRole.IT_STEUERUNG})
    for department in departments:
        editor = _make_user(_editor_name(prefix, department.code), first_name="Bearbeitung", last_name=department.code)
        Membership.objects.get_or_create(user=editor, organisation=org, defaults={"role": OrganisationRole.MITARBEIT})
        DepartmentRole.objects.get_or_create(
            user=editor, department=department, defaults={"role": DepartmentRoleKind.BEARBEITUNG}
        )
        editors[department.code] = editor
    return editors


def _build_superuser(log) -> None:
    _make_user("admin", is_staff=True, is_superuser=True, first_name="Administration")
