"""Inventory import: the YAML of docs/contracts.md §3 upserted into Device and Tunnel rows, all or nothing.

Credential sets (`credentials:`) are read and written by devices/credentials.py, alert channels
(`channels:`) by devices/inventory_channels.py, contacts (`contacts:`) by devices/inventory_contacts.py,
the YAML helpers are devices/inventory_yaml.py, a device's values devices/inventory_fields.py, the outcome
(and a dry run's report) devices/inventory_result.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext

from devices.choices import Platform, Transport
from devices.credentials import (
    CredentialSetEntry,
    apply_credential_sets,
    apply_secret,
    find_set,
    parse_credential_sets,
    prune_credential_sets,
    validate_username,
)
from devices.inventory_channels import (
    ChannelEntry,
    apply_channels,
    device_channel_names,
    parse_channels,
    pick_channels,
    prune_channels,
    set_device_channels,
)
from devices.inventory_contacts import ContactEntry, apply_contacts, parse_contacts, prune_contacts
from devices.inventory_fields import alert_emails as _alert_emails
from devices.inventory_fields import validate_host, validate_host_key, validate_name
from devices.inventory_result import ImportResult, change, secret_change
from devices.inventory_yaml import (
    FILE_CONTROL_RE,
    InventoryError,
    SecretValue,
    already_defined,
    secret_value,
    unknown_key,
    unknown_key_text,
)
from devices.inventory_yaml import line_of as _line
from devices.inventory_yaml import mapping as _mapping
from devices.inventory_yaml import scalar as _scalar
from devices.inventory_yaml import sequence as _sequence
from devices.inventory_yaml import show as _show
from devices.inventory_yaml import value_node as _value_node
from devices.models import CredentialSet, Device, Tunnel
from vpnportal.audit import audit
from vpnportal.audit_values import mark_changed_secrets, snapshot
from vpnportal.choices import AuditAction
from vpnportal.models import AlertChannel

TUNNEL_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
MAX_INVENTORY_BYTES = 10 * 1024 * 1024

DEVICE_KEYS = {
    "name",
    "host",
    "port",
    "platform",
    "username",
    "password",
    "secret",
    "transport",
    "host_key",
    "alert_emails",
    "credentials",
    "channels",
}
REQUIRED_KEYS = ("name", "host", "platform", "username")
TOP_KEYS = ("channels", "contacts", "credentials", "devices", "tunnels")
TUNNEL_KEYS = {"name", "ends"}
DEFAULT_PORTS = {Transport.SSH: 22, Transport.TELNET: 23}


@dataclass
class DeviceEntry:
    """One validated device of the file."""

    name: str
    host: str
    port: int
    platform: str
    transport: str
    username: str
    password: str
    secret: str
    host_key: str
    line: int
    alert_emails: str | None = None  # None: not in the file (the stored list is kept)
    credentials: str = ""  # the credential set it names ("" for none)
    password_ref: str = ""  # `env:NAME` / `file:/path` instead of the literal password
    secret_ref: str = ""
    keep_password: bool = False  # `{stored: true}`: the literal already stored stays
    keep_secret: bool = False

    def secret_of(self, attr: str) -> SecretValue:
        """The password or secret as the file gave it."""
        return SecretValue(
            literal=getattr(self, attr),
            ref=getattr(self, f"{attr}_ref"),
            keep=getattr(self, f"keep_{attr}"),
            line=self.line,
        )

    channels: list[str] | None = None  # alert channel names; None: not in the file (kept)


@dataclass
class TunnelEntry:
    """One validated tunnel of the file."""

    name: str
    ends: tuple[str, str]
    line: int


def _device(node: yaml.Node, index: int) -> DeviceEntry:
    where = f"devices[{index}]"
    items = _mapping(node, where)
    values: dict[str, Any] = {}
    secrets: dict[str, SecretValue] = {}
    lines: dict[str, int] = {}
    for key, value_node, line in items:
        if key not in DEVICE_KEYS:
            raise InventoryError(unknown_key(line, where, key, sorted(DEVICE_KEYS)))
        lines[key] = _line(value_node)
        if key in ("alert_emails", "channels"):  # a list as well as a single value: read below
            continue
        if key in ("password", "secret"):  # a literal or a reference (devices/credentials.py)
            try:
                secrets[key] = secret_value(value_node, f"{where}.{key}", key)
            except ValueError as exc:
                raise InventoryError(f"line {_line(value_node)}: {where}: {exc}") from None
            continue
        try:
            values[key] = _scalar(value_node, f"{where}.{key}")
        except ValueError as exc:
            raise InventoryError(f"line {line}: {exc}") from None
        lines[key] = _line(value_node)
    current = "name"
    try:
        # A device that names a credential set may take its username from there.
        required_keys = ("name", "host", "platform") if values.get("credentials") else REQUIRED_KEYS
        for required in required_keys:
            current = required
            if values.get(required) in (None, ""):
                raise ValueError(gettext("%(key)s: required") % {"key": required})
        current = "credentials"
        credentials = validate_name(values["credentials"], "credentials") if values.get("credentials") else ""
        current = "name"
        name = validate_name(values["name"])
        current = "host"
        host = validate_host(values["host"])
        current = "platform"
        platform = values["platform"]
        if platform not in Platform.values:
            raise ValueError(
                gettext("platform: must be one of %(allowed)s (got %(value)s)")
                % {"allowed": ", ".join(Platform.values), "value": _show(platform)}
            )
        current = "transport"
        transport = values.get("transport") or Transport.SSH
        if transport not in Transport.values:
            raise ValueError(
                gettext("transport: must be ssh or telnet (got %(value)s)") % {"value": _show(transport)}
            )
        current = "port"
        port = values.get("port", DEFAULT_PORTS[Transport(transport)])
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ValueError(
                gettext("port: must be a number 1-65535 (got %(value)s)") % {"value": _show(port)}
            )
        current = "username"
        username = validate_username(values.get("username"), required=not credentials)
        current = "host_key"
        host_key = values.get("host_key") or ""
        if not isinstance(host_key, str):
            raise ValueError(gettext("host_key: must be text"))
        if host_key:
            host_key = validate_host_key(host_key)
        current = "alert_emails"
        alert_emails = _alert_emails(_value_node(items, "alert_emails"), f"{where}.alert_emails")
        current = "channels"
        channels = device_channel_names(_value_node(items, "channels"))
    except ValueError as exc:
        line = lines.get(current, _line(node))
        raise InventoryError(f"line {line}: {where}: {exc}") from None
    return DeviceEntry(
        name=name,
        host=host,
        port=port,
        platform=platform,
        transport=transport,
        username=username,
        password=secrets.get("password", SecretValue()).literal,
        secret=secrets.get("secret", SecretValue()).literal,
        host_key=host_key,
        line=_line(node),
        alert_emails=alert_emails,
        credentials=credentials,
        password_ref=secrets.get("password", SecretValue()).ref,
        secret_ref=secrets.get("secret", SecretValue()).ref,
        keep_password=secrets.get("password", SecretValue()).keep,
        keep_secret=secrets.get("secret", SecretValue()).keep,
        channels=channels,
    )


def _tunnel(node: yaml.Node, index: int) -> TunnelEntry:
    where = f"tunnels[{index}]"
    items = {key: (value, line) for key, value, line in _mapping(node, where)}
    for key, (_, line) in items.items():
        if key not in TUNNEL_KEYS:
            raise InventoryError(unknown_key(line, where, key, ["ends", "name"]))
    if "name" not in items or "ends" not in items:
        raise InventoryError(f"line {_line(node)}: {where}: " + gettext("needs a name and two ends"))
    name_node, name_line = items["name"]
    try:
        name = _scalar(name_node, f"{where}.name")
        if not isinstance(name, str) or not TUNNEL_NAME_RE.match(name):
            raise ValueError(
                gettext("name: must be 1-128 letters, digits, '-' or '_' (got %(value)s)")
                % {"value": _show(name)}
            )
    except ValueError as exc:
        raise InventoryError(f"line {name_line}: {where}: {exc}") from None
    ends_node, ends_line = items["ends"]
    ends: list[str] = []
    for end in _sequence(ends_node, f"{where}.ends"):
        try:
            ends.append(validate_name(_scalar(end, f"{where}.ends"), "ends"))
        except ValueError as exc:
            raise InventoryError(f"line {_line(end)}: {where}: {exc}") from None
    if len(ends) != 2 or ends[0] == ends[1]:
        raise InventoryError(f"line {ends_line}: {where}: " + gettext("ends must name two different devices"))
    return TunnelEntry(name=name, ends=(ends[0], ends[1]), line=_line(node))


@dataclass
class InventoryDocument:
    """A validated inventory file, section by section."""

    devices: list[DeviceEntry] = field(default_factory=list)
    tunnels: list[TunnelEntry] = field(default_factory=list)
    credentials: list[CredentialSetEntry] = field(default_factory=list)
    channels: list[ChannelEntry] = field(default_factory=list)
    contacts: list[ContactEntry] = field(default_factory=list)


def parse_inventory(text: str) -> tuple[list[DeviceEntry], list[TunnelEntry]]:
    """Validate an inventory document; raise InventoryError naming the line of the first problem."""
    doc = read_inventory(text)
    return doc.devices, doc.tunnels


def read_inventory(text: str) -> InventoryDocument:
    """Validate an inventory document, every section; InventoryError names the line of the first problem."""
    bad = FILE_CONTROL_RE.search(text)
    if bad:
        number = text.count("\n", 0, bad.start()) + 1
        raise InventoryError(f"line {number}: " + gettext("control characters are not allowed"))
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = mark.line + 1 if mark else 0
        problem = gettext("not valid YAML: %(problem)s") % {"problem": exc.problem or exc.context}
        raise InventoryError(f"line {at}: {problem}") from None
    except yaml.YAMLError as exc:
        raise InventoryError(gettext("not valid YAML: %(problem)s") % {"problem": exc}) from None
    if root is None:
        raise InventoryError(
            "line 1: " + gettext("empty inventory (expected `devices:` and optionally `tunnels:`)")
        )
    top = _mapping(root, "inventory")
    doc = InventoryDocument()
    for key, node, key_line in top:
        if key == "devices":
            doc.devices = [_device(item, i) for i, item in enumerate(_sequence(node, "devices"))]
        elif key == "tunnels":
            doc.tunnels = [_tunnel(item, i) for i, item in enumerate(_sequence(node, "tunnels"))]
        elif key == "channels":  # alert channels: devices/inventory_channels.py
            try:
                doc.channels = parse_channels(node)
            except ValueError as exc:
                raise InventoryError(str(exc)) from None
        elif key == "credentials":
            doc.credentials = parse_credential_sets(node)
        elif key == "contacts":  # alert email languages: devices/inventory_contacts.py
            doc.contacts = parse_contacts(node)
        else:
            raise InventoryError(f"line {key_line}: " + unknown_key_text(key, TOP_KEYS, top=True))
    devices, tunnels = doc.devices, doc.tunnels
    names: dict[str, int] = {}
    for device in devices:
        if device.name in names:
            raise InventoryError(already_defined(device.line, "device", device.name, names[device.name]))
        names[device.name] = device.line
    tunnel_names: dict[str, int] = {}
    for tunnel in tunnels:
        if tunnel.name in tunnel_names:
            raise InventoryError(
                already_defined(tunnel.line, "tunnel", tunnel.name, tunnel_names[tunnel.name])
            )
        tunnel_names[tunnel.name] = tunnel.line
    return doc


def _apply_device(
    entry: DeviceEntry,
    result: ImportResult,
    sets: dict[str, CredentialSet],
    channels: dict[str, AlertChannel],
) -> Device:
    device = Device.objects.select_for_update().filter(name=entry.name).first()
    if device is None:
        device = Device(name=entry.name)
        created = True
    else:
        created = False
    before = snapshot(device, INVENTORY_FIELDS)
    changed: list[str] = []
    details: list[str] = []
    for attr in ("host", "port", "platform", "transport", "username"):
        if getattr(device, attr) != getattr(entry, attr):
            details.append(change(attr, getattr(device, attr), getattr(entry, attr)))
            setattr(device, attr, getattr(entry, attr))
            changed.append(attr)
    credential_set = (
        find_set(entry.credentials, sets, entry.line, f"device {entry.name!r}") if entry.credentials else None
    )
    if credential_set is not None and not entry.username and not credential_set.username:
        problem = gettext("username: required (credential set %(set)s has none)") % {
            "set": repr(credential_set.name)
        }
        raise InventoryError(f"line {entry.line}: device {entry.name!r}: {problem}")
    if device.credential_set_id != (credential_set.pk if credential_set else None):
        was = device.credential_set.name if device.credential_set_id else ""  # type: ignore[union-attr]
        details.append(change("credentials", was, entry.credentials))
        device.credential_set = credential_set
        changed.append("credential_set")
    for attr in ("password", "secret"):
        fields = apply_secret(device, attr, entry.secret_of(attr), f"device {entry.name!r}")
        if fields:
            details.append(secret_change(attr))
            changed += fields
    if entry.alert_emails is not None and entry.alert_emails != device.alert_emails:
        details.append(change("alert_emails", device.alert_emails, entry.alert_emails))
        device.alert_emails = entry.alert_emails
        changed.append("alert_emails")
    # A host_key in the file pins it; leaving it out keeps what first contact pinned.
    if entry.host_key and entry.host_key != device.host_key:
        details.append(change("host_key", device.host_key, entry.host_key))
        device.host_key = entry.host_key
        device.host_key_pinned_at = None
        changed.append("host_key")
    chosen = pick_channels(device, entry.channels, channels, entry.line)  # alert channels: a list of its own
    if chosen is not None:
        details.append(chosen[1])
    if created:
        device.save()
        result.created.append(entry.name)
        result.note("+", "device", entry.name)
        _audit(device, AuditAction.CREATE, None, snapshot(device, INVENTORY_FIELDS))
    elif changed or chosen is not None:
        if changed:
            device.save()
            after = mark_changed_secrets(snapshot(device, changed), changed)
            _audit(device, AuditAction.UPDATE, {k: before[k] for k in after}, after)
        result.updated.append(entry.name)
        result.note("~", "device", entry.name, details)
    else:
        result.unchanged.append(entry.name)
    if chosen is not None:
        set_device_channels(device, chosen[0])
    return device


# What an inventory file sets, so what an import's audit entries show (secrets only as set or changed).
INVENTORY_FIELDS = (
    "host",
    "port",
    "platform",
    "transport",
    "username",
    "password",
    "secret",
    "alert_emails",
    "host_key",
    "credential_set",
    "password_ref",
    "secret_ref",
)
TUNNEL_FIELDS = ("name", "end_a", "end_b", "discovered")


def _audit(
    obj: Device | Tunnel, action: str, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> None:
    """One audit entry per row an import creates, changes or prunes (rolled back with the import)."""
    audit("import_inventory", obj=obj, action=action, before=before, after=after)


def import_inventory(text: str, *, prune: bool = False, dry_run: bool = False) -> ImportResult:
    """Upsert the credential sets, channels, devices and tunnels of an inventory document in one transaction.

    1. Validate the whole file (nothing is written if any entry is bad).
    2. Upsert credential sets and alert channels, then devices by name (literal secrets encrypted by the
       model field) with the channels they name, then tunnels by name.
    3. With prune, delete devices, inventory tunnels, credential sets and inventory channels the file no
       longer names.
    4. With dry_run, roll it all back: the result (and its `details`) says what would have changed.
    """
    doc = read_inventory(text)
    devices, tunnels = doc.devices, doc.tunnels
    result = ImportResult()
    with transaction.atomic():
        sets = apply_credential_sets(doc.credentials, result)
        channels = apply_channels(doc.channels, result)
        contacts = apply_contacts(doc.contacts, result)
        by_name = {entry.name: _apply_device(entry, result, sets, channels) for entry in devices}
        for entry in tunnels:
            ends: list[Device] = []
            for end in entry.ends:
                device = by_name.get(end) or Device.objects.filter(name=end).first()
                if device is None:
                    problem = gettext("no device named %(name)s") % {"name": repr(end)}
                    raise InventoryError(f"line {entry.line}: tunnel {entry.name!r}: {problem}")
                ends.append(device)
            tunnel = Tunnel.objects.filter(name=entry.name).first()
            if tunnel is None:
                # A pair correlation discovered earlier becomes the named tunnel, keeping its history.
                tunnel = Tunnel.objects.between(ends[0], ends[1]).filter(discovered=True).first()
                if tunnel is not None:
                    _name_tunnel(tunnel, entry.name, ends, result)
                    continue
                tunnel = Tunnel.objects.create(name=entry.name, end_a=ends[0], end_b=ends[1])
                result.tunnels_created.append(entry.name)
                result.note("+", "tunnel", entry.name)
                _audit(tunnel, AuditAction.CREATE, None, snapshot(tunnel, TUNNEL_FIELDS))
            elif (tunnel.end_a_id, tunnel.end_b_id, tunnel.discovered) != (ends[0].pk, ends[1].pk, False):
                _name_tunnel(tunnel, entry.name, ends, result)
        if prune:
            _prune(set(by_name), {t.name for t in tunnels}, result)
            prune_credential_sets(set(sets), result)
            prune_channels(set(channels), result, {n for e in devices for n in e.channels or ()})
            prune_contacts(contacts, result)
        if dry_run:
            # Everything above ran (so every check did); none of it stays, audit entries included.
            transaction.set_rollback(True)
    return result


def _name_tunnel(tunnel: Tunnel, name: str, ends: list[Device], result: ImportResult) -> None:
    """The inventory's tunnel between these ends: a discovered pair adopted, or ends that changed."""
    was = snapshot(tunnel, TUNNEL_FIELDS)
    result.note("~", "tunnel", name, _tunnel_changes(tunnel, name, ends))
    tunnel.name = name
    tunnel.end_a, tunnel.end_b = ends[0], ends[1]
    tunnel.discovered = False
    tunnel.save()
    result.tunnels_updated.append(name)
    _audit(tunnel, AuditAction.UPDATE, was, snapshot(tunnel, TUNNEL_FIELDS))


def _tunnel_changes(tunnel: Tunnel, name: str, ends: list[Device]) -> list[str]:
    """The detail lines of a tunnel the file renames, re-ends or adopts from discovery."""
    out = []
    if tunnel.name != name:
        out.append(change("name", tunnel.name, name))
    if (tunnel.end_a_id, tunnel.end_b_id) != (ends[0].pk, ends[1].pk):
        out.append(change("ends", f"{tunnel.end_a}, {tunnel.end_b}", f"{ends[0]}, {ends[1]}"))
    if tunnel.discovered:
        out.append("discovered -> named")
    return out


def _prune(device_names: set[str], tunnel_names: set[str], result: ImportResult) -> None:
    gone = Device.objects.exclude(name__in=device_names)
    # Tunnels the file no longer names, then those with an end it no longer names.
    for tunnels in (
        Tunnel.objects.filter(discovered=False).exclude(name__in=tunnel_names),
        Tunnel.objects.touching(id__in=gone),
    ):
        for tunnel in tunnels:
            result.tunnels_pruned.append(tunnel.name)
            result.note("-", "tunnel", tunnel.name)
            _audit(tunnel, AuditAction.DELETE, snapshot(tunnel, TUNNEL_FIELDS), None)
            tunnel.delete()
    for device in gone:
        try:
            with transaction.atomic():
                _audit(device, AuditAction.DELETE, snapshot(device, INVENTORY_FIELDS), None)
                device.delete()
        except ProtectedError:
            raise InventoryError(
                gettext("device %(name)s cannot be pruned: it has enrollment jobs; disable it instead")
                % {"name": repr(device.name)}
            ) from None
        result.pruned.append(device.name)
        result.note("-", "device", device.name)


def import_inventory_file(path: str | Path, *, prune: bool = False, dry_run: bool = False) -> ImportResult:
    """Read a file and import it; errors name the file and line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InventoryError(
            f"{path}: " + gettext("cannot read: %(error)s") % {"error": exc.strerror}
        ) from None
    if len(data) > MAX_INVENTORY_BYTES:
        raise InventoryError(f"{path}: " + gettext("larger than %(n)s bytes") % {"n": MAX_INVENTORY_BYTES})
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InventoryError(f"{path}:{line}: " + gettext("not UTF-8")) from None
    try:
        return import_inventory(text, prune=prune, dry_run=dry_run)
    except InventoryError as exc:
        message = str(exc)
        if message.startswith("line "):
            number, _, rest = message[5:].partition(": ")
            raise InventoryError(f"{path}:{number}: {rest}") from None
        raise InventoryError(f"{path}: {message}") from None
