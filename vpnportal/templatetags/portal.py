"""Filters the pages share: ages, rates, SPIs in hex, days-left colours, the re-enroll link."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

register = template.Library()


@register.filter
def age(when: datetime | None) -> str:
    """'42 s', '5 min', '3 h', '2 d' since `when` ('never' when unknown)."""
    if when is None:
        return "never"
    return duration((timezone.now() - when).total_seconds())


@register.filter
def duration(seconds: float | None) -> str:
    """A compact human duration of a number of seconds."""
    if seconds is None:
        return "—"
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 90:
        return f"{sign}{s:.0f} s"
    if s < 90 * 60:
        return f"{sign}{s / 60:.0f} min"
    if s < 36 * 3600:
        return f"{sign}{s / 3600:.0f} h"
    return f"{sign}{s / 86400:.0f} d"


@register.filter
def rate(value: float | None) -> str:
    """Packets per second, short, with the unit: '2.01 pkt/s'."""
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:.0f} pkt/s"
    return f"{value:.2f} pkt/s" if value < 10 else f"{value:.1f} pkt/s"


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


@register.filter
def time_left(when: datetime | None) -> str:
    """Time until `when` in one wording for every page: 'in 10 h', 'in 6 d', '9090 d ago'."""
    if when is None:
        return "—"
    seconds = (when - timezone.now()).total_seconds()
    text = duration(abs(seconds))
    return f"in {text}" if seconds >= 0 else f"{text} ago"
