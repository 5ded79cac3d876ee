"""`show clock` on IOS, PIX and ASA (`*` / `.` prefixes, milliseconds or not, zone or none)."""

from __future__ import annotations

import re
from typing import Any

from devices.parsers.common import (
    TIME_RE,
    Context,
    clean_lines,
    detect_error,
    error_result,
    result,
    time_from_match,
)

_SOURCE = re.compile(r"^\s*Time source is ([\w ]{1,40}?),\s*(.*)$")
_LOAD = re.compile(r"^\s*Load for five secs:")


def parse_clock(
    text: str, *, platform: str = "cisco_ios", tz_offset_minutes: int | None = None
) -> dict[str, Any]:
    """Parse `show clock` to {clock (ISO 8601), timezone, authoritative}."""
    ctx = Context(platform=platform, tz_offset_minutes=tz_offset_minutes)
    lines = clean_lines(text)
    error = detect_error(lines)
    if error:
        return error_result(error, ctx, clock=None, timezone=None, authoritative=None)
    values: dict[str, Any] = {"clock": None, "timezone": None, "authoritative": None}
    for line in lines:
        stripped = line.strip()
        if not stripped or _LOAD.match(line):
            continue
        source = _SOURCE.match(line)
        if source:
            values["time_source"] = source.group(1)
            stripped = source.group(2).strip()
        match = TIME_RE.match(stripped.lstrip("*."))
        if match and match.end() == len(stripped.lstrip("*.")):
            moment = time_from_match(match, ctx)
            if values["clock"] is not None and not source:
                if moment != values["clock"]:  # the same instant repeated after `Time source is`
                    ctx.warn(line)
                continue
            values["clock"] = moment
            values["timezone"] = match.group("zone")
            values["day_of_week"] = match.group("dow")
            if not source or values["authoritative"] is None:
                prefix = stripped[:1]
                # IOS: `*` the time is not authoritative; `.` authoritative but NTP not synchronised.
                values["authoritative"] = prefix != "*"
                values["synchronized"] = False if prefix in "*." and prefix else None
            continue
        ctx.warn(line)
    return result(ctx, **values)
