"""The Japanese catalogue compiled for a test, as `make install` compiles it (the .mo files are not kept in git)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.signals import setting_changed


def compile_japanese() -> None:
    """Compile locale/ja when a .mo is missing or older than its .po, then tell Django the catalogues
    changed so the fresh .mo is read (the same signal override_settings(LOCALE_PATHS=...) sends: it empties
    the loaded translations). A fresh .mo is left as it is: parallel test processes do not rewrite it under
    each other."""
    folder = Path(settings.LOCALE_PATHS[0]) / "ja" / "LC_MESSAGES"
    stale = [
        po
        for po in folder.glob("*.po")
        if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        call_command("compilemessages", locale=["ja"], verbosity=0)
    setting_changed.send(sender=None, setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False)
