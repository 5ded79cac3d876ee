"""The language of a user's pages: chosen with the menu's switch, kept with the account, carried in the session.

The order of precedence (docs/translating.md):
1. the language the user chose (the switch of the top bar or of the login page), kept in the session
   and, for a logged-in user, in their UserPreference; at login the saved preference comes back into
   the new session, so a fresh browser opens in it;
2. else the browser's Accept-Language (Django's LocaleMiddleware, which also reads the switch's cookie);
3. else settings.LANGUAGE_CODE.

Only settings.LANGUAGES count: a code Django itself has a catalogue for (``de``) is still refused.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest

from vpnportal.models import UserPreference

# The session key of the chosen language; the session is read on every request anyway: no query added.
SESSION_KEY = "vpnportal_language"


def is_supported(code: object) -> bool:
    """Whether `code` is one of the languages vpnportal ships (settings.LANGUAGES)."""
    return isinstance(code, str) and code in dict(settings.LANGUAGES)


def saved_language(user: User | AnonymousUser) -> str:
    """The language kept with the account; empty when none is saved (or it is no longer shipped)."""
    if not user.is_authenticated:
        return ""
    code = UserPreference.objects.filter(user=user).values_list("language", flat=True).first() or ""
    return code if is_supported(code) else ""


def save_language(user: User, code: str) -> None:
    """Keep `code` as the user's language."""
    if not is_supported(code):
        raise ValueError(f"not a shipped language: {code!r}")
    UserPreference.objects.update_or_create(user=user, defaults={"language": code})


def chosen_language(request: HttpRequest) -> str:
    """The language chosen in this session; empty when none was."""
    session = getattr(request, "session", None)
    code = session.get(SESSION_KEY, "") if session is not None else ""
    return code if is_supported(code) else ""


def choose_language(request: HttpRequest, code: str) -> None:
    """The switch: this session's language, and the account's too when someone is logged in."""
    if not is_supported(code):
        raise ValueError(f"not a shipped language: {code!r}")
    request.session[SESSION_KEY] = code
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        save_language(user, code)


def language_at_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """At login (user_logged_in): the latest choice wins.

    1. A language chosen on the login page, in this session before logging in, becomes the account's.
    2. Otherwise the account's saved language becomes this session's.
    """
    if request is None or getattr(request, "session", None) is None:
        return
    chosen = chosen_language(request)
    if chosen:
        save_language(user, chosen)
        return
    saved = saved_language(user)
    if saved:
        request.session[SESSION_KEY] = saved
