"""Filters the pages share: ages, rates, SPIs in hex, days-left colours, the re-enroll link."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext_lazy, pgettext, pgettext_lazy

register = template.Library()


@register.filter
def age(when: datetime | None) -> str:
    """'42 s', '5 min', '3 h', '2 d' since `when` ('never' when unknown)."""
    if when is None:
        return gettext("never")
    return duration((timezone.now() - when).total_seconds())


@register.filter
def ago(when: datetime | None) -> str:
    """The whole phrase of a past moment in the active language: '3 h ago', '3 時間前' ('never' when unknown)."""
    if when is None:
        return gettext("never")
    return _phrase((timezone.now() - when).total_seconds(), AGO)


@register.filter
def until(when: datetime | None) -> str:
    """Time until `when` in one wording for every page: 'in 10 h', 'in 6 d', '9090 d ago' (and in Japanese)."""
    if when is None:
        return "—"
    seconds = (when - timezone.now()).total_seconds()
    return _phrase(abs(seconds), AHEAD if seconds >= 0 else AGO)


# The templates written before `until` existed call it by its old name.
time_left = register.filter("time_left", until)


@register.filter
def duration(seconds: float | None) -> str:
    """A compact human duration of a number of seconds."""
    if seconds is None:
        return "—"
    return _phrase(seconds, BARE)


# One compact unit per size of duration: s, min, h, d. Each wording is an ngettext pair chosen by the
# figure shown ("count"), so a language with plural forms gets them right; "n" is that figure with its sign.
BARE = {
    "s": ngettext_lazy("%(n)s s", "%(n)s s", "count"),
    "min": ngettext_lazy("%(n)s min", "%(n)s min", "count"),
    "h": ngettext_lazy("%(n)s h", "%(n)s h", "count"),
    "d": ngettext_lazy("%(n)s d", "%(n)s d", "count"),
}
AGO = {
    "s": ngettext_lazy("%(n)s s ago", "%(n)s s ago", "count"),
    "min": ngettext_lazy("%(n)s min ago", "%(n)s min ago", "count"),
    "h": ngettext_lazy("%(n)s h ago", "%(n)s h ago", "count"),
    "d": ngettext_lazy("%(n)s d ago", "%(n)s d ago", "count"),
}
AHEAD = {
    "s": ngettext_lazy("in %(n)s s", "in %(n)s s", "count"),
    "min": ngettext_lazy("in %(n)s min", "in %(n)s min", "count"),
    "h": ngettext_lazy("in %(n)s h", "in %(n)s h", "count"),
    "d": ngettext_lazy("in %(n)s d", "in %(n)s d", "count"),
}


@register.filter
def days_list(days: list[int]) -> str:
    """A list of day counts in the active language: '30 d, 7 d' (the certificates' warning thresholds)."""
    separator = pgettext("list separator", ", ")
    return separator.join(str(BARE["d"] % {"count": int(d), "n": int(d)}) for d in days)


def _phrase(seconds: float, wording: dict[str, Any]) -> str:
    """`seconds` rounded in its unit and worded: under 90 s in seconds, under 90 min in minutes, under
    36 h in hours, else days (a negative figure keeps its sign)."""
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 90:
        unit, count = "s", s
    elif s < 90 * 60:
        unit, count = "min", s / 60
    elif s < 36 * 3600:
        unit, count = "h", s / 3600
    else:
        unit, count = "d", s / 86400
    shown = f"{count:.0f}"
    return str(wording[unit] % {"count": int(shown), "n": f"{sign}{shown}"})


@register.filter
def rate(value: float | None) -> str:
    """Packets per second, short, with the unit: '2.01 pkt/s'."""
    if value is None:
        return "—"
    shown = f"{value:.0f}" if value >= 100 else f"{value:.2f}" if value < 10 else f"{value:.1f}"
    return gettext("%(rate)s pkt/s") % {"rate": shown}


@register.filter
def spi(value: int | None) -> str:
    """An SPI as the device prints it: 0xD740971C."""
    if value is None:
        return "—"
    return f"0x{value:08X}"


@register.filter
def days_left(when: datetime | None) -> float | None:
    """Days from now until `when` (negative once past)."""
    if when is None:
        return None
    return (when - timezone.now()).total_seconds() / 86400


@register.filter
def days_class(days: float | None) -> str:
    """CSS class of a days-left figure: expired and under a week red, under a month amber."""
    if days is None:
        return "muted"
    if days < 0:
        return "expired"
    if days < 7:
        return "bad"
    if days < 30:
        return "warn"
    return "ok"


@register.filter
def hours_class(hours: float | None) -> str:
    """CSS class of a CRL's hours to NextUpdate: past red, within a day amber."""
    if hours is None:
        return "muted"
    if hours < 0:
        return "expired"
    if hours < 24:
        return "warn"
    return "ok"


@register.filter
def hours_left(when: datetime | None) -> float | None:
    """Hours from now until `when`."""
    if when is None:
        return None
    return (when - timezone.now()).total_seconds() / 3600


@register.filter
def skew_class(seconds: float | str | None) -> str:
    """CSS class of a clock skew: over a minute amber, over an hour red."""
    # A device never polled has no state row: the template hands over its empty string, not a number.
    if seconds is None or isinstance(seconds, str):
        return "muted"
    if abs(seconds) >= 3600:
        return "bad"
    if abs(seconds) >= 60:
        return "warn"
    return "ok"


@register.filter
def heartbeat_class(when: datetime | None) -> str:
    """Tile class of a heartbeat: beat sends one a minute, so five silent minutes mean no worker."""
    if when is None:
        return "bad"
    seconds = (timezone.now() - when).total_seconds()
    if seconds > 300:
        return "bad"
    return "warn" if seconds > 120 else "good"


@register.filter
def plain_value(value: Any) -> str:
    """A decoded X.509 value for a table cell: lists joined, mappings as JSON, scalars as they are."""
    if isinstance(value, list | tuple):
        return ", ".join(plain_value(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    return "" if value is None else str(value)


@register.filter
def pretty_json(value: Any) -> str:
    """Indented JSON for <pre> blocks."""
    return json.dumps(value, indent=2, sort_keys=True, default=str)


@register.simple_tag
def enroll_url(device: Any, trustpoint: str = "") -> str:
    """The re-enroll page, with the device and trustpoint filled in."""
    query = urlencode({"device": device.pk, "trustpoint": trustpoint})
    return f"{reverse('pki:enroll')}?{query}"


@register.filter
def split_words(value: str) -> list[str]:
    """'a b c' as ['a', 'b', 'c'], for short literal lists in templates."""
    return str(value).split()


# The raw values of the status enums that pages show in badges (poll, tunnel, enrollment, certificate, alert
# state and severity), worded as English shows them today: the value itself. The CSS class keeps the raw
# value; the text is this label in the active language. A value not listed is shown as it is.
STATUS_LABELS = {
    "running": pgettext_lazy("status", "running"),
    "ok": pgettext_lazy("status", "ok"),
    "partial": pgettext_lazy("status", "partial"),
    "failed": pgettext_lazy("status", "failed"),
    "up": pgettext_lazy("status", "up"),
    "down": pgettext_lazy("status", "down"),
    "degraded": pgettext_lazy("status", "degraded"),
    "unknown": pgettext_lazy("status", "unknown"),
    "queued": pgettext_lazy("status", "queued"),
    "pending": pgettext_lazy("status", "pending"),
    "granted": pgettext_lazy("status", "granted"),
    "available": pgettext_lazy("status", "available"),
    "other": pgettext_lazy("status", "other"),
    "firing": pgettext_lazy("status", "firing"),
    "resolved": pgettext_lazy("status", "resolved"),
    "critical": pgettext_lazy("status", "critical"),
    "warning": pgettext_lazy("status", "warning"),
    "info": pgettext_lazy("status", "info"),
}


@register.filter
def status_label(value: Any) -> str:
    """The text of a status badge in the active language ('up' -> 'アップ'); the raw value stays the class."""
    label = STATUS_LABELS.get(str(value))
    return str(value) if label is None else str(label)
