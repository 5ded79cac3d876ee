"""Paths and loaders shared by the parser tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "cli"
# shared/ lies beside the checkout (as in CI); the fixtures keep copies so the tests never depend on it.
SEED_DOCUMENT = ROOT.parent / "shared" / "seeds" / "000_1aac59b383724b1f.txt"
SEED_COPY = FIXTURES / "seed_document" / "000_1aac59b383724b1f.txt"
# Public real-device outputs (genieparser, ntc-templates; Apache-2.0, see SOURCE.md in each folder).
CORPUS = ROOT / "tests" / "fixtures" / "corpus"


def fixture(platform: str, name: str) -> str:
    """The text of tests/fixtures/cli/<platform>/<name>.txt."""
    return (FIXTURES / platform / f"{name}.txt").read_text(encoding="utf-8")


def seed_document() -> str:
    """The seed document: the shared copy when present, else the one kept with the fixtures."""
    path = SEED_DOCUMENT if SEED_DOCUMENT.exists() else SEED_COPY
    return path.read_text(encoding="utf-8")
