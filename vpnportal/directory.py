"""Directory (LDAP / Active Directory) logins: roles from group DNs at each login; no role, no login."""

from __future__ import annotations

import logging
from typing import Any

import ldap
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.translation import gettext_noop
from django_auth_ldap.backend import LDAPBackend, ldap_error

from vpnportal.audit import audit
from vpnportal.choices import AuditAction
from vpnportal.login_problems import note_login_problem
from vpnportal.roles import ADMIN, OPERATOR, VIEWER

log = logging.getLogger(__name__)

ROLES = (VIEWER, OPERATOR, ADMIN)
# English message ids: the login form says them in the reader's language (vpnportal/login_problems.py).
UNREACHABLE = gettext_noop(
    "The directory server cannot be reached, so directory accounts cannot log in right now. "
    "Local accounts still can. Try again in a few minutes or tell your administrator."
)
NO_ROLE = gettext_noop(
    "Your directory account is in none of vpnportal's groups (viewer, operator, admin). "
    "Ask your directory administrator to add you to one."
)


def normalize_dn(dn: str) -> str:
    """A DN in one spelling: attribute names and values lower-cased, no spaces around separators."""
    try:
        return str(ldap.dn.dn2str(ldap.dn.str2dn(dn.lower())))
    except ldap.DECODING_ERROR:
        return dn.strip().lower()


def role_group_dns() -> dict[str, str]:
    """Role name -> the normalised group DN that grants it (AUTH_LDAP_VIEWER/OPERATOR/ADMIN_GROUP)."""
    configured = {
        VIEWER: settings.AUTH_LDAP_VIEWER_GROUP,
        OPERATOR: settings.AUTH_LDAP_OPERATOR_GROUP,
        ADMIN: settings.AUTH_LDAP_ADMIN_GROUP,
    }
    return {role: normalize_dn(dn) for role, dn in configured.items() if dn}


def roles_from_groups(group_dns: set[str] | frozenset[str], role_dns: dict[str, str]) -> set[str]:
    """The roles whose group DN is among the user's groups."""
    held = {normalize_dn(dn) for dn in group_dns}
    return {role for role, dn in role_dns.items() if dn in held}


def apply_roles(user: Any, roles: set[str]) -> None:
    """Make the user's role groups exactly `roles` (other groups untouched); joining admin makes staff."""
    before = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    if before == roles:
        return
    groups = {group.name: group for group in Group.objects.filter(name__in=ROLES)}
    missing = roles - set(groups)
    if missing:
        raise ImproperlyConfigured(f"role groups {sorted(missing)} do not exist: run `manage.py migrate`")
    if before - roles:
        user.groups.remove(*(groups[name] for name in before - roles))
    if roles - before:
        user.groups.add(*(groups[name] for name in roles - before))
    audit(
        "directory roles",
        user=user,
        obj=user,
        action=AuditAction.UPDATE,
        before=sorted(before),
        after=sorted(roles),
        message="roles re-read from the directory groups at login",
    )


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap, plus: roles from the role group DNs at each login, and no role means no login.

    A local account (one with a usable password, or a superuser) is never logged in, nor changed, by a
    directory entry of the same name: accounts the directory creates have no local password.
    """

    def get_or_build_user(self, username: str, ldap_user: Any) -> tuple[Any, bool]:
        """The Django user of a directory login: never a local account's, and none for a user with no role.

        Called once the directory accepted the password. The groups are read here, so that a user in no
        role group gets no Django account (and an existing one loses its roles); an LDAPError on the way
        is reported by django-auth-ldap through `ldap_error` (directory_failed).
        """
        user, built = super().get_or_build_user(username, ldap_user)
        if not built and (user.has_usable_password() or user.is_superuser):
            log.warning("directory login refused: %s is a local account", username)
            raise ldap_user.AuthenticationFailed("local account of the same name")
        roles = roles_from_groups(ldap_user.group_dns, role_group_dns())
        if not roles:
            if not built:
                apply_roles(user, set())
            note_login_problem(getattr(ldap_user, "_request", None), NO_ROLE)
            raise ldap_user.AuthenticationFailed("in none of the role groups")
        ldap_user.vpnportal_roles = roles
        return user, built

    def authenticate_ldap_user(self, ldap_user: Any, password: str) -> Any:
        """Bind as the user (django-auth-ldap), then give the saved user exactly the roles of their groups."""
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is not None:
            apply_roles(user, ldap_user.vpnportal_roles)
        return user


def directory_failed(
    sender: Any, context: str = "", request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """ldap_error of the directory backend: the login page says the directory is unavailable."""
    exception = kwargs.get("exception")
    # SERVER_DOWN is also what a refused TLS handshake gives: an untrusted certificate (AUTH_LDAP_CA_FILE).
    log.error("directory unavailable (%s): %s %s", context, type(exception).__name__, exception)
    note_login_problem(request, UNREACHABLE)


ldap_error.connect(directory_failed, sender=DirectoryBackend, dispatch_uid="vpnportal.directory_failed")
