"""Model fields for secrets: ciphertext in the database, never plaintext."""

from __future__ import annotations

from typing import Any

from django.db import models

from vpnportal import crypto


class Secret(str):
    """A decrypted secret whose repr and str never show the value; `.reveal()` gives it."""

    def __repr__(self) -> str:
        return "Secret('********')"

    def __str__(self) -> str:
        return "********"

    def reveal(self) -> str:
        """Return the plaintext, for the one place that needs it (the device session)."""
        return str.__str__(self)


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python values are `Secret` strings that hide themselves."""

    description = "Text encrypted at rest with MultiFernet"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Secret | None:
        if value is None or value == "":
            return Secret("") if value == "" else None
        return Secret(crypto.decrypt(value))

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, Secret):
            return value
        return Secret(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        plain = value.reveal() if isinstance(value, Secret) else str(value)
        if plain == "":
            return ""
        return crypto.encrypt(plain)
