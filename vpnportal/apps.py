"""App config of the cross-cutting app."""

from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class VpnportalConfig(AppConfig):
    """Alerts, notifications, audit and the dashboard home."""

    name = "vpnportal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from vpnportal import checks  # noqa: F401 - registers the deploy checks
        from vpnportal.roles import ensure_roles

        post_migrate.connect(ensure_roles, sender=self)
