"""Wrapped lines joined by the grammar, whatever the terminal width.

A terminal (or a copy-paste, a telnet session, a `terminal width` setting) cuts a long line into pieces
of any width; a label's value may also end up on the next line. No width is assumed: a line of any
length is a whole line unless the grammar says otherwise. The parser itself is the grammar:

1. The output is parsed as printed. A line that went to warnings cannot start a record: it is a
   continuation candidate.
2. A cut: a line as wide as the output's widest line (a terminal cuts at its width and nothing is wider
   than the terminal), followed by candidates, each but the last as wide again, is joined exactly at the
   cut; a second round joins with one space, for pastes that lost the trailing space at the cut. A line
   narrower than the widest is never joined to the line after it, and a complete line followed by
   complete lines is never joined, whatever its length.
3. A label and its value on the next line: two candidates in a row are joined.
4. A join is kept only if the joined line is understood (it completes the previous one), the output as
   a whole has fewer warnings and more was read (a fragment swallowed by a lenient reader reads
   nothing); every other join is undone. Rounds repeat once: a join can make the lines after it readable.


An output without warnings (every poll of a healthy device) is parsed once, as before; only outputs with
warnings pay the extra parses (at most two per round, four rounds).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any

from devices.parsers.common import clean_text, squash

Parser = Callable[..., dict[str, Any]]

# Lines a parser accepted without reading anything from them (a configuration line it does not use whose
# first word is no command, a certificate line that does not look like its field): whole lines for the
# result, but continuation candidates like warnings. Collected only while a parse runs under rejoin.
_DOUBTS: ContextVar[list[str] | None] = ContextVar("doubts", default=None)


def doubt(line: str) -> None:
    """Note a line accepted without being understood (a possible continuation of a wrapped line)."""
    doubts = _DOUBTS.get()
    if doubts is not None and len(doubts) < 1000:
        doubts.append(line.strip()[:300])


# Warnings that are the parser's own sentences about a record, not a quoted line or fragment.
_MESSAGES = (
    "chain ",
    "certificate ",
    "output truncated",
    "crypto map references",
    "invalid time:",
    "time not understood:",
    "unknown time zone",
    "time without zone",
    "CRL from ",
)


def _parse(parser: Parser, text: str, options: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The parse and the set of lines or fragments that went to warnings or were doubted."""
    doubts: list[str] = []
    token = _DOUBTS.set(doubts)
    try:
        result = parser(text, **options)
    finally:
        _DOUBTS.reset(token)
    quoted = {str(w) for w in result.get("warnings") or [] if not str(w).startswith(_MESSAGES)}
    return result, quoted | set(doubts)


Group = tuple[int, int]  # lines[start:end] become one line


def _key(line: str) -> str:
    return line.strip()[:300]


def _warned(line: str, warnings: set[str]) -> bool:
    """Whether the parser sent this line (or a fragment of it) to warnings."""
    if not line.strip():
        return False
    key = _key(line)
    if key in warnings:
        return True
    flat = squash(line)[:300]
    if flat in warnings:
        return True
    # Parsers that read a whole text as a stream (certificates, CRLs) warn fragments across lines; a text
    # with many warnings is not a wrapped output (and must not cost lines x warnings).
    return len(warnings) <= 64 and any((len(w) >= 4 and w in flat) or flat in w for w in warnings)


def _warned_indices(lines: list[str], warnings: set[str]) -> list[bool]:
    return [_warned(line, warnings) for line in lines]


# More unreadable lines than any wrapped output of these commands holds (the parsers keep 1,000 warnings):
# random or foreign text, not worth the extra parses.
_MOST_UNREAD = 500

# A cut piece that lost the trailing space at the cut in a paste is one column short.
_SLACK = 1


def _cut_groups(
    lines: list[str], flags: list[bool], widest: int, tail: bool, value: bool = False
) -> list[Group]:
    """A line as wide as the output's widest (the terminal's width: nothing is wider than the terminal
    that cut it), the warned pieces after it that are as wide again, and (with tail) the last piece,
    which is narrower and may read alone (`Auth verify: PSK`). At least one piece must be warned. The
    width is the widest line as printed: a line joined in an earlier round is at least as wide."""
    full = widest - _SLACK
    groups: list[Group] = []
    index = 0
    while index < len(lines) - 1:
        end = index + 1
        if len(lines[index]) >= full and lines[index].strip():
            while end < len(lines) and flags[end] and len(lines[end]) >= full:
                end += 1
            if tail and end < len(lines) and lines[end].strip():
                end += 1
                if value and end < len(lines) and flags[end - 1] and flags[end] and lines[end].strip():
                    end += 1  # the cut line was a label: its value is on the next line
        if end - index >= 2 and any(flags[index:end]):
            groups.append((index, end))
            index = end
        else:
            index += 1
    return groups


def _cuts(lines: list[str], flags: list[bool], widest: int) -> list[Group]:
    """Cut lines with their last piece."""
    return _cut_groups(lines, flags, widest, tail=True)


def _cuts_with_value(lines: list[str], flags: list[bool], widest: int) -> list[Group]:
    """Cut lines ending in a label, with the value line after them."""
    return _cut_groups(lines, flags, widest, tail=True, value=True)


def _cuts_without_tail(lines: list[str], flags: list[bool], widest: int) -> list[Group]:
    """Cut lines whose last piece was as wide as the others (the line ended at the terminal's edge)."""
    return _cut_groups(lines, flags, widest, tail=False)


def _pairs(lines: list[str], flags: list[bool], widest: int) -> list[Group]:
    """Two warned lines in a row, unreadable alone: a label and its value on the next line."""
    groups: list[Group] = []
    index = 0
    while index < len(lines) - 1:
        if flags[index] and flags[index + 1]:
            groups.append((index, index + 2))
            index += 2
        else:
            index += 1
    return groups


def _exact(pieces: list[str]) -> str:
    return "".join(pieces)


def _spaced(pieces: list[str]) -> str:
    out = pieces[0].rstrip()
    for piece in pieces[1:]:
        out += " " + piece.strip()
    return out


ROUNDS: list[tuple[Callable[[list[str], list[bool], int], list[Group]], Callable[[list[str]], str]]] = [
    (_cuts, _exact),
    (_cuts_without_tail, _exact),
    (_cuts, _spaced),
    (_pairs, _exact),
    (_cuts_with_value, _exact),
]


def _apply(
    lines: list[str], groups: list[Group], join: Callable[[list[str]], str]
) -> tuple[list[str], list[tuple[Group, int]]]:
    """The lines with each group joined, and each group applied with the index of its joined line."""
    out: list[str] = []
    applied: list[tuple[Group, int]] = []
    index = 0
    for start, end in sorted(groups):
        if start < index:  # overlapping groups: the first one wins
            continue
        out.extend(lines[index:start])
        applied.append(((start, end), len(out)))
        out.append(join(lines[start:end]))
        index = end
    out.extend(lines[index:])
    return out, applied


def rejoin(parser: Parser, text: str, options: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """The output's lines with wrapped lines joined, and the parse of those lines."""
    result, unread = _parse(parser, text, options)
    return _rejoin(parser, text, options, result, unread)


def _rejoin(
    parser: Parser, text: str, options: dict[str, Any], result: dict[str, Any], unread: set[str]
) -> tuple[list[str], dict[str, Any]]:
    lines = clean_text(text).split("\n") if text else []
    if not unread or result.get("error") or len(unread) > _MOST_UNREAD:
        return lines, result  # nothing to join, or hundreds of unreadable lines: not this command's output
    widest = max(map(len, lines))  # the terminal's width, from the lines as printed
    for make_groups, join in ROUNDS * 2:  # twice: a join can make the lines after it readable
        flags = _warned_indices(lines, unread)
        groups = make_groups(lines, flags, widest)
        if not groups:
            continue
        trial_lines, applied = _apply(lines, groups, join)
        trial, trial_unread = _parse(parser, "\n".join(trial_lines), options)
        kept = [group for group, position in applied if not _warned(trial_lines[position], trial_unread)]
        if not kept:
            continue
        if len(kept) < len(applied):
            trial_lines, _ = _apply(lines, kept, join)
            trial, trial_unread = _parse(parser, "\n".join(trial_lines), options)
        # Fewer warnings and something read that was not: a line swallowed by a lenient reader (a header
        # that ignores what follows it) removes a warning and reads nothing, and is undone.
        # Pieces that were all unreadable, or three or more (a run of full-width pieces is a cut), read
        # together swallow nothing; a readable line and one more line that read nothing new may.
        swallowed = not all(flags[start] or end - start > 2 for start, end in kept) and not _read_more(
            trial, result
        )
        # Progress: fewer unread lines; or as many, when every continuation piece was unread and now reads
        # (a cut that ended a block early: the lines after it now read inside the block, as printed).
        tails_read = all(all(flags[start + 1 : end]) for start, end in kept)
        progress = len(trial_unread) < len(unread) or (
            len(trial_unread) == len(unread) and tails_read and _read_more(trial, result)
        )
        if not trial.get("error") and progress and not swallowed:
            lines, result, unread = trial_lines, trial, trial_unread
            if not unread:
                break
    return lines, result


def _read_more(trial: dict[str, Any], before: dict[str, Any]) -> bool:
    """Whether the trial parse holds anything besides warnings that the previous one did not."""
    return {k: v for k, v in trial.items() if k != "warnings"} != {
        k: v for k, v in before.items() if k != "warnings"
    }


def rejoins_wrapped_lines(parser: Parser) -> Parser:
    """Decorate a parser of text so that lines wrapped at any width are read whole (module docstring)."""

    @wraps(parser)
    def parse(text: str, **options: Any) -> dict[str, Any]:
        result, unread = _parse(parser, text, options)
        if not unread or result.get("error"):
            return result  # the common case: one parse, nothing to join
        return _rejoin(parser, text, options, result, unread)[1]

    parse.unjoined = parser  # type: ignore[attr-defined]
    return parse
