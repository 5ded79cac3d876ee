"""Credential sets: the inventory's `credentials:` section, and the credentials a session logs in with.

A device names a set (`credentials: branch-routers`) or carries its own username, password and secret;
its own fields win. A secret is a literal (encrypted at rest) or a reference (`{env: NAME}`,
`{file: PATH}`, devices/secret_refs.py) resolved each time a session opens, so rotating it needs no
re-import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext

from devices.inventory_result import ImportResult, change, secret_change
from devices.inventory_yaml import (
    InventoryError,
    SecretValue,
    check_text,
    check_unique_names,
    line_of,
    mapping,
    scalar,
    secret_value,
    sequence,
    show,
    unknown_key,
)
from devices.models import CredentialSet, Device
from devices.secret_refs import parse_reference, resolve
from vpnportal.audit import audit
from vpnportal.audit_values import mark_changed_secrets, snapshot
from vpnportal.choices import AuditAction
from vpnportal.fields import Secret
from vpnportal.models import AlertChannel

SET_KEYS = {"name", "username", "password", "secret"}
SET_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SECRET_ATTRS = ("password", "secret")
SET_FIELDS = ("name", "username", "password", "password_ref", "secret", "secret_ref")


class CredentialError(Exception):
    """A device's credentials cannot be had now; `reason` names the reference, never a value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Credentials:
    """What a session logs in with (the secrets hide themselves in repr and str)."""

    username: str
    password: Secret
    secret: Secret


@dataclass
class CredentialSetEntry:
    """One validated credential set of the file."""

    name: str
    username: str
    password: SecretValue
    secret: SecretValue
    line: int


# -- reading the file ----------------------------------------------------------------------------------


def validate_username(value: Any, required: bool) -> str:
    """A login name: text without spaces or control characters, at most 64 characters."""
    if value is None:
        value = ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(gettext("username: must be text"))
    text = str(value)
    check_text(text, "username")
    if len(text) > 64:
        raise ValueError(gettext("username: too long"))
    if " " in text or (required and not text):
        raise ValueError(gettext("username: must be non-empty without spaces"))
    return text


def _credential_set(node: yaml.Node, index: int) -> CredentialSetEntry:
    where = f"credentials[{index}]"
    values: dict[str, Any] = {}
    secrets: dict[str, SecretValue] = {}
    for key, value_node, line in mapping(node, where):
        if key not in SET_KEYS:
            raise InventoryError(unknown_key(line, where, key, sorted(SET_KEYS)))
        try:
            if key in SECRET_ATTRS:
                secrets[key] = secret_value(value_node, f"{where}.{key}", key)
            elif key == "name":
                name = scalar(value_node, f"{where}.name")
                if not isinstance(name, str) or not SET_NAME_RE.match(name):
                    raise ValueError(
                        gettext("%(where)s: must be 1-64 letters, digits, '.', '-' or '_' (got %(value)s)")
                        % {"where": "name", "value": show(name)}
                    )
                values[key] = name
            else:
                values[key] = validate_username(scalar(value_node, f"{where}.{key}"), required=False)
        except ValueError as exc:
            raise InventoryError(f"line {line_of(value_node)}: {where}: {exc}") from None
    if "name" not in values:
        raise InventoryError(
            f"line {line_of(node)}: {where}: " + gettext("%(key)s: required") % {"key": "name"}
        )
    return CredentialSetEntry(
        name=values["name"],
        username=values.get("username", ""),
        password=secrets.get("password", SecretValue()),
        secret=secrets.get("secret", SecretValue()),
        line=line_of(node),
    )


def parse_credential_sets(node: yaml.Node) -> list[CredentialSetEntry]:
    """The `credentials:` list, validated; InventoryError naming the line of the first problem."""
    entries = [_credential_set(item, i) for i, item in enumerate(sequence(node, "credentials"))]
    check_unique_names(entries, "credential set")
    return entries


# -- writing it ---------------------------------------------------------------------------------------


def _plain(value: Any) -> str:
    return value.reveal() if hasattr(value, "reveal") else str(value or "")


def apply_secret(
    obj: Device | CredentialSet | AlertChannel, attr: str, value: SecretValue, what: str
) -> list[str]:
    """Set a secret (literal and reference columns) from the file; returns the fields that changed.
    Alert channels' `url` and `secret` are set the same way (devices/inventory_channels.py).

    `{stored: true}` keeps what is stored, and is refused where no literal is stored."""
    literal, ref = _plain(getattr(obj, attr)), getattr(obj, f"{attr}_ref")
    if value.keep:
        if not literal:
            problem = gettext("{stored: true} but nothing is stored")
            raise InventoryError(f"line {value.line}: {what}: {attr}: {problem}")
        return []
    changed = []
    if literal != value.literal:
        setattr(obj, attr, value.literal)
        changed.append(attr)
    if ref != value.ref:
        setattr(obj, f"{attr}_ref", value.ref)
        changed.append(f"{attr}_ref")
    return changed


def _apply_set(entry: CredentialSetEntry, result: ImportResult) -> CredentialSet:
    obj = CredentialSet.objects.select_for_update().filter(name=entry.name).first()
    created = obj is None
    if obj is None:
        obj = CredentialSet(name=entry.name)
    before = snapshot(obj, SET_FIELDS)
    changed: list[str] = []
    details: list[str] = []
    if obj.username != entry.username:
        details.append(change("username", obj.username, entry.username))
        obj.username = entry.username
        changed.append("username")
    for attr in SECRET_ATTRS:
        fields = apply_secret(obj, attr, getattr(entry, attr), f"credentials {entry.name!r}")
        if fields:
            details.append(secret_change(attr))
            changed += fields
    save_imported(
        obj,
        ImportedRow("credentials", entry.name, created, changed, before, details),
        SET_FIELDS,
        result,
        (result.credentials_created, result.credentials_updated, result.credentials_unchanged),
    )
    return obj


@dataclass
class ImportedRow:
    """What an import found for one row: new or not, the fields it changed, their values before."""

    what: str  # how the dry run names its kind: "credentials", "channel"
    name: str
    created: bool
    changed: list[str]
    before: dict[str, Any]
    details: list[str]


def save_imported(
    obj: Any,
    row: ImportedRow,
    fields: tuple[str, ...] | list[str],
    result: ImportResult,
    buckets: tuple[list[str], list[str], list[str]],
) -> None:
    """Save a row an import created or changed, note it for the dry run, audit it (secrets only as
    changed); `buckets` are the result's created, updated and unchanged lists for its kind."""
    made, updated, unchanged = buckets
    if row.created:
        obj.save()
        made.append(row.name)
        result.note("+", row.what, row.name)
        audit("import_inventory", obj=obj, action=AuditAction.CREATE, after=snapshot(obj, list(fields)))
    elif row.changed:
        obj.save()
        updated.append(row.name)
        result.note("~", row.what, row.name, row.details)
        after = mark_changed_secrets(snapshot(obj, row.changed), row.changed)
        audit(
            "import_inventory",
            obj=obj,
            action=AuditAction.UPDATE,
            before={k: row.before[k] for k in after if k in row.before},
            after=after,
        )
    else:
        unchanged.append(row.name)


def apply_credential_sets(
    entries: list[CredentialSetEntry], result: ImportResult
) -> dict[str, CredentialSet]:
    """Upsert the file's credential sets by name (inside the import's transaction); returns them by name."""
    return {entry.name: _apply_set(entry, result) for entry in entries}


def find_set(name: str, sets: Mapping[str, CredentialSet], line: int, where: str) -> CredentialSet:
    """The set a device names: one of the file's, else one already stored."""
    found = sets.get(name) or CredentialSet.objects.filter(name=name).first()
    if found is None:
        problem = gettext("no credential set named %(name)s") % {"name": repr(name)}
        raise InventoryError(f"line {line}: {where}: credentials: {problem}")
    return found


def prune_credential_sets(names: set[str], result: ImportResult) -> None:
    """Delete the sets the file no longer names (after the devices were pruned)."""
    for obj in CredentialSet.objects.exclude(name__in=names):
        try:
            with transaction.atomic():
                audit(
                    "import_inventory", obj=obj, action=AuditAction.DELETE, before=snapshot(obj, SET_FIELDS)
                )
                obj.delete()
        except ProtectedError:
            users = ", ".join(Device.objects.filter(credential_set=obj).values_list("name", flat=True)[:5])
            raise InventoryError(
                gettext("credential set %(name)s cannot be pruned: devices still use it (%(users)s)")
                % {"name": repr(obj.name), "users": users}
            ) from None
        result.credentials_pruned.append(obj.name)
        result.note("-", "credentials", obj.name)


# -- at poll time -------------------------------------------------------------------------------------


def _pick(device: Device, attr: str) -> tuple[str, str, str]:
    """(literal, reference, whose) of one secret: the device's own if it has one, else its set's."""
    literal, ref = _plain(getattr(device, attr)), getattr(device, f"{attr}_ref")
    if literal or ref or device.credential_set_id is None:
        return literal, ref, f"device {device.name}"
    cs = device.credential_set
    assert cs is not None
    return _plain(getattr(cs, attr)), getattr(cs, f"{attr}_ref"), f"credential set {cs.name}"


def resolve_credentials(device: Device, environ: Mapping[str, str] | None = None) -> Credentials:
    """The username, password and enable secret to log in with, references read now.

    CredentialError names the reference that failed and whose it is, never a value."""
    username = device.username
    if not username and device.credential_set_id is not None:
        cs = device.credential_set
        username = cs.username if cs is not None else ""
    if not username:
        raise CredentialError("credentials: no username (give the device or its credential set one)")
    values: dict[str, str] = {}
    for attr in SECRET_ATTRS:
        literal, ref, whose = _pick(device, attr)
        if not ref:
            values[attr] = literal
            continue
        try:
            values[attr] = resolve(parse_reference(ref), environ)
        except ValueError as exc:
            raise CredentialError(f"credentials: {exc} ({whose})") from None
    return Credentials(username, Secret(values["password"]), Secret(values["secret"]))
