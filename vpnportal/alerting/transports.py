"""How a notification leaves vpnportal: the `Transport` interface, its failures, and email.

Delivery bookkeeping (claims, retries, backoff) lives in `vpnportal.alerting.notify` and only sees the
interface: a transport sends one notification or raises `TransportError`, saying whether a retry may
help and whether the server itself is unreachable. Each transport is a class with a `send` (email here;
webhook, Slack and Teams in `webhooks.py`, Alertmanager in `alertmanager.py`), named in `TRANSPORTS` by
channel kind and picked by `channel_of`.
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from vpnportal.alerting.alertmanager import AlertmanagerTransport
from vpnportal.alerting.transport_base import Transport, TransportError
from vpnportal.alerting.webhooks import SlackTransport, TeamsTransport, WebhookTransport
from vpnportal.choices import ChannelKind
from vpnportal.models import Notification

__all__ = ["TRANSPORTS", "EmailTransport", "Transport", "TransportError", "channel_of", "transport_for"]


class EmailTransport:
    """Email through Django's configured backend (SMTP in production, aiosmtpd in tests)."""

    def message(self, notification: Notification) -> EmailMultiAlternatives:
        """The email for a notification, with a stable Message-ID so a rare resend can be recognised."""
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "vpnportal.invalid"
        msg = EmailMultiAlternatives(
            subject=notification.subject,
            body=notification.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.recipient],
            headers={
                "Message-ID": f"<notification-{notification.pk}.vpnportal@{domain}>",
                "X-Vpnportal-Notification": str(notification.pk),
            },
            connection=get_connection(fail_silently=False),
        )
        if notification.body_html:
            msg.attach_alternative(notification.body_html, "text/html")
        return msg

    def send(self, notification: Notification) -> None:
        """Send it; map SMTP failures to temporary (retry) or permanent (give up)."""
        try:
            self.message(notification).send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError(f"recipient refused: {exc.recipients}", permanent=True) from exc
        except smtplib.SMTPAuthenticationError as exc:
            # Wrong credentials are fixed by an admin, then the backlog must go out: retry.
            raise TransportError(f"SMTP authentication failed: {exc.smtp_code}", permanent=False) from exc
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            raise TransportError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=permanent) from exc
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
            raise TransportError(f"SMTP unavailable: {exc}", unreachable=True) from exc
        except smtplib.SMTPException as exc:
            raise TransportError(f"SMTP error: {exc}") from exc


# Every transport by the kind of channel a notification is for.
TRANSPORTS: dict[str, type[Transport]] = {
    ChannelKind.EMAIL: EmailTransport,
    ChannelKind.WEBHOOK: WebhookTransport,
    ChannelKind.SLACK: SlackTransport,
    ChannelKind.TEAMS: TeamsTransport,
    ChannelKind.ALERTMANAGER: AlertmanagerTransport,
}


def channel_of(notification: Notification) -> str:
    """The kind of channel a notification goes out on (email for ALERT_EMAIL_TO and alert_emails)."""
    return notification.channel_kind or ChannelKind.EMAIL


def transport_for(notification: Notification) -> Transport:
    """The transport that delivers this notification."""
    return TRANSPORTS[channel_of(notification)]()
