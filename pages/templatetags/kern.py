"""Template tags that render Django form fields in the markup of the KERN UX design system.

Label, hint and error are tied to the control (for/id, aria-describedby, aria-invalid) so that screen readers
announce them; radio buttons and checkbox groups become a fieldset with a legend.
"""

from django import forms, template

register = template.Library()


def _kind(widget) -> str:
    # CheckboxSelectMultiple is a subclass of RadioSelect, so it must be recognised first.
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkbox-group"
    if isinstance(widget, forms.RadioSelect):
        return "radio"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    return "input"


@register.inclusion_tag("includes/kern_field.html")
def kern_field(field):
    """One form field with label, optional hint and error, e.g. {% kern_field form.email %}."""
    kind = _kind(field.field.widget)
    auto_id = field.auto_id or f"id_{field.html_name}"
    hint_id = f"{auto_id}-hint" if field.help_text else ""
    error_id = f"{auto_id}-error" if field.errors else ""
    described_by = " ".join(part for part in (hint_id, error_id) if part)
    context = {
        "field": field,
        "kind": kind,
        "hint_id": hint_id,
        "error_id": error_id,
        "described_by": described_by,
        "optional": not field.field.required,
    }
    if kind in ("radio", "checkbox-group"):
        values = field.value() if kind == "checkbox-group" else [field.value()]
        selected = {str(value) for value in values or [] if value is not None}
        context["options"] = [
            {
                "id": f"{auto_id}_{index}",
                "value": "" if value is None else str(value),
                "label": label,
                "checked": str(value) in selected,
            }
            for index, (value, label) in enumerate(field.field.choices)
        ]
        context["input_type"] = "radio" if kind == "radio" else "checkbox"
        return context
    attrs = {}
    if described_by:
        attrs["aria-describedby"] = described_by
    if field.errors:
        attrs["aria-invalid"] = "true"
    if kind == "select":
        attrs["class"] = "kern-form-input__select" + (" kern-form-input__select--error" if field.errors else "")
    elif kind == "checkbox":
        attrs["class"] = "kern-form-check__checkbox" + (" kern-form-check__checkbox--error" if field.errors else "")
    else:
        attrs["class"] = "kern-form-input__input" + (" kern-form-input__input--error" if field.errors else "")
    control = _inline_control(field, attrs)
    if control is None:
        context["widget"] = field.as_widget(attrs=attrs)
    else:
        context["control"] = control
    return context


# Widgets whose markup kern_field.html writes itself, as Django's templates would: those render an include per
# option and per set of attributes, which made a filter form cost more than the table below it.
INLINE_TEMPLATES = {
    "select": ("django/forms/widgets/select.html", "django/forms/widgets/select_option.html"),
    "input": ("django/forms/widgets/input.html", None),
}


def _inline_control(field, attrs) -> dict | None:
    """The context Django's own template would get for the field's widget (as BoundField.as_widget builds it), or
    None for a widget with templates of its own."""
    widget = field.field.widget
    kind = "select" if isinstance(widget, forms.Select) else "input"
    template, option_template = INLINE_TEMPLATES[kind]
    if widget.template_name != template or getattr(widget, "option_template_name", None) != option_template:
        return None
    if field.field.localize:
        widget.is_localized = True
    attrs = field.build_widget_attrs(attrs, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    return widget.get_context(field.html_name, field.value(), attrs)["widget"]


@register.inclusion_tag("includes/kern_form_errors.html")
def kern_form_errors(form):
    """A summary above the form: the form-wide errors and a link to every field with an error."""
    return {"form": form, "fields": [field for field in form if field.errors]}
