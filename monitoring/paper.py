"""The committee paper (Ausschussvorlage): the rounds, sections and level of detail the IT office chose, the tables
they take from the dashboard's kept figures (so every figure is the dashboard's), and a short text of the main
developments, written from those same tables."""

import dataclasses
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format

from .choices import PlanState, ProjectState, Status
from .dashboard import (
    ALL_SERVICES,
    Selection,
    Stamps,
    comparison_of,
    comparison_section,
    department_tables,
    efa_tables,
    number,
    ozg_section_tables,
    percent,
    points,
    series_tables,
    share,
)
from .models import Department, Organisation, SurveyRound
from .report_tables import DELTA, TEXT, Cell, Method, ReportTable, Row

# The sections a paper may hold, in its order.
SECTIONS = {
    "status": "Umsetzungsstatus je Erhebungsrunde",
    "vergleich": "Vergleich auf gleicher Basis und Überleitung",
    "einheiten": "Organisationseinheiten",
    "ozg": "OZG-Leistungen",
    "efa": "EfA und IT-Projekte",
}
# Sections that count the assessments of a round: without a round chosen they have nothing to show.
ROUND_SECTIONS = {"status", "vergleich", "einheiten", "efa"}
DEFAULT_TOP_FAMILIES = 5
PROJECTS_SUMMARY, PROJECTS_LIST = "zusammenfassung", "liste"
PROVISIONAL = "vorläufig"
SHARED_NOTE_PARTS = ("Umfang", "Katalogversion", "Reifegradskala", "Stichtag")
ALL_PLANNED = "umgesetzt oder geplant (kurz- und langfristig)"
NO_ROUND, ONE_ROUND = "keine Erhebungsrunde gewählt", "nur eine Erhebungsrunde gewählt"


@dataclass
class PaperChoice:
    """What the IT office chose in the composer."""

    rounds: list[SurveyRound]
    sections: list[str] = field(default_factory=lambda: list(SECTIONS))
    top_families: int = DEFAULT_TOP_FAMILIES
    projects: str = PROJECTS_SUMMARY


def default_rounds(rounds: list[SurveyRound]) -> list[SurveyRound]:
    """Closed rounds only: an open round's figures still move, so it is in the paper only when chosen."""
    return [r for r in rounds if r.is_closed]


@dataclass
class Block:
    """One section of the paper: its heading and tables; `chart` names the table drawn beside its figures."""

    slug: str
    heading: str
    tables: list[ReportTable]
    chart: str = ""


@dataclass
class Paper:
    organisation: Organisation
    choice: PaperChoice
    year: int
    rounds: list[SurveyRound]
    focus: SurveyRound | None
    previous: SurveyRound | None
    blocks: list[Block]
    text: list[str]
    left_out: list[tuple[str, str]]  # (section, reason) of the sections chosen that have nothing to show
    made_on: str = field(default_factory=lambda: date_format(timezone.localdate(), "d.m.Y"))

    @property
    def provisional_rounds(self) -> list[SurveyRound]:
        return [r for r in self.rounds if not r.is_closed]

    @property
    def provisional(self) -> bool:
        return bool(self.provisional_rounds)

    @property
    def title(self) -> str:
        return f"Sachstand Digitalisierung {self.year}" + (f" ({PROVISIONAL})" if self.provisional else "")

    @property
    def heading(self) -> str:
        return f"{self.organisation.name}: {self.title}"

    @property
    def file_stem(self) -> str:
        """The German file name without extension, e.g. "StädteRegion Aachen – Sachstand Digitalisierung 2024"."""
        return f"{self.organisation.name} – {self.title}"

    def tables(self) -> list[ReportTable]:
        return [table for block in self.blocks for table in block.tables]

    @property
    def notes(self) -> list[Method]:
        """The distinct method notes of the paper's tables, in the order the tables first use them."""
        found: list[Method] = []
        for table in self.tables():
            if table.method not in found:
                found.append(table.method)
        return found

    @property
    def missing(self) -> list[tuple[str, list[str]]]:
        """The sections left out, grouped by the reason: [(reason, [section, ...])]."""
        grouped: dict[str, list[str]] = {}
        for section, reason in self.left_out:
            grouped.setdefault(reason, []).append(section)
        return list(grouped.items())

    @property
    def common_note(self) -> list[tuple[str, str]]:
        return shared_parts(self.notes)[0]

    @property
    def note_lines(self) -> list[list[tuple[str, str]]]:
        return shared_parts(self.notes)[1]

    @property
    def layout(self) -> list[tuple[Block, list[tuple[ReportTable, int]]]]:
        """The blocks with each table's number of its method note (Anmerkung n at the end of the paper)."""
        notes = self.notes
        return [(block, [(table, notes.index(table.method) + 1) for table in block.tables]) for block in self.blocks]


def shared_parts(notes: list[Method]) -> tuple[list[tuple[str, str]], list[list[tuple[str, str]]]]:
    """The parts of the method notes (scope, catalogue, scale, cut-off) that two or more notes share, to be said once
    above them; and each note without those parts."""
    common = []
    for key in SHARED_NOTE_PARTS:
        counts = Counter(dict(note.lines)[key] for note in notes)
        value, used = counts.most_common(1)[0] if counts else ("", 0)
        if used > 1:
            common.append((key, value))
    return common, [[line for line in note.lines if line not in common] for note in notes]


# --- the tables, shortened where the committee needs less than the dashboard ---------------------------------------


def provisional_header(table: ReportTable, rounds: list[SurveyRound]) -> ReportTable:
    """The table with the years of open rounds marked "vorläufig" in its header."""
    open_years = {str(r.year) for r in rounds if not r.is_closed}
    if not open_years:
        return table
    header = [f"{h} ({PROVISIONAL})" if h in open_years else h for h in table.header]
    return dataclasses.replace(table, header=header)


def top_families(table: ReportTable, top: int) -> ReportTable:
    """The `top` families with the largest catalogue effects (by the size of their net change), the others summed in
    one row, and the sum of all, which is the catalogue effects' part of the bridge. The Leistungsobjekt's key is
    left out: the committee reads the family's name."""
    ranked = sorted(table.rows, key=lambda row: (-abs(row.cells[-1].value), row.label))
    shown, rest = ranked[:top], ranked[top:]
    numbers = len(table.header) - 4  # label, effect, family and the sum are not per status

    def without_key(row):
        return Row(row.label, [row.cells[0], *row.cells[2:]], is_total=row.is_total)

    def summed(label, rows, is_total=False):
        cells = [Cell("", TEXT)]
        cells += [Cell(sum(row.cells[2 + i].value for row in rows), DELTA) for i in range(numbers)]
        cells.append(Cell(sum(row.cells[-1].value for row in rows), DELTA))
        return Row(label, cells, is_total=is_total)

    rows = [without_key(row) for row in shown]
    if rest:
        rows.append(summed(f"Übrige {number(len(rest))} Leistungsfamilien", rest))
    rows.append(summed("Alle Katalogeffekte", table.rows, is_total=True))
    title = table.title
    if rest:
        title = f"{table.title}: die {len(shown)} größten von {number(len(table.rows))}"
    header = [table.header[0], table.header[1], *table.header[3:]]
    return dataclasses.replace(table, title=title, header=header, rows=rows)


def efa_in_short(table: ReportTable) -> ReportTable:
    """The EfA table without the kinds of EfA no service of the round has."""
    rows = [row for row in table.rows if not (row.label.startswith("Leistungen: ") and not row.values[0])]
    return dataclasses.replace(table, rows=rows)


def projects_by_department(listing: ReportTable, organisation: Organisation) -> ReportTable:
    """The project list summed per department and state: what the committee reads instead of every project."""
    states = [state.label for state in ProjectState]
    per = defaultdict(Counter)
    services = Counter()
    for row in listing.rows:
        state, department, moved = (cell.value for cell in row.cells)
        per[department][state] += 1
        services[department] += moved or 0
    names = dict(Department.objects.filter(organisation=organisation).values_list("code", "name"))

    def label(code):
        return f"{code} {names[code]}" if code in names else (code or "ohne Organisationseinheit")

    rows = [
        Row(
            label(code),
            [*(Cell(per[code][state]) for state in states), Cell(sum(per[code].values())), Cell(services[code])],
        )
        for code in sorted(per, key=lambda c: (c == "", c))
    ]
    totals = Counter()
    for counts in per.values():
        totals.update(counts)
    rows.append(
        Row(
            "Alle Organisationseinheiten",
            [*(Cell(totals[state]) for state in states), Cell(len(listing.rows)), Cell(sum(services.values()))],
            is_total=True,
        )
    )
    year = listing.slug.rsplit("-", 1)[-1]
    return ReportTable(
        slug=f"projekte-einheiten-{year}",
        title=f"IT-Projekte {year} nach Organisationseinheit und Stand",
        sheet=f"IT-Projekte Einheiten {year}",
        header=["Organisationseinheit", *states, "Projekte", "betroffene Leistungen"],
        rows=rows,
        method=listing.method,
    )


def has_plans(quotas: ReportTable) -> bool:
    """Whether the organisation keeps its own OZG plan (any OZG-Leistung umgesetzt or planned)."""
    labels = {PlanState.UMGESETZT.label, PlanState.KURZFRISTIG.label, PlanState.LANGFRISTIG.label}
    return any(row.values[0] for row in quotas.rows if row.label in labels)


# --- composing ---------------------------------------------------------------------------------------------------


def compose(organisation: Organisation, choice: PaperChoice) -> Paper:
    rounds = sorted(choice.rounds, key=lambda r: r.year)
    focus = rounds[-1] if rounds else None
    previous = rounds[-2] if len(rounds) > 1 else None
    selection = Selection(organisation, rounds, focus, previous)
    stamps = Stamps(selection)
    blocks, left_out = [], []
    comparison = None
    for slug in [s for s in SECTIONS if s in choice.sections]:
        if slug in ROUND_SECTIONS and focus is None:
            left_out.append((SECTIONS[slug], NO_ROUND))
            continue
        if slug == "status":
            tables = [provisional_header(table, rounds) for table in series_tables(selection)]
            blocks.append(Block(slug, "Umsetzungsstatus der Verwaltungsleistungen", tables, chart=tables[0].slug))
        elif slug == "vergleich":
            if previous is None:
                left_out.append((SECTIONS[slug], ONE_ROUND))
                continue
            section = comparison_section(organisation, previous, focus)
            if "tables" not in section:
                left_out.append((SECTIONS[slug], section["unavailable"].rstrip(".")))
                continue
            comparison = section["comparison"]
            like, bridge, families = section["tables"]
            tables = [like, bridge]
            if choice.top_families:
                tables.append(top_families(families, choice.top_families))
            blocks.append(
                Block(slug, f"Entwicklung {previous.year} → {focus.year}: echte Veränderung und Katalogeffekte", tables)
            )
        elif slug == "einheiten":
            tables = department_tables(selection, stamps)
            blocks.append(Block(slug, f"Organisationseinheiten {focus.year}", tables))
        elif slug == "ozg":
            found = {table.slug: table for table in ozg_section_tables(selection, stamps)}
            quotas, rule = found["ozg-quoten"], found.get(f"ozg-zaehlregel-{focus.year}") if focus else None
            # Without a plan of its own the quotas are all zero; the federal rule's table says so in one line.
            tables = [quotas] if has_plans(quotas) or rule is None else []
            if rule is not None:
                tables.append(rule)
            if has_plans(quotas):
                tables += [found["ozg-themenfelder"], found["reifegrade-ozg"]]
            blocks.append(Block(slug, "OZG-Leistungen", tables))
        elif slug == "efa":
            efa, by_state, listing = efa_tables(selection, stamps)
            tables = [efa_in_short(efa)]
            if choice.projects == PROJECTS_LIST or not listing.rows:
                tables += [by_state, listing] if listing.rows else [by_state]
            else:
                # Per department and state: the projects by state are its total row.
                tables.append(projects_by_department(listing, organisation))
            blocks.append(Block(slug, f"EfA und IT-Projekte {focus.year}", tables))
    paper = Paper(
        organisation=organisation,
        choice=choice,
        year=focus.year if focus else timezone.localdate().year,
        rounds=rounds,
        focus=focus,
        previous=previous,
        blocks=blocks,
        text=[],
        left_out=left_out,
    )
    if comparison is None and previous is not None and "status" in choice.sections:
        try:
            comparison = comparison_of(previous, focus)
        except ValidationError:
            comparison = None
    paper.text = developments(paper, comparison)
    return paper


# --- the text of the main developments ---------------------------------------------------------------------------


def _table(paper: Paper, prefix: str) -> ReportTable | None:
    return next((table for table in paper.tables() if table.slug.startswith(prefix)), None)


def _rose(change: float | None, noun: str, before: str, after: str) -> str:
    if not change:
        return f"blieb {noun} unverändert ({after})"
    way = "stieg" if change > 0 else "sank"
    return f"{way} {noun} um {number_text(abs(change))} Prozentpunkte (von {before} auf {after})"


def number_text(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def status_label(value: str) -> str:
    return Status(value).label


def developments(paper: Paper, comparison) -> list[str]:
    """A few sentences on the main developments, every figure taken from the paper's tables or the comparison they
    were made from; nothing is typed in."""
    text = []
    focus, previous = paper.focus, paper.previous
    digital = Status.DIGITAL.label
    status = _table(paper, "status")
    if status is not None:
        total = status.row(ALL_SERVICES).values
        digital_counts = status.row(digital).values if digital in [r.label for r in status.rows] else [0] * len(total)
        now = f"In der Erhebungsrunde {focus.year} sind {number(total[-1])} Verwaltungsleistungen erfasst"
        if len(total) > 1:
            now += f" ({previous.year}: {number(total[-2])})"
        now += (
            f". Davon sind {number(digital_counts[-1])} digital verfügbar "
            f"({percent(share(digital_counts[-1], total[-1]))}"
        )
        if len(total) > 1:
            now += (
                f"; {previous.year}: {number(digital_counts[-2])} bzw. {percent(share(digital_counts[-2], total[-2]))}"
            )
        text.append(now + ").")
    if comparison is not None and comparison.followed:
        earlier, later = comparison.like_for_like_earlier, comparison.like_for_like_later
        d = Status.DIGITAL.value
        moved = points(later, earlier)
        before = percent(share(earlier[d], comparison.followed))
        after = percent(share(later[d], comparison.followed))
        text.append(
            f"Auf gleicher Basis – {number(comparison.followed)} Leistungen, die in beiden Runden unter demselben "
            f"Schlüssel erhoben wurden – {_rose(moved, 'der Anteil digitaler Leistungen', before, after)}."
        )
        # A status change moves a row, it never adds or removes one: the change of the total is the catalogue's.
        overall = sum(comparison.end.values()) - sum(comparison.start.values())
        per_family = Counter()
        for effect in comparison.effects:
            per_family[effect.family_name] += effect.total
        largest = sorted((item for item in per_family.items() if item[1]), key=lambda i: (-abs(i[1]), i[0]))[:2]
        if overall or largest:
            named = " und ".join(f"{name} ({Cell(total, DELTA).display})" for name, total in largest)
            direction = "stieg" if overall > 0 else "sank" if overall < 0 else "blieb"
            amount = f"um {number(abs(overall))}" if overall else "gleich"
            text.append(
                f"Die Zahl der erfassten Leistungen {direction} {amount}. Das geht auf Änderungen des "
                f"Leistungskatalogs zurück (feinere Untergliederung, Aufteilung, neue und entfallene Leistungen), "
                f"nicht auf einen veränderten Umsetzungsstand"
                + (f"; am stärksten betroffen: {named}." if named else ".")
            )
        transitions = comparison.transitions
        if transitions:
            moved_rows = sum(n for _, _, n in transitions)
            largest = sorted(transitions, key=lambda t: -t[2])[:2]
            named = " und ".join(f"{number(n)} von „{status_label(a)}“ zu „{status_label(b)}“" for a, b, n in largest)
            text.append(
                f"Echte Statuswechsel: {number(moved_rows)} Leistungen änderten ihren Status, darunter {named}."
            )
    departments = _table(paper, "einheiten-")
    if departments is not None:
        share_column = departments.header.index("Anteil digital") - 1
        complete = [row.label for row in departments.rows if not row.is_total and row.cells[share_column].value == 100]
        if complete:
            text.append(f"Alle ihre Leistungen bieten digital an: {', '.join(complete)}.")
    text += ozg_sentences(paper)
    efa = _table(paper, "efa-")
    if efa is not None:
        sentence = ""
        projects = _table(paper, "projekte-einheiten-") or _table(paper, "projekte-")
        if projects is not None and projects.rows:
            total = projects.rows[-1]
            if projects.slug.startswith("projekte-einheiten-"):
                states = list(zip(projects.header[1 : 1 + len(ProjectState)], total.values, strict=False))
                count = total.values[len(ProjectState)]
            else:
                states = [(row.label, row.values[0]) for row in projects.rows if not row.is_total]
                count = total.values[0]
            named = ", ".join(f"{number(n)} {state}" for state, n in states if n)
            sentence = f"Für {focus.year} sind {number(count)} IT-Projekte erfasst" + (
                f" ({named}). " if named else ". "
            )
            if not count:
                sentence = f"Für {focus.year} sind keine IT-Projekte erfasst. "
        available, reused = efa.rows[0].values[0], efa.rows[1].values[0]
        text.append(
            sentence + f"Von {number(available)} verfügbaren EfA-Angeboten werden {number(reused)} nachgenutzt."
        )
    for round_obj in paper.provisional_rounds:
        text.append(
            f"Die Zahlen der Runde {round_obj.year} sind vorläufig: die Runde ist noch offen (Stand {paper.made_on})."
        )
    return text


def ozg_sentences(paper: Paper) -> list[str]:
    quotas, rule = _table(paper, "ozg-quoten"), _table(paper, "ozg-zaehlregel-")
    if quotas is None and rule is None:
        return []
    sentences = []
    if quotas is not None:
        base = quotas.row("davon kommunal").values[0]
        done = quotas.row(PlanState.UMGESETZT.label).values
        sentence = (
            f"Von {number(base)} kommunalen OZG-Leistungen sind laut eigenem Planungsstand {number(done[0])} "
            f"umgesetzt ({percent(done[1])})"
        )
        # Which plans a quota counts changes it most: the committee sees each step (the Stadt Aachen's "more than
        # half" holds only with the plans of every horizon).
        steps = {row.label: row.values for row in quotas.rows}
        short, planned = steps.get("umgesetzt oder kurzfristig geplant"), steps.get(ALL_PLANNED)
        if short is not None and short[0] != done[0]:
            sentence += f"; mit den kurzfristig geplanten {number(short[0])} ({percent(short[1])})"
        if planned is not None and short is not None and planned[0] != short[0]:
            sentence += f", mit allen geplanten {number(planned[0])} ({percent(planned[1])})"
        sentences.append(sentence + ".")
    if rule is not None:
        base = rule.rows[0].values[0]
        online = rule.row("online nach Zählregel (mind. Stufe 2)").values
        sentence = (
            f"Nach der Zählregel des Bundes (eine zugeordnete Leistung mit mindestens Stufe 2) gelten "
            f"{number(online[0])} der {number(base)} kommunalen OZG-Leistungen als online ({percent(online[1])})"
        )
        if quotas is None:
            sentence += "; einen eigenen Planungsstand der OZG-Leistungen führt die Organisation hier nicht"
        sentences.append(sentence + ".")
    return sentences
