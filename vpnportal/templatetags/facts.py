"""A readable, structured view of parsed configuration facts (nested dicts and lists) instead of raw JSON."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()

# Deeper structures than this are shown as text: the view must stay a page, not a tree browser.
MAX_DEPTH = 4


def _label(key: Any) -> str:
    return str(key).replace("_", " ")


def _scalar(value: Any) -> SafeString:
    if value is None:
        return mark_safe('<span class="muted">—</span>')
    if value is True:
        return format_html('<span class="ok">{}</span>', gettext("yes"))
    if value is False:
        return format_html('<span class="muted">{}</span>', gettext("no"))
    return format_html("{}", value)


def _none() -> SafeString:
    return format_html('<span class="muted">{}</span>', gettext("none"))


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list | tuple)


def _cell(value: Any, depth: int) -> SafeString:
    if _is_scalar(value):
        return _scalar(value)
    if isinstance(value, list | tuple) and all(_is_scalar(v) for v in value):
        if not value:
            return _none()
        return format_html_join(", ", "{}", ((_scalar(v),) for v in value))
    if depth >= MAX_DEPTH:
        return format_html("<code>{}</code>", str(value))
    return render_facts(value, depth + 1)


def _table_of_rows(rows: list[dict[str, Any]], depth: int) -> SafeString:
    """A list of mappings as one table: a column per key, in first-seen order."""
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    head = format_html_join("", "<th>{}</th>", ((_label(c),) for c in columns))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (format_html_join("", "<td>{}</td>", ((_cell(row.get(c), depth),) for c in columns)),)
            for row in rows
        ),
    )
    return format_html(
        '<div class="table-scroll"><table class="compact facts-rows"><thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>',
        head,
        body,
    )


def render_facts(value: Any, depth: int = 0) -> SafeString:
    """HTML of a facts structure: mappings as key/value tables, lists of mappings as tables, scalars escaped."""
    if isinstance(value, dict):
        if not value:
            return _none()
        rows = format_html_join(
            "", "<tr><th>{}</th><td>{}</td></tr>", ((_label(k), _cell(v, depth)) for k, v in value.items())
        )
        return format_html('<table class="kv facts">{}</table>', rows)
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, dict) for v in value):
            return _table_of_rows(list(value), depth)
        return format_html(
            '<ul class="plain">{}</ul>',
            format_html_join("", "<li>{}</li>", ((_cell(v, depth),) for v in value)),
        )
    return _scalar(value)


@register.filter
def facts_view(value: Any) -> SafeString:
    """Configuration facts as nested tables (see render_facts)."""
    return render_facts(value)


@register.filter
def facts_groups(value: Any) -> dict[str, Any]:
    """Split top-level facts: the scalars for one table, each structure as (label, count, html) for its own block."""
    if not isinstance(value, dict):
        return {"scalars": {}, "groups": []}
    scalars = {
        k: v
        for k, v in value.items()
        if _is_scalar(v) or (isinstance(v, dict) and all(_is_scalar(x) for x in v.values()))
    }
    groups = [(_label(k), len(v), render_facts(v, 1)) for k, v in value.items() if k not in scalars]
    return {"scalars": render_facts(scalars), "groups": groups}
