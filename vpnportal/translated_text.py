"""Texts that are stored now and read later, in the reader's language.

An alert summary or a finding title is written once, by a worker that has no reader, and read many
times: on a Japanese page, in an English email, through the API. So the writer stores the message id and
its parameters (``deferred(...)``), and each reader renders it in the active language
(``render(...)``), falling back to the English text stored beside it.

``deferred`` and ``deferred_plural`` are xgettext keywords (see vpnportal/management/commands/
makemessages.py), so their first argument(s) land in the catalogue like any ``gettext`` call.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, ngettext

# A stored text: {"msgid": ..., "params": {...}} or {"msgid": ..., "plural": ..., "n": ..., "params": ...}.
StoredText = dict[str, Any]


def deferred(msgid: str, **params: Any) -> StoredText:
    """A text to render later: the English message id with %(name)s placeholders, and its values."""
    return {"msgid": msgid, "params": _plain(params)}


def deferred_plural(singular: str, plural: str, n: int, **params: Any) -> StoredText:
    """A text with a count, rendered later with the plural form of the reader's language."""
    return {"msgid": singular, "plural": plural, "n": int(n), "params": _plain({"n": int(n), **params})}


def english(stored: StoredText) -> str:
    """The text in English, whatever language is active: what the plain text column keeps."""
    template = _english_template(stored)
    params = {k: english(v) if _is_stored(v) else v for k, v in (stored.get("params") or {}).items()}
    return _format(template, params, None) or template


def render(stored: StoredText | None, fallback: str = "") -> str:
    """The stored text in the active language; the fallback (the English column) when there is none or
    when the stored form is not one this code knows (older rows, a hand-edited value)."""
    if not isinstance(stored, dict) or not isinstance(stored.get("msgid"), str):
        return fallback
    params = stored.get("params") or {}
    if not isinstance(params, dict):
        return fallback
    # A parameter may itself be a stored text (an alert quoting a finding's title): it renders too.
    params = {k: render(v, english(v)) if _is_stored(v) else v for k, v in params.items()}
    if "plural" in stored:
        try:
            template = ngettext(stored["msgid"], stored["plural"], int(stored.get("n", 0)))
        except (TypeError, ValueError):
            return fallback
    else:
        template = gettext(stored["msgid"])
    text = _format(template, params, None)
    if text is None:
        # A translation whose placeholders do not match: English is better than nothing.
        text = _format(_english_template(stored), params, None)
    return fallback if text is None else text


def _english_template(stored: StoredText) -> str:
    if "plural" in stored:
        return stored["msgid"] if int(stored.get("n", 0)) == 1 else stored["plural"]
    return stored["msgid"]


def _format(template: str, params: dict[str, Any], default: str | None) -> str | None:
    if not params:
        return template
    try:
        return template % params
    except (KeyError, TypeError, ValueError):
        return default


def _is_stored(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("msgid"), str)


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as JSON keeps them: numbers, text and stored texts; anything else (dates, lazy texts)
    as its str()."""
    return {
        k: v if isinstance(v, (int, float, str, bool)) or v is None or _is_stored(v) else str(v)
        for k, v in params.items()
    }
