"""Login throttling with django-axes: the login forms, the admin and the API's token authentication.

Failures are counted per username and client address (AXES_LOCKOUT_PARAMETERS); after
LOGIN_FAILURE_LIMIT of them that pair is refused for LOGIN_LOCKOUT_MINUTES, the right password included.
The lockout answer is the same whether the account exists or not.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.request import Request

from vpnportal.login_forms import PortalLoginForm

# The "username" API token failures are counted under: never a valid Django username (no < > or space).
API_TOKEN_USERNAME = "<api token>"  # noqa: S105 - a stand-in name, not a secret


def _username_field() -> str:
    # django-axes sets its default (the user model's USERNAME_FIELD) on the settings at start-up.
    return str(getattr(settings, "AXES_USERNAME_FORM_FIELD", "username"))


def lockout_message() -> str:
    """What a locked-out client reads: no word on whether the account exists."""
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    return (
        f"Too many failed logins for this username from your address. "
        f"Logins are refused for {minutes} minute{'s' if minutes != 1 else ''}; try again later."
    )


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the one LOGIN_PROXY_COUNT proxies saw (X-Forwarded-For).

    Each proxy appends the address it received the request from, so with N trusted proxies the client
    is the N-th entry from the right; entries further left are whatever the client sent and are ignored.
    A request with fewer entries did not come through the proxies: its REMOTE_ADDR counts.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.LOGIN_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def client_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The username the failures count under, case-folded: `Alice` and `alice` are one directory entry."""
    field = _username_field()
    value = (credentials or {}).get(field)
    if value is None and request is not None:
        value = request.POST.get(field) if hasattr(request, "POST") else None
    return str(value or "").strip().lower()


def _retry_after() -> str:
    return str(settings.LOGIN_LOCKOUT_MINUTES * 60)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """429: JSON for the API, else the login page with the lockout message (the username kept)."""
    message = lockout_message()
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        form = PortalLoginForm(request, initial={"username": client_username(request, credentials)})
        context = {"form": form, "locked_out": message, "next": request.POST.get("next", "")}
        response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = _retry_after()
    return response


class ThrottlingBackend(AxesStandaloneBackend):
    """Axes' backend: refuses a locked-out username and address before any backend checks the password.

    Calls without a request (management commands, `Client.login` in tests) come from no client address
    and are not throttled; every web and API login passes its request.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Raise PermissionDenied (authenticate() then fails the login) while the pair is locked out."""
        if request is None:
            return None
        super().authenticate(request, username=username, password=password, **kwargs)
        return None


class ThrottledTokenAuthentication(TokenAuthentication):
    """DRF token authentication whose failures count like failed logins, per client address."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        """Refuse (429) while the address is locked out; count a wrong token as a failed login."""
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() != self.keyword.lower().encode():
            return None
        http_request = request._request
        credentials = {_username_field(): API_TOKEN_USERNAME}
        if not AxesProxyHandler.is_allowed(http_request, credentials):
            raise Throttled(wait=settings.LOGIN_LOCKOUT_MINUTES * 60, detail=lockout_message())
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            # Never the token itself: the failure is recorded under the stand-in username.
            user_login_failed.send(sender=type(self), credentials=credentials, request=http_request)
            if getattr(http_request, "axes_locked_out", False):
                raise Throttled(wait=settings.LOGIN_LOCKOUT_MINUTES * 60, detail=lockout_message()) from None
            raise
