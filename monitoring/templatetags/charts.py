"""SVG charts drawn on the server from a ReportTable, always shown beside the table itself.

A chart reads without colour: every bar carries its value as text and a <title> with its full label; a status has the
colour of its badge and a pattern of its own (choices.STATUS_PATTERN) with a legend; negative bars are hatched; long
labels wrap onto further lines instead of being cut, and only what does not fit three lines ends in "…".
"""

from dataclasses import dataclass

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from ..choices import STATUS_PATTERN, Status
from ..report_tables import Cell, ReportTable

register = template.Library()

# Drawn at about its own size where there is room (a chart beside a table has some 600 px), so 15px text stays legible.
LABEL_WIDTH, BAR_WIDTH, VALUE_WIDTH, ROW_HEIGHT = 290, 250, 120, 26
LINE_HEIGHT = 18
# Characters of a 15px label line within LABEL_WIDTH; longer labels wrap onto further lines.
LABEL_CHARS = 33
STATUS_OF_LABEL = {status.label: status.value for status in Status}
# The order of statuses in a stacked bar: from done to not done, so that "Digital" starts at the common baseline.
STACK_ORDER = [Status.DIGITAL, Status.PROJEKT, Status.PDF, Status.KEIN_POTENZIAL, Status.ANALOG, Status.NICHT_GEMELDET]

# The marks of each pattern over the status colour (an 8×8 tile); "solid" and "open" have none.
PATTERN_MARKS = {
    "stripes": ('<line x1="0" y1="0" x2="0" y2="8" class="chart-mark"></line>', ' patternTransform="rotate(45)"'),
    "dots": ('<circle cx="4" cy="4" r="1.7" class="chart-dot"></circle>', ""),
    "lines": ('<line x1="0" y1="4" x2="8" y2="4" class="chart-mark"></line>', ""),
    "grid": ('<path d="M0 0H8M0 0V8" class="chart-mark"></path>', ' patternTransform="rotate(45)"'),
    "solid": ("", ""),
    "open": ("", ""),
}


@dataclass
class Bar:
    label: str
    value: float
    shown: str
    status: str = ""  # a Status value: the bar takes its colour and pattern


def wrapped(label: str, chars: int = LABEL_CHARS, lines: int = 3) -> list[str]:
    """`label` in at most `lines` lines of at most `chars` characters, broken between words; only what does not fit
    ends in "…" (the full label stays in the bar's <title>)."""
    out, current = [], ""
    for word in label.split():
        if current and len(current) + 1 + len(word) > chars:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    out.append(current)
    out = [line if len(line) <= chars else line[: chars - 1] + "…" for line in out]
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: chars - 1].rstrip() + "…"
    return out


def text_lines(css: str, x: float, y: float, lines: list[str], anchor: str = "end"):
    spans = format_html_join(
        "",
        '<tspan x="{}" dy="{}">{}</tspan>',
        ((x, 0 if i == 0 else LINE_HEIGHT, line) for i, line in enumerate(lines)),
    )
    return format_html('<text class="{}" x="{}" y="{}" text-anchor="{}">{}</text>', css, x, y, anchor, spans)


def pattern_id(chart_id: str, status: str) -> str:
    return f"{chart_id}-{status}"


def patterns(chart_id: str, statuses) -> str:
    """<pattern> definitions of the statuses' fills for one chart (ids unique on the page: the chart's id first)."""
    defs = []
    for status in statuses:
        marks, transform = PATTERN_MARKS[STATUS_PATTERN.get(status, "solid")]
        defs.append(
            format_html(
                '<pattern id="{}" width="8" height="8" patternUnits="userSpaceOnUse"{}>'
                '<rect width="8" height="8" class="chart-fill chart-status-{}"></rect>{}</pattern>',
                pattern_id(chart_id, status),
                mark_safe(transform),  # constant markup of PATTERN_MARKS
                status,
                mark_safe(marks),
            )
        )
    return format_html_join("", "{}", ((d,) for d in defs))


def status_fill(chart_id: str, status: str):
    """The class and fill attributes of a bar of `status` (its outline in the status colour keeps a 3:1 contrast
    against the page however light the pattern is)."""
    return format_html(
        'class="chart-bar chart-bar--status chart-status-{}" fill="url(#{})"', status, pattern_id(chart_id, status)
    )


def legend(chart_id: str, statuses) -> str:
    items = format_html_join(
        "",
        '<li><svg class="chart-swatch" viewBox="0 0 18 18" width="18" height="18" aria-hidden="true" focusable="false">'
        '<rect x="1" y="1" width="16" height="16" {}></rect></svg>{}</li>',
        ((status_fill(chart_id, s), Status(s).label) for s in statuses),
    )
    return format_html('<ul class="chart-legend" aria-label="Legende">{}</ul>', items)


def svg(chart_id: str, title: str, width: float, height: float, defs, body) -> str:
    return format_html(
        '<svg class="chart" role="img" aria-labelledby="{id}-title" viewBox="0 0 {w} {h}" width="{w}" '
        'preserveAspectRatio="xMinYMin meet"><title id="{id}-title">{title}</title>'
        '<defs><pattern id="hatch-{id}" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" class="chart-hatch-bg"></rect>'
        '<line x1="0" y1="0" x2="0" y2="6" class="chart-hatch"></line></pattern>{defs}</defs>{body}</svg>',
        id=chart_id,
        w=round(width),
        h=round(height),
        title=title,
        defs=defs,
        body=body,
    )


def bars(items: list[Bar], title: str, chart_id: str) -> str:
    """Horizontal bars, the zero line in the middle if any value is negative; labels on up to three lines. Nothing is
    drawn when every value is zero: the table says that better."""
    if not any(bar.value for bar in items):
        return ""
    largest = max(abs(bar.value) for bar in items) or 1
    signed = any(bar.value < 0 for bar in items)
    zero = LABEL_WIDTH + (BAR_WIDTH / 2 if signed else 0)
    scale = (BAR_WIDTH / 2 if signed else BAR_WIDTH) / largest
    rows, y = [], 5
    for bar in items:
        lines = wrapped(bar.label)
        height = max(ROW_HEIGHT, len(lines) * LINE_HEIGHT + 8)
        middle = y + height / 2
        length = abs(bar.value) * scale
        x = zero - length if bar.value < 0 else zero
        text_x = (x + length + 4) if bar.value >= 0 else (x - 4)
        anchor = "start" if bar.value >= 0 else "end"
        if signed and bar.value < 0 and x - 4 < LABEL_WIDTH + 40:
            text_x, anchor = zero + 4, "start"
        if bar.status:
            fill = status_fill(chart_id, bar.status)
        elif bar.value < 0:
            fill = format_html('class="chart-bar chart-bar--negative" fill="url(#hatch-{})"', chart_id)
        else:
            fill = mark_safe('class="chart-bar"')
        rows.append(
            format_html(
                '<g><title>{}: {}</title>{}<rect {} x="{}" y="{}" width="{}" height="{}"></rect>'
                '<text class="chart-value" x="{}" y="{}" text-anchor="{}">{}</text></g>',
                bar.label,
                bar.shown,
                text_lines("chart-label", LABEL_WIDTH - 8, middle + 5 - (len(lines) - 1) * LINE_HEIGHT / 2, lines),
                fill,
                round(x, 1),
                round(middle - 9, 1),
                round(max(length, 1), 1),
                18,
                round(text_x, 1),
                round(middle + 5, 1),
                anchor,
                bar.shown,
            )
        )
        y += height
    height = y + 5
    axis = format_html('<line class="chart-axis" x1="{0}" x2="{0}" y1="0" y2="{1}"></line>', zero, height)
    statuses = list(dict.fromkeys(bar.status for bar in items if bar.status))
    body = format_html_join("", "{}", ((r,) for r in [*rows, axis]))
    return svg(chart_id, title, LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH, height, patterns(chart_id, statuses), body)


def _number(cell: Cell) -> float:
    return cell.value if isinstance(cell.value, int | float) else 0


@register.simple_tag
def column_chart(table: ReportTable, column: int = 1, skip_totals: bool = True, status: str = ""):
    """One bar per row for the given column (1 = first column after the row label); `status` colours the bars. Rows
    without a value in the column (a quota of the base itself) are left out."""
    rows = [r for r in table.rows if not (skip_totals and r.is_total) and r.cells[column - 1].value is not None]
    items = [Bar(r.label, _number(r.cells[column - 1]), r.cells[column - 1].display, status) for r in rows]
    return bars(items, f"Diagramm: {table.title}, Spalte „{table.header[column]}“", f"{table.slug}-{column}")


# Grouped columns: the drawing area of the status × year chart.
GROUP_WIDTH, GROUP_GAP, PLOT_HEIGHT, TOP, BOTTOM = 600, 24, 190, 26, 34


@register.simple_tag
def series_chart(table: ReportTable):
    """Columns grouped by year (the table's columns), one per status (its rows) in the colour and pattern of the
    status's badge, each with its value above it; a legend names the statuses."""
    rows = [r for r in table.rows if not r.is_total]
    if not any(_number(c) for r in rows for c in r.cells):
        return ""
    chart_id = f"{table.slug}-serie"
    years = table.header[1:]
    statuses = [STATUS_OF_LABEL.get(r.label, "") for r in rows]
    largest = max((_number(c) for r in rows for c in r.cells), default=0) or 1
    group = (GROUP_WIDTH - 16) / len(years)
    width = min(44, (group - GROUP_GAP) / len(rows))
    font = 13 if width >= 34 else 11
    parts = []
    for index, year in enumerate(years):
        left = 8 + index * group + (group - width * len(rows)) / 2
        for number, (row, status) in enumerate(zip(rows, statuses, strict=True)):
            cell = row.cells[index]
            height = _number(cell) / largest * PLOT_HEIGHT
            x = left + number * width
            fill = status_fill(chart_id, status) if status else mark_safe('class="chart-bar"')
            parts.append(
                format_html(
                    '<g><title>{} {}: {}</title><rect {} x="{}" y="{}" width="{}" height="{}"></rect>'
                    '<text class="chart-value chart-value--small" x="{}" y="{}" text-anchor="middle" '
                    'font-size="{}">{}</text></g>',
                    row.label,
                    year,
                    cell.display,
                    fill,
                    round(x + 1, 1),
                    round(TOP + PLOT_HEIGHT - height, 1),
                    round(width - 2, 1),
                    round(max(height, 1), 1),
                    round(x + width / 2, 1),
                    round(TOP + PLOT_HEIGHT - height - 6, 1),
                    font,
                    cell.display,
                )
            )
        parts.append(
            format_html(
                '<text class="chart-label chart-label--group" x="{}" y="{}" text-anchor="middle">{}</text>',
                round(8 + index * group + group / 2, 1),
                TOP + PLOT_HEIGHT + 24,
                year,
            )
        )
    base = TOP + PLOT_HEIGHT
    parts.append(
        format_html('<line class="chart-axis" x1="0" x2="{}" y1="{}" y2="{}"></line>', GROUP_WIDTH, base, base)
    )
    body = format_html_join("", "{}", ((p,) for p in parts))
    present = [s for s in statuses if s]
    drawing = svg(
        chart_id,
        f"Diagramm: {table.title}",
        GROUP_WIDTH,
        TOP + PLOT_HEIGHT + BOTTOM,
        patterns(chart_id, present),
        body,
    )
    return format_html('<div class="chart-with-legend">{}{}</div>', legend(chart_id, present), drawing)


@register.simple_tag
def stacked_chart(table: ReportTable, share_column: str = "Anteil digital"):
    """One bar per row (the total last) split into its statuses' shares, from "Digital" on; the share named by
    `share_column` as text at the bar's end. The statuses are the table's columns headed by a status label."""
    columns = [(i, STATUS_OF_LABEL[h]) for i, h in enumerate(table.header[1:]) if h in STATUS_OF_LABEL]
    if not columns or not table.rows:
        return ""
    columns.sort(key=lambda item: STACK_ORDER.index(item[1]))
    chart_id = f"{table.slug}-anteile"
    share = table.header.index(share_column) - 1 if share_column in table.header else None
    rows, y = [], 5
    for row in table.rows:
        lines = wrapped(row.label)
        height = max(ROW_HEIGHT, len(lines) * LINE_HEIGHT + 8)
        middle = y + height / 2
        total = sum(_number(row.cells[i]) for i, _ in columns) or 1
        x, segments = LABEL_WIDTH, []
        for index, status in columns:
            cell = row.cells[index]
            length = _number(cell) / total * BAR_WIDTH
            if length > 0:
                segments.append(
                    format_html(
                        '<rect {} x="{}" y="{}" width="{}" height="18"><title>{}, {}: {}</title></rect>',
                        status_fill(chart_id, status),
                        round(x, 1),
                        round(middle - 9, 1),
                        round(length, 1),
                        row.label,
                        Status(status).label,
                        cell.display,
                    )
                )
            x += length
        shown = f"{row.cells[share].display} digital" if share is not None else ""
        rows.append(
            format_html(
                '<g class="{}">{}{}<text class="chart-value" x="{}" y="{}" text-anchor="start">{}</text></g>',
                "chart-row chart-row--total" if row.is_total else "chart-row",
                text_lines("chart-label", LABEL_WIDTH - 8, middle + 5 - (len(lines) - 1) * LINE_HEIGHT / 2, lines),
                format_html_join("", "{}", ((s,) for s in segments)),
                LABEL_WIDTH + BAR_WIDTH + 6,
                round(middle + 5, 1),
                shown,
            )
        )
        y += height + (6 if row.is_total else 0)
    present = [status for _, status in columns]
    axis = format_html('<line class="chart-axis" x1="{0}" x2="{0}" y1="0" y2="{1}"></line>', LABEL_WIDTH, y + 5)
    body = format_html_join("", "{}", ((r,) for r in [*rows, axis]))
    drawing = svg(
        chart_id,
        f"Diagramm: {table.title}, Anteile der Umsetzungsstatus je Zeile",
        LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH,
        y + 10,
        patterns(chart_id, present),
        body,
    )
    return format_html('<div class="chart-with-legend">{}{}</div>', legend(chart_id, present), drawing)


@register.simple_tag
def bridge_chart(table: ReportTable):
    """The bridge's steps: catalogue effects by their net change of the total, status changes by the rows moved,
    in the colour and pattern of the status they moved to."""
    items = []
    for row in table.rows:
        if row.is_total:
            continue
        if row.label.startswith("Statuswechsel"):
            moved = max(cell.value for cell in row.cells[:-1])
            target = STATUS_OF_LABEL.get(row.label.rsplit("→", 1)[-1].strip(), "")
            items.append(Bar(row.label, moved, f"{moved} verschoben", target))
        else:
            items.append(Bar(row.label, _number(row.cells[-1]), row.cells[-1].display))
    return bars(items, f"Diagramm: {table.title}", f"{table.slug}-schritte")
