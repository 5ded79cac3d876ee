"""Which record and field each line of an output went to, or that it went to warnings.

The tool a user needs to report a parse bug with their own output (`manage.py parse --explain`). It asks
the parser itself, without instrumenting it: the output's lines (wrapped lines already joined, as the
parse joins them) are parsed one prefix at a time, and the values that appear or change when line k is
added are the fields line k went to; a warning that quotes line k means it was not understood. A value a
parser holds until its record opens (an interface name before the SA) or sets when a record closes is
shown on the line that opened or closed the record. Cost: one parse per line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from devices.parsers.common import clean_text, squash
from devices.parsers.registry import resolve
from devices.parsers.wraps import rejoin


@dataclass
class ExplainedLine:
    """One line as the parser read it: its number(s) in the input, its text and where it went."""

    first: int  # 1-based number of the input line it starts on
    last: int  # the input line it ends on (> first when wrapped lines were joined)
    text: str
    fields: list[tuple[str, Any]] = field(default_factory=list)
    warned: bool = False


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if path == "" and key == "warnings":
                continue
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        if not value:
            return
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def _spans(raw: list[str], lines: list[str]) -> list[tuple[int, int]]:
    """For each joined line, the input lines (1-based, inclusive) it was made of."""
    spans: list[tuple[int, int]] = []
    index = 0
    for line in lines:
        start = index
        exact = spaced = ""
        while index < len(raw):
            piece = raw[index]
            exact += piece
            spaced = piece.rstrip() if index == start else spaced + " " + piece.strip()
            index += 1
            if line in (exact, spaced):
                break
        spans.append((start + 1, max(start + 1, index)))
    return spans


def explain(
    platform: str, command: str, text: str, *, tz_offset_minutes: int | None = None
) -> tuple[list[ExplainedLine], dict[str, Any]]:
    """Every non-blank line of text with the fields it set or its warning, and the whole parse."""
    parser = resolve(platform, command).parser
    inner = getattr(parser, "unjoined", parser)
    options = {"platform": platform, "tz_offset_minutes": tz_offset_minutes}
    lines, whole = rejoin(inner, text, options)
    spans = _spans(clean_text(text).split("\n") if text else [], lines)
    explained: list[ExplainedLine] = []
    before: dict[str, Any] = {}
    warnings_before: list[str] = []
    for k, line in enumerate(lines):
        if not line.strip():
            continue
        result = inner("\n".join(lines[: k + 1]), **options)
        now = dict(_leaves(result))
        changed = [
            (path, value) for path, value in now.items() if value is not None and before.get(path) != value
        ]
        warnings = [str(w) for w in result.get("warnings") or []]
        new = (
            warnings[len(warnings_before) :]
            if warnings[: len(warnings_before)] == warnings_before
            else warnings
        )
        key, flat = line.strip()[:300], squash(line)[:300]
        warned = any(w in {key, flat} or (len(w) >= 4 and w in flat) for w in new)
        first, last = spans[k] if k < len(spans) else (k + 1, k + 1)
        explained.append(ExplainedLine(first, last, line.strip(), changed, warned))
        before = now
        warnings_before = [w for w in warnings if not w.startswith("output truncated")]
    return explained, whole


def render(explained: list[ExplainedLine], whole: dict[str, Any]) -> str:
    """The explanation as text: each line, then `-> field = value` or `-> WARNING: not understood`."""
    out: list[str] = []
    for item in explained:
        where = f"{item.first}" if item.first == item.last else f"{item.first}-{item.last} joined"
        out.append(f"{where:>16}  {item.text}")
        if item.warned:
            out.append(f"{'':>16}  -> WARNING: not understood")
        for path, value in item.fields:
            out.append(f"{'':>16}  -> {path} = {value!r}")
        if not item.warned and not item.fields:
            out.append(f"{'':>16}  -> read, no value of its own (a header, a record boundary, a repeat)")
    quoted = {item.text for item in explained if item.warned}
    others = [w for w in whole.get("warnings") or [] if w not in quoted]
    if others:
        out.append("warnings not tied to one line:")
        out.extend(f"  {w}" for w in others)
    if whole.get("error"):
        out.append(f"device error: {whole['error']}")
    return "\n".join(out)
