"""The compiled Japanese catalogue for tests that read Japanese: `make install` compiles it; a fresh
checkout may not have, and the .mo is not in git."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.utils.translation import trans_real


def compiled_catalogue() -> Iterator[None]:
    """Compile locale/ja when its .mo is missing or older than the .po, and forget cached catalogues."""
    po = Path(settings.LOCALE_PATHS[0]) / "ja" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        call_command("compilemessages", "-l", "ja", verbosity=0)
        trans_real._translations = {}  # type: ignore[attr-defined]
        trans_real._default = None  # type: ignore[attr-defined]
    yield
