"""The Japanese catalogue compiled for a test, as `make install` compiles it (the .mo files are not kept in git)."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.signals import setting_changed


def compile_japanese() -> None:
    """Compile locale/ja, then tell Django the catalogues changed so the fresh .mo is read (the same
    signal override_settings(LOCALE_PATHS=...) sends: it empties the loaded translations)."""
    call_command("compilemessages", locale=["ja"], verbosity=0)
    setting_changed.send(sender=None, setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False)
