"""App config of the events app."""

from __future__ import annotations

from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Device syslog: the receiver (`manage.py syslog`), events, the polls they trigger, tunnel timelines."""

    name = "events"
    default_auto_field = "django.db.models.BigAutoField"
