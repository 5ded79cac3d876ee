"""Who gets a device's alerts besides ALERT_EMAIL_TO (the addresses in its `alert_emails`), and the
language each address reads its alert emails in (`devices.Contact`, the inventory's `contacts:`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext

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
            raise ValidationError(
                gettext("%(address)s is not an email address") % {"address": repr(address)}, code="invalid"
            ) from None


def language_codes() -> list[str]:
    """The languages vpnportal speaks (settings.LANGUAGES), in order: en, ja."""
    return [code for code, _name in settings.LANGUAGES]


def validate_language(value: str) -> None:
    """Reject a language vpnportal does not ship (empty is allowed: LANGUAGE_CODE)."""
    if value and value not in language_codes():
        raise ValidationError(
            gettext("%(language)s is not a language of vpnportal (%(languages)s)")
            % {"language": repr(value), "languages": ", ".join(language_codes())},
            code="invalid",
        )
