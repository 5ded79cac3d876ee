"""Reading the inventory YAML node by node, with line numbers: the helpers the inventory sections share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from django.utils.translation import gettext, gettext_lazy

from devices.secret_refs import make_reference

# Anything below space, DEL and the C1 range: a newline in a value would be a second command on the device.
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# In the file itself tab, newline and carriage return are layout; anything else is refused.
FILE_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
MAX_SECRET = 128

# The one mapping that is not a reference: what export_inventory writes for a literal secret it leaves out.
KEEP_KEY = "stored"


class InventoryError(ValueError):
    """A bad inventory file; the message names the file and line.

    The location (`line N:`, `path:N:`, the YAML path such as `devices[0].host`) stays as the file spells
    it; the sentence after it is in the active language (management commands: settings.LANGUAGE_CODE).
    """


# What a message calls the entries of each list, in the reader's language.
ENTRY_KINDS = {
    "device": gettext_lazy("device"),
    "tunnel": gettext_lazy("tunnel"),
    "credential set": gettext_lazy("credential set"),
    "channel": gettext_lazy("channel"),
    "contact": gettext_lazy("contact"),
}


def unknown_key_text(key: str, allowed: Any, top: bool = False) -> str:
    """`unknown key 'x' (allowed: a, b)`, the problem of a key no section knows."""
    params = {"key": repr(key), "allowed": ", ".join(allowed)}
    if top:
        return gettext("unknown top-level key %(key)s (allowed: %(allowed)s)") % params
    return gettext("unknown key %(key)s (allowed: %(allowed)s)") % params


def unknown_key(line: int, where: str, key: str, allowed: Any) -> str:
    """The whole message of an unknown key in an entry: `line N: devices[0]: unknown key ...`."""
    return f"line {line}: {where}: {unknown_key_text(key, allowed)}"


def already_defined(line: int, what: str, name: str, first: int) -> str:
    """`line N: device 'r1' already defined at line M`, for a name given twice in one list."""
    problem = gettext("%(what)s %(name)s already defined at line %(first)s") % {
        "what": ENTRY_KINDS.get(what, what),
        "name": repr(name),
        "first": first,
    }
    return f"line {line}: {problem}"


@dataclass(frozen=True)
class SecretValue:
    """A secret as the file gives it: a literal, a reference (its stored form), or `{stored: true}`
    (keep the literal already stored, as export_inventory writes it)."""

    literal: str = ""
    ref: str = ""
    keep: bool = False
    line: int = 0

    @property
    def given(self) -> bool:
        """Whether the file gives this secret at all (an empty literal gives none)."""
        return bool(self.literal or self.ref or self.keep)


def check_text(value: str, where: str) -> str:
    """Reject control characters (newlines included) in anything that may reach a device or a page."""
    if CONTROL_RE.search(value):
        raise ValueError(f"{where}: " + gettext("control characters are not allowed"))
    return value


def show(value: Any) -> str:
    """A value quoted for a message, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def line_of(node: yaml.Node) -> int:
    """The 1-based line a node starts on."""
    return node.start_mark.line + 1


def scalar(node: yaml.Node, where: str) -> Any:
    """A single value (ValueError for a list or mapping), constructed as yaml.safe_load would."""
    if not isinstance(node, yaml.ScalarNode):
        raise ValueError(f"{where}: " + gettext("expected a single value"))
    return _construct(node)


def _construct(node: yaml.ScalarNode) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def mapping(node: yaml.Node, where: str) -> list[tuple[str, yaml.Node, int]]:
    """(key, value node, line) of a mapping; InventoryError for anything else or a duplicate key."""
    if not isinstance(node, yaml.MappingNode):
        raise InventoryError(f"line {line_of(node)}: {where}: " + gettext("expected a mapping"))
    items: list[tuple[str, yaml.Node, int]] = []
    seen: set[str] = set()
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str):
            raise InventoryError(f"line {line_of(key_node)}: {where}: " + gettext("keys must be plain names"))
        if key in seen:
            problem = gettext("duplicate key %(key)s") % {"key": repr(key)}
            raise InventoryError(f"line {line_of(key_node)}: {where}: {problem}")
        seen.add(key)
        items.append((key, value_node, line_of(key_node)))
    return items


def sequence(node: yaml.Node, where: str) -> list[yaml.Node]:
    """The items of a list (none for an empty value); InventoryError for anything else."""
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise InventoryError(f"line {line_of(node)}: {where}: " + gettext("expected a list"))
    return list(node.value)


def check_unique_names(entries: list[Any], what: str) -> None:
    """Refuse a name defined twice in one list, naming both lines (`entries` have `.name` and `.line`)."""
    seen: dict[str, int] = {}
    for entry in entries:
        if entry.name in seen:
            raise InventoryError(already_defined(entry.line, what, entry.name, seen[entry.name]))
        seen[entry.name] = entry.line


def value_node(items: list[tuple[str, yaml.Node, int]], key: str) -> yaml.Node | None:
    """The value node of `key` in a mapping's items, None when absent."""
    return next((value for name, value, _ in items if name == key), None)


def secret_value(node: yaml.Node, where: str, key: str, limit: int = MAX_SECRET) -> SecretValue:
    """A secret (password, enable secret, channel URL): a literal, `{env: NAME}`, `{file: PATH}` or
    `{stored: true}`; a literal longer than `limit` is refused."""
    line = line_of(node)
    if isinstance(node, yaml.MappingNode):
        items = mapping(node, where)
        if len(items) != 1:
            raise ValueError(f"{key}: " + gettext("a reference is {env: NAME} or {file: PATH}, one of them"))
        kind, value_node, _ = items[0]
        value = scalar(value_node, f"{key}.{kind}")
        if kind == KEEP_KEY:
            if value is not True:
                raise ValueError(f"{key}: " + gettext("{stored: true} is the only form of `stored`"))
            return SecretValue(keep=True, line=line)
        try:
            return SecretValue(ref=str(make_reference(kind, value, gettext)), line=line)
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None
    raw = scalar(node, key)
    if raw is None:
        raw = ""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise ValueError(f"{key}: " + gettext("must be text or a reference ({env: NAME}, {file: PATH})"))
    text = str(raw)
    check_text(text, key)
    if len(text) > limit:
        raise ValueError(f"{key}: " + gettext("too long"))
    return SecretValue(literal=text, line=line)
