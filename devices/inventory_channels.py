"""The inventory's `channels:` list and a device's `channels: [...]`, upserted into `AlertChannel` rows.

```yaml
channels:
  - {name: noc-mail, kind: email, to: [noc@example.net], default: true}
  - {name: noc-hook, kind: webhook, url: "https://hooks.example.net/vpn", secret: {env: HOOK_SECRET}}
devices:
  - {name: r1, ..., channels: [noc-hook]}
```
A `url` or `secret` is a literal (stored encrypted) or `{env: NAME}` / `{file: PATH}` (stored as the
reference, resolved at each send). Errors are `ValueError`s whose message starts with `line N: `;
`devices/inventory.py` turns them into its `InventoryError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml
from django.core.exceptions import ValidationError

from devices.contacts import email_list, validate_email_list
from devices.models import Device
from devices.secret_refs import make_reference
from vpnportal.audit import audit
from vpnportal.audit_values import mark_changed_secrets, snapshot
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
    """One validated channel of the file."""

    name: str
    kind: str
    line: int
    to: str = ""
    url: str = ""
    url_ref: str = ""
    secret: str = ""
    secret_ref: str = ""
    default: bool = False
    enabled: bool = True


@dataclass
class ChannelChanges:
    """What an import did to the channels, by name."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _value(node: yaml.Node, where: str) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise ValueError(f"{where}: expected a single value")
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _items(node: yaml.Node, where: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise ValueError(f"line {_line(node)}: {where}: expected a mapping")
    items: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str) or key in items:
            raise ValueError(f"line {_line(key_node)}: {where}: keys must be plain names, once each")
        items[key] = value_node
    return items


def secret_value(node: yaml.Node, where: str, limit: int) -> tuple[str, str]:
    """(literal, reference) of a value that is text, `{env: NAME}` or `{file: PATH}`."""
    if isinstance(node, yaml.MappingNode):
        items = _items(node, where)
        if len(items) != 1:
            raise ValueError(f"{where}: a reference is {{env: NAME}} or {{file: PATH}}")
        (kind, target_node), *_ = items.items()
        try:
            return "", str(make_reference(kind, _value(target_node, where)))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    value = _value(node, where)
    if value is None:
        return "", ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{where}: must be text, {{env: NAME}} or {{file: PATH}}")
    text = str(value)
    if CONTROL_RE.search(text):
        raise ValueError(f"{where}: control characters are not allowed")
    if len(text) > limit:
        raise ValueError(f"{where}: too long")
    return text, ""


def validate_channel_url(url: str, where: str = "url") -> str:
    """An http(s) URL with a host (the value is never echoed: a chat webhook URL is a secret)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{where}: must be an http:// or https:// URL")
    return url


def _addresses(node: yaml.Node, where: str) -> str:
    if isinstance(node, yaml.SequenceNode):
        raw = [_value(item, where) for item in node.value]
    else:
        raw = [_value(node, where)]
    if not all(isinstance(part, str) for part in raw):
        raise ValueError(f"{where}: each entry must be an email address")
    text = ", ".join(email_list([str(part) for part in raw]))
    if not text or CONTROL_RE.search(text):
        raise ValueError(f"{where}: needs at least one email address")
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
                raise ValueError(f"unknown key {key!r} (allowed: {', '.join(sorted(CHANNEL_KEYS))})")
        current = _line(node)
        name = _value(items["name"], "name") if "name" in items else None
        if not isinstance(name, str) or not CHANNEL_NAME_RE.match(name):
            raise ValueError("name: must be 1-64 letters, digits, '.', '-' or '_'")
        kind = _value(items["kind"], "kind") if "kind" in items else None
        if kind not in ChannelKind.values:
            raise ValueError(f"kind: must be one of {', '.join(ChannelKind.values)}")
        entry = ChannelEntry(name=name, kind=kind, line=_line(node))
        for flag in ("default", "enabled"):
            if flag in items:
                current = _line(items[flag])
                value = _value(items[flag], flag)
                if not isinstance(value, bool):
                    raise ValueError(f"{flag}: must be true or false")
                setattr(entry, flag, value)
        if kind == ChannelKind.EMAIL:
            for key in ("url", "secret"):
                if key in items:
                    raise ValueError(f"{key}: email channels take `to` only")
            if "to" not in items:
                raise ValueError("to: email channels need addresses")
            current = _line(items["to"])
            entry.to = _addresses(items["to"], "to")
            return entry
        if "to" in items:
            raise ValueError(f"to: only email channels have addresses ({kind} takes url)")
        if "url" not in items:
            raise ValueError(f"url: {kind} channels need a URL")
        current = _line(items["url"])
        entry.url, entry.url_ref = secret_value(items["url"], "url", MAX_URL)
        if entry.url:
            validate_channel_url(entry.url)
        if not (entry.url or entry.url_ref):
            raise ValueError(f"url: {kind} channels need a URL")
        if kind == ChannelKind.WEBHOOK:
            if "secret" not in items:
                raise ValueError("secret: webhook channels sign every post and need a secret")
            current = _line(items["secret"])
            entry.secret, entry.secret_ref = secret_value(items["secret"], "secret", MAX_SECRET)
            if not (entry.secret or entry.secret_ref):
                raise ValueError("secret: webhook channels sign every post and need a secret")
        elif "secret" in items:
            raise ValueError("secret: only webhook channels are signed")
        return entry
    except ValueError as exc:
        raise ValueError(f"line {current}: {where}: {exc}") from None


def parse_channels(node: yaml.Node) -> list[ChannelEntry]:
    """The `channels:` list; names must be unique."""
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise ValueError(f"line {_line(node)}: channels: expected a list")
    entries = [parse_channel(item, i) for i, item in enumerate(node.value)]
    seen: dict[str, int] = {}
    for entry in entries:
        if entry.name in seen:
            raise ValueError(
                f"line {entry.line}: channel {entry.name!r} already defined at line {seen[entry.name]}"
            )
        seen[entry.name] = entry.line
    return entries


def channels_in(text: str) -> list[ChannelEntry]:
    """The channels of an inventory document already validated by `parse_inventory`."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return []
    for key_node, value_node in root.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == "channels":
            return parse_channels(value_node)
    return []


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
        raise ValueError("channels: expected a list of channel names")
    for name in raw:
        if not isinstance(name, str) or not CHANNEL_NAME_RE.match(name):
            raise ValueError("channels: each entry must be a channel name")
    return list(dict.fromkeys(raw))


def _upsert(entry: ChannelEntry, changes: ChannelChanges) -> AlertChannel:
    channel = AlertChannel.objects.select_for_update().filter(name=entry.name).first()
    created = channel is None
    if channel is None:
        channel = AlertChannel(name=entry.name)
    before = snapshot(channel, CHANNEL_FIELDS)
    changed: list[str] = []
    for attr in ("kind", "to", "url_ref", "secret_ref", "default", "enabled"):
        if getattr(channel, attr) != getattr(entry, attr):
            setattr(channel, attr, getattr(entry, attr))
            changed.append(attr)
    for attr in ("url", "secret"):
        current = getattr(channel, attr)
        plain = current.reveal() if hasattr(current, "reveal") else (current or "")
        if plain != getattr(entry, attr):
            setattr(channel, attr, getattr(entry, attr))
            changed.append(attr)
    if not channel.from_inventory:
        channel.from_inventory = True
        changed.append("from_inventory")
    if created:
        channel.save()
        changes.created.append(entry.name)
        audit(
            "import_inventory",
            obj=channel,
            action=AuditAction.CREATE,
            after=snapshot(channel, CHANNEL_FIELDS),
        )
    elif changed:
        channel.save()
        changes.updated.append(entry.name)
        after = mark_changed_secrets(snapshot(channel, changed), changed)
        audit(
            "import_inventory",
            obj=channel,
            action=AuditAction.UPDATE,
            before={k: before[k] for k in after if k in before},
            after=after,
        )
    else:
        changes.unchanged.append(entry.name)
    return channel


def apply_channels(
    entries: list[ChannelEntry],
    device_channels: list[tuple[Device, list[str] | None, int]],
    *,
    prune: bool = False,
) -> ChannelChanges:
    """Inside the import's transaction: upsert the file's channels, set each device's channels
    (`(device, names or None to keep, line)`), and with prune delete inventory channels the file dropped."""
    changes = ChannelChanges()
    by_name = {entry.name: _upsert(entry, changes) for entry in entries}
    for device, names, line in device_channels:
        if names is None:
            continue
        chosen: list[AlertChannel] = []
        for name in names:
            channel = by_name.get(name) or AlertChannel.objects.filter(name=name).first()
            if channel is None:
                raise ValueError(f"line {line}: device {device.name!r}: no channel named {name!r}")
            chosen.append(channel)
        before = sorted(device.alert_channels.values_list("name", flat=True))
        after = sorted(channel.name for channel in chosen)
        if before != after:
            device.alert_channels.set(chosen)
            audit(
                "import_inventory",
                obj=device,
                action=AuditAction.UPDATE,
                before={"channels": before},
                after={"channels": after},
            )
    if prune:
        for channel in AlertChannel.objects.filter(from_inventory=True).exclude(name__in=set(by_name)):
            audit(
                "import_inventory",
                obj=channel,
                action=AuditAction.DELETE,
                before=snapshot(channel, CHANNEL_FIELDS),
            )
            changes.pruned.append(channel.name)
            channel.delete()
    return changes
