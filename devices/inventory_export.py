"""The inventory as YAML again (`manage.py export_inventory`), without any secret value.

References stay references (`{env: NAME}`, `{file: PATH}`); a literal secret (a device or credential set
password or enable secret, an alert channel's URL or signing secret) is written `{stored: true}`,
which an import reads as "keep the value stored", so exporting and importing again changes nothing.
No secret is even decrypted: whether one is stored is asked of the database.
"""

from __future__ import annotations

from typing import Any

import yaml
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from devices.choices import Transport
from devices.contacts import email_list
from devices.inventory_yaml import KEEP_KEY
from devices.models import Contact, CredentialSet, Device, Tunnel
from devices.secret_refs import parse_reference
from vpnportal.choices import ChannelKind
from vpnportal.models import AlertChannel

HEADER = (
    "# vpnportal inventory, exported {at} (docs/inventory.md).\n"
    "# No secret value and no channel URL is exported: references are kept, and {{stored: true}} stands\n"
    "# for a literal stored in the database (an import keeps it as it is).\n"
)


class _Flow(dict[str, Any]):
    """A mapping written on one line: `{env: NAME}`."""


class _FlowList(list[Any]):
    """A list written on one line: `[a, b]`."""


class _Dumper(yaml.SafeDumper):
    """safe_dump with one-line references and tunnel ends."""


_Dumper.add_representer(
    _Flow, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", dict(data), flow_style=True)
)
_Dumper.add_representer(
    _FlowList, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", list(data), flow_style=True)
)


DEVICE_SECRETS = ("password", "secret")
CHANNEL_SECRETS = ("url", "secret")  # a chat webhook URL carries its token: a secret as well


def _with_flags(rows: QuerySet[Any], attrs: tuple[str, ...] = DEVICE_SECRETS) -> QuerySet[Any]:
    """Rows without their secrets loaded, annotated with whether each literal secret is set."""
    flags = {
        f"has_{attr}": ExpressionWrapper(~Q(**{attr: ""}), output_field=BooleanField()) for attr in attrs
    }
    return rows.defer(*attrs).annotate(**flags)


def _secrets(row: Any, out: dict[str, Any], attrs: tuple[str, ...] = DEVICE_SECRETS) -> None:
    """The secrets as the inventory writes them: reference, `{stored: true}` or absent."""
    for attr in attrs:
        ref = getattr(row, f"{attr}_ref")
        if ref:
            parsed = parse_reference(ref)
            out[attr] = _Flow({parsed.kind: parsed.target})
        elif getattr(row, f"has_{attr}"):
            out[attr] = _Flow({KEEP_KEY: True})


def _channels() -> list[dict[str, Any]]:
    """The alert channels, inventory or admin made: `to` as written, url and secret never as values."""
    out = []
    for channel in _with_flags(AlertChannel.objects.order_by("name"), CHANNEL_SECRETS):
        entry: dict[str, Any] = {"name": channel.name, "kind": channel.kind}
        if channel.kind == ChannelKind.EMAIL:
            entry["to"] = email_list(channel.to)
        else:
            _secrets(channel, entry, CHANNEL_SECRETS)
        if channel.default:
            entry["default"] = True
        if not channel.enabled:
            entry["enabled"] = False
        out.append(entry)
    return out


def export_document() -> dict[str, Any]:
    """The inventory of the database: credential sets, alert channels, contacts, devices (with their channels),
    named tunnels (discovered ones left out)."""
    doc: dict[str, Any] = {}
    sets = []
    for cs in _with_flags(CredentialSet.objects.order_by("name")):
        entry: dict[str, Any] = {"name": cs.name}
        if cs.username:
            entry["username"] = cs.username
        _secrets(cs, entry)
        sets.append(entry)
    if sets:
        doc["credentials"] = sets
    channels = _channels()
    if channels:
        doc["channels"] = channels
    contacts = [
        {"email": c.email, **({"language": c.language} if c.language else {})}
        for c in Contact.objects.order_by("email")
    ]
    if contacts:
        doc["contacts"] = contacts  # the language of each address's alert emails
    devices = []
    rows = Device.objects.select_related("credential_set").prefetch_related("alert_channels")
    for device in _with_flags(rows.order_by("name")):
        item: dict[str, Any] = {
            "name": device.name,
            "host": device.host,
            "port": device.port,
            "platform": device.platform,
        }
        if device.transport != Transport.SSH:
            item["transport"] = device.transport
        if device.credential_set is not None:
            item["credentials"] = device.credential_set.name
        if device.username:
            item["username"] = device.username
        _secrets(device, item)
        if device.host_key:
            item["host_key"] = device.host_key
        if device.alert_emails:
            item["alert_emails"] = email_list(device.alert_emails)
        names = sorted(channel.name for channel in device.alert_channels.all())
        if names:
            item["channels"] = _FlowList(names)
        devices.append(item)
    doc["devices"] = devices
    tunnels = Tunnel.objects.filter(discovered=False).select_related("end_a", "end_b").order_by("name")
    doc["tunnels"] = [{"name": t.name, "ends": _FlowList([t.end_a.name, t.end_b.name])} for t in tunnels]
    return doc


def export_inventory() -> str:
    """The inventory YAML that import_inventory reads back to the same rows, without a secret value."""
    at = timezone.now().replace(microsecond=0).isoformat()
    body = yaml.dump(export_document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    return HEADER.format(at=at) + body
