"""Deploy checks of our own: credential keys must be real, not derived from the demo default."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_fernet_keys(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Warn when credential encryption keys are not set explicitly."""
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
