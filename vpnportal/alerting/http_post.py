"""Posting JSON to a channel's URL: the URL and secret resolved at send time, failures classified.

No redirect is followed (a POST must not turn into a GET elsewhere) and no URL appears in an error:
a Slack or Teams webhook URL is itself a secret.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from devices.secret_refs import UnresolvedReference, parse_reference, resolve
from vpnportal.alerting.transport_base import TransportError
from vpnportal.choices import NotificationPurpose
from vpnportal.models import AlertChannel, Notification

HTTP_TIMEOUT_SECONDS = 10
# Answers after which a later attempt may succeed; any other 4xx is the request's own fault.
RETRY_STATUSES = frozenset({408, 425, 429})
USER_AGENT = "vpnportal-alerts/1"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def channel_of_notification(notification: Notification) -> AlertChannel:
    """The channel row a notification is for; permanent failure when it was deleted or disabled."""
    channel = notification.channel
    if channel is None:
        raise TransportError(f"channel {notification.channel_name!r} no longer exists", permanent=True)
    if not channel.enabled and notification.purpose != NotificationPurpose.TEST:
        raise TransportError(f"channel {channel.name} is disabled", permanent=True)
    return channel


# A webhook URL (Teams' are the longest) or an HMAC secret; device secrets stop at 128 characters.
MAX_CHANNEL_VALUE = 2048


def channel_value(channel: AlertChannel, field: str) -> str:
    """The channel's `url` or `secret` now: its reference resolved, else the stored literal."""
    literal = getattr(channel, field)
    ref = getattr(channel, f"{field}_ref")
    plain = literal.reveal() if hasattr(literal, "reveal") else str(literal or "")
    if not ref:
        return plain
    try:
        return resolve(parse_reference(ref), max_value=MAX_CHANNEL_VALUE)
    except (UnresolvedReference, ValueError) as exc:
        # Not permanent: once the variable or file is there, the backlog goes out.
        raise TransportError(f"channel {channel.name}: {field}: {exc}") from None


def channel_url(channel: AlertChannel) -> str:
    """The channel's URL, checked to be http(s)."""
    url = channel_value(channel, "url").strip()
    if not url:
        raise TransportError(f"channel {channel.name}: no URL configured", permanent=True)
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise TransportError(f"channel {channel.name}: the URL is not valid", permanent=True) from None
    if parts.scheme not in ("http", "https") or not host:
        raise TransportError(f"channel {channel.name}: the URL must be http:// or https://", permanent=True)
    return url


def post(channel: AlertChannel, url: str, body: bytes, headers: dict[str, str]) -> None:
    """POST the body; raise TransportError (unreachable, retry or permanent) unless answered 2xx."""
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - channel_url: http(s) only
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("User-Agent", USER_AGENT)
    for name, value in headers.items():
        request.add_header(name, value)
    where = f"{channel.kind} channel {channel.name}"
    try:
        with _OPENER.open(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            response.read(65536)
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
        if 300 <= status < 400:
            raise TransportError(f"{where}: HTTP {status} redirect (not followed)", permanent=True) from None
        if status >= 500 or status in RETRY_STATUSES:
            raise TransportError(f"{where}: HTTP {status}") from None
        raise TransportError(f"{where}: HTTP {status} (refused)", permanent=True) from None
    except urllib.error.URLError as exc:
        reason = exc.reason if isinstance(exc.reason, str) else type(exc.reason).__name__
        if isinstance(exc.reason, OSError) and exc.reason.strerror:
            reason = exc.reason.strerror
        raise TransportError(f"{where}: cannot connect ({reason})", unreachable=True) from None
    except (TimeoutError, ConnectionError, OSError) as exc:
        raise TransportError(f"{where}: {type(exc).__name__}", unreachable=True) from None
    except http.client.HTTPException as exc:
        # A garbled answer: the server is there, a later attempt may do better.
        raise TransportError(f"{where}: bad HTTP answer ({type(exc).__name__})") from None
    except ValueError:
        # http.client's InvalidURL and friends name the URL: say only that it is wrong.
        raise TransportError(f"{where}: the URL is not valid", permanent=True) from None
