"""`show clock` on IOS, PIX and ASA (`*` / `.` prefixes, milliseconds or not, zone or none)."""

from __future__ import annotations

import re
from typing import Any, cast

from devices.parsers.common import (
    TIME_RE,
    TWO_DIGITS,
    ZONE_OFFSETS,
    Context,
    Fields,
    clean_lines,
    date_text,
    detect_error,
    error_result,
    iso_time,
    offset_suffix,
    result,
)
from devices.parsers.wraps import rejoins_wrapped_lines

# The CPU load line `show` commands print with `exec prompt timestamp`; read whole (a cut one warns).
_LOAD = re.compile(r"^Load for five secs: \d{1,3}%/\d{1,3}%; one minute: \d{1,3}%; five minutes: \d{1,3}%$")
_SOURCE = re.compile(r"^\s*Time source is ([\w ]{1,40}?),\s*(.*)$")
_DAYS = frozenset(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))
_MONTH_NAMES = frozenset(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"))
# Words TIME_RE refuses as a zone (its look-ahead), in any case.
_NOT_ZONES = frozenset(word.lower() for word in _DAYS | _MONTH_NAMES)


# The usual clock line in plain ASCII with one space between words. Where it matches, TIME_RE reads the
# same fields unless the zone is a day or month name (its look-ahead refuses those): _plain_clock checks
# that, and the caller falls back on TIME_RE for everything else. One strict regex instead of TIME_RE's
# case-insensitive alternations and look-ahead (`show clock` is polled on every device every cycle).
_PLAIN = re.compile(
    r"([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?(?: ([A-Za-z]{1,6}))?"
    r"(?: (Mon|Tue|Wed|Thu|Fri|Sat|Sun))? (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([0-9]{1,2}) ([0-9]{4})"
)


def _plain_clock(body: str) -> tuple[Fields, str | None] | None:
    """(iso_time fields, day of week) of a plain clock line, None when TIME_RE must read it."""
    match = _PLAIN.fullmatch(body)
    if match is None:
        return None
    hour, minute, second, frac, zone, dow, month, day, year = match.groups()
    if zone is not None and zone.lower() in _NOT_ZONES:
        return None
    return (year, month, day, hour, minute, second, frac, zone), dow


# The whole output as devices print it on nearly every poll: one line, a known zone, nothing to clean up.
# Its result is built directly (no clean-up passes, no Context, no line loop: those fixed costs are most
# of a one-line parse); anything else, or an impossible date, goes through the general path below, which
# gives the same result for this shape.
_CANONICAL = re.compile(
    r"([*.]?)([01]?[0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])(?:\.([0-9]{1,6}))? ([A-Z]{1,6}) "
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([0-9]{1,2}) ([0-9]{4})\n?"
)
# `+00:00` for each zone name the table knows (upper case, as the canonical shape requires).
_ZONE_SUFFIX = {zone: offset_suffix(offset) for zone, offset in ZONE_OFFSETS.items() if zone.isupper()}


def _canonical_clock(text: str) -> dict[str, Any] | None:
    match = _CANONICAL.fullmatch(text)
    if match is None:
        return None
    prefix, hour, minute, second, frac, zone, dow, month, day, year = match.groups()
    suffix = _ZONE_SUFFIX.get(zone)
    day_text = date_text(year, month, day)
    if suffix is None or day_text is None:
        return None  # unknown zone or impossible date: the general path warns
    if frac is None:
        moment = f"{day_text}T{TWO_DIGITS[hour]}:{minute}:{second}{suffix}"
    else:
        frac = (frac + "00")[:3] if len(frac) <= 3 else (frac + "00000")[:6]
        moment = f"{day_text}T{TWO_DIGITS[hour]}:{minute}:{second}.{frac}{suffix}"
    return {
        "clock": moment,
        "timezone": zone,
        "authoritative": prefix != "*",
        "day_of_week": dow,
        "synchronized": False if prefix else None,  # `*` or `.`: not synchronised
        "warnings": [],
    }


@rejoins_wrapped_lines
def parse_clock(
    text: str, *, platform: str = "cisco_ios", tz_offset_minutes: int | None = None
) -> dict[str, Any]:
    """Parse `show clock` to {clock (ISO 8601), timezone, authoritative}."""
    canonical = _canonical_clock(text)
    if canonical is not None:
        return canonical
    ctx = Context(platform=platform, tz_offset_minutes=tz_offset_minutes)
    lines = clean_lines(text)
    error = detect_error(lines)
    if error:
        return error_result(error, ctx, clock=None, timezone=None, authoritative=None)
    if len(lines) == 1:  # e.g. the canonical line after a command echo
        canonical = _canonical_clock(lines[0])
        if canonical is not None:
            return canonical
    values: dict[str, Any] = {"clock": None, "timezone": None, "authoritative": None}
    for line in lines:
        stripped = line.strip()
        if not stripped or (stripped.startswith("Load for five secs:") and _LOAD.match(stripped)):
            continue
        source = _SOURCE.match(line) if stripped.startswith("Time source is ") else None
        if source:
            values["time_source"] = source.group(1)
            stripped = source.group(2).strip()
        body = stripped.lstrip("*.")
        plain = _plain_clock(body)
        fields: Fields
        if plain is not None:
            fields, dow = plain
        else:
            match = TIME_RE.match(body)
            if not match or match.end() != len(body):
                ctx.warn(line)
                continue
            fields = cast(Fields, match.group("year", "mon", "day", "h", "m", "s", "frac", "zone"))
            dow = match.group("dow")
        moment = iso_time(fields, body, ctx)
        if values["clock"] is not None and not source:
            if moment != values["clock"]:  # the same instant repeated after `Time source is`
                ctx.warn(line)
            continue
        values["clock"] = moment
        values["timezone"] = fields[7]
        values["day_of_week"] = dow
        if not source or values["authoritative"] is None:
            prefix = stripped[:1]
            # IOS: `*` the time is not authoritative; `.` authoritative but NTP not synchronised.
            values["authoritative"] = prefix != "*"
            values["synchronized"] = False if prefix in "*." and prefix else None
    return result(ctx, **values)
