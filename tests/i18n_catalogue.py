"""The compiled Japanese catalogue as a fixture body, for tests that read Japanese (tests/i18n/compiled.py
compiles it when a fresh checkout has no .mo, or an old one)."""

from __future__ import annotations

from collections.abc import Iterator

from tests.i18n.compiled import compile_japanese


def compiled_catalogue() -> Iterator[None]:
    """Compile locale/ja when needed and forget cached catalogues, then run the tests."""
    compile_japanese()
    yield
