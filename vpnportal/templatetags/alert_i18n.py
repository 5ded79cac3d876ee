"""`{{ when|ago }}` for the alert templates: "3 h ago" in English (what `{{ when|age }} ago` printed),
"3 時間前" in Japanese, with the plural of the reader's language.

The pages' own relative-time filter (vpnportal/templatetags/portal.py) takes this place once it has one:
this library is the alert pages' until then, with the same name and the same English.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext_lazy

register = template.Library()


@register.filter
def ago(when: datetime | None) -> str:
    """How long ago `when` was: '42 s ago', '5 min ago', '3 h ago', '2 d ago' ('never' when unknown)."""
    if when is None:
        return gettext("never")
    seconds = (timezone.now() - when).total_seconds()
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 90:
        n = int(f"{s:.0f}")
        text = ngettext("%(n)s s ago", "%(n)s s ago", n)
    elif s < 90 * 60:
        n = int(f"{s / 60:.0f}")
        text = ngettext("%(n)s min ago", "%(n)s min ago", n)
    elif s < 36 * 3600:
        n = int(f"{s / 3600:.0f}")
        text = ngettext("%(n)s h ago", "%(n)s h ago", n)
    else:
        n = int(f"{s / 86400:.0f}")
        text = ngettext("%(n)s d ago", "%(n)s d ago", n)
    return text % {"n": f"{sign}{n}"}


# The lowercase words the alert pages print as they are stored (severity, state, tab, news, delivery
# status): the English is the value itself, so the pages read as before.
WORDS = {
    "critical": pgettext_lazy("alert word", "critical"),
    "warning": pgettext_lazy("alert word", "warning"),
    "info": pgettext_lazy("alert word", "info"),
    "pending": pgettext_lazy("alert word", "pending"),
    "firing": pgettext_lazy("alert word", "firing"),
    "unknown": pgettext_lazy("alert word", "unknown"),
    "resolved": pgettext_lazy("alert word", "resolved"),
    "open": pgettext_lazy("alert word", "open"),
    "acknowledged": pgettext_lazy("alert word", "acknowledged"),
    "silenced": pgettext_lazy("alert word", "silenced"),
    "opened": pgettext_lazy("alert word", "opened"),
    "fired": pgettext_lazy("alert word", "fired"),
    "worse": pgettext_lazy("alert word", "worse"),
    "reminder": pgettext_lazy("alert word", "reminder"),
    "back": pgettext_lazy("alert word", "back"),
    "superseded": pgettext_lazy("alert word", "superseded"),
    "queued": pgettext_lazy("alert word", "queued"),
    "sending": pgettext_lazy("alert word", "sending"),
    "sent": pgettext_lazy("alert word", "sent"),
    "failed": pgettext_lazy("alert word", "failed"),
}


@register.filter
def alert_word(value: str) -> str:
    """A stored word (critical, firing, resolved...) in the active language; anything else as it is."""
    word = WORDS.get(value)
    return str(word) if word is not None else value


@register.filter
def alert_words(values: list[str]) -> str:
    """Several stored words, in the active language, joined by ", " (the news an alert's channel carried)."""
    return ", ".join(alert_word(value) for value in values)
