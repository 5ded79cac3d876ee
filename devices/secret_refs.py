"""Secrets by reference: `env:NAME` and `file:/path` as stored, `{env: NAME}` / `{file: PATH}` as written.

A reference is not a secret (it says where the secret is); the value it points to is read when a session
needs it, so a rotated secret needs no re-import. Every error names the reference, never the value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext, gettext_noop

ENV = "env"
FILE = "file"
KINDS = (ENV, FILE)
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_PATH = 1024
MAX_VALUE = 128  # as a literal secret of the inventory (devices.inventory_yaml.MAX_SECRET)
# A mounted secret file is a few bytes; reading more than this is reading the wrong file.
MAX_FILE_BYTES = 4096


class UnresolvedReference(ValueError):
    """A reference that cannot be resolved; the message names the reference and why, never a value."""


@dataclass(frozen=True)
class Reference:
    """Where a secret is: an environment variable or a file."""

    kind: str
    target: str

    def __str__(self) -> str:
        """The stored form, `env:NAME` or `file:/path`."""
        return f"{self.kind}:{self.target}"

    def shown(self) -> str:
        """The inventory form, `{env: NAME}`: what reasons, messages and exports print."""
        return f"{{{self.kind}: {self.target}}}"


def _english(message: str) -> str:
    return message


def make_reference(kind: str, target: object, say: Callable[[str], str] = _english) -> Reference:
    """A validated reference; ValueError saying what is wrong with it (the target is not a secret).

    `say` translates the message: English by default, because a poll's failure reason (stored, in English)
    can come from here; the inventory import and the admin pass `gettext`."""
    if kind not in KINDS:
        raise ValueError(
            say(gettext_noop("a reference is {env: NAME} or {file: PATH} (got %(kind)s)"))
            % {"kind": repr(kind)}
        )
    if not isinstance(target, str) or not target:
        raise ValueError(say(gettext_noop("{%(kind)s: ...} needs a name")) % {"kind": kind})
    if kind == ENV:
        if not ENV_NAME_RE.match(target):
            raise ValueError(
                say(gettext_noop("{env: %(name)s}: not an environment variable name")) % {"name": target[:60]}
            )
        return Reference(ENV, target)
    if CONTROL_RE.search(target) or len(target) > MAX_PATH:
        raise ValueError(say(gettext_noop("{file: ...}: control characters or too long")))
    # Relative to what? The worker's folder is no place to look for secrets: absolute paths only.
    if not target.startswith("/"):
        raise ValueError(
            say(gettext_noop("{file: %(path)s}: must be an absolute path")) % {"path": target[:60]}
        )
    return Reference(FILE, target)


def parse_reference(stored: str, say: Callable[[str], str] = _english) -> Reference:
    """The reference a stored `env:NAME` / `file:/path` spells; ValueError when it spells none."""
    kind, sep, target = stored.partition(":")
    if not sep:
        raise ValueError(
            say(gettext_noop("not a reference: expected env:NAME or file:/path (got %(value)s)"))
            % {"value": repr(stored[:60])}
        )
    return make_reference(kind, target, say)


def validate_reference(stored: str) -> None:
    """Model-field validator: empty, or a valid stored reference."""
    from django.core.exceptions import ValidationError

    if not stored:
        return
    try:
        parse_reference(stored, gettext)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _strip_newline(text: str) -> str:
    """One trailing newline off, as a mounted secret file ends (`\\n` or `\\r\\n`)."""
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


def resolve(ref: Reference, environ: Mapping[str, str] | None = None, max_value: int = MAX_VALUE) -> str:
    """The secret a reference points to, read now; UnresolvedReference naming the reference on failure.

    `max_value` is a device secret's limit by default; an alert channel's URL may be longer.
    """
    shown = ref.shown()
    if ref.kind == ENV:
        env = os.environ if environ is None else environ
        if ref.target not in env:
            raise UnresolvedReference(f"{shown}: environment variable not set")
        value = env[ref.target]
    else:
        try:
            with Path(ref.target).open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise UnresolvedReference(
                f"{shown}: cannot read the file ({exc.strerror or type(exc).__name__})"
            ) from None
        if len(data) > MAX_FILE_BYTES:
            raise UnresolvedReference(f"{shown}: file larger than {MAX_FILE_BYTES} bytes")
        try:
            value = _strip_newline(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise UnresolvedReference(f"{shown}: file is not UTF-8 text") from None
    if value == "":
        raise UnresolvedReference(f"{shown}: empty")
    # A newline in a value would be a second command on the device (inventory.CONTROL_RE).
    if CONTROL_RE.search(value):
        raise UnresolvedReference(f"{shown}: contains control characters")
    if len(value) > max_value:
        raise UnresolvedReference(f"{shown}: longer than {max_value} characters")
    return value
