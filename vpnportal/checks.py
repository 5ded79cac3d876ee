"""Deploy checks of our own: both secrets set, credential keys not derived from the session key."""

from __future__ import annotations

from pathlib import Path
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


@register(Tags.security, deploy=True)
def check_installed_paths(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """From an installed wheel, state and static files must not default to a folder inside site-packages."""
    base = Path(settings.BASE_DIR)
    if (base / "manage.py").is_file():
        return []  # a checkout: relative paths are relative to it, as documented
    inside = [
        name
        for name, path in (
            ("VPNPORTAL_VAR_DIR", settings.VAR_DIR),
            ("DJANGO_STATIC_ROOT", settings.STATIC_ROOT),
            ("VPNPORTAL_KNOWN_HOSTS", settings.VPNPORTAL_KNOWN_HOSTS),
        )
        if Path(path).resolve().is_relative_to(base.resolve())
    ]
    if not inside:
        return []
    return [
        Warning(
            f"{', '.join(inside)} point(s) inside the installed package ({base}).",
            hint="Set them to absolute paths (deploy/env.example: /var/lib/vpnportal, /opt/vpnportal/static).",
            id="vpnportal.W020",
        )
    ]
