"""Deploy checks of our own: both secrets set, credential keys not derived from the session key."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from vpnportal.startup import missing_secrets, not_set


@register(Tags.security, deploy=True)
def check_secrets(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """An error for each unset secret; a warning when DEBUG derives the credential key."""
    missing = missing_secrets()
    if missing:
        return [
            Error(
                not_set(missing),
                hint="Without DEBUG the web server, the worker and beat refuse to start without them.",
                id="vpnportal.E001",
            )
        ]
    if getattr(settings, "FERNET_KEYS_FROM_ENV", False):
        return []
    return [
        Warning(
            "VPNPORTAL_FERNET_KEYS is not set: device credentials are encrypted with a key derived from "
            "DJANGO_SECRET_KEY.",
            hint="Generate one with Fernet.generate_key() and set VPNPORTAL_FERNET_KEYS.",
            id="vpnportal.W001",
        )
    ]
