"""The AUTH_LDAP_* settings as django-auth-ldap objects, and the authentication backends (read by settings.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ldap
from django.core.exceptions import ImproperlyConfigured
from django_auth_ldap.config import (
    GroupOfNamesType,
    GroupOfUniqueNamesType,
    LDAPGroupType,
    LDAPSearch,
    NestedActiveDirectoryGroupType,
    NestedGroupOfNamesType,
    PosixGroupType,
)

# AUTH_LDAP_GROUP_TYPE names: how a group lists its members. activeDirectory follows nested groups.
GROUP_TYPES: dict[str, type[LDAPGroupType]] = {
    "groupOfNames": GroupOfNamesType,
    "nestedGroupOfNames": NestedGroupOfNamesType,
    "groupOfUniqueNames": GroupOfUniqueNamesType,
    "posixGroup": PosixGroupType,
    "activeDirectory": NestedActiveDirectoryGroupType,
}


@dataclass(frozen=True)
class DirectoryConfig:
    """The django-auth-ldap objects built from the AUTH_LDAP_* variables (all None without a server)."""

    user_search: LDAPSearch | None = None
    group_search: LDAPSearch | None = None
    group_type: LDAPGroupType | None = None
    connection_options: dict[int, Any] = field(default_factory=dict)


def directory_config(
    server_uri: str,
    *,
    user_search_base: str,
    user_filter: str,
    group_search_base: str,
    group_type: str,
    timeout_seconds: int,
    ca_file: str = "",
) -> DirectoryConfig:
    """Validate the AUTH_LDAP_* values and build the searches, the group type and the connection options."""
    if group_type not in GROUP_TYPES:
        raise ImproperlyConfigured(
            f"AUTH_LDAP_GROUP_TYPE must be one of {', '.join(GROUP_TYPES)}, got {group_type!r}"
        )
    if not server_uri:
        return DirectoryConfig()
    if not server_uri.startswith(("ldap://", "ldaps://")):
        raise ImproperlyConfigured("AUTH_LDAP_SERVER_URI must start with ldap:// or ldaps://")
    missing = [
        name
        for name, value in (
            ("AUTH_LDAP_USER_SEARCH_BASE", user_search_base),
            ("AUTH_LDAP_GROUP_SEARCH_BASE", group_search_base),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(f"AUTH_LDAP_SERVER_URI is set: set {' and '.join(missing)} too")
    if "%(user)s" not in user_filter:
        raise ImproperlyConfigured("AUTH_LDAP_USER_FILTER must contain %(user)s, e.g. (uid=%(user)s)")
    options: dict[int, Any] = {
        # Active Directory answers with referrals python-ldap would chase anonymously.
        ldap.OPT_REFERRALS: 0,
        # An unreachable or hung server fails the login after this long, never hangs the page.
        ldap.OPT_NETWORK_TIMEOUT: timeout_seconds,
        ldap.OPT_TIMEOUT: timeout_seconds,
        ldap.OPT_X_TLS_REQUIRE_CERT: ldap.OPT_X_TLS_DEMAND,
    }
    if ca_file:
        options[ldap.OPT_X_TLS_CACERTFILE] = ca_file
    # Applies the TLS options above to this connection (must be the last TLS option set).
    options[ldap.OPT_X_TLS_NEWCTX] = 0
    return DirectoryConfig(
        user_search=LDAPSearch(user_search_base, ldap.SCOPE_SUBTREE, user_filter),
        group_search=LDAPSearch(group_search_base, ldap.SCOPE_SUBTREE),
        group_type=GROUP_TYPES[group_type](),
        connection_options=options,
    )


def authentication_backends(directory: bool) -> list[str]:
    """Login throttling first, then local accounts, then the directory when AUTH_LDAP_SERVER_URI is set."""
    backends = ["vpnportal.throttling.ThrottlingBackend", "django.contrib.auth.backends.ModelBackend"]
    if directory:
        backends.append("vpnportal.directory.DirectoryBackend")
    return backends
