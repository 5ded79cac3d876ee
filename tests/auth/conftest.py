"""Fixtures of the login tests: a real slapd with a tree of its own, and the portal pointed at it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tests.auth.ldap_server import (
    BIND_DN,
    BIND_PASSWORD,
    GROUPS,
    PEOPLE,
    LdapServer,
    running_slapd,
    slapd_available,
)
from vpnportal.directory_settings import authentication_backends, directory_config

_serial = itertools.count(1)


@dataclass
class Directory:
    """The running server and the DNs of the role groups the portal is configured with."""

    server: LdapServer
    viewers: str
    operators: str
    admins: str

    def person(self, name: str, password: str, *groups: str) -> str:
        """A new person with a unique uid (returned) in the given groups."""
        uid = f"{name}{next(_serial)}"
        dn = self.server.add_person(uid, password)
        for group in groups:
            self.server.add_member(group, dn)
        return uid


def _require_slapd() -> None:
    if not slapd_available():
        pytest.skip("Debian's slapd is not installed (make system-packages)")


@pytest.fixture(scope="session")
def slapd() -> Iterator[LdapServer]:
    """One slapd for the session (with Microsoft's schema for the AD group type); tests add their own entries."""
    _require_slapd()
    with running_slapd(with_ad=True) as server:
        yield server


@pytest.fixture(scope="session")
def role_groups(slapd: LdapServer) -> tuple[str, str, str]:
    """The viewer, operator and admin groups of the tree (groupOfNames)."""
    return (
        slapd.add_group("vpn-viewers", []),
        slapd.add_group("vpn-operators", []),
        slapd.add_group("vpn-admins", []),
    )


def point_at(
    settings: Any,
    server: LdapServer,
    group_type: str = "groupOfNames",
    uri: str = "",
    start_tls: bool = False,
    ca_file: str = "",
    timeout_seconds: int = 5,
    **roles: str,
) -> None:
    """Configure the portal as the AUTH_LDAP_* variables would, through the same builder settings.py uses."""
    uri = uri or server.uri
    config = directory_config(
        uri,
        user_search_base=PEOPLE,
        user_filter="(uid=%(user)s)",
        group_search_base=GROUPS,
        group_type=group_type,
        timeout_seconds=timeout_seconds,
        ca_file=ca_file,
    )
    settings.AUTH_LDAP_SERVER_URI = uri
    settings.AUTH_LDAP_BIND_DN = BIND_DN
    settings.AUTH_LDAP_BIND_PASSWORD = BIND_PASSWORD
    settings.AUTH_LDAP_START_TLS = start_tls
    settings.AUTH_LDAP_USER_SEARCH = config.user_search
    settings.AUTH_LDAP_GROUP_SEARCH = config.group_search
    settings.AUTH_LDAP_GROUP_TYPE = config.group_type
    settings.AUTH_LDAP_CONNECTION_OPTIONS = config.connection_options
    settings.AUTH_LDAP_VIEWER_GROUP = roles.get("viewer", "")
    settings.AUTH_LDAP_OPERATOR_GROUP = roles.get("operator", "")
    settings.AUTH_LDAP_ADMIN_GROUP = roles.get("admin", "")
    settings.AUTHENTICATION_BACKENDS = authentication_backends(directory=True)


@pytest.fixture
def directory(settings: Any, db: None, slapd: LdapServer, role_groups: tuple[str, str, str]) -> Directory:
    """The portal logging in against the session's slapd, its three role groups configured."""
    viewers, operators, admins = role_groups
    point_at(settings, slapd, viewer=viewers, operator=operators, admin=admins)
    return Directory(slapd, viewers, operators, admins)


def log_in(client: Client, username: str, password: str, path: str = "/accounts/login/") -> Any:
    """POST the login form as a browser would (the test client sends REMOTE_ADDR 127.0.0.1)."""
    return client.post(path, {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    """The client's session holds a user."""
    return "_auth_user_id" in client.session
