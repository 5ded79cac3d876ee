"""The values of a device entry of the inventory: names, hosts, SSH host keys and alert addresses.

Each validator returns the value as stored, or raises ValueError with `key: problem` (the problem in the
active language); devices/inventory.py adds the line and the entry."""

from __future__ import annotations

import contextlib
import ipaddress
import re
from typing import Any

import paramiko  # type: ignore[import-untyped]
import yaml
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from devices.contacts import email_list, validate_email_list
from devices.inventory_yaml import check_text
from devices.inventory_yaml import scalar as _scalar
from devices.inventory_yaml import show as _show

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)


def validate_name(value: Any, where: str = "name") -> str:
    """A device name: letters, digits, dot, dash, underscore; 1-64 characters."""
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise ValueError(
            gettext("%(where)s: must be 1-64 letters, digits, '.', '-' or '_' (got %(value)s)")
            % {"where": where, "value": _show(value)}
        )
    return value


def validate_host(value: Any) -> str:
    """An IPv4/IPv6 address or a DNS name."""
    if not isinstance(value, str) or not value:
        raise ValueError(
            gettext("host: must be an IP address or DNS name (got %(value)s)") % {"value": _show(value)}
        )
    with contextlib.suppress(ValueError):  # not an address: maybe a DNS name
        return str(ipaddress.ip_address(value))
    if not HOSTNAME_RE.match(value) or value.replace(".", "").isdigit():
        raise ValueError(gettext("host: not an IP address or DNS name: %(value)s") % {"value": _show(value)})
    return value.lower()


def validate_host_key(value: str) -> str:
    """An OpenSSH public key line `type base64`, parsed by paramiko to be sure."""
    check_text(value, "host_key")
    parts = value.split()
    if len(parts) < 2:
        raise ValueError(gettext('host_key: expected "<type> <base64>", e.g. "ssh-ed25519 AAAA..."'))
    try:
        entry = paramiko.hostkeys.HostKeyEntry.from_line(f"x {parts[0]} {parts[1]}")
    except (paramiko.SSHException, paramiko.hostkeys.InvalidHostKey, ValueError, TypeError) as exc:
        raise ValueError(gettext("host_key: not a valid public key (%(error)s)") % {"error": exc}) from None
    if entry is None or entry.key is None:
        raise ValueError(
            gettext("host_key: unsupported or invalid key type %(type)s") % {"type": repr(parts[0])}
        )
    return f"{parts[0]} {parts[1]}"


def alert_emails(node: yaml.Node | None, where: str) -> str | None:
    """`alert_emails`: a list of addresses or one comma-separated text; stored comma-separated."""
    if node is None:
        return None
    if isinstance(node, yaml.SequenceNode):
        raw: list[str] = []
        for item in node.value:
            value = _scalar(item, where)
            if not isinstance(value, str):
                raise ValueError(gettext("alert_emails: each entry must be an email address"))
            raw.append(value)
        addresses = email_list(raw)
    else:
        value = _scalar(node, where)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValueError(gettext("alert_emails: must be a list of email addresses"))
        addresses = email_list(value)
    text = ", ".join(addresses)
    check_text(text, "alert_emails")
    try:
        validate_email_list(text)
    except ValidationError as exc:
        raise ValueError(f"alert_emails: {exc.messages[0]}") from None
    return text
