"""The three roles (viewer, operator, admin) as Django groups with their permissions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

VIEWER, OPERATOR, ADMIN = "viewer", "operator", "admin"

# Operators may act: re-enroll certificates, acknowledge alerts, silence for maintenance.
OPERATOR_PERMISSIONS = [
    ("pki", "add_enrollment"),
    ("vpnportal", "change_alert"),
    ("vpnportal", "add_maintenancewindow"),
]
VIEW_APPS = ("devices", "pki", "vpnportal")
ADMIN_APPS = ("devices", "pki", "vpnportal", "auth", "authtoken")


def ensure_roles(**kwargs: Any) -> None:
    """Create or refresh the viewer/operator/admin groups (runs after every migrate)."""
    view = Permission.objects.filter(content_type__app_label__in=VIEW_APPS, codename__startswith="view_")
    viewer, _ = Group.objects.get_or_create(name=VIEWER)
    viewer.permissions.set(view)
    operator, _ = Group.objects.get_or_create(name=OPERATOR)
    acts = Permission.objects.none()
    for app_label, codename in OPERATOR_PERMISSIONS:
        acts = acts | Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    operator.permissions.set(view | acts)
    admin, _ = Group.objects.get_or_create(name=ADMIN)
    admin.permissions.set(Permission.objects.filter(content_type__app_label__in=ADMIN_APPS))
