"""A finding's texts for people: kept in their deferred form when stored, shown in the reader's language.

The rules write titles and remarks as Phrases (devices.diagnosis.model): English that keeps its deferred
form. `Finding.title`, `evidence` and `fix` keep the English (the API and search read them); `texts` keeps
the deferred forms beside them, and the pages render them with vpnportal.translated_text.render. Device
lines and commands have no deferred form: they are shown as printed, in every language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from devices.diagnosis.model import deferred_form
from devices.redact import redact_text
from vpnportal.translated_text import StoredText, english, render

TITLE = "title"
EVIDENCE = "evidence"
FIX = "fix"


def _masked(stored: StoredText) -> StoredText:
    """The deferred form with its text parameters redacted, as the English column is."""
    params = {k: redact_text(v) if isinstance(v, str) else v for k, v in (stored.get("params") or {}).items()}
    return {**stored, "params": params}


def _kept(text: str, shown: str) -> StoredText | None:
    """The deferred form of text, when it still reads, in English, exactly as the stored English `shown`
    (masked and cut the same way): otherwise the English is all there is."""
    stored = deferred_form(text)
    if stored is None:
        return None
    stored = _masked(stored)
    return stored if english(stored) == shown else None


def stored_texts(
    title: str,
    evidence: Sequence[str],
    fix: Sequence[str],
    stored_title: str,
    stored_evidence: Sequence[str],
    stored_fix: Sequence[str],
) -> dict[str, Any]:
    """The `texts` of a Finding row: the deferred title, and per evidence/fix line its deferred form or
    None (a device line, a command). `stored_*` are the English values as the row keeps them."""
    out: dict[str, Any] = {}
    kept_title = _kept(title, stored_title)
    if kept_title is not None:
        out[TITLE] = kept_title
    for key, lines, shown in ((EVIDENCE, evidence, stored_evidence), (FIX, fix, stored_fix)):
        if len(lines) != len(shown):
            continue
        forms = [_kept(line, text) for line, text in zip(lines, shown, strict=True)]
        if any(form is not None for form in forms):
            out[key] = forms
    return out


def shown_title(texts: Any, title: str) -> str:
    """The title in the active language; the English column when there is no deferred form (findings
    stored before there were)."""
    return render(texts.get(TITLE) if isinstance(texts, dict) else None, fallback=title)


def shown_lines(texts: Any, key: str, lines: Sequence[str]) -> list[str]:
    """Evidence or fix lines with their remarks in the active language, device lines and commands as stored."""
    forms = texts.get(key) if isinstance(texts, dict) else None
    if not isinstance(forms, list) or len(forms) != len(lines):
        return list(lines)
    return [render(form, fallback=line) if form else line for form, line in zip(forms, lines, strict=True)]
