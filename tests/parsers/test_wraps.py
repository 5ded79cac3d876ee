"""Lines wrapped at any terminal width are read whole: every fixture and corpus output, cut at random
widths (40-200 columns) and at exactly its widest line, parses as the unwrapped output does."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.parsers.registry import ParserError, parse, resolve
from tests.parsers.corpus import corpus_files
from tests.parsers.helpers import CORPUS, FIXTURES


def wrap(text: str, width: int) -> str:
    """Cut every line longer than width into width-wide pieces, as a terminal does."""
    out = []
    for line in text.split("\n"):
        while len(line) > width:
            out.append(line[:width])
            line = line[width:]
        out.append(line)
    return "\n".join(out)


def _fixture_cases() -> list[tuple[Path, str, str]]:
    """Each golden fixture whose file name is a command we parse (`show_crypto_ca_crls__x.txt`)."""
    cases = []
    for path in sorted(FIXTURES.glob("cisco_*/*.txt")):
        command = path.stem.split("__")[0].replace("_", " ")
        try:
            resolve(path.parent.name, command)
        except ParserError:
            continue
        cases.append((path, path.parent.name, command))
    return cases


CASES = _fixture_cases() + list(corpus_files())
IDS = [str(path.relative_to(CORPUS if CORPUS in path.parents else FIXTURES)) for path, _, _ in CASES]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def test_the_cases_cover_fixtures_and_corpus() -> None:
    assert len(_fixture_cases()) >= 20
    assert len(CASES) - len(_fixture_cases()) >= 50


@pytest.mark.parametrize(("path", "platform", "command"), CASES, ids=IDS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(width=st.integers(min_value=40, max_value=200))
def test_a_wrap_at_any_width_parses_as_the_whole_output(
    path: Path, platform: str, command: str, width: int
) -> None:
    text = _read(path)
    assert parse(platform, command, wrap(text, width)) == parse(platform, command, text)


@pytest.mark.parametrize(("path", "platform", "command"), CASES, ids=IDS)
def test_lines_exactly_as_wide_as_the_widest_are_whole_lines(path: Path, platform: str, command: str) -> None:
    text = _read(path)
    widest = max(len(line) for line in text.split("\n"))
    expected = parse(platform, command, text)
    assert parse(platform, command, wrap(text, widest)) == expected
    if widest > 40:  # the widest line cut once, one column short
        assert parse(platform, command, wrap(text, widest - 1)) == expected
