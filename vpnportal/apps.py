"""App config of the cross-cutting app."""

from __future__ import annotations

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import m2m_changed, post_migrate


class VpnportalConfig(AppConfig):
    """Alerts, notifications, audit and the dashboard home."""

    name = "vpnportal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.models import User

        from vpnportal import checks  # noqa: F401 - registers the deploy checks
        from vpnportal.language import language_at_login
        from vpnportal.page_cache import connect_signals
        from vpnportal.roles import refresh_roles_after_migrate, sync_staff_with_admin_role

        # Every app's post_migrate, not only ours: the devices and pki permissions are created in theirs.
        post_migrate.connect(refresh_roles_after_migrate, dispatch_uid="vpnportal.roles")
        m2m_changed.connect(
            sync_staff_with_admin_role, sender=User.groups.through, dispatch_uid="vpnportal.admin_staff"
        )
        # The account's language comes back into each new session (or the login page's choice is kept).
        user_logged_in.connect(language_at_login, dispatch_uid="vpnportal.language")
        connect_signals()
