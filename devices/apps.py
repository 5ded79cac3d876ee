"""App config of the devices app."""

from __future__ import annotations

from django.apps import AppConfig


class DevicesConfig(AppConfig):
    """Inventory, polling, SA state, counter history, tunnel correlation; `simulate` starts the simulator."""

    name = "devices"
    default_auto_field = "django.db.models.BigAutoField"
