"""The words the alert pages print as they are stored (severity, state, news, delivery status), in the
reader's language. Relative times (`{{ when|ago }}`) are the pages' own filter, in portal.py.
"""

from __future__ import annotations

from django import template
from django.utils.translation import pgettext_lazy

register = template.Library()


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
