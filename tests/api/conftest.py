"""Fixtures of the page tests: the seed pair's rows."""

from __future__ import annotations

import pytest

from tests.pages.seed import Seed, make_seed


@pytest.fixture
def seed(db: None) -> Seed:
    return make_seed()
