"""SVG bar charts drawn on the server from a ReportTable: every bar carries its label and value as text, so the
chart reads without colour; negative bars are hatched. The table itself is always shown beside the chart."""

from django import template
from django.utils.html import format_html, format_html_join

from ..report_tables import Cell, ReportTable

register = template.Library()

LABEL_WIDTH, BAR_WIDTH, VALUE_WIDTH, ROW_HEIGHT = 400, 340, 110, 26
LABEL_CHARS = 46


def bars(items: list[tuple[str, float, str]], title: str, chart_id: str) -> str:
    """Horizontal bars, zero line in the middle if any value is negative."""
    if not items:
        return ""
    largest = max(abs(value) for _, value, _ in items) or 1
    signed = any(value < 0 for _, value, _ in items)
    zero = LABEL_WIDTH + (BAR_WIDTH / 2 if signed else 0)
    scale = (BAR_WIDTH / 2 if signed else BAR_WIDTH) / largest
    height = ROW_HEIGHT * len(items) + 10
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    rows = []
    for index, (label, value, shown) in enumerate(items):
        y = 5 + index * ROW_HEIGHT
        length = abs(value) * scale
        x = zero - length if value < 0 else zero
        css = "chart-bar chart-bar--negative" if value < 0 else "chart-bar"
        text_x = (x + length + 4) if value >= 0 else (x - 4)
        anchor = "start" if value >= 0 else "end"
        if signed and value < 0 and x - 4 < LABEL_WIDTH + 40:
            text_x, anchor = zero + 4, "start"
        rows.append(
            format_html(
                '<g><text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect class="{}" x="{}" y="{}" width="{}" height="{}"{}></rect>'
                '<text class="chart-value" x="{}" y="{}" text-anchor="{}">{}</text></g>',
                LABEL_WIDTH - 8,
                y + 17,
                label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…",
                css,
                round(x, 1),
                y + 3,
                round(max(length, 1), 1),
                ROW_HEIGHT - 8,
                format_html(' fill="url(#hatch-{})"', chart_id) if value < 0 else "",
                round(text_x, 1),
                y + 17,
                anchor,
                shown,
            )
        )
    axis = format_html('<line class="chart-axis" x1="{0}" x2="{0}" y1="0" y2="{1}"></line>', zero, height)
    return format_html(
        '<svg class="chart" role="img" aria-labelledby="{id}-title" viewBox="0 0 {w} {h}" width="100%" '
        'preserveAspectRatio="xMinYMin meet"><title id="{id}-title">{title}</title>'
        '<defs><pattern id="hatch-{id}" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" class="chart-hatch-bg"></rect>'
        '<line x1="0" y1="0" x2="0" y2="6" class="chart-hatch"></line></pattern></defs>{rows}{axis}</svg>',
        id=chart_id,
        w=width,
        h=height,
        title=title,
        rows=format_html_join("", "{}", ((r,) for r in rows)),
        axis=axis,
    )


def _number(cell: Cell) -> float:
    return cell.value if isinstance(cell.value, int | float) else 0


@register.simple_tag
def column_chart(table: ReportTable, column: int = 1, skip_totals: bool = True):
    """One bar per row for the given column (1 = first column after the row label)."""
    rows = [r for r in table.rows if not (skip_totals and r.is_total)]
    items = [(r.label, _number(r.cells[column - 1]), r.cells[column - 1].display) for r in rows]
    return bars(items, f"Diagramm: {table.title}, Spalte „{table.header[column]}“", f"{table.slug}-{column}")


@register.simple_tag
def series_chart(table: ReportTable):
    """A bar per row and column (e.g. status × year), grouped by row."""
    rows = [r for r in table.rows if not r.is_total]
    items = [
        (f"{r.label} {table.header[i + 1]}", _number(cell), cell.display)
        for r in rows
        for i, cell in enumerate(r.cells)
    ]
    return bars(items, f"Diagramm: {table.title}", f"{table.slug}-serie")


@register.simple_tag
def bridge_chart(table: ReportTable):
    """The bridge's steps: catalogue effects by their net change of the total, status changes by the rows moved."""
    items = []
    for row in table.rows:
        if row.is_total:
            continue
        if row.label.startswith("Statuswechsel"):
            moved = max(cell.value for cell in row.cells[:-1])
            items.append((row.label, moved, f"{moved} verschoben"))
        else:
            items.append((row.label, _number(row.cells[-1]), row.cells[-1].display))
    return bars(items, f"Diagramm: {table.title}", f"{table.slug}-schritte")
