"""One shape for every table of the dashboard: shown on the page, drawn as a chart, written to Excel.

A table knows its title, its one header row, its rows of cells and its method note (counting unit, scope,
catalogue version, maturity scale, cut-off date), so the page and every export say the same about how it counts.
"""

from dataclasses import dataclass, field

# How a cell's number is meant: a count, a percentage (0–100, one decimal) or a signed change.
INTEGER = "integer"
PERCENT = "percent"
DELTA = "delta"
POINTS = "points"  # a change of a percentage, in percentage points (one decimal)
TEXT = "text"


@dataclass
class Cell:
    value: int | float | str | None
    kind: str = INTEGER
    link: str = ""

    @property
    def display(self) -> str:
        """The value as the page shows it, German number format; an empty cell is a dash."""
        if self.value is None or self.value == "":
            return "–"
        if self.kind == PERCENT:
            return f"{self.value:.1f} %".replace(".", ",")
        if self.kind == POINTS:
            return (f"{self.value:+.1f}".replace(".", ",").replace("-", "−") + " Pp") if self.value else "±0,0 Pp"
        if self.kind == DELTA:
            return f"{self.value:+d}".replace("-", "−") if self.value else "±0"
        if self.kind == INTEGER:
            return f"{self.value:,d}".replace(",", ".")
        return str(self.value)


@dataclass
class Method:
    """The method note every table and export carries."""

    counting_unit: str
    scope: str
    catalogue: str
    scale: str
    cutoff: str
    remarks: list[str] = field(default_factory=list)

    @property
    def summary(self) -> list[tuple[str, str]]:
        """The note on one line: counting unit, catalogue, scale and cut-off; scope and remarks are in `lines`."""
        return [
            ("Zähleinheit", self.counting_unit),
            ("Katalog", self.catalogue),
            ("Skala", self.scale),
            ("Stichtag", self.cutoff),
        ]

    @property
    def rest(self) -> list[tuple[str, str]]:
        """What the one-line summary leaves out: the scope and the remarks."""
        return [("Umfang", self.scope), *(("Hinweis", remark) for remark in self.remarks)]

    @property
    def lines(self) -> list[tuple[str, str]]:
        pairs = [
            ("Zähleinheit", self.counting_unit),
            ("Umfang", self.scope),
            ("Katalogversion", self.catalogue),
            ("Reifegradskala", self.scale),
            ("Stichtag", self.cutoff),
        ]
        pairs += [("Hinweis", remark) for remark in self.remarks]
        return pairs


@dataclass
class Row:
    label: str
    cells: list[Cell]
    is_total: bool = False

    @property
    def values(self) -> list:
        return [cell.value for cell in self.cells]


@dataclass
class ReportTable:
    """slug names the table in URLs and file names; header[0] labels the row-label column; `sheet` is a short name
    for its sheet in a workbook (at most 31 characters), where the title would be cut."""

    slug: str
    title: str
    header: list[str]
    rows: list[Row]
    method: Method
    caption: str = ""
    sheet: str = ""

    def row(self, label: str) -> Row:
        for row in self.rows:
            if row.label == label:
                return row
        raise KeyError(label)

    def column(self, heading: str) -> list:
        index = self.header.index(heading) - 1
        return [row.cells[index].value for row in self.rows]
