"""Before/after values of a model row for an audit entry, with every secret masked."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from vpnportal.fields import EncryptedTextField

MASK = "********"
CHANGED_MASK = "******** (changed)"
# Field names that hold a secret even where the field is not encrypted (forms, other apps' models).
SECRET_WORDS = ("password", "secret", "challenge", "token")


def is_secret(field: models.Field[Any, Any]) -> bool:
    """Whether an audit entry may only say that the value is set, never what it is."""
    name = field.name.lower()
    return isinstance(field, EncryptedTextField) or any(word in name for word in SECRET_WORDS)


def snapshot(obj: models.Model, names: Iterable[str] | None = None) -> dict[str, Any]:
    """The named concrete fields of `obj` (all when None) as JSON values; secrets masked."""
    fields = [f for f in obj._meta.concrete_fields if names is None or f.name in set(names)]
    values: dict[str, Any] = {}
    for field in fields:
        value = field.value_from_object(obj)
        if is_secret(field):
            plain = value.reveal() if hasattr(value, "reveal") else value
            values[field.name] = MASK if plain else ""
        else:
            values[field.name] = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    return values


def mark_changed_secrets(after: dict[str, Any], changed: Iterable[str]) -> dict[str, Any]:
    """Say which secrets changed (the masked values alone look the same before and after)."""
    for name in changed:
        if name in after and after[name] == MASK:
            after[name] = CHANGED_MASK
    return after
