"""vpnportal: the project package and the cross-cutting app (alerts, notifications, audit, home)."""

from __future__ import annotations

from vpnportal.celery import app as celery_app

__all__ = ("celery_app",)
