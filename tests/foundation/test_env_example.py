"""`.env.example` lists every variable the settings read, and nothing they don't."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Read by Celery/Django tooling or the test settings rather than settings.py's env_* helpers.
NOT_IN_EXAMPLE = {
    "VPNPORTAL_TEST_DB",
    "VPNPORTAL_TEST_REDIS_URL",
    "EMAIL_BACKEND",
    "VPNPORTAL_LOG_LEVEL",
    "VPNPORTAL_TIME_ZONE",
    "DJANGO_STATIC_ROOT",
    "VPNPORTAL_PLAIN_STATIC",
    "CELERY_TASK_ALWAYS_EAGER",
    "CELERY_TASK_TIME_LIMIT",
    "CELERY_TASK_SOFT_TIME_LIMIT",
    "DJANGO_SESSION_AGE_SECONDS",
    "DJANGO_HSTS_SECONDS",
    "DJANGO_SECURE_SSL_REDIRECT",
    "EMAIL_TIMEOUT",
}


def settings_variables() -> set[str]:
    text = (ROOT / "vpnportal" / "settings.py").read_text()
    return set(re.findall(r'env_(?:str|bool|int|list|int_list)\(\s*"([A-Z_]+)"', text))


def example_variables() -> set[str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return {m.group(1) for line in lines if (m := re.match(r"^#?\s*([A-Z][A-Z0-9_]+)=", line))}


def test_it_documents_every_variable_the_settings_read() -> None:
    missing = settings_variables() - example_variables() - NOT_IN_EXAMPLE
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_it_documents_the_design_variables() -> None:
    design = {
        "DATABASE_URL",
        "REDIS_URL",
        "DJANGO_SECRET_KEY",
        "DJANGO_DEBUG",
        "DJANGO_ALLOWED_HOSTS",
        "VPNPORTAL_FERNET_KEYS",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
        "EMAIL_USE_TLS",
        "DEFAULT_FROM_EMAIL",
        "ALERT_EMAIL_TO",
        "POLL_INTERVAL_SECONDS",
        "CERT_WARN_DAYS",
        "CRL_WARN_HOURS",
        "CLOCK_SKEW_WARN_SECONDS",
    }
    assert design <= example_variables()
    assert design <= settings_variables()
