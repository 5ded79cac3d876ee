"""`manage.py poll [--device NAME ...] [--strict]`: one whole cycle now, through the tasks' code."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext, ngettext

from devices.fleet import DeviceOutcome, run_poll_cycle


class Command(BaseCommand):
    help = "Poll devices now, correlate tunnels, evaluate alerts; print a summary table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--device", action="append", default=[], metavar="NAME", help="poll only these")
        parser.add_argument("--strict", action="store_true", help="exit 1 if any device failed")
        parser.add_argument(
            "--concurrency", type=int, default=None, help="threads (default POLL_CONCURRENCY)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tty = sys.stderr.isatty()

        def progress(done: int, total: int, outcome: DeviceOutcome) -> None:
            if not tty:
                return
            width = 30
            filled = int(width * done / max(total, 1))
            sys.stderr.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {outcome.device[:30]:30}"
            )
            sys.stderr.flush()
            if done == total:
                sys.stderr.write("\n")

        try:
            result = run_poll_cycle(
                options["device"] or None, concurrency=options["concurrency"], progress=progress
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        rows = [(gettext("device"), gettext("outcome"), gettext("duration"), gettext("reason"))]
        rows += [(o.device, o.status, f"{o.seconds:.2f}s", o.reason) for o in result.outcomes]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for row in rows:
            self.stdout.write("  ".join(row[i].ljust(widths[i]) for i in range(3)) + "  " + row[3])
        failed = result.failed
        self.stdout.write(
            ngettext(
                "%(n)s devices in %(seconds)ss, %(failed)s failed",
                "%(n)s devices in %(seconds)ss, %(failed)s failed",
                len(result.outcomes),
            )
            % {"n": len(result.outcomes), "seconds": f"{result.seconds:.1f}", "failed": len(failed)}
            + (f"; {result.alerting}" if result.alerting else "")
        )
        if options["strict"] and failed:
            sys.exit(1)
