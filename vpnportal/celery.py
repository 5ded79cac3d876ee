"""The Celery app: JSON only, late acks, settings under the CELERY_ namespace."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpnportal.settings")

app = Celery("vpnportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
