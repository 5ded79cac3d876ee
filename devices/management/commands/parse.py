"""`manage.py parse --platform P --command "C" [--explain] [FILE ...]`: print a device output parsed as JSON
(docs/contracts.md §2), or with --explain where each line went."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from devices.parsers.registry import PLATFORMS, ParserError, parse, resolve


class Command(BaseCommand):
    """Parse saved device outputs (files or stdin) with the same parsers the poller uses."""

    help = "Parse a device output (FILE ... or stdin) and print the result as JSON."
    # Parsing needs neither the database nor the URL configuration: skip the system checks.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare --platform, --command, --tz-offset and the files."""
        parser.add_argument("--platform", required=True, help=f"one of {', '.join(PLATFORMS)}")
        parser.add_argument(
            "--command",
            required=True,
            dest="device_command",
            help='the command that produced the output, e.g. "show crypto isakmp sa"',
        )
        parser.add_argument(
            "--tz-offset",
            type=int,
            default=None,
            dest="tz_offset",
            help="minutes east of UTC for zone names the parser does not know",
        )
        parser.add_argument(
            "--explain",
            action="store_true",
            help="for each line, the record and field it went to, or that it went to warnings",
        )
        parser.add_argument("files", nargs="*", metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        """Resolve the parser first (exit 2 when unknown), then parse each input."""
        platform, command = options["platform"], options["device_command"]
        try:
            resolve(platform, command)
        except ParserError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        offset = options["tz_offset"]
        files: list[str] = options["files"]
        if options["explain"]:
            self._explain(platform, command, files, offset)
            return
        if not files:
            text = sys.stdin.read()
            self.stdout.write(json.dumps(parse(platform, command, text, tz_offset_minutes=offset)))
            return
        if len(files) == 1:
            self.stdout.write(json.dumps(parse(platform, command, _read(files[0]), tz_offset_minutes=offset)))
            return
        for name in files:
            outcome = parse(platform, command, _read(name), tz_offset_minutes=offset)
            self.stdout.write(json.dumps({"file": name, "result": outcome}))

    def _explain(self, platform: str, command: str, files: list[str], offset: int | None) -> None:
        """Print each input's lines with where they went (devices/parsers/explain.py)."""
        from devices.parsers.explain import explain, render

        for name in files or ["-"]:
            text = sys.stdin.read() if name == "-" else _read(name)
            if len(files) > 1:
                self.stdout.write(f"== {name}")
            self.stdout.write(render(*explain(platform, command, text, tz_offset_minutes=offset)))


def _read(name: str) -> str:
    try:
        with open(name, encoding="utf-8", errors="replace", newline="") as handle:
            return handle.read()
    except OSError as exc:
        raise CommandError(f"cannot read {name}: {exc}") from exc
