"""Security headers of every response, and the language a user chose (login is required by Django's
LoginRequiredMiddleware, see settings)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from vpnportal.language import chosen_language


class SecurityHeadersMiddleware:
    """Content-Security-Policy and friends: pages load only our own scripts and styles."""

    CSP = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # The admin site too: it loads only its own static scripts and styles (its one inline <style>
        # is for change lists without actions, which this project has none of; it would only widen a column).
        response.headers.setdefault("Content-Security-Policy", self.CSP)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class ChosenLanguageMiddleware:
    """The language chosen with the switch (kept in the session, restored from the account at login)
    over the browser's Accept-Language.

    After LocaleMiddleware, which activates the cookie's or Accept-Language's language first and, on the
    way out, says the final one in Content-Language; after AuthenticationMiddleware, so the views and the
    messages of a logged-in user's request are in their language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        code = chosen_language(request)
        if code:
            translation.activate(code)
            request.LANGUAGE_CODE = code
        return self.get_response(request)
