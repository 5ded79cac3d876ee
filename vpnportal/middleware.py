"""Login required everywhere except the login page, static files and token-authenticated API calls."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

# Paths that must answer without a session: the login form, static files, and the API and metrics,
# which authenticate by token themselves and answer 401/403 instead of redirecting.
PUBLIC_PREFIXES = ("/accounts/login/", "/static/", "/api/", "/metrics", "/healthz")


class LoginRequiredMiddleware:
    """Redirect anonymous users to the login page for every page not explicitly public."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)


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
