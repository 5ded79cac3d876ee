"""App config of the devices app."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevicesConfig(AppConfig):
    """Inventory, polling, SA state, counter history, tunnel correlation; `simulate` starts the simulator."""

    name = "devices"
    verbose_name = _("Devices")
    default_auto_field = "django.db.models.BigAutoField"
