"""A poll's outputs parsed once, for the state and for diagnosis alike.

The configuration is parsed first: its `clock timezone` reads every other time the device prints. An SA,
engine, certificate or CRL output with line noise or cut inside a record is not applied, so the state
keeps its last known values instead of reading SAs or certificates as gone. The parsers see the original
text; what the poll stores of it is redacted first (devices/redact.py).

The parsers are pure functions of (platform, command, text, clock offset): a steady device prints most of
its outputs byte for byte again, so each process keeps the parse of what it saw last (`ParseCache`, keyed
by a digest of the text, bounded in bytes) and hands out a fresh copy of it each time.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from devices import commands as cmds
from devices.commands import INVALID_INPUT_RE, CommandOutput
from devices.parsers.registry import parse

log = logging.getLogger(__name__)

# Characters the SA, engine, certificate and CRL outputs never print, and a noisy serial line or a
# corrupted telnet stream does (control characters, `$`, `~`, `^`). Such an output would be read as
# SAs or certificates gone (a false tunnel_down or crl_expired), so it is not applied at all: the
# command fails with this reason and the state keeps its last known values.
_LINE_NOISE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f$~^]")
# How the parsers say an output stops inside a record.
_TRUNCATED = re.compile(r"output truncated")
_CARET_MARKER = re.compile(r"^[ \t]*\^[ \t]*$|'\^' marker", re.MULTILINE)
_NOISE_CHECKED = frozenset({cmds.IKE, cmds.IKEV2, cmds.IPSEC, cmds.ENGINE, cmds.CERTIFICATES, cmds.CRLS})


@dataclass
class ParsedOutput:
    """One command's output with its parse result."""

    out: CommandOutput
    result: dict[str, Any]
    error: str
    warnings: list[str]
    parse_seconds: float
    # Why the parser itself failed ("" when it did not): the state reads such an output as parsed with a
    # warning, diagnosis as not collected.
    crash: str = ""


# Bytes of pickled parses a process keeps. Only an output seen a second time is kept (`admit`): one with
# counters or a clock in it is new at every poll and is never hit again, and keeping those first filled
# the whole bound of a worker polling 1,000 devices within two cycles, with parses nobody reads, pushing
# out the unchanged ones that are read at every poll. The bound is RSS a worker holds for good
# (docs/performance.md).
PARSE_CACHE_BYTES = 16 * 1024 * 1024
# Outputs remembered as seen once, by hash (two generations of this many each, about 100 bytes apiece):
# an unchanged output comes back one poll interval later, after each other device's new outputs, so a
# generation holds more than a cycle's first sightings of a 4,000-device worker (8 outputs a device,
# half of them new every poll).
SEEN_ONCE_PER_GENERATION = 32 * 1024


class ParseCache:
    """Parses by (platform, command, clock offset, sha256 of the text), least recently used dropped first
    beyond `limit` bytes. Stored pickled: every hit is a new object, so no caller shares what another may
    change."""

    def __init__(
        self, limit: int = PARSE_CACHE_BYTES, seen_per_generation: int = SEEN_ONCE_PER_GENERATION
    ) -> None:
        self.limit = limit
        self.size = 0
        self._entries: OrderedDict[tuple[str, str, int | None, bytes], bytes] = OrderedDict()
        self._seen_limit = seen_per_generation
        self._seen: set[int] = set()
        self._seen_before: set[int] = set()

    def admit(self, key: tuple[str, str, int | None, bytes]) -> bool:
        """Whether a parse of key is worth keeping: True the second time key is asked about (within two
        generations of first sightings), False the first time, which is remembered."""
        marker = hash(key)
        if marker in self._seen or marker in self._seen_before:
            return True
        if len(self._seen) >= self._seen_limit:
            self._seen_before, self._seen = self._seen, set()
        self._seen.add(marker)
        return False

    def get(self, key: tuple[str, str, int | None, bytes]) -> dict[str, Any] | None:
        data = self._entries.get(key)
        if data is None:
            return None
        self._entries.move_to_end(key)
        return pickle.loads(data)  # noqa: S301 - our own bytes, never read from outside the process

    def put(self, key: tuple[str, str, int | None, bytes], result: dict[str, Any]) -> None:
        data = pickle.dumps(result, pickle.HIGHEST_PROTOCOL)
        if len(data) > self.limit:
            return
        old = self._entries.pop(key, None)
        self.size += len(data) - (len(old) if old is not None else 0)
        self._entries[key] = data
        while self.size > self.limit:
            _, dropped = self._entries.popitem(last=False)
            self.size -= len(dropped)

    def clear(self) -> None:
        self._entries.clear()
        self.size = 0
        self._seen.clear()
        self._seen_before.clear()

    def __len__(self) -> int:
        return len(self._entries)


PARSES = ParseCache()


def _parse_safely(
    platform: str, command: str, text: str, tz_offset_minutes: int | None
) -> tuple[dict[str, Any], str]:
    """The registry's result and "", or {} and why the parser failed (a crash is not kept: it is logged
    at each poll)."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    key = (platform, command, tz_offset_minutes, digest)
    found = PARSES.get(key)
    if found is not None:
        return found, ""
    try:
        result = parse(platform, command, text, tz_offset_minutes=tz_offset_minutes)
    except Exception as exc:
        log.exception("parser crashed on %s %r", platform, command)
        return {}, f"parser failed: {type(exc).__name__}: {exc}"
    if PARSES.admit(key):
        PARSES.put(key, result)
    return result, ""  # the cache keeps its own bytes: this object is the caller's alone


def _crash_result(crash: str) -> dict[str, Any]:
    # A parser crash is a warning, never a failed poll: the rest of the output may still be applied.
    return {"warnings": [crash[:300]]}


def line_noise(kind: str, text: str) -> str:
    """Why an output of this kind looks corrupted in transit, or ''."""
    if kind not in _NOISE_CHECKED:
        return ""
    # A device's own error (`% Invalid input detected at '^' marker.` under a `^` line) is not noise.
    found = _LINE_NOISE.findall(_CARET_MARKER.sub("", text))
    if not found:
        return ""
    shown = ", ".join(repr(c) for c in dict.fromkeys(found))
    return f"line noise in the output ({len(found)} characters such as {shown}): not applied"


def truncated(kind: str, warnings: list[str]) -> bool:
    """Whether the parser says an SA, engine, certificate or CRL output stops inside a record."""
    return kind in _NOISE_CHECKED and any(_TRUNCATED.match(w) for w in warnings)


def clock_offset(config: dict[str, Any]) -> int | None:
    """Minutes east of UTC that the configuration's `clock timezone` sets, or None."""
    zone = config.get("clock_timezone") or {}
    if isinstance(zone, dict) and isinstance(zone.get("offset_minutes"), int):
        return int(zone["offset_minutes"])
    return None


def parse_all(platform: str, outputs: list[CommandOutput]) -> list[ParsedOutput]:
    """Parse a poll's outputs, the configuration first: its clock timezone reads every other time."""
    ordered = sorted(outputs, key=lambda o: o.command.kind != cmds.CONFIG)
    offset: int | None = None
    parsed: list[ParsedOutput] = []
    for out in ordered:
        started = time.monotonic()
        if out.error:
            parsed.append(ParsedOutput(out, {}, out.error, [], 0.0))
            continue
        noise = line_noise(out.command.kind, out.output)
        if noise:
            parsed.append(ParsedOutput(out, {}, noise, [], 0.0))
            continue
        result, crash = _parse_safely(platform, out.text, out.output, offset)
        if crash:
            result = _crash_result(crash)
        error = str(result.get("error") or "")
        if error and out.command.optional and INVALID_INPUT_RE.search(out.output):
            result, error = {}, ""  # the device does not have the feature: nothing to apply
        warnings = [str(w) for w in result.get("warnings") or []]
        if not error and truncated(out.command.kind, warnings):
            # The records after the cut would read as SAs or certificates gone: keep the last known.
            error = "output truncated: not applied"
        if out.command.kind == cmds.CONFIG and not error:
            offset = clock_offset(result)
        parsed.append(ParsedOutput(out, result, error, warnings, time.monotonic() - started, crash))
    order = {id(o): i for i, o in enumerate(outputs)}
    parsed.sort(key=lambda p: order[id(p.out)])
    return parsed


def applicable(parsed: list[ParsedOutput]) -> dict[str, ParsedOutput]:
    """The outputs the state may be updated from, by kind: those that succeeded. IKEv1 and IKEv2 SAs
    are one list, so when the IKEv2 command failed the IKE SAs are left as last known too."""
    results = {p.out.command.kind: p for p in parsed if not p.error}
    if any(p.out.command.kind == cmds.IKEV2 and p.error for p in parsed):
        results.pop(cmds.IKE, None)
    return results
