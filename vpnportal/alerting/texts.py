"""Alert summaries as stored texts: written once by a rule in no language, read in the reader's.

A rule builds its summary with ``vpnportal.translated_text.deferred(...)`` and, where one part of it is a
text of its own (a time span with its plural, a certificate's role, the list of objects of a clock alert),
nests that part: ``nest(outer, left=span_text(delta))``. The nested parts are rendered first, in the same
language, then put into the outer text's placeholder. ``english_text`` is what the English `summary`
column keeps; ``render_text`` is what a page or an email shows (the column when nothing is stored, as for
alerts written before summaries were stored this way).

The stored form is the one of vpnportal/translated_text.py plus a ``nested`` mapping of such texts.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.utils import translation

from vpnportal.translated_text import StoredText, deferred, deferred_plural, render

# Where an alert keeps its stored summary.
SUMMARY_KEY = "summary_text"


def nest(outer: StoredText, **parts: StoredText) -> StoredText:
    """`outer` with texts of their own for some of its placeholders."""
    return {**outer, "nested": {**outer.get("nested", {}), **parts}}


def literal(template: str, **params: Any) -> StoredText:
    """A text that reads the same in every language (only placeholders and punctuation): never in the
    catalogue, rendered as it is."""
    return {"msgid": template, "params": deferred(template, **params)["params"]}


def _with_parts(stored: StoredText, depth: int = 0) -> StoredText:
    """The stored text with its nested parts rendered (in the active language) into its parameters."""
    nested = stored.get("nested")
    if not isinstance(nested, dict) or depth > 4:
        return stored
    params = dict(stored.get("params") or {})
    for name, part in nested.items():
        if isinstance(part, dict):
            params[name] = render(_with_parts(part, depth + 1), "")
    return {**stored, "params": params}


def render_text(stored: Any, fallback: str = "") -> str:
    """The stored text in the active language; `fallback` when there is none or it cannot be read."""
    if not isinstance(stored, dict):
        return fallback
    return render(_with_parts(stored), fallback)


def english_text(stored: StoredText) -> str:
    """The text in English, whatever language is active (what the `summary` column keeps)."""
    with translation.override("en"):
        return render_text(stored, "")


# -- parts many summaries share ------------------------------------------------------------------------
def span(delta: timedelta) -> tuple[str, int]:
    """A span as the unit people say and its count: days (rounded), else hours, else minutes."""
    seconds = delta.total_seconds()
    if seconds >= 86400:
        # Rounded: a certificate valid for 3 days less a second still "expires in 3 days".
        return "day", round(seconds / 86400)
    if seconds >= 3600:
        return "hour", math.floor(seconds / 3600)
    return "minute", max(0, math.floor(seconds / 60))


def span_text(delta: timedelta) -> StoredText:
    """ "12 days", "1 day", "5 hours", "40 minutes", with the plural of the reader's language."""
    unit, n = span(delta)
    if unit == "day":
        return deferred_plural("%(n)s day", "%(n)s days", n)
    if unit == "hour":
        return deferred_plural("%(n)s hour", "%(n)s hours", n)
    return deferred_plural("%(n)s minute", "%(n)s minutes", n)


# A certificate's role as a summary names it ("identity certificate 3B2F").
CERTIFICATE_ROLES: dict[str, StoredText] = {
    "identity": deferred("identity certificate"),
    "ca": deferred("ca certificate"),
    "ra_signature": deferred("ra signature certificate"),
    "ra_encryption": deferred("ra encryption certificate"),
}


def certificate_text(role: str, role_label: str, key: str, name: str) -> StoredText:
    """ "identity certificate 3B2F (CN=r1)": the role in the reader's language, the rest as it is."""
    what = CERTIFICATE_ROLES.get(role) or literal(f"{role_label.lower()} certificate")
    return nest(literal("%(what)s %(key)s%(name)s", key=key, name=f" ({name})" if name else ""), what=what)


def list_text(parts: list[StoredText], more: bool, separator: str = ", ") -> StoredText:
    """Several texts in one, joined by `separator`, with " ..." when some were left out."""
    names = [f"p{i}" for i in range(len(parts))]
    template = separator.join(f"%({name})s" for name in names) + (" ..." if more else "")
    return nest(literal(template), **dict(zip(names, parts, strict=True)))
