"""The three roles (viewer, operator, admin) as Django groups with their permissions; admins are staff."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission, User
from django.db import DEFAULT_DB_ALIAS

VIEWER, OPERATOR, ADMIN = "viewer", "operator", "admin"

# Operators may act: re-enroll certificates, acknowledge alerts, silence for maintenance.
OPERATOR_PERMISSIONS = [
    ("pki", "add_enrollment"),
    ("vpnportal", "change_alert"),
    ("vpnportal", "add_maintenancewindow"),
]
VIEW_APPS = ("devices", "pki", "vpnportal", "events")
ADMIN_APPS = ("devices", "pki", "vpnportal", "events", "auth", "authtoken")


def ensure_roles(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Create or refresh the viewer/operator/admin groups and make every admin staff."""
    perms = Permission.objects.using(using)
    view = perms.filter(content_type__app_label__in=VIEW_APPS, codename__startswith="view_")
    viewer, _ = Group.objects.using(using).get_or_create(name=VIEWER)
    viewer.permissions.set(view)
    operator, _ = Group.objects.using(using).get_or_create(name=OPERATOR)
    acts = perms.none()
    for app_label, codename in OPERATOR_PERMISSIONS:
        acts = acts | perms.filter(content_type__app_label=app_label, codename=codename)
    operator.permissions.set(view | acts)
    admin, _ = Group.objects.using(using).get_or_create(name=ADMIN)
    admin.permissions.set(perms.filter(content_type__app_label__in=ADMIN_APPS))
    User.objects.using(using).filter(groups=admin, is_staff=False).update(is_staff=True)


def refresh_roles_after_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """post_migrate of the last app: each app's permissions exist only once its own post_migrate ran.

    `migrate` (and a test database's flush) sends post_migrate for every installed app with models, in
    order, and Django's create_permissions is connected before this receiver: after the last one the
    permissions of every app exist, so the groups are complete after a single `migrate` of a new
    database, and they are set once, not once per app.
    """
    with_models = [config for config in django_apps.get_app_configs() if config.models_module is not None]
    if with_models and sender.label == with_models[-1].label:
        ensure_roles(using=using)


def _set_staff(user_ids: Iterable[int], staff: bool) -> None:
    users = User.objects.filter(pk__in=list(user_ids))
    if staff:
        users.filter(is_staff=False).update(is_staff=True)
    else:
        # Leaving the admin role ends admin-site access, except for superusers (createsuperuser).
        users.filter(is_staff=True, is_superuser=False).exclude(groups__name=ADMIN).update(is_staff=False)


def sync_staff_with_admin_role(
    instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """m2m_changed of User.groups: joining the admin role makes a user staff, leaving it takes that back.

    Without staff the admin site turns an admin-role user away, although the role holds every
    permission the site checks.
    """
    if action not in ("post_add", "post_remove", "pre_clear", "post_clear"):
        return
    admin_id = Group.objects.filter(name=ADMIN).values_list("pk", flat=True).first()
    if admin_id is None:
        return
    if not reverse:  # user.groups changed: instance is the user, pk_set holds group ids
        if action == "pre_clear":
            instance._was_admin = instance.groups.filter(pk=admin_id).exists()
            return
        touched = action == "post_clear" and getattr(instance, "_was_admin", False)
        if not touched and not (pk_set and admin_id in pk_set):
            return
        _set_staff([instance.pk], staff=action == "post_add")
        # A later save() of this very object must not write the old flag back.
        instance.is_staff = User.objects.filter(pk=instance.pk).values_list("is_staff", flat=True).first()
        return
    if instance.pk != admin_id:  # group.user_set changed: instance is the group, pk_set holds user ids
        return
    if action == "pre_clear":
        instance._cleared_users = list(instance.user_set.values_list("pk", flat=True))
        return
    users = getattr(instance, "_cleared_users", []) if action == "post_clear" else (pk_set or [])
    _set_staff(users, staff=action == "post_add")
