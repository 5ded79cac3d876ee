"""`manage.py import_inventory FILE [--prune] [--dry-run]`: upsert the inventory YAML (docs/inventory.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from devices.inventory import InventoryError, import_inventory_file


class Command(BaseCommand):
    """Errors and the summary are in settings.LANGUAGE_CODE (commands keep Django's default language)."""

    help = (
        "Import credential sets, alert channels, devices and tunnels from an inventory YAML file "
        "(idempotent, all or nothing)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="inventory YAML file")
        parser.add_argument(
            "--prune",
            action="store_true",
            help="delete devices, tunnels, credential sets and inventory channels the file no longer names",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print what would be created, changed and pruned (secrets and URLs only as changed); write nothing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        try:
            result = import_inventory_file(options["file"], prune=options["prune"], dry_run=dry_run)
        except InventoryError as exc:
            raise CommandError(str(exc)) from None
        if dry_run:
            for line in result.details:
                self.stdout.write(line)
            if not result.details:
                self.stdout.write(gettext("no change"))
            self.stdout.write(
                gettext("dry run, nothing written: %(summary)s") % {"summary": result.summary()}
            )
            return
        self.stdout.write(result.summary())
