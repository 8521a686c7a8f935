"""Django's form renderer, with the plain input and select widgets written out in Python (settings.FORM_RENDERER).

Every field on a page goes through Django's widget templates: a select with 20 options is 20 template
includes, and the workbench's filter form alone was about a quarter of the page's rendering time. For the
stock templates of the common widgets (``django/forms/widgets/input.html`` and the types that only include
it, ``select.html`` with ``select_option.html``) this renderer builds the same HTML directly: the same
attributes in the same order, the same escaping, the same whitespace, so labels, ids, aria attributes and
the selected state are unchanged (tests/latency/test_forms_renderer.py compares both outputs). Anything
else, and any value the template would localize (a number or a date as an option label), goes to the
templates as before.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

_INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("input", "text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "tel")
    + ("search", "checkbox", "color")
)
_SELECT = "django/forms/widgets/select.html"
_OPTION = "django/forms/widgets/select_option.html"


class _Fallback(Exception):
    """The value is one the template would render differently (localized): let the template do it."""


def _text(value: Any) -> str:
    """{{ value }} for a string (a label, a name): escaped unless safe. Anything else: the template's job."""
    if isinstance(value, (str, Promise)):
        return conditional_escape(value)
    raise _Fallback


def _formatted(value: Any) -> str:
    """{{ value|stringformat:'s' }}: "%s" % value, escaped unless the value was safe (stringformat is_safe)."""
    if isinstance(value, tuple):
        raise _Fallback
    text = "%s" % value  # noqa: UP031 - what the stringformat filter does
    return text if isinstance(value, SafeData) else conditional_escape(text)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"')
    return "".join(out)


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_formatted(widget["value"])}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _select(widget: dict) -> str:
    out = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != _OPTION:
                raise _Fallback
            out.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"  # the option template's own last line break
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


class FastWidgetRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is not None and (template_name in _INPUTS or template_name == _SELECT):
            try:
                return mark_safe(_select(widget) if template_name == _SELECT else _input(widget))
            except _Fallback:
                pass
        return super().render(template_name, context, request=request)
