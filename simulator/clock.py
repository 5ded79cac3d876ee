"""The simulated world clock and the ways devices print time."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# The seed's router printed `01:06:41.786 PST Fri Jan 11 2002` while the captures were taken.
SEED_START = datetime(2002, 1, 11, 9, 6, 41, 786000, tzinfo=UTC)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def parse_start(value: str | datetime | None) -> datetime:
    """Turn a scenario's `clock.start` ("seed", "now", or an ISO time) into an aware datetime."""
    if value is None or value == "seed":
        return SEED_START
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if value == "now":
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class SimClock:
    """World time: starts at a configurable instant and runs at `speed` x real time, plus jumps."""

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        self.start = start
        self.speed = speed
        self._real_start = time.monotonic()
        self._jumped = 0.0
        self._lock = threading.Lock()

    def elapsed(self) -> float:
        """Simulated seconds since the start."""
        with self._lock:
            return (time.monotonic() - self._real_start) * self.speed + self._jumped

    def now(self) -> datetime:
        """The simulated instant (UTC)."""
        return self.start + timedelta(seconds=self.elapsed())

    def advance(self, seconds: float) -> None:
        """Jump forward; tests use it to reach a rekey or an expiry without waiting."""
        with self._lock:
            self._jumped += seconds


@dataclass(frozen=True)
class Zone:
    """A device's `clock timezone`: a name and a fixed offset (no summer-time in the seed)."""

    name: str = "UTC"
    offset_minutes: int = 0

    def local(self, moment: datetime) -> datetime:
        """The wall-clock time the device shows for an instant."""
        return (moment + timedelta(minutes=self.offset_minutes)).replace(tzinfo=None)


def ios_clock(moment: datetime, zone: Zone, authoritative: bool = True) -> str:
    """`show clock` on IOS: `01:06:41.786 PST Fri Jan 11 2002` (`*` when not authoritative)."""
    t = zone.local(moment)
    mark = "" if authoritative else "*"
    return (
        f"{mark}{t:%H:%M:%S}.{t.microsecond // 1000:03d} {zone.name} "
        f"{DAYS[t.weekday()]} {MONTHS[t.month - 1]} {t.day} {t.year}"
    )


def ios_stamp(moment: datetime, zone: Zone) -> str:
    """Certificate and CRL times on IOS: `19:06:14 PST Jan 10 2002`."""
    t = zone.local(moment)
    return f"{t:%H:%M:%S} {zone.name} {MONTHS[t.month - 1]} {t.day} {t.year}"


def pix_stamp(moment: datetime) -> str:
    """PIX 6 prints UTC without a zone name: `04:13:45 Jan 11 2002`."""
    t = moment.astimezone(UTC)
    return f"{t:%H:%M:%S} {MONTHS[t.month - 1]} {t.day} {t.year}"


def asa_clock(moment: datetime, zone: Zone) -> str:
    """`show clock` on ASA 9: `09:27:54.123 UTC Thu Nov 27 2026`."""
    return ios_clock(moment, zone)


def syslog_stamp(moment: datetime, zone: Zone) -> str:
    """Modern IOS log time stamps (`service timestamps log datetime msec`): `*Jan 11 09:30:00.123`."""
    t = zone.local(moment)
    return f"*{MONTHS[t.month - 1]} {t.day:>2} {t:%H:%M:%S}.{t.microsecond // 1000:03d}"


def uptime_stamp(seconds: float) -> str:
    """IOS 12.2 log time stamps with `service timestamps log uptime`: `3d09h:` or `00:07:01:`."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days >= 7:
        return f"{days // 7}w{days % 7}d:"
    if days:
        return f"{days}d{hours:02d}h:"
    return f"{hours:02d}:{minutes:02d}:{secs:02d}:"


def uptime_words(seconds: float) -> str:
    """`show version` uptime: `3 days, 9 hours, 12 minutes`."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return ", ".join(parts)


_MONTHS = {m.lower(): i + 1 for i, m in enumerate(MONTHS)}


def parse_clock_set(text: str) -> datetime | None:
    """Parse a `clock set` argument: `HH:MM:SS day month year` or `HH:MM:SS month day year` (month names may be abbreviated)."""
    parts = text.split()
    if len(parts) != 4 or not re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", parts[0]):
        return None
    hms = [int(x) for x in parts[0].split(":")] + [0]
    a, b, year = parts[1], parts[2], parts[3]
    day_text, month_text = (a, b) if a.isdigit() else (b, a)
    month = next((n for name, n in _MONTHS.items() if month_text.lower().startswith(name)), None)
    if month is None or not day_text.isdigit() or not year.isdigit():
        return None
    try:
        return datetime(int(year), month, int(day_text), hms[0], hms[1], hms[2])
    except ValueError:
        return None
