"""Enumerations of the cross-cutting app: alerts, notifications, audit."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertKind(models.TextChoices):
    """Alert kinds; their names are a contract (API, metrics, mail subjects): add, never rename."""

    CERT_EXPIRING = "cert_expiring", _("Certificate expiring")
    CERT_EXPIRED = "cert_expired", _("Certificate expired")
    CERT_PENDING = "cert_pending", _("Certificate request pending")
    CRL_NEXT_UPDATE_SOON = "crl_next_update_soon", _("CRL NextUpdate soon")
    CRL_EXPIRED = "crl_expired", _("CRL past NextUpdate")
    CLOCK_SKEW = "clock_skew", _("Clock skew")
    CLOCK_OUTSIDE_VALIDITY = "clock_outside_validity", _("Clock outside certificate/CRL validity")
    TUNNEL_DOWN = "tunnel_down", _("Tunnel down")
    TUNNEL_ONE_WAY = "tunnel_one_way", _("One-way traffic")
    SA_ERRORS = "sa_errors", _("SA errors rising")
    SPI_MISMATCH = "spi_mismatch", _("SPI mismatch")
    POLL_FAILED = "poll_failed", _("Poll failed")
    HOST_KEY_CHANGED = "host_key_changed", _("SSH host key changed")
    WEAK_CRYPTO = "weak_crypto", _("Weak cryptography")


class Severity(models.TextChoices):
    """How urgent an alert or a diagnosis finding is: critical breaks (or will break) phase 1, warning
    weakens, info informs. Declared from the least to the most urgent: that order is the rank."""

    INFO = "info", _("Info")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")

    @property
    def rank(self) -> int:
        """Higher is more urgent: info 0, warning 1, critical 2."""
        return list(Severity).index(self)

    @classmethod
    def rank_of(cls, value: str) -> int:
        """The rank of a stored severity; -1 (below info) for a value that is none of them."""
        return cls(value).rank if value in cls.values else -1


def severity_rank() -> models.Case:
    """Severity.rank in SQL (higher is more urgent): order by `severity_rank().desc()` for critical first,
    where the stored words would sort critical, info, warning."""
    return models.Case(
        *[models.When(severity=s, then=models.Value(s.rank)) for s in Severity],
        default=models.Value(-1),
        output_field=models.IntegerField(),
    )


class AlertState(models.TextChoices):
    """Alert lifecycle: pending until the condition held long enough, then firing, then resolved."""

    PENDING = "pending", _("Pending")
    FIRING = "firing", _("Firing")
    UNKNOWN = "unknown", _("Unknown (device not polled)")
    RESOLVED = "resolved", _("Resolved")


OPEN_ALERT_STATES = (AlertState.PENDING, AlertState.FIRING, AlertState.UNKNOWN)


class AlertEventKind(models.TextChoices):
    """What happened to an alert in one AlertEvent; the digest sorts its news by it."""

    OPENED = "opened", _("Condition seen")
    FIRED = "fired", _("Fired")
    WORSE = "worse", _("Got worse")
    REMINDER = "reminder", _("Still firing")
    UNKNOWN = "unknown", _("Device unreachable")
    BACK = "back", _("Device answers again")
    RESOLVED = "resolved", _("Resolved")
    SUPERSEDED = "superseded", _("Replaced by a graver alert")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


class NotificationStatus(models.TextChoices):
    """Delivery state of one email."""

    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed permanently")


class ChannelKind(models.TextChoices):
    """How an alert channel delivers (issue 19): the names are used in the inventory file."""

    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook (signed JSON)")
    SLACK = "slack", _("Slack incoming webhook")
    TEAMS = "teams", _("Microsoft Teams incoming webhook")
    ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager")


class NotificationPurpose(models.TextChoices):
    """Why a notification exists: news of alert events, an Alertmanager refresh, or an admin's test."""

    EVENTS = "events", _("Alert events")
    REFRESH = "refresh", _("Alertmanager refresh of firing alerts")
    TEST = "test", _("Test")


class AuditAction(models.TextChoices):
    """What an audit entry records."""

    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    ACTION = "action", _("Action")
    LOGIN = "login", _("Login")
