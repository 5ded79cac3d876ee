"""What a serving process needs before it starts: the two secrets, never a default from the source code."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SECRET_KEY_VAR, FERNET_KEYS_VAR = "DJANGO_SECRET_KEY", "VPNPORTAL_FERNET_KEYS"
GENERATE = {
    SECRET_KEY_VAR: "python -c 'import secrets; print(secrets.token_urlsafe(50))'",
    FERNET_KEYS_VAR: "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'",
}


def missing_secrets() -> list[str]:
    """The variables of the two secrets that are unset (settings fall back on them only with DEBUG)."""
    missing = []
    try:
        settings.SECRET_KEY  # noqa: B018 - Django raises on an empty SECRET_KEY
    except ImproperlyConfigured:
        missing.append(SECRET_KEY_VAR)
    if not settings.VPNPORTAL_FERNET_KEYS:
        missing.append(FERNET_KEYS_VAR)
    return missing


def not_set(missing: list[str]) -> str:
    """'X and Y are not set.'"""
    return f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set."


def refusal(process: str, missing: list[str]) -> str:
    """The message a process stops with: which variables, why, and how to make them."""
    lines = [
        f"vpnportal {process} refuses to start: {not_set(missing)}",
        "Without them the session and signing key and the key that encrypts device credentials would be",
        "constants of the source code. Set them in the environment (.env.example); DJANGO_DEBUG=1 is for",
        "development only. Generate them with:",
    ]
    lines += [f"  {name}: {GENERATE[name]}" for name in missing]
    return "\n".join(lines)


def require_secrets(process: str) -> None:
    """Raise ImproperlyConfigured naming every missing secret variable."""
    missing = missing_secrets()
    if missing:
        raise ImproperlyConfigured(refusal(process, missing))
