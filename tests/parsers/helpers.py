"""Paths and loaders shared by the parser tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "cli"
# The Cisco guide vpnportal grew from (Japanese prose, English device outputs); see SEED_README.md.
SEED_DOCUMENT = FIXTURES / "seed_document" / "000_1aac59b383724b1f.txt"
# Public real-device outputs (genieparser, ntc-templates; Apache-2.0, see SOURCE.md in each folder).
CORPUS = ROOT / "tests" / "fixtures" / "corpus"


def fixture(platform: str, name: str) -> str:
    """The text of tests/fixtures/cli/<platform>/<name>.txt."""
    return (FIXTURES / platform / f"{name}.txt").read_text(encoding="utf-8")


def seed_document() -> str:
    """The seed document, as kept with the fixtures."""
    return SEED_DOCUMENT.read_text(encoding="utf-8")
