"""A poll's outputs parsed once, for the state and for diagnosis alike.

The configuration is parsed first: its `clock timezone` reads every other time the device prints. An SA,
engine, certificate or CRL output with line noise or cut inside a record is not applied, so the state
keeps its last known values instead of reading SAs or certificates as gone. The parsers see the original
text; what the poll stores of it is redacted first (devices/redact.py).
"""

from __future__ import annotations

import logging
import re
import time
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


def _parse_safely(
    platform: str, command: str, text: str, tz_offset_minutes: int | None
) -> tuple[dict[str, Any], str]:
    """The registry's result and "", or {} and why the parser failed."""
    try:
        return parse(platform, command, text, tz_offset_minutes=tz_offset_minutes), ""
    except Exception as exc:
        log.exception("parser crashed on %s %r", platform, command)
        return {}, f"parser failed: {type(exc).__name__}: {exc}"


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
