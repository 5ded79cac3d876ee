"""An alert event's note in the reader's language.

`AlertEvent.note` is English text written by `evaluate` and `actions` ("worse: within 7 days",
"still firing since 2026-12-03 09:00 UTC", "acknowledged by alice: change 42"). The notes come in the
few forms below, so a page or an email renders each form in the active language and keeps anything else
(an older or unknown note) as it was written. English is the note itself, unchanged.
"""

from __future__ import annotations

import re

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import npgettext, pgettext, pgettext_lazy

from vpnportal.choices import Severity

FIXED: dict[str, Promise] = {
    "condition seen": pgettext_lazy("alert event note", "condition seen"),
    "fired": pgettext_lazy("alert event note", "fired"),
    "device answers again": pgettext_lazy("alert event note", "device answers again"),
    "device unreachable": pgettext_lazy("alert event note", "device unreachable"),
    "resolved": pgettext_lazy("alert event note", "resolved"),
    "resolved: superseded": pgettext_lazy("alert event note", "resolved: superseded"),
    "resolved: device disabled": pgettext_lazy("alert event note", "resolved: device disabled"),
    "still firing (not announced before: it fired during a maintenance window)": pgettext_lazy(
        "alert event note", "still firing (not announced before: it fired during a maintenance window)"
    ),
}
WORSE_RE = re.compile(r"^worse: (?P<reasons>.+)$")
SEVERITY_RE = re.compile(r"^severity (?P<old>\w+) -> (?P<new>\w+)$")
WITHIN_RE = re.compile(r"^within (?P<n>\d+) days?$")
SINCE_RE = re.compile(r"^still firing since (?P<when>.+) UTC$")
# A username has no colon (Django's validator): what follows ": " is the operator's own note.
ACKNOWLEDGED_RE = re.compile(r"^acknowledged by (?P<who>[^:]*?)(?:: (?P<note>.*))?$", re.S)


def _severity(value: str) -> str:
    return str(Severity(value).label) if value in Severity.values else value


def _reason(reason: str) -> str | None:
    match = SEVERITY_RE.match(reason)
    if match:
        return pgettext("alert event note", "severity %(old)s -> %(new)s") % {
            "old": _severity(match["old"]),
            "new": _severity(match["new"]),
        }
    match = WITHIN_RE.match(reason)
    if match:
        n = int(match["n"])
        return npgettext("alert event note", "within %(n)s day", "within %(n)s days", n) % {"n": n}
    return None


def note_text(note: str) -> str:
    """The note in the active language; as written when it is English or of no known form."""
    if (translation.get_language() or "en").split("-")[0] == "en":
        return note
    if note in FIXED:
        return str(FIXED[note])
    match = WORSE_RE.match(note)
    if match:
        reasons = [_reason(part) for part in match["reasons"].split(", ")]
        if all(reasons):
            joined = pgettext("alert event note", ", ").join(r for r in reasons if r)
            return pgettext("alert event note", "worse: %(reasons)s") % {"reasons": joined}
        return note
    match = SINCE_RE.match(note)
    if match:
        return pgettext("alert event note", "still firing since %(when)s UTC") % {"when": match["when"]}
    match = ACKNOWLEDGED_RE.match(note)
    if match:
        if match["note"]:
            return pgettext("alert event note", "acknowledged by %(who)s: %(note)s") % {
                "who": match["who"],
                "note": match["note"],
            }
        return pgettext("alert event note", "acknowledged by %(who)s") % {"who": match["who"]}
    return note
