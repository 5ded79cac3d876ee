"""The AUTH_LDAP_* variables become django-auth-ldap settings; mistakes are named at start-up."""

from __future__ import annotations

import json
import os

import ldap
import pytest
from django.core.exceptions import ImproperlyConfigured
from django_auth_ldap.config import GroupOfNamesType, NestedActiveDirectoryGroupType

from tests.services import run_python
from vpnportal.directory import normalize_dn, roles_from_groups
from vpnportal.directory_settings import directory_config

DUMP = """
import json
from vpnportal import settings as s
search = s.AUTH_LDAP_USER_SEARCH
print(json.dumps({
    "backends": s.AUTHENTICATION_BACKENDS,
    "filter": search.filterstr if search else None,
    "base": search.base_dn if search else None,
    "group_type": type(s.AUTH_LDAP_GROUP_TYPE).__name__,
    "start_tls": s.AUTH_LDAP_START_TLS,
    "operator": s.AUTH_LDAP_OPERATOR_GROUP,
    "limit": s.AXES_FAILURE_LIMIT,
    "cooloff": s.AXES_COOLOFF_TIME.total_seconds(),
}))
"""
DIRECTORY = {
    "AUTH_LDAP_SERVER_URI": "ldaps://dc1.example.net",
    "AUTH_LDAP_USER_SEARCH_BASE": "ou=Staff,dc=example,dc=net",
    "AUTH_LDAP_GROUP_SEARCH_BASE": "ou=Groups,dc=example,dc=net",
}


def settings_with(extra: dict[str, str]) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTH_LDAP_", "LOGIN_"))}
    env.update(
        DJANGO_SECRET_KEY="x" * 50, VPNPORTAL_FERNET_KEYS="6jvs0xVp2-mZQcBmN3Ngy7s9bTUA2bcmVjTxb9nd8GQ="
    )
    env.update(extra)
    result = run_python("-c", DUMP, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    values: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return values


def test_it_uses_local_accounts_only_without_a_server_uri() -> None:
    values = settings_with({})
    assert values["backends"] == [
        "vpnportal.throttling.ThrottlingBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    assert values["filter"] is None
    assert values["limit"] == 5 and values["cooloff"] == 15 * 60


def test_it_reads_the_directory_and_throttling_variables() -> None:
    values = settings_with(
        {
            **DIRECTORY,
            "AUTH_LDAP_USER_FILTER": "(sAMAccountName=%(user)s)",
            "AUTH_LDAP_GROUP_TYPE": "activeDirectory",
            "AUTH_LDAP_START_TLS": "1",
            "AUTH_LDAP_OPERATOR_GROUP": "CN=VPN Operators,OU=Groups,DC=example,DC=net",
            "LOGIN_FAILURE_LIMIT": "8",
            "LOGIN_LOCKOUT_MINUTES": "30",
        }
    )
    assert values["backends"] == [
        "vpnportal.throttling.ThrottlingBackend",
        "django.contrib.auth.backends.ModelBackend",
        "vpnportal.directory.DirectoryBackend",
    ]
    assert values["filter"] == "(sAMAccountName=%(user)s)" and values["base"] == "ou=Staff,dc=example,dc=net"
    assert values["group_type"] == "NestedActiveDirectoryGroupType" and values["start_tls"] is True
    assert values["operator"] == "CN=VPN Operators,OU=Groups,DC=example,DC=net"
    assert values["limit"] == 8 and values["cooloff"] == 30 * 60


def test_it_names_a_missing_search_base_at_start_up() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTH_LDAP_")}
    env.update(AUTH_LDAP_SERVER_URI="ldap://dc1.example.net")
    result = run_python("-c", DUMP, env=env)
    assert result.returncode != 0
    assert "set AUTH_LDAP_USER_SEARCH_BASE and AUTH_LDAP_GROUP_SEARCH_BASE too" in result.stderr


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"group_type": "nested"}, "AUTH_LDAP_GROUP_TYPE must be one of"),
        ({"user_filter": "(uid=bob)"}, "must contain %(user)s"),
        ({"server_uri": "dc1.example.net"}, "must start with ldap:// or ldaps://"),
    ],
)
def test_it_refuses_unusable_values(changes: dict[str, str], message: str) -> None:
    values = {
        "server_uri": "ldap://dc1.example.net",
        "user_search_base": "ou=people,dc=example,dc=net",
        "user_filter": "(uid=%(user)s)",
        "group_search_base": "ou=groups,dc=example,dc=net",
        "group_type": "groupOfNames",
        **changes,
    }
    server_uri = values.pop("server_uri")
    with pytest.raises(ImproperlyConfigured, match=message.replace("(", r"\(").replace(")", r"\)")):
        directory_config(server_uri, timeout_seconds=5, **values)


def test_it_builds_a_search_a_group_type_and_timeouts() -> None:
    config = directory_config(
        "ldap://dc1.example.net",
        user_search_base="ou=people,dc=example,dc=net",
        user_filter="(uid=%(user)s)",
        group_search_base="ou=groups,dc=example,dc=net",
        group_type="groupOfNames",
        timeout_seconds=7,
        ca_file="/etc/ssl/directory-ca.pem",
    )
    assert isinstance(config.group_type, GroupOfNamesType)
    assert config.connection_options[ldap.OPT_NETWORK_TIMEOUT] == 7
    assert config.connection_options[ldap.OPT_X_TLS_CACERTFILE] == "/etc/ssl/directory-ca.pem"
    assert list(config.connection_options)[-1] == ldap.OPT_X_TLS_NEWCTX
    ad = directory_config(
        "ldaps://dc1.example.net",
        user_search_base="dc=example,dc=net",
        user_filter="(sAMAccountName=%(user)s)",
        group_search_base="dc=example,dc=net",
        group_type="activeDirectory",
        timeout_seconds=5,
    )
    assert isinstance(ad.group_type, NestedActiveDirectoryGroupType)


def test_it_matches_group_dns_whatever_their_spelling() -> None:
    assert (
        normalize_dn("CN=VPN Operators, OU=Groups,DC=Example,DC=net")
        == "cn=vpn operators,ou=groups,dc=example,dc=net"
    )
    roles = {
        "operator": normalize_dn("CN=Ops,OU=Groups,DC=example,DC=net"),
        "admin": normalize_dn("cn=admins,dc=x"),
    }
    assert roles_from_groups({"cn=ops, ou=groups, dc=example, dc=net", "cn=other,dc=x"}, roles) == {
        "operator"
    }
    assert roles_from_groups(set(), roles) == set()
