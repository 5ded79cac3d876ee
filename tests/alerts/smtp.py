"""A real SMTP server for alert tests: aiosmtpd on a free port of 127.0.0.1, collecting what it receives."""

from __future__ import annotations

import email
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from tests.services import free_port

__all__ = ["Sink", "free_port", "smtp_server", "use_smtp"]


class Sink:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def notification_ids(self) -> list[str]:
        """The X-Vpnportal-Notification header of each received message, in order."""
        with self.lock:
            return [str(m["X-Vpnportal-Notification"]) for m in self.messages]

    def text(self, message: EmailMessage) -> str:
        """The plain-text part of a message."""
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())


@contextmanager
def smtp_server(port: int | None = None, sink: Sink | None = None) -> Iterator[Sink]:
    """Run an SMTP server on 127.0.0.1:`port` for the duration of the block."""
    sink = sink or Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def use_smtp(settings: Any, port: int) -> None:
    """Point Django's mail at the test server (plain SMTP, no auth, short timeout)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
