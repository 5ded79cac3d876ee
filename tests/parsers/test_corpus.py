"""The public corpus: every output of a command we parse parses without an exception, empty outputs give
empty lists, and where ntc-templates gives expected values ours agree on every field both have."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from devices.parsers.registry import parse
from tests.parsers.corpus import OUT_OF_SCOPE, PROJECTIONS, all_raw_files, compare, corpus_files
from tests.parsers.helpers import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason="corpus fixtures missing")

FILES = list(corpus_files()) if CORPUS.exists() else []
LIST_KEYS = ("ike_sas", "ipsec_sas", "connections", "certificates", "crls", "keys")


def test_it_covers_every_corpus_file_of_our_commands() -> None:
    ours = {path for path, _, _ in FILES}
    for path in all_raw_files():
        if path not in ours:
            command_dir = path.relative_to(CORPUS).parts[2]
            assert command_dir.startswith(OUT_OF_SCOPE), f"{path} is neither parsed nor declared out of scope"
    assert len(FILES) >= 75


@pytest.mark.parametrize(
    ("path", "platform", "command"), FILES, ids=[str(p.relative_to(CORPUS)) for p, _, _ in FILES]
)
def test_it_parses_the_file_without_an_exception(path: Path, platform: str, command: str) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    result = parse(platform, command, text)
    assert isinstance(result["warnings"], list) and "error" not in result
    lists = [result[key] for key in LIST_KEYS if key in result]
    if not text.strip():
        assert all(value == [] for value in lists)
    elif "equal" in path.parts or path.suffix == ".raw":
        # A real output of the command: something comes out of it, or it says there is nothing
        # (`There are no IKEv2 SAs`) and nothing was left over.
        assert any(lists) or result.get("clock") or result["warnings"] == [], result["warnings"][:5]


NTC = sorted((CORPUS / "ntc-templates").rglob("*.yml")) if CORPUS.exists() else []
NTC_OURS = [p for p in NTC if f"{p.parent.parent.name}/{p.parent.name}" in PROJECTIONS]


@pytest.mark.parametrize("expected", NTC_OURS, ids=[p.name for p in NTC_OURS])
def test_it_agrees_with_ntc_templates_on_every_field_both_have(expected: Path) -> None:
    key = f"{expected.parent.parent.name}/{expected.parent.name}"
    platform = expected.parent.parent.name
    command = {path: cmd for path, _, cmd in FILES}[expected.with_suffix(".raw")]
    result = parse(platform, command, expected.with_suffix(".raw").read_text())
    ntc_rows = yaml.safe_load(expected.read_text())["parsed_sample"]
    stats = compare(ntc_rows, PROJECTIONS[key](result), platform)
    assert stats["disagreed"] == []
    assert stats["ntc_only"] == [], "ntc extracts fields we do not"
    assert stats["rows_ours"] == stats["rows_ntc"]
    assert stats["agreed"] > 0
