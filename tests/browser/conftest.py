"""Headless Chromium (Debian's package, never a downloaded browser) driven by Playwright, and the seed rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pages.seed import Seed, make_seed

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def seed(transactional_db: None) -> Seed:
    return make_seed()


@pytest.fixture
def shot() -> object:
    """Save a full-page screenshot under var/screenshots/ (gitignored) as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
