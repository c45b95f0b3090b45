"""The dashboard: every figure against hand-counted records, the bridge adding up, method notes, exports, queries."""

import io
import re
from collections import Counter
from html.parser import HTMLParser
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leika.models import LeikaEntry
from monitoring import dashboard as figures
from monitoring.choices import Channel, Status
from monitoring.models import Assessment, Organisation, SurveyRound
from monitoring.yoy import AUFGETEILT, AUSDIFFERENZIERT, ENTFALLEN, NEU, ZUSAMMENGELEGT, compare, consecutive

from . import factories
from .helpers import libreoffice_csv
from .test_carry_over import world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

A, K, P, D, U = Status.ANALOG, Status.KEIN_POTENZIAL, Status.PDF, Status.DIGITAL, Status.PROJEKT


@pytest.fixture
def edited(world):  # noqa: F811
    """The carried-over 2024 round after the department's edits: two rows went digital, the new entry was added."""
    rows = Assessment.objects.filter(round=world["round"])
    rows.filter(leika_entry__key__in=["99001001001000", "99002001000000"]).update(status=D, channel=Channel.OWN_PORTAL)
    department = rows.first().department
    Assessment.objects.create(
        round=world["round"],
        leika_entry=LeikaEntry.objects.get(version=world["v2024"], key="05334001000000"),
        department=department,
        status=U,
    )
    return world


def test_as_reported_counts_each_round_over_its_own_catalogue(edited):
    rounds = list(figures.rounds_of(edited["org"]))
    table = figures.as_reported(edited["org"], rounds, figures.status_counts(rounds))
    # Hand count: 2023 = the nine rows of VALUES_2023; 2024 = eleven rows after carry-over and edits.
    assert table.header == ["Umsetzungsstatus", "2023", "2024"]
    assert table.row("Analog").values == [2, 2]
    assert table.row("Kein Optimierungspotenzial").values == [0, 0]
    assert table.row("PDF").values == [4, 3]
    assert table.row("Digital").values == [2, 4]
    assert table.row("Projekt in Umsetzung").values == [1, 2]
    assert table.row("Alle Dienstleistungen").values == [9, 11]


def test_like_for_like_counts_only_rows_the_crosswalk_follows_one_to_one(edited):
    comparison = compare(edited["previous"], edited["round"])
    table = figures.like_for_like(edited["org"], comparison)
    # Followed: Hundesteuer (D→D), Hundesteuer Anmeldung, renamed (PDF→D), Jagdschein (PDF→D),
    # Jagdschein Erteilung (A→A), Aufenthaltserlaubnis (U→U).
    assert comparison.followed == 5
    assert table.column("2023") == [1, 0, 2, 1, 1, 5]
    assert table.column("2024") == [1, 0, 0, 3, 1, 5]
    assert table.column("Veränderung") == [0, 0, -2, 2, 0, 0]
    assert comparison.transitions == [(P, D, 2)]


def test_the_bridge_names_catalogue_effects_by_family_and_adds_up(edited):
    comparison = compare(edited["previous"], edited["round"])
    by_kind = {(e.kind, e.family_name): e.delta for e in comparison.effects}
    assert by_kind[(AUSDIFFERENZIERT, "Jagdschein")] == Counter({A: 1, P: 1})
    # The old "Verlängerung" is split into two purposes: −1 and +2 PDF in the Aufenthaltserlaubnis family.
    assert by_kind[(AUFGETEILT, "Aufenthaltserlaubnis")] == Counter({P: 1})
    assert by_kind[(ENTFALLEN, "Sperrmüll")] == Counter({A: -1})
    assert by_kind[(NEU, "Förderung steckerfertiger Photovoltaikanlagen")] == Counter({U: 1})
    # Wohngeld Antrag (PDF) and Lastenzuschuss (Digital) merged into Wohngeld, carried as Digital.
    assert by_kind[(ZUSAMMENGELEGT, "Wohngeld")] == Counter({D: 1})
    assert by_kind[(ZUSAMMENGELEGT, "Wohngeld Antrag")] == Counter({P: -1})
    assert by_kind[(ZUSAMMENGELEGT, "Lastenzuschuss")] == Counter({D: -1})
    assert len(by_kind) == len(comparison.effects)
    assert comparison.check()

    table = figures.bridge(edited["org"], comparison)
    start, *steps, end = table.rows
    assert start.label == "Stand 2023 (wie gemeldet)" and end.label == "Stand 2024 (wie gemeldet)"
    summed = [sum(row.values[i] for row in [start, *steps]) for i in range(len(table.header) - 1)]
    assert summed == end.values
    assert "Statuswechsel: PDF → Digital" in [row.label for row in steps]


def test_departments_table_counts_share_and_links_to_the_list(edited, client):
    previous = edited["previous"]
    table = figures.departments(edited["org"], edited["round"], previous)
    row = table.row("A 32 Ordnungsamt")
    assert row.values[:6] == [2, 0, 3, 4, 2, 11]
    assert row.values[6] == 36.4  # 4 of 11 digital
    assert row.values[7] == 14.1  # 4/11 − 2/9, in percentage points from the exact shares
    link = row.cells[3].link
    assert f"runde={edited['round'].pk}" in link and "status=digital" in link
    client.force_login(factories.superuser())
    for cell in row.cells[:6]:
        response = client.get(cell.link)
        assert response.context["table"].paginator.count == cell.value, cell.link


def dashboard_url(org, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("dashboard", args=[org.pk]) + (f"?{query}" if query else "")


class Tables(HTMLParser):
    """The dashboard's tables as {slug: [[cell texts of a row], ...]} (header row first)."""

    def __init__(self):
        super().__init__()
        self.tables, self.slug, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-slug" in attrs:
            self.slug = attrs["data-slug"]
            self.tables[self.slug] = []
        elif tag == "tr" and self.slug:
            self.row = []
        elif tag in ("th", "td") and self.row is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.slug].append(self.row)
            self.row = None
        elif tag == "table":
            self.slug = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def shown(value) -> str:
    """How the page writes a number the workbook holds (German format)."""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, int):
        return f"{value:,d}".replace(",", ".")
    return str(value)


def numeric(text: str) -> str:
    return re.sub(r"[^0-9,−\-+±]", "", text).replace("±", "").replace("−", "-").lstrip("+") or "0"


@pytest.fixture
def it_office(edited):
    return factories.it_office(edited["org"])


def test_every_table_shows_its_method_note_and_the_workbook_matches_the_page(edited, it_office, client):
    client.force_login(it_office)
    org = edited["org"]
    response = client.get(dashboard_url(org))
    assert response.status_code == 200
    html = response.content.decode()
    tables = page_tables(html)
    assert {"status", "gleiche-basis-2023-2024", "ueberleitung-2023-2024", "einheiten-2023"} <= set(tables)
    titles = re.findall(r'<caption [^>]*id="caption-[^"]+">([^<]+)</caption>', html)
    for index, slug in enumerate(tables):
        method = html.split(f'data-slug="{slug}"', 1)[1].split("</figure>", 1)[0]
        # A note identical to an earlier table's in the same section is referred to, not repeated (issue 17).
        same = re.search(r"Methode wie bei „([^“]+)“", method)
        if same:
            assert same.group(1) in titles[:index], slug
            continue
        line = re.search(r'class="[^"]*method__line[^"]*">(.*?)</p>', method, re.S).group(1)
        for key in ("Zähleinheit", "Katalog", "Skala", "Stichtag"):
            assert f"{key}: " in line, (slug, key)
        for key in ("Zähleinheit", "Umfang", "Katalogversion", "Reifegradskala", "Stichtag"):
            assert key in method, (slug, key)

    workbook = openpyxl.load_workbook(io.BytesIO(client.get(reverse("dashboard_xlsx", args=[org.pk])).content))
    assert len(workbook.sheetnames) == len(tables)
    # One sheet per table, in the page's order.
    for sheet, page_rows in zip(workbook.worksheets, tables.values(), strict=True):
        header_row = next(r for r in range(2, 20) if sheet.cell(r, 1).font.b)
        assert [c.value for c in sheet[header_row]] == page_rows[0]
        method_text = " ".join(str(sheet.cell(r, 1).value) for r in range(2, header_row))
        assert "Zähleinheit" in method_text and "Stichtag" in method_text
        data = [[c.value for c in row] for row in sheet.iter_rows(min_row=header_row + 1)]
        assert len(data) == len(page_rows) - 1 or (len(page_rows) == 2 and not data)
        for written, on_page in zip(data, page_rows[1:], strict=False):
            assert written[0] == on_page[0]
            for value, text in zip(written[1:], on_page[1:], strict=True):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    expected = value * 100 if "%" in text else value
                    assert float(numeric(text).replace(",", ".")) == pytest.approx(expected, abs=0.05), (
                        sheet.title,
                        written[0],
                        text,
                    )
                else:
                    assert (value or "–") == text


def test_the_committee_workbook_survives_libreoffice(edited, it_office, client, tmp_path):
    client.force_login(it_office)
    org = edited["org"]
    url = reverse("dashboard_xlsx", args=[org.pk]) + "?tabelle=status"
    path = tmp_path / "status.xlsx"
    path.write_bytes(client.get(url).content)
    rows = libreoffice_csv(path, tmp_path)
    header = rows.index(["Umsetzungsstatus", "2023", "2024"])
    assert rows[header + 1 :] == [
        ["Analog", "2", "2"],
        ["Kein Optimierungspotenzial", "0", "0"],
        ["PDF", "4", "3"],
        ["Digital", "2", "4"],
        ["Projekt in Umsetzung", "1", "2"],
        ["Alle Dienstleistungen", "9", "11"],
    ]
    assert any("Zähleinheit" in cell for row in rows[:header] for cell in row)


def test_dashboard_is_for_members_of_the_organisation_only(edited, client):
    client.force_login(factories.person("other"))
    assert client.get(dashboard_url(edited["org"])).status_code == 404
    assert client.get(reverse("dashboard_xlsx", args=[edited["org"].pk])).status_code == 404
    assert client.get(reverse("dashboard_print", args=[edited["org"].pk])).status_code == 404


def test_print_view_has_every_table_and_no_navigation(edited, it_office, client):
    client.force_login(it_office)
    html = client.get(reverse("dashboard_print", args=[edited["org"].pk])).content.decode()
    assert "Hauptnavigation" not in html and "<form" not in html
    assert set(page_tables(html)) >= {"status", "ueberleitung-2023-2024", "katalogeffekte-2023-2024"}
    assert html.count("<svg") >= 2 and "Diagramm: Umsetzungsstatus wie gemeldet" in html


def test_change_in_percentage_points_is_a_number_in_the_workbook(edited, it_office, client):
    client.force_login(it_office)
    url = reverse("dashboard_xlsx", args=[edited["org"].pk])
    query = f"?runde={edited['round'].pk}&tabelle=einheiten-2024"
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(url + query).content)).active
    header_row = next(r for r in range(2, 20) if sheet.cell(r, 1).font.b)
    assert sheet.cell(header_row, 9).value == "Veränderung zu 2023 (Prozentpunkte)"
    points = sheet.cell(header_row + 1, 9)
    assert points.value == 14.1 and points.number_format.startswith("+0.0")
    assert sheet.cell(header_row + 1, 8).value == pytest.approx(4 / 11, abs=0.0005)


def test_the_status_chart_groups_years_and_gives_each_status_its_colour_and_pattern(edited):
    from monitoring.templatetags.charts import bridge_chart, series_chart, wrapped

    rounds = list(figures.rounds_of(edited["org"]))
    html = str(series_chart(figures.as_reported(edited["org"], rounds, figures.status_counts(rounds))))
    bars = re.findall(r'<title>([^<]+) (\d{4}): ([^<]+)</title><rect class="chart-bar chart-bar--status '
                      r'chart-status-(\w+)" fill="url\(#([^)]+)\)"', html)  # fmt: skip
    # Grouped by year: the five statuses of 2023, then of 2024; each status has its badge's colour and a pattern.
    assert [(label, year) for label, year, *_ in bars] == [
        (s.label, year) for year in ("2023", "2024") for s in (A, K, P, D, U)
    ]
    assert ("PDF", "2023", "4") in [bar[:3] for bar in bars]
    patterns = {status: pattern for *_, status, pattern in bars}
    assert len(set(patterns.values())) == 5
    marks = dict(re.findall(r'<pattern id="status-serie-(\w+)"[^>]*>(.*?)</pattern>', html))
    assert sorted(marks) == sorted(s.value for s in (A, K, P, D, U))
    assert len({body.split("</rect>", 1)[1] for body in marks.values()}) == 5, "a pattern of its own per status"
    legend = re.findall(r"</svg>([^<]+)</li>", html)
    assert legend == [s.label for s in (A, K, P, D, U)]

    # No label is cut: a long one wraps onto a second line; the full text is in the bar's <title>.
    label = "Katalog: feiner untergliedert (neue Einzelleistungen)"
    assert "…" not in "".join(wrapped(label)) and len(wrapped(label)) == 2
    comparison = compare(edited["previous"], edited["round"])
    chart = str(bridge_chart(figures.bridge(edited["org"], comparison)))
    assert f"<title>{label}: " in chart and "…" not in chart


def test_series_and_focus_round_are_chosen_by_the_form(edited, it_office, client):
    client.force_login(it_office)
    html = client.get(dashboard_url(edited["org"], runden=edited["round"].pk)).content.decode()
    tables = page_tables(html)
    assert tables["status"][0] == ["Umsetzungsstatus", "2024"]
    assert "ueberleitung-2023-2024" not in tables
    html = client.get(dashboard_url(edited["org"], runde=edited["previous"].pk)).content.decode()
    assert "einheiten-2023" in page_tables(html)


# --- the demo: the committee table of the StädteRegion and its bridge --------------------------------------------


@pytest.mark.usefixtures("demo")
def test_demo_reproduces_the_committee_table_and_its_bridge_adds_up():
    org = Organisation.objects.get(name="StädteRegion Aachen")
    rounds = [r for r in figures.rounds_of(org) if r.year in (2023, 2024)]
    table = figures.as_reported(org, rounds, figures.status_counts(rounds))
    assert [(row.label, row.values) for row in table.rows] == [
        ("Analog", [125, 126]),
        ("Kein Optimierungspotenzial", [180, 199]),
        ("PDF", [218, 428]),
        ("Digital", [258, 283]),
        ("Projekt in Umsetzung", [54, 151]),
        ("Alle Dienstleistungen", [835, 1187]),
    ]
    comparison = compare(*rounds)
    assert comparison.check()
    kinds = {(e.kind, e.family_name) for e in comparison.effects}
    assert (AUSDIFFERENZIERT, "Jagdschein") in kinds
    assert {kind for kind, family in kinds if family == "Aufenthaltserlaubnis"} >= {AUSDIFFERENZIERT, AUFGETEILT}
    bridge = figures.bridge(org, comparison)
    assert bridge.rows[0].values[-1] == 835 and bridge.rows[-1].values[-1] == 1187
    assert sum(row.values[-1] for row in bridge.rows[1:-1]) == 1187 - 835


@pytest.mark.usefixtures("demo")
def test_demo_ozg_and_project_figures():
    stadt = Organisation.objects.get(name="Stadt Aachen")
    quotas = figures.ozg_tables(stadt, None)[0]
    # The Stadt Aachen's Vorlage: 575 OZG IDs, 209 municipal, 73 implemented, 22 short-term, 15 long-term.
    assert quotas.column("Anzahl")[:5] == [575, 209, 73, 22, 15]
    assert quotas.row("umgesetzt oder kurzfristig geplant").values == [95, 45.5]
    assert quotas.row("umgesetzt oder geplant (kurz- und langfristig)").values == [110, 52.6]
    kreis = Organisation.objects.get(name="StädteRegion Aachen")
    round_2024 = SurveyRound.objects.get(organisation=kreis, year=2024)
    by_state, _listing = figures.project_tables(kreis, round_2024)
    assert by_state.row("Summe").values[0] == 197
    assert by_state.row("Summe").values[1] == Assessment.objects.filter(round=round_2024, status=U).count()


# --- generated data: the bridge adds up and the query count stays put ---------------------------------------------


def generated_dashboard_queries(entries: int) -> tuple[int, bool]:
    """Generate a data set inside a savepoint, count the dashboard's queries, then roll it back."""
    with transaction.atomic():
        call_command(
            "generate_scale", "--organisations", "1", "--entries", str(entries), "--rounds", "3", stdout=StringIO()
        )
        org = Organisation.objects.get(name__startswith="Skalenkreis")
        rounds = list(figures.rounds_of(org))
        adds_up = all(compare(a, b).check() for a, b in consecutive(rounds))
        with CaptureQueriesContext(connection) as queries:
            figures.all_tables(figures.dashboard(org, rounds, rounds[-2]))
        transaction.set_rollback(True)
    return len(queries.captured_queries), adds_up


def test_generated_data_bridge_adds_up_and_queries_do_not_grow_with_rows():
    small, small_adds_up = generated_dashboard_queries(120)
    large, large_adds_up = generated_dashboard_queries(480)
    assert small_adds_up and large_adds_up
    assert small == large


def test_closed_rounds_figures_are_kept_until_a_round_is_reopened_and_changed(edited):
    org, later = edited["org"], edited["round"]
    SurveyRound.objects.filter(pk=later.pk).update(is_closed=True)
    rounds = list(figures.rounds_of(org))

    def run():
        with CaptureQueriesContext(connection) as queries:
            sections = figures.dashboard(org, rounds, rounds[-1])
        return sections, len(queries.captured_queries)

    first, cold = run()
    second, warm = run()
    assert warm < cold
    assert first["series"][0].rows == second["series"][0].rows

    # Reopened, one row edited (every write raises its version), closed again: the kept figures are not used.
    SurveyRound.objects.filter(pk=later.pk).update(is_closed=False)
    row = Assessment.objects.get(round=later, leika_entry__key="99002001001000")
    Assessment.objects.filter(pk=row.pk).update(
        status=K, justification="Rechtlich nicht möglich", version=row.version + 1
    )
    SurveyRound.objects.filter(pk=later.pk).update(is_closed=True)
    rounds = list(figures.rounds_of(org))
    third, _ = run()
    assert third["series"][0].row("Analog").values == [2, 1]
    assert third["series"][0].row("Kein Optimierungspotenzial").values == [0, 1]
    assert third["comparisons"][0]["comparison"].transitions[0] == (A, K, 1)


def test_rounds_on_unrelated_catalogues_are_shown_as_reported_without_a_bridge(edited, it_office, client):
    from .test_carry_over import make_version

    unrelated, entries = make_version("Fremdkatalog", 2025, [("99009001000000", "Fremde Leistung")])
    SurveyRound.objects.filter(organisation=edited["org"]).update(is_closed=True)  # one open round at most
    later = SurveyRound.objects.create(
        organisation=edited["org"],
        year=2025,
        catalogue_version=unrelated,
        maturity_scale=edited["round"].maturity_scale,
    )
    Assessment.objects.create(
        round=later, leika_entry=entries["99009001000000"], department=Assessment.objects.first().department, status=A
    )
    client.force_login(it_office)
    response = client.get(dashboard_url(edited["org"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kein Vergleich auf gleicher Basis möglich" in html and "stammt nicht von" in html
    tables = page_tables(html)
    assert tables["status"][0] == ["Umsetzungsstatus", "2023", "2024", "2025"]
    assert "ueberleitung-2023-2024" in tables and "ueberleitung-2024-2025" not in tables
