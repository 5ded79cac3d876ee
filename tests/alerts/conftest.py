"""Alert tests: one recipient, the default two-poll pending period, mail kept in memory unless SMTP is used."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def alert_settings(settings: Any) -> Any:
    settings.ALERT_EMAIL_TO = ["noc@example.com"]
    settings.ALERT_PENDING_POLLS = 2
    settings.ALERT_REMINDER_HOURS = 24
    settings.ALERT_RECOVERY_EMAILS = True
    settings.CERT_WARN_DAYS = [30, 7, 1]
    settings.CRL_WARN_HOURS = 24
    settings.CLOCK_SKEW_WARN_SECONDS = 60
    settings.CERT_PENDING_WARN_HOURS = 24
    settings.NOTIFY_RETRY_BASE_SECONDS = 30
    settings.NOTIFY_MAX_ATTEMPTS = 12
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings
