"""What every transport shares: the `Transport` interface and `TransportError`."""

from __future__ import annotations

from typing import Protocol

from vpnportal.models import Notification


class TransportError(Exception):
    """Delivery failed; `permanent` failures are not retried."""

    def __init__(self, message: str, permanent: bool = False, unreachable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        # The server itself cannot be reached: the rest of the batch would only wait for timeouts too.
        self.unreachable = unreachable


class Transport(Protocol):
    """Something that delivers one notification or raises TransportError."""

    def send(self, notification: Notification) -> None:
        """Deliver the notification."""
