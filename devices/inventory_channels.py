"""The inventory's `channels:` list and a device's `channels: [...]`, upserted into `AlertChannel` rows.

```yaml
channels:
  - {name: noc-mail, kind: email, to: [noc@example.net], default: true}
  - {name: noc-hook, kind: webhook, url: "https://hooks.example.net/vpn", secret: {env: HOOK_SECRET}}
devices:
  - {name: r1, ..., channels: [noc-hook]}
```
A `url` or `secret` is a literal (stored encrypted), `{env: NAME}` / `{file: PATH}` (stored as the
reference, resolved at each send) or `{stored: true}` (keep the literal stored, as export_inventory
writes it). Errors are `ValueError`s whose message starts with `line N: `;
`devices/inventory.py` turns them into its `InventoryError`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from devices.contacts import email_list, validate_email_list
from devices.credentials import ImportedRow, apply_secret, save_imported
from devices.inventory_result import ImportResult, change, secret_change
from devices.inventory_yaml import (
    InventoryError,
    SecretValue,
    check_unique_names,
    secret_value,
    unknown_key_text,
)
from devices.models import Device
from vpnportal.audit import audit
from vpnportal.audit_values import snapshot
from vpnportal.choices import AuditAction, ChannelKind
from vpnportal.models import AlertChannel

CHANNEL_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
CHANNEL_KEYS = ("name", "kind", "to", "url", "secret", "default", "enabled")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_URL = 2000
MAX_SECRET = 512
# What an import's audit entries show of a channel (url and secret only as set or changed).
CHANNEL_FIELDS = ("name", "kind", "to", "url", "url_ref", "secret", "secret_ref", "default", "enabled")


@dataclass
class ChannelEntry:
    """One validated channel of the file (`url` and `secret` as the file gives them)."""

    name: str
    kind: str
    line: int
    to: str = ""
    url: SecretValue = field(default_factory=SecretValue)
    secret: SecretValue = field(default_factory=SecretValue)
    default: bool = False
    enabled: bool = True


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _value(node: yaml.Node, where: str) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise ValueError(f"{where}: " + gettext("expected a single value"))
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _items(node: yaml.Node, where: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise ValueError(f"line {_line(node)}: {where}: " + gettext("expected a mapping"))
    items: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str) or key in items:
            raise ValueError(
                f"line {_line(key_node)}: {where}: " + gettext("keys must be plain names, once each")
            )
        items[key] = value_node
    return items


def _secret(node: yaml.Node, key: str, limit: int) -> SecretValue:
    """A url or secret: a literal, `{env: NAME}`, `{file: PATH}` or `{stored: true}` (keep the stored one)."""
    try:
        return secret_value(node, key, key, limit)
    except InventoryError as exc:  # a malformed mapping: its message names the line already
        raise ValueError(str(exc).partition(": ")[2]) from None


def validate_channel_url(url: str, where: str = "url") -> str:
    """An http(s) URL with a host (the value is never echoed: a chat webhook URL is a secret)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{where}: " + gettext("must be an http:// or https:// URL"))
    return url


def _addresses(node: yaml.Node, where: str) -> str:
    if isinstance(node, yaml.SequenceNode):
        raw = [_value(item, where) for item in node.value]
    else:
        raw = [_value(node, where)]
    if not all(isinstance(part, str) for part in raw):
        raise ValueError(f"{where}: " + gettext("each entry must be an email address"))
    text = ", ".join(email_list([str(part) for part in raw]))
    if not text or CONTROL_RE.search(text):
        raise ValueError(f"{where}: " + gettext("needs at least one email address"))
    try:
        validate_email_list(text)
    except ValidationError as exc:
        raise ValueError(f"{where}: {exc.messages[0]}") from None
    return text


def parse_channel(node: yaml.Node, index: int) -> ChannelEntry:
    """One entry of `channels:`, validated for its kind."""
    where = f"channels[{index}]"
    items = _items(node, where)
    current = _line(node)
    try:
        for key, value_node in items.items():
            current = _line(value_node)
            if key not in CHANNEL_KEYS:
                raise ValueError(unknown_key_text(key, sorted(CHANNEL_KEYS)))
        current = _line(node)
        name = _value(items["name"], "name") if "name" in items else None
        if not isinstance(name, str) or not CHANNEL_NAME_RE.match(name):
            raise ValueError(gettext("name: must be 1-64 letters, digits, '.', '-' or '_'"))
        kind = _value(items["kind"], "kind") if "kind" in items else None
        if kind not in ChannelKind.values:
            raise ValueError(
                gettext("kind: must be one of %(allowed)s") % {"allowed": ", ".join(ChannelKind.values)}
            )
        entry = ChannelEntry(name=name, kind=kind, line=_line(node))
        for flag in ("default", "enabled"):
            if flag in items:
                current = _line(items[flag])
                value = _value(items[flag], flag)
                if not isinstance(value, bool):
                    raise ValueError(f"{flag}: " + gettext("must be true or false"))
                setattr(entry, flag, value)
        if kind == ChannelKind.EMAIL:
            for key in ("url", "secret"):
                if key in items:
                    raise ValueError(f"{key}: " + gettext("email channels take `to` only"))
            if "to" not in items:
                raise ValueError(gettext("to: email channels need addresses"))
            current = _line(items["to"])
            entry.to = _addresses(items["to"], "to")
            return entry
        if "to" in items:
            raise ValueError(
                gettext("to: only email channels have addresses (%(kind)s takes url)") % {"kind": kind}
            )
        if "url" not in items:
            raise ValueError(gettext("url: %(kind)s channels need a URL") % {"kind": kind})
        current = _line(items["url"])
        entry.url = _secret(items["url"], "url", MAX_URL)
        if entry.url.literal:
            validate_channel_url(entry.url.literal)
        if not entry.url.given:
            raise ValueError(gettext("url: %(kind)s channels need a URL") % {"kind": kind})
        if kind == ChannelKind.WEBHOOK:
            if "secret" not in items:
                raise ValueError(gettext("secret: webhook channels sign every post and need a secret"))
            current = _line(items["secret"])
            entry.secret = _secret(items["secret"], "secret", MAX_SECRET)
            if not entry.secret.given:
                raise ValueError(gettext("secret: webhook channels sign every post and need a secret"))
        elif "secret" in items:
            raise ValueError(gettext("secret: only webhook channels are signed"))
        return entry
    except ValueError as exc:
        raise ValueError(f"line {current}: {where}: {exc}") from None


def parse_channels(node: yaml.Node) -> list[ChannelEntry]:
    """The `channels:` list; names must be unique."""
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise ValueError(f"line {_line(node)}: channels: " + gettext("expected a list"))
    entries = [parse_channel(item, i) for i, item in enumerate(node.value)]
    check_unique_names(entries, "channel")
    return entries


def device_channel_names(node: yaml.Node | None) -> list[str] | None:
    """A device's `channels: [...]`: the channel names (None when the key is absent: kept as stored)."""
    if node is None:
        return None
    if isinstance(node, yaml.ScalarNode):
        value = _value(node, "channels")
        if value is None:
            return []
        raw = [value]
    elif isinstance(node, yaml.SequenceNode):
        raw = [_value(item, "channels") for item in node.value]
    else:
        raise ValueError(gettext("channels: expected a list of channel names"))
    for name in raw:
        if not isinstance(name, str) or not CHANNEL_NAME_RE.match(name):
            raise ValueError(gettext("channels: each entry must be a channel name"))
    return list(dict.fromkeys(raw))


def _upsert(entry: ChannelEntry, result: ImportResult) -> AlertChannel:
    channel = AlertChannel.objects.select_for_update().filter(name=entry.name).first()
    created = channel is None
    if channel is None:
        channel = AlertChannel(name=entry.name)
    before = snapshot(channel, CHANNEL_FIELDS)
    changed: list[str] = []
    details: list[str] = []
    for attr in ("kind", "to", "default", "enabled"):
        if getattr(channel, attr) != getattr(entry, attr):
            details.append(change(attr, getattr(channel, attr), getattr(entry, attr)))
            setattr(channel, attr, getattr(entry, attr))
            changed.append(attr)
    for attr in ("url", "secret"):  # a literal, a reference or {stored: true}; shown only as changed
        fields = apply_secret(channel, attr, getattr(entry, attr), f"channel {entry.name!r}")
        if fields:
            details.append(secret_change(attr))
            changed += fields
    if not channel.from_inventory:
        channel.from_inventory = True  # from now on --prune deletes it when the file drops it
        changed.append("from_inventory")
        if not created:
            details.append("added in the admin -> inventory")
    save_imported(
        channel,
        ImportedRow("channel", entry.name, created, changed, before, details),
        CHANNEL_FIELDS,
        result,
        (result.channels_created, result.channels_updated, result.channels_unchanged),
    )
    return channel


def apply_channels(entries: list[ChannelEntry], result: ImportResult) -> dict[str, AlertChannel]:
    """Upsert the file's channels by name (inside the import's transaction, before the devices)."""
    return {entry.name: _upsert(entry, result) for entry in entries}


def pick_channels(
    device: Device, names: list[str] | None, channels: dict[str, AlertChannel], line: int
) -> tuple[list[AlertChannel], str] | None:
    """The channels a device's `channels: [...]` names (the file's, else stored ones) and the detail
    line of the change; None when the list is left out or already what is stored."""
    if names is None:
        return None
    chosen: list[AlertChannel] = []
    for name in names:
        channel = channels.get(name) or AlertChannel.objects.filter(name=name).first()
        if channel is None:
            problem = gettext("no channel named %(name)s") % {"name": repr(name)}
            raise InventoryError(f"line {line}: device {device.name!r}: {problem}")
        chosen.append(channel)
    before = sorted(device.alert_channels.values_list("name", flat=True)) if device.pk else []
    after = sorted(channel.name for channel in chosen)
    if before == after:
        return None
    return chosen, change("channels", ", ".join(before), ", ".join(after))


def set_device_channels(device: Device, chosen: list[AlertChannel]) -> None:
    """Give a saved device the channels `pick_channels` chose, audited (names before and after)."""
    before = sorted(device.alert_channels.values_list("name", flat=True))
    device.alert_channels.set(chosen)
    audit(
        "import_inventory",
        obj=device,
        action=AuditAction.UPDATE,
        before={"channels": before},
        after={"channels": sorted(channel.name for channel in chosen)},
    )


def prune_channels(names: set[str], result: ImportResult, named_by_devices: Collection[str] = ()) -> None:
    """Delete the channels an earlier import created that the file no longer names (admin ones stay);
    refused for one a device of the file still names in its `channels: [...]`."""
    for channel in AlertChannel.objects.filter(from_inventory=True).exclude(name__in=names):
        if channel.name in named_by_devices:
            raise InventoryError(
                gettext(
                    "channel %(name)s cannot be pruned: a device of the file still names it "
                    "(declare it under channels: or drop it from the device)"
                )
                % {"name": repr(channel.name)}
            )
        audit(
            "import_inventory",
            obj=channel,
            action=AuditAction.DELETE,
            before=snapshot(channel, CHANNEL_FIELDS),
        )
        result.channels_pruned.append(channel.name)
        result.note("-", "channel", channel.name)
        channel.delete()
