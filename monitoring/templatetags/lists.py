"""The rows of a list page: its table's rows template, rendered by the engine that holds it (Django's or Jinja2)."""

from django import template
from django.middleware.csrf import get_token
from django.template.backends.django import Template as DjangoTemplate
from django.template.loader import get_template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def table_rows(context, table, rows):
    """`rows` of `table` through `table.rows_template`: a Django template as an {% include %} would render it (in
    this context, with `rows`); a Jinja2 template with `table`, `rows` and `csrf_field`, the token's hidden field made
    once for all rows."""
    found = get_template(table.rows_template)
    if isinstance(found, DjangoTemplate):
        with context.push(rows=rows):
            return found.template.render(context)
    request = context.get("request")
    csrf_field = (
        format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))
        if request is not None
        else ""
    )
    # Jinja2 escaped every value itself (autoescape, settings.TEMPLATES): its markup is safe as it stands.
    return mark_safe(found.render({"table": table, "rows": rows, "csrf_field": csrf_field}))  # noqa: S308
