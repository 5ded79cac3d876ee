"""Why a login failed beyond a wrong password, passed from an authentication backend to the login form."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

_ATTRIBUTE = "vpnportal_login_problem"


def note_login_problem(request: Any, message: str) -> None:
    """Remember on the request what the login form should say instead of "wrong password".

    `message` is the English text (a `gettext_noop` message id): the form says it in the active language.
    """
    if request is not None:
        setattr(request, _ATTRIBUTE, message)


def login_problem(request: Any) -> str:
    """The message a backend noted for this request, in the active language, or ""."""
    message = str(getattr(request, _ATTRIBUTE, "") or "")
    return gettext(message) if message else ""
