"""Syslog framing and Cisco message headers: pure functions of bytes and text (no Django).

What devices send (docs/syslog.md has the table):
- RFC 3164: `<PRI>Mmm dd hh:mm:ss HOST TAG: text`, and IOS's own forms with `service sequence-numbers`,
  `service timestamps log datetime`, `logging origin-id hostname`:
  `<189>45: r1: *Mar  1 00:12:34.567 UTC: %CRYPTO-5-SESSION_STATUS: ...`;
- RFC 5424: `<PRI>1 2024-03-01T00:12:34.567Z host app procid msgid [sd] text`;
- ASA/PIX: `<166>Mar 01 2024 00:12:34 fw-hq-2 : %ASA-6-602304: ...` (with `logging device-id hostname`),
  `<166>Mar 01 2024 00:12:34: %ASA-6-602304: ...` (without), `<166>%PIX-6-602302: ...` (no timestamp).
TCP carries them octet-counted (`LEN SP MSG`, RFC 6587) or one per line; `TcpFramer` splits both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

# Longest message kept (RFC 5424 receivers must take 480 octets and should take 2048); longer is cut.
MAX_MESSAGE = 8192

FACILITIES = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
]

_PRI_RE = re.compile(r"<(\d{1,3})>")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
# Mmm [d]d [yyyy] hh:mm:ss[.fff] [ZONE]; IOS marks an unsynchronised clock with * and an unsure one with .
_BSD_TIME_RE = re.compile(
    r"(?P<mark>[*.]?)(?P<mon>[A-Z][a-z]{2})\s+(?P<day>\d{1,2})(?:\s+(?P<year>\d{4}))?\s+"
    r"(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2})(?:\.(?P<frac>\d{1,6}))?"
    r"(?:\s+(?P<zone>[A-Z]{2,5}(?:[+-]\d{1,2}(?::?\d{2})?)?))?"
)
# IOS `service timestamps log uptime`: 00:12:34, 1d02h, 1w2d.
_UPTIME_RE = re.compile(r"(?:\d+:\d{2}:\d{2}(?:\.\d+)?|\d+[wdh]\d+[dhm])")
_MNEMONIC_RE = re.compile(r"%(?P<fac>[A-Z][A-Z0-9_]*(?:-[A-Z][A-Z0-9_]*)?)-(?P<sev>[0-7])-(?P<mn>[A-Z0-9_]+)")
_SEQ_RE = re.compile(r"(?P<seq>\d{1,12}):\s+")
_HOST_RE = re.compile(r"(?P<host>[A-Za-z0-9][A-Za-z0-9_.:-]{0,253}?)\s*:\s+")
_RFC5424_RE = re.compile(
    r"1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<proc>\S+) (?P<msgid>\S+) (?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)"
    r"(?: (?P<msg>.*))?$",
    re.S,
)
_ZONES = {"UTC": 0, "GMT": 0, "Z": 0}


@dataclass(frozen=True)
class SyslogMessage:
    """One syslog message as the device wrote it, split into its parts."""

    facility: str  # Cisco facility (CRYPTO, PKI, ASA, PIX) or else the syslog facility name (local7)
    severity: int | None  # 0-7: the Cisco severity when present, else the PRI's
    mnemonic: str  # `%CRYPTO-5-SESSION_STATUS` as written, or "" when the text has none
    code: str  # the part after the severity: SESSION_STATUS, 602304
    text: str  # what follows the mnemonic (the whole message text when there is none)
    hostname: str  # the hostname the message carries (origin-id, device-id, RFC 5424 HOSTNAME)
    device_time: datetime | None  # the device's timestamp, aware (UTC when the device named no zone)
    sequence: int | None
    pri_facility: int | None
    pri_severity: int | None


def _decode(data: bytes) -> str:
    text = data[:MAX_MESSAGE].decode("utf-8", "replace")
    # No control character from the wire reaches a row, a page or a log line.
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", text).strip()


def _year_for(month: int, day: int, received: datetime) -> int:
    """RFC 3164 timestamps have no year: the one that puts the time nearest the receive time."""

    def distance(year: int) -> float:
        try:
            return abs((datetime(year, month, day, tzinfo=UTC) - received).total_seconds())
        except ValueError:  # 29 February of a common year
            return float("inf")

    return min((received.year, received.year - 1, received.year + 1), key=distance)


def _zone(name: str | None) -> timezone:
    if not name:
        return UTC
    m = re.fullmatch(r"([A-Z]{2,5})(?:([+-])(\d{1,2})(?::?(\d{2}))?)?", name)
    if not m:
        return UTC
    if m.group(2):
        minutes = int(m.group(3)) * 60 + int(m.group(4) or 0)
        return timezone(timedelta(minutes=minutes if m.group(2) == "+" else -minutes))
    return timezone(timedelta(hours=_ZONES.get(m.group(1), 0)))


def parse_bsd_time(text: str, received: datetime) -> tuple[datetime | None, int]:
    """A leading `Mmm dd [yyyy] hh:mm:ss[.fff] [ZONE]` as an aware time, and how many characters it took.

    Zones other than UTC/GMT or an explicit offset are read as UTC (documented in docs/syslog.md)."""
    m = _BSD_TIME_RE.match(text)
    if not m:
        return None, 0
    month = _MONTHS.get(m.group("mon").lower())
    if month is None:
        return None, 0
    day = int(m.group("day"))
    year = int(m.group("year")) if m.group("year") else _year_for(month, day, received)
    frac = (m.group("frac") or "0").ljust(6, "0")
    try:
        when = datetime(
            year,
            month,
            day,
            int(m.group("h")),
            int(m.group("m")),
            int(m.group("s")),
            int(frac),
            tzinfo=_zone(m.group("zone")),
        )
    except ValueError:
        return None, 0
    return when.astimezone(UTC), m.end()


def _parse_iso(text: str) -> datetime | None:
    if text == "-":
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _split_mnemonic(body: str) -> tuple[str, str, int | None, str, str]:
    """(mnemonic, facility, severity, code, text after it) of the first `%FAC-SEV-MNEMONIC:` in body."""
    m = _MNEMONIC_RE.search(body)
    if not m:
        return "", "", None, "", body
    rest = body[m.end() :]
    rest = rest[1:] if rest.startswith(":") else rest
    return m.group(0), m.group("fac"), int(m.group("sev")), m.group("mn"), rest.strip()


def _cisco_follows(rest: str) -> bool:
    """Whether an origin-id hostname may stand here: a mnemonic or a timestamp follows it."""
    return rest.startswith("%") or bool(_BSD_TIME_RE.match(rest) or _UPTIME_RE.match(rest))


def _cisco_header(body: str, received: datetime) -> tuple[str, datetime | None, int | None, str]:
    """Strip the header parts in front of a Cisco mnemonic: sequence number, hostname, timestamp.

    Returns (hostname, device time, sequence, what is left)."""
    hostname, when, seq = "", None, None
    rest = body
    for _ in range(4):  # at most: sequence, hostname, timestamp (each once, IOS or ASA order)
        if rest.startswith("%"):
            break
        m = _SEQ_RE.match(rest)
        if m and seq is None and when is None:
            seq = int(m.group("seq"))
            rest = rest[m.end() :]
            continue
        parsed, used = parse_bsd_time(rest, received)
        if parsed is not None and when is None:
            when = parsed
            rest = rest[used:].lstrip()
            rest = rest[1:].lstrip() if rest.startswith(":") else rest
            continue
        m = _UPTIME_RE.match(rest)
        if m and when is None and rest[m.end() : m.end() + 1] == ":":
            rest = rest[m.end() + 1 :].lstrip()
            continue
        m = _HOST_RE.match(rest)
        if (
            m
            and not hostname
            and not _UPTIME_RE.fullmatch(m.group("host"))
            and _cisco_follows(rest[m.end() :])
        ):
            hostname = m.group("host")
            rest = rest[m.end() :]
            continue
        break
    return hostname, when, seq, rest


def parse_message(data: bytes | str, received: datetime) -> SyslogMessage | None:
    """Split one syslog message (without its TCP framing) into its parts; None when it is not syslog.

    1. `<PRI>` (required): facility and severity.
    2. RFC 5424 when `1 ` follows; else RFC 3164 / Cisco: optional timestamp and hostname, then IOS's
       sequence number, origin-id hostname and timestamp, in the orders IOS and ASA write them.
    3. The Cisco `%FACILITY-SEVERITY-MNEMONIC:` and the text after it.
    """
    text = _decode(data) if isinstance(data, bytes) else _decode(data.encode("utf-8", "replace"))
    m = _PRI_RE.match(text)
    if not m or int(m.group(1)) > 191:
        return None
    pri = int(m.group(1))
    pri_facility, pri_severity = pri >> 3, pri & 7
    body = text[m.end() :]
    hostname, when, seq = "", None, None
    m5 = _RFC5424_RE.match(body)
    if m5:
        when = _parse_iso(m5.group("ts"))
        hostname = "" if m5.group("host") == "-" else m5.group("host")
        body = (m5.group("msg") or "").lstrip("\ufeff").strip()
        app = m5.group("app")
        if app != "-" and not _MNEMONIC_RE.search(body):
            body = f"{app}: {body}"
    else:
        # RFC 3164 header: TIMESTAMP HOSTNAME (ASA: TIMESTAMP HOSTNAME : or TIMESTAMP:)
        parsed, used = parse_bsd_time(body, received)
        if parsed is not None:
            when = parsed
            body = body[used:].lstrip()
            if body.startswith(":"):
                body = body[1:].lstrip()
            else:
                hm = re.match(r"(?P<host>[A-Za-z0-9][A-Za-z0-9_.:-]*)\s*(?::\s*|\s+)", body)
                if hm and not _MNEMONIC_RE.match(body) and not _SEQ_RE.match(body):
                    hostname = hm.group("host").rstrip(":")
                    body = body[hm.end() :]
        host2, when2, seq, body = _cisco_header(body, received)
        hostname = host2 or hostname
        # The timestamp in the message (the device's own clock) wins over the syslog header's.
        when = when2 or when
    mnemonic, facility, severity, code, rest = _split_mnemonic(body)
    if not mnemonic:
        rest = body
        facility = FACILITIES[pri_facility] if pri_facility < len(FACILITIES) else str(pri_facility)
        severity = pri_severity
    return SyslogMessage(
        facility=facility,
        severity=severity,
        mnemonic=mnemonic,
        code=code,
        text=rest[:MAX_MESSAGE],
        hostname=hostname[:128],
        device_time=when,
        sequence=seq,
        pri_facility=pri_facility,
        pri_severity=pri_severity,
    )


class FramingError(ValueError):
    """The TCP stream cannot be split any further (an octet count that is not a number, or too large)."""


class TcpFramer:
    """Splits a TCP syslog stream into messages: octet counting (`LEN SP MSG`) or newline framing.

    Each frame decides for itself (RFC 6587 §3.4: a digit starts an octet count, `<` a line). Buffers at
    most `limit` bytes: a longer line is cut at the limit and the rest of it skipped.
    """

    def __init__(self, limit: int = MAX_MESSAGE) -> None:
        self.buffer = bytearray()
        self.limit = limit
        self.skipping = False
        self.oversized = 0

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; returns the complete messages they finish."""
        self.buffer += data
        out: list[bytes] = []
        while self.buffer:
            if self.skipping:
                end = self.buffer.find(b"\n")
                if end < 0:
                    self.buffer.clear()
                    break
                del self.buffer[: end + 1]
                self.skipping = False
                continue
            first = self.buffer[:1]
            if first.isdigit():
                space = self.buffer.find(b" ", 0, 12)
                if space < 0:
                    if len(self.buffer) >= 12:
                        raise FramingError("octet count without a space")
                    break
                count_text = bytes(self.buffer[:space])
                if not count_text.isdigit():
                    raise FramingError("octet count is not a number")
                count = int(count_text)
                if count > self.limit * 8:
                    raise FramingError(f"octet count {count} over the limit")
                if len(self.buffer) < space + 1 + count:
                    break
                frame = bytes(self.buffer[space + 1 : space + 1 + count])
                del self.buffer[: space + 1 + count]
                if count > self.limit:
                    self.oversized += 1
                    frame = frame[: self.limit]
                out.append(frame)
                continue
            end = self.buffer.find(b"\n")
            if end < 0:
                if len(self.buffer) > self.limit:
                    out.append(bytes(self.buffer[: self.limit]))
                    self.oversized += 1
                    self.buffer.clear()
                    self.skipping = True
                break
            line = bytes(self.buffer[:end]).rstrip(b"\r\x00")
            del self.buffer[: end + 1]
            if line.strip():
                out.append(line)
        return out
