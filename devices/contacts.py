"""Who gets a device's alerts besides ALERT_EMAIL_TO: the addresses in its `alert_emails`."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

_SEPARATORS = re.compile(r"[,;\s]+")


def email_list(text: str | Iterable[str]) -> list[str]:
    """The addresses of a comma (or space, or semicolon) separated text or a list, in order, once each."""
    parts = _SEPARATORS.split(text) if isinstance(text, str) else [str(part) for part in text]
    return list(dict.fromkeys(part.strip() for part in parts if part.strip()))


def validate_email_list(value: str) -> None:
    """Reject a list with anything that is not an email address, naming it."""
    for address in email_list(value):
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(f"{address!r} is not an email address", code="invalid") from None
