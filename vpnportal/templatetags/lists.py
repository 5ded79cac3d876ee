"""Template tags of the list pages (vpnportal/lists.py): column headers that sort the whole list."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from vpnportal.lists import ORDERING

register = template.Library()


def _sort(context: dict[str, Any], field: str) -> tuple[str, str, str]:
    """(aria-sort value, the link's query string, the arrow) for a column sorted by `field`."""
    listing = context["listing"]
    current = listing.ordering
    ascending = current == field
    descending = current == f"-{field}"
    params = listing.params.copy()
    params[ORDERING] = f"-{field}" if ascending else field
    sort = "ascending" if ascending else "descending" if descending else "none"
    arrow = " ▲" if ascending else " ▼" if descending else ""
    return sort, params.urlencode(), arrow


@register.simple_tag(takes_context=True)
def sort_header(context: dict[str, Any], field: str, label: str, css: str = "") -> SafeString:
    """A `<th>` whose link sorts the whole list by `field` (server-side), toggling the direction."""
    sort, query, arrow = _sort(context, field)
    return format_html(
        '<th class="sort {}" aria-sort="{}"><a href="?{}" data-ordering="{}">{}{}</a></th>',
        css,
        sort,
        query,
        field,
        label,
        arrow,
    )


@register.simple_tag(takes_context=True)
def sort_link(context: dict[str, Any], field: str, label: str) -> SafeString:
    """The same as a link alone, for lists whose table is a shared include (alerts, tunnels)."""
    sort, query, arrow = _sort(context, field)
    return format_html(
        '<a class="sort" aria-sort="{}" href="?{}" data-ordering="{}">{}{}</a>',
        sort,
        query,
        field,
        label,
        arrow,
    )
