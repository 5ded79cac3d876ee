"""`manage.py import_inventory FILE [--prune]`: upsert the inventory YAML (docs/contracts.md §3)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from devices.inventory import InventoryError, import_inventory_file


class Command(BaseCommand):
    help = "Import devices and tunnels from an inventory YAML file (idempotent, all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="inventory YAML file")
        parser.add_argument(
            "--prune", action="store_true", help="delete devices and tunnels the file no longer names"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = import_inventory_file(options["file"], prune=options["prune"])
        except InventoryError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(result.summary())
