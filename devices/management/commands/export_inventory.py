"""`manage.py export_inventory [-o FILE]`: the inventory YAML of the database, without any secret value."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from devices.inventory_export import export_inventory


class Command(BaseCommand):
    help = (
        "Write the credential sets, alert channels, devices and named tunnels as inventory YAML (standard output or -o FILE); "
        "references are kept, literal secrets and channel URLs are written {stored: true}, never their value."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        text = export_inventory()
        target = options["output"]
        if not target:
            self.stdout.write(text, ending="")
            return
        path = Path(target)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)  # a reader never sees half a file
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise CommandError(
                f"{path}: " + gettext("cannot write: %(error)s") % {"error": exc.strerror}
            ) from None
        self.stderr.write(gettext("wrote %(path)s") % {"path": path})
