"""Paths and loaders shared by the parser tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "cli"
SEED_DOCUMENT = Path("/work/shared/seeds/000_1aac59b383724b1f.txt")
SEED_COPY = FIXTURES / "seed_document" / "000_1aac59b383724b1f.txt"
CORPUS = Path("/work/shared/corpus")


def fixture(platform: str, name: str) -> str:
    """The text of tests/fixtures/cli/<platform>/<name>.txt."""
    return (FIXTURES / platform / f"{name}.txt").read_text(encoding="utf-8")


def seed_document() -> str:
    """The seed document: the shared copy when present, else the one kept with the fixtures."""
    path = SEED_DOCUMENT if SEED_DOCUMENT.exists() else SEED_COPY
    return path.read_text(encoding="utf-8")
