"""Django's makemessages, knowing vpnportal's own translation keywords and what is not the product.

- ``deferred(msgid, ...)`` and ``deferred_plural(singular, plural, n, ...)`` (vpnportal/translated_text.py)
  are texts stored now and rendered later in the reader's language: xgettext must extract them.
- The virtualenv, var/, the tests, the benches, the simulator (it prints what devices print, never
  translated) and build output are not scanned.

Run from the repository root: ``.venv/bin/python manage.py makemessages -l ja`` (and ``-d djangojs``
for the scripts). docs/translating.md says the rest.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import makemessages

NOT_THE_PRODUCT = [
    ".venv",
    "var",
    "tests",
    "bench",
    "simulator",
    "build",
    "dist",
    "deploy",
    "docs",
    "node_modules",
    "static/vendor",
    "vpnportal/bundle",
    "*.egg-info",
]


class Command(makemessages.Command):
    xgettext_options = [
        *makemessages.Command.xgettext_options,
        "--keyword=deferred",
        "--keyword=deferred_plural:1,2",
    ]

    def handle(self, *args: Any, **options: Any) -> None:
        options["ignore_patterns"] = list(options.get("ignore_patterns") or []) + NOT_THE_PRODUCT
        super().handle(*args, **options)
