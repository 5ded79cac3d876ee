"""Entry point of a spawned polling process (`run_poll_cycle(processes=N)`); imports Django models only after setup."""

from __future__ import annotations

import os
from typing import Any


def poll_in_process(payload: dict[str, Any]) -> list[Any]:
    """Set Django up like the parent (settings, database), then poll the given device ids with threads."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", payload["settings_module"])
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    for key, value in payload["settings"].items():
        setattr(settings, key, value)
    connections["default"].settings_dict["NAME"] = payload["db_name"]
    from devices.collect import poll_threads
    from devices.models import Device

    try:
        devices = list(Device.objects.filter(pk__in=payload["ids"]))
        return poll_threads(devices, payload["threads"])
    finally:
        connections.close_all()
