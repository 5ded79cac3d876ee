"""Django's compilemessages, for vpnportal's catalogues only (locale/), never the virtualenv's.

Django's command compiles every ``locale`` folder under the working directory: from the repository root
that includes Django's and the other packages' catalogues inside .venv. `make install` runs this one
(``manage.py compilemessages``), which skips what makemessages skips. docs/translating.md says the rest.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import compilemessages

from vpnportal.management.commands.makemessages import NOT_THE_PRODUCT


class Command(compilemessages.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        options["ignore_patterns"] = list(options.get("ignore_patterns") or []) + NOT_THE_PRODUCT
        super().handle(*args, **options)
