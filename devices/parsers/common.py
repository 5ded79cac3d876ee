"""Shared helpers for the CLI parsers: terminal clean-up, device errors, times, DNs, serials.

Everything here is a pure function of text; no Django imports (the parsers run in tests, in the
`parse` command and inside Celery tasks alike).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

# Platforms whose devices print times without a zone name when the clock is UTC.
UTC_WITHOUT_ZONE_PLATFORMS = frozenset({"cisco_pix", "cisco_asa"})

# Offsets in minutes for the abbreviations IOS, PIX and ASA print (`clock timezone NAME OFFSET`).
ZONE_OFFSETS: dict[str, int] = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "UT": 0,
    "WET": 0,
    "WEST": 60,
    "BST": 60,
    "CET": 60,
    "MET": 60,
    "CEST": 120,
    "MEST": 120,
    "EET": 120,
    "SAST": 120,
    "EEST": 180,
    "MSK": 180,
    "IST": 330,
    "ICT": 420,
    "WIB": 420,
    "SGT": 480,
    "HKT": 480,
    "AWST": 480,
    "PHT": 480,
    "JST": 540,
    "KST": 540,
    "ACST": 570,
    "ACDT": 630,
    "AEST": 600,
    "AEDT": 660,
    "NZST": 720,
    "NZDT": 780,
    "HST": -600,
    "AKST": -540,
    "AKDT": -480,
    "PST": -480,
    "PDT": -420,
    "MST": -420,
    "MDT": -360,
    "CST": -360,
    "CDT": -300,
    "EST": -300,
    "EDT": -240,
    "AST": -240,
    "ADT": -180,
    "NST": -210,
    "NDT": -150,
    "BRT": -180,
    "ART": -180,
}

MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}
_DAYS = "Mon|Tue|Wed|Thu|Fri|Sat|Sun"
_MONTHS_RE = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"

# `19:06:14 PST Jan 10 2002`, `*01:06:41.786 PST Fri Jan 11 2002`, `04:13:45 Jan 11 2002`,
# `10:55:30 UTC+8 Oct 19 2011`; every part bounded, no nested quantifiers.
TIME_RE = re.compile(
    rf"(?P<h>\d{{1,2}}):(?P<m>\d{{2}}):(?P<s>\d{{2}})(?:\.(?P<frac>\d{{1,6}}))?"
    rf"(?:[ \t]+(?!(?:{_DAYS}|{_MONTHS_RE})\b)(?P<zone>[A-Za-z][A-Za-z]{{0,5}}(?:[+-]\d{{1,2}}(?::?\d{{2}})?)?))?"
    rf"(?:[ \t]+(?P<dow>{_DAYS}),?)?"
    rf"[ \t]+(?P<mon>{_MONTHS_RE})[a-z]{{0,6}}[ \t]+(?P<day>\d{{1,2}}),?[ \t]+(?P<year>\d{{4}})",
    re.IGNORECASE,
)

_ZONE_WITH_OFFSET_RE = re.compile(r"(?:UTC|GMT)([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)

ERROR_RE = re.compile(
    r"^\s*(?:ERROR:\s*)?(% ?(?:Invalid input detected|Ambiguous command|Incomplete command|"
    r"Unrecognized command|Unknown command|Invalid command)[^\n]*|Type help or '\?'[^\n]*)",
    re.IGNORECASE,
)

# Bounded dash runs and no leading `[ \t]*`: a long run of dashes or spaces must not go quadratic.
_MORE_RE = re.compile(
    r" ?(?:<-{1,5} ?More ?-{1,5}>|(?<!-)-{1,4} ?More ?-{1,4})(?:[ \t]*[\x08\r])*", re.IGNORECASE
)
_PROMPT_RE = re.compile(r"^[A-Za-z0-9][\w.:/-]{0,62}(?:\([\w.:/ -]{1,40}\))?[#>]")
_DN_KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9.]{0,30}")
_UPPER_DN_KEYS = frozenset(
    {
        "cn",
        "ou",
        "o",
        "c",
        "l",
        "st",
        "dc",
        "e",
        "ea",
        "sn",
        "uid",
        "t",
        "gn",
        "email",
        "street",
    }
)
_SERIAL_SEPARATORS = re.compile(r"[\s:.-]+")


@dataclass
class Context:
    """What a parser needs besides the text: platform, caller's zone offset, collected warnings."""

    platform: str = "cisco_ios"
    tz_offset_minutes: int | None = None
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        """Record a line or fragment that was not understood (never drop anything silently)."""
        message = message.strip()
        if message and len(self.warnings) < 1000:
            self.warnings.append(message[:300])


def detect_error(lines: list[str]) -> str | None:
    """Return the device's error words if the output is an error message, else None."""
    seen = 0
    for line in lines:
        if not line.strip():
            continue
        match = ERROR_RE.match(line)
        if match:
            return match.group(1).strip()
        seen += 1
        if seen > 6:
            break
    return None


def _apply_backspaces(line: str) -> str:
    """Let each backspace erase the character before it, as the terminal did."""
    pieces = line.split("\x08")
    out: list[str] = list(pieces[0])
    for piece in pieces[1:]:
        if out:
            out.pop()
        out.extend(piece)
    return "".join(out)


# C0/C1 control characters (tab is expanded before, newline split on): deleted in one C-level pass.
_CONTROL = dict.fromkeys([*range(0, 9), *range(11, 32), *range(127, 160)])
# Printable ASCII and newline. The translation above applies to texts that hold anything else (the same
# texts as `not text.isascii() or not text.replace("\n", "").isprintable()`); deleting these bytes from
# the encoded text and testing for a remainder finds them ~5x faster than isprintable's per-character
# Unicode look-up (a few kB of IPsec output is ~25 us of isprintable).
_PLAIN_ASCII = bytes(range(32, 127)) + b"\n"


def clean_text(text: str) -> str:
    """Undo the terminal artefacts that are not line structure: CRLF / lone CR become LF, `--More--` /
    `<--- More --->` go with their erasing backspaces, stray backspaces erase the character before them,
    tabs are expanded and other control characters go. Trailing spaces are kept (a wrap may cut there)."""
    # Whole-text passes (C speed); the per-line work in clean_lines is only what cannot be done on the whole.
    if "More" in text:
        text = _MORE_RE.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\t" in text:
        text = text.expandtabs(8)
    if "\x08" in text:
        text = "\n".join(_apply_backspaces(line) if "\x08" in line else line for line in text.split("\n"))
    if not text.isascii() or text.encode("ascii").translate(None, _PLAIN_ASCII):
        text = text.translate(_CONTROL)
    return text


def clean_lines(text: str) -> list[str]:
    """Undo terminal artefacts and return the output's lines.

    1. clean_text: CRLF, pagers, backspaces, control characters.
    2. A leading prompt-with-command echo and a trailing prompt line are removed; lines are right-stripped.
    Wrapped lines are not joined here: that needs the grammar (devices/parsers/wraps.py).
    """
    if not text:
        return []
    lines = [line.rstrip() for line in clean_text(text).split("\n")]
    # Trailing prompts and blank lines. A prompt ends with `#` or `>`: checking that first keeps the
    # regex off nearly every last line.
    while lines and (not lines[-1] or (lines[-1][-1] in "#>" and _is_bare_prompt(lines[-1]))):
        lines.pop()
    # Leading blank lines and a command echo (`1720-1#sh cr ca cert`); an echo has a `#` or `>`.
    start = 0
    while start < len(lines) and not lines[start]:
        start += 1
    if start < len(lines) and ("#" in lines[start] or ">" in lines[start]) and _is_echo(lines[start]):
        start += 1
    return lines[start:] if start else lines


def _is_bare_prompt(line: str) -> bool:
    stripped = line.strip()
    return bool(_PROMPT_RE.fullmatch(stripped)) if len(stripped) < 110 else False


def _is_echo(line: str) -> bool:
    stripped = line.strip()
    match = _PROMPT_RE.match(stripped)
    if not match:
        return False
    rest = stripped[match.end() :].strip().lower()
    return rest == "" or rest.startswith(("sh", "wr", "more", "terminal"))


def squash(text: str) -> str:
    """Collapse every run of whitespace to one space and strip."""
    return " ".join(text.split())


def to_int(value: str | None) -> int | None:
    """Return an int for a decimal string, None otherwise."""
    if value is None:
        return None
    value = value.strip()
    if value.isdecimal() and len(value) < 40:
        return int(value)
    return None


def normalise_serial(value: str | None) -> str | None:
    """Return a serial number upper-case without separators (`3b2fd653` -> `3B2FD653`, `0a:1b` -> `0A1B`)."""
    if not value:
        return None
    value = value.strip()
    if value[:2].lower() == "0x":
        value = value[2:]
    cleaned = _SERIAL_SEPARATORS.sub("", value)
    return cleaned.upper() or None


# DN normalisation is a pure function of a short string, and an output's names are few and the same on
# every poll (the same certificates and CRLs): cached, like the other string -> string helpers here.
@lru_cache(maxsize=4096)
def normalise_dn(value: str | None) -> str | None:
    """Normalise a distinguished name to `OU=sjvpn, O=cisco, C=us` (display order kept)."""
    if value is None:
        return None
    value = squash(value)
    if not value:
        return None
    if "=" not in value:
        return value
    # Split at each `=`: the word just before it is the attribute type, the text before that word is the
    # previous attribute's value. Linear, no regex backtracking on long words.
    pieces = value.split("=")
    attributes: list[list[str]] = []  # [type, value]
    prefix = ""
    for index, piece in enumerate(pieces):
        if index == len(pieces) - 1:
            if attributes:
                attributes[-1][1] += piece
            else:
                prefix += piece
            break
        head = piece.rstrip()
        cut = max(head.rfind(" "), head.rfind(","), head.rfind(";"), head.rfind("+"))
        key = head[cut + 1 :]
        if not _DN_KEY_RE.fullmatch(key):  # `PID:WS=...`: this `=` belongs to a value
            if attributes:
                attributes[-1][1] += piece + "="
            else:
                prefix += piece + "="
            continue
        before = head[: cut + 1]
        if attributes:
            attributes[-1][1] += before
        else:
            prefix += before
        attributes.append([key, ""])
    if not attributes:
        return value
    parts = [prefix.strip(" ,;+")] if prefix.strip(" ,;+") else []
    for key, val in attributes:
        if key.lower() in _UPPER_DN_KEYS:
            key = key.upper()
        parts.append(f"{key}={val.strip(' ,;+')}")
    return ", ".join(parts)


_DN_PART_SPLIT = re.compile(r", (?=[A-Za-z][A-Za-z0-9.]{0,30}=)")


def dn_attributes(dn: str | None) -> dict[str, str]:
    """A normalised DN's attributes by type (`{"CN": "CRL1", "OU": "sjvpn"}`); the first of a repeated type."""
    return dict(_dn_attribute_items(dn)) if dn else {}


@lru_cache(maxsize=4096)
def _dn_attribute_items(dn: str) -> tuple[tuple[str, str], ...]:
    """dn_attributes' pairs, cached as an immutable tuple (each caller gets its own dict)."""
    attributes: dict[str, str] = {}
    for part in _DN_PART_SPLIT.split(dn):
        key, sep, value = part.partition("=")
        if sep:
            attributes.setdefault(key, value)
    return tuple(attributes.items())


def zone_offset(zone: str | None, ctx: Context) -> int | None:
    """Return the UTC offset in minutes for a zone name (or its absence) on ctx's platform."""
    if not zone:
        if ctx.platform in UTC_WITHOUT_ZONE_PLATFORMS:
            return 0
        return ctx.tz_offset_minutes
    upper = zone.upper()
    if upper in ZONE_OFFSETS:
        return ZONE_OFFSETS[upper]
    match = _ZONE_WITH_OFFSET_RE.match(upper)
    if match:
        minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
        return -minutes if match.group(1) == "-" else minutes
    return ctx.tz_offset_minutes


# Two-digit text and value of the hour, minute and second strings TIME_RE accepts in ASCII; other digits
# (TIME_RE's `\d` is Unicode) take the general path through int() and datetime.
TWO_DIGITS = {f"{i}": f"{i:02d}" for i in range(10)} | {f"{i:02d}": f"{i:02d}" for i in range(100)}
_VALUE = {text: int(text) for text in TWO_DIGITS}
_OFFSET_SUFFIX: dict[int, str] = {}  # offset in minutes -> `+05:30`; a handful of zones in practice

Fields = tuple[str, str, str, str, str, str, "str | None", "str | None"]


def offset_suffix(offset: int) -> str:
    """`+05:30` for an offset of 330 minutes."""
    suffix = _OFFSET_SUFFIX.get(offset)
    if suffix is None:
        sign = "-" if offset < 0 else "+"
        hours, minutes = divmod(abs(offset), 60)
        suffix = _OFFSET_SUFFIX[offset] = f"{sign}{hours:02d}:{minutes:02d}"
    return suffix


@lru_cache(maxsize=1024)
def date_text(year: str, month_name: str, day: str) -> str | None:
    """`2015-10-19` for TIME_RE's year, month and day, None for an impossible date (datetime's checks).

    Cached: a pure function of three short strings, and the dates an output prints are few (today's, the
    certificates' and CRLs' dates), the same on every poll.
    """
    month = MONTHS.get(month_name[:3].lower())
    if month is None:
        return None
    try:
        moment = date(int(year), month, int(day))
    except ValueError:
        return None
    return moment.isoformat()


def iso_time(fields: Fields, whole: str, ctx: Context) -> str | None:
    """ISO 8601 text for (year, month name, day, hour, minute, second, fraction, zone) as TIME_RE reads
    them; None with a warning (quoting whole, the text read) for an impossible date or time."""
    year, month_name, day, hour, minute, second, frac, zone = fields
    calendar_day = date_text(year, month_name, day)
    hour_value, minute_value, second_value = _VALUE.get(hour), _VALUE.get(minute), _VALUE.get(second)
    if hour_value is None or minute_value is None or second_value is None:  # not ASCII digits
        hour_value, minute_value, second_value = int(hour), int(minute), int(second)
        hour = f"{hour_value:02d}"
    else:
        hour = TWO_DIGITS[hour]
    if calendar_day is None or hour_value > 23 or minute_value > 59 or second_value > 59:
        ctx.warn(f"invalid time: {whole}")
        return None
    # Formatted by hand: the same text as datetime.isoformat(), at a fraction of its cost (every poll
    # turns dozens of certificate, CRL and clock times into instants). Minutes and seconds are kept as
    # printed, as they always were.
    text = f"{calendar_day}T{hour}:{minute}:{second}"
    if frac:
        text += "." + ((frac + "00")[:3] if len(frac) <= 3 else (frac + "00000")[:6])
    offset = ZONE_OFFSETS.get(zone.upper()) if zone else None
    if offset is None:
        offset = zone_offset(zone, ctx)
        if offset is None:
            ctx.warn(
                f"unknown time zone {zone!r}: time kept without offset"
                if zone
                else "time without zone and no offset supplied: kept without offset"
            )
            return text
    return text + (_OFFSET_SUFFIX.get(offset) or offset_suffix(offset))


def time_from_match(match: re.Match[str], ctx: Context) -> str | None:
    """Build the ISO 8601 string for a TIME_RE match, with offset when the zone is known."""
    fields = cast(Fields, match.group("year", "mon", "day", "h", "m", "s", "frac", "zone"))
    return iso_time(fields, match.group(0), ctx)


def parse_time(text: str | None, ctx: Context) -> str | None:
    """Parse a Cisco time (`19:06:14 PST Jan 10 2002`) to ISO 8601, or None with a warning."""
    if not text:
        return None
    match = TIME_RE.search(text)
    if not match:
        ctx.warn(f"time not understood: {text}")
        return None
    return time_from_match(match, ctx)


def aware_time(value: Any) -> datetime | None:
    """A time the parsers wrote (ISO 8601) as an aware datetime; None when absent, unreadable or without
    an offset: a time that cannot be placed on the timeline is better unknown than wrong by hours."""
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def result(ctx: Context, **values: Any) -> dict[str, Any]:
    """Assemble a result dict with the contract's `warnings` key last."""
    out: dict[str, Any] = dict(values)
    out["warnings"] = ctx.warnings
    return out


def error_result(error: str, ctx: Context, **empty: Any) -> dict[str, Any]:
    """A result for a device error: the empty shape plus `error` with the device's words."""
    out = result(ctx, **empty)
    out["error"] = error
    return out


@lru_cache(maxsize=2048)
def snake(label: str) -> str:
    """Turn a counter label (`#pkts compr. failed`) into a key (`pkts_compr_failed`)."""
    out = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    return out or "value"
