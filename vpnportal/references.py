"""Secrets by reference: a stored `env:NAME` or `file:PATH` is read at the moment it is needed.

The inventory writes `{env: NAME}` / `{file: PATH}`; the rows keep them as `env:NAME` / `file:PATH` next
to the literal (encrypted) value. Resolution happens at send time, so rotating a secret needs no
re-import. A missing variable or file raises `UnresolvedReference`, whose message names the reference
and never the value.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
REFERENCE_KINDS = ("env", "file")
MAX_REFERENCE = 300
MAX_FILE_BYTES = 64 * 1024


class UnresolvedReference(ValueError):
    """A reference whose variable or file is missing; the message names the reference only."""


def reference_text(kind: str, target: str) -> str:
    """The stored form of a reference (`env:NAME`, `file:/path`), validated."""
    if kind not in REFERENCE_KINDS:
        raise ValueError(f"a reference is {{env: NAME}} or {{file: PATH}} (got {kind!r})")
    if not isinstance(target, str) or not target:
        raise ValueError(f"{kind}: must name a variable or a file")
    if kind == "env" and not ENV_NAME_RE.match(target):
        raise ValueError(f"env: {target!r} is not an environment variable name")
    if kind == "file" and (not target.startswith("/") or any(ord(c) < 32 for c in target)):
        raise ValueError("file: must be an absolute path")
    text = f"{kind}:{target}"
    if len(text) > MAX_REFERENCE:
        raise ValueError("reference too long")
    return text


def split_reference(ref: str) -> tuple[str, str]:
    """(kind, target) of a stored reference; ValueError when it is not one."""
    kind, sep, target = ref.partition(":")
    if not sep:
        raise ValueError("a reference is env:NAME or file:/path")
    reference_text(kind, target)
    return kind, target


def describe(ref: str) -> str:
    """How a message names a reference: `env HOOK_SECRET`, `file /run/secrets/x`."""
    kind, _, target = ref.partition(":")
    return f"{kind} {target}"


def resolve_reference(ref: str) -> str:
    """The value behind `env:NAME` or `file:PATH` now; one trailing newline of a file is stripped."""
    kind, target = split_reference(ref)
    if kind == "env":
        value = os.environ.get(target)
        if value is None:
            raise UnresolvedReference(f"environment variable {target} is not set")
        return value
    try:
        data = Path(target).read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as exc:
        raise UnresolvedReference(f"file {target} cannot be read ({exc.strerror or 'error'})") from None
    if len(data) > MAX_FILE_BYTES:
        raise UnresolvedReference(f"file {target} is larger than {MAX_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnresolvedReference(f"file {target} is not UTF-8") from None
    # Mounted secret files end with one newline that is not part of the secret.
    return text[:-1] if text.endswith("\n") else text


def resolve(literal: str, ref: str) -> str:
    """The reference's value when there is one, else the literal."""
    return resolve_reference(ref) if ref else literal
