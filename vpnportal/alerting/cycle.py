"""One alert cycle: diagnosis refresh, then rule evaluation, then notifications.

This is what the `poll` and `evaluate_alerts` commands and the Celery task call, and the only module
that knows all three steps.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.utils import timezone

from devices.diagnosis.refresh import refresh_for_alerts
from vpnportal.alerting.evaluate import evaluate_rules
from vpnportal.alerting.notify import build_notifications, send_due_notifications
from vpnportal.dashboard import prepare_overview_alerts

log = logging.getLogger(__name__)


def run_alert_cycle(now: datetime | None = None) -> dict[str, Any]:
    """Refresh the diagnosis findings, evaluate every rule, then build and send the due notifications."""
    now = now or timezone.now()
    # Findings first (only devices with a new poll are re-parsed): weak_crypto reads the stored ones.
    diagnosis = refresh_for_alerts()
    result = evaluate_rules(now).as_dict()
    result["diagnosis"] = diagnosis
    result["notifications_queued"] = build_notifications(now)
    result.update(send_due_notifications(now))
    # The overview's alert triage for what this cycle left, here rather than in the first reader's request.
    result["overview_triaged"] = prepare_overview_alerts()
    log.info("alert cycle: %s", result)
    return result
