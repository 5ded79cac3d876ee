"""`manage.py evaluate_alerts`: evaluate the alert rules and send due notifications now."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext

from vpnportal.alerting.cycle import run_alert_cycle


class Command(BaseCommand):
    help = "Evaluate every alert rule now and send the due notifications (the evaluate_alerts task)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the summary as one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        summary = run_alert_cycle()
        if options["json"]:
            self.stdout.write(json.dumps(summary, sort_keys=True))
            return
        self.stdout.write(
            gettext(
                "alerts: %(opened)s opened, %(fired)s fired, %(worse)s worse, %(resolved)s resolved, "
                "%(unknown)s unknown, %(reminders)s reminders; notifications: %(notifications_queued)s queued, "
                "%(sent)s sent, %(retry)s to retry, %(failed)s failed"
            )
            % summary
        )
