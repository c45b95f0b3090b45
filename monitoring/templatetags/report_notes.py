"""Template tags for the method notes of the dashboard's tables: one line each, the rest behind a disclosure, and a
note identical to an earlier table's in the same section only referred to, not repeated."""

from django import template

from ..report_tables import TEXT, ReportTable

register = template.Library()


@register.simple_tag
def same_method(tables: list[ReportTable], index: int) -> str:
    """The title of the first table before tables[index] with the very same method note, else ""."""
    method = tables[index].method
    return next((table.title for table in tables[:index] if table.method == method), "")


@register.filter
def text_columns(table: ReportTable) -> set[int]:
    """The indexes (in the header) of the columns that hold text rather than numbers: aligned left, not right."""
    if not table.rows:
        return set()
    return {index + 1 for index, cell in enumerate(table.rows[0].cells) if cell.kind == TEXT}
