"""Enumerations of the cross-cutting app: alerts, notifications, audit."""

from __future__ import annotations

from django.db import models


class AlertKind(models.TextChoices):
    """Alert kinds; their names are a contract (API, metrics, mail subjects): add, never rename."""

    CERT_EXPIRING = "cert_expiring", "Certificate expiring"
    CERT_EXPIRED = "cert_expired", "Certificate expired"
    CERT_PENDING = "cert_pending", "Certificate request pending"
    CRL_NEXT_UPDATE_SOON = "crl_next_update_soon", "CRL NextUpdate soon"
    CRL_EXPIRED = "crl_expired", "CRL past NextUpdate"
    CLOCK_SKEW = "clock_skew", "Clock skew"
    CLOCK_OUTSIDE_VALIDITY = "clock_outside_validity", "Clock outside certificate/CRL validity"
    TUNNEL_DOWN = "tunnel_down", "Tunnel down"
    TUNNEL_ONE_WAY = "tunnel_one_way", "One-way traffic"
    SA_ERRORS = "sa_errors", "SA errors rising"
    SPI_MISMATCH = "spi_mismatch", "SPI mismatch"
    POLL_FAILED = "poll_failed", "Poll failed"
    HOST_KEY_CHANGED = "host_key_changed", "SSH host key changed"
    WEAK_CRYPTO = "weak_crypto", "Weak cryptography"


class Severity(models.TextChoices):
    """How urgent an alert or a diagnosis finding is: critical breaks (or will break) phase 1, warning
    weakens, info informs. Declared from the least to the most urgent: that order is the rank."""

    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"

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

    PENDING = "pending", "Pending"
    FIRING = "firing", "Firing"
    UNKNOWN = "unknown", "Unknown (device not polled)"
    RESOLVED = "resolved", "Resolved"


OPEN_ALERT_STATES = (AlertState.PENDING, AlertState.FIRING, AlertState.UNKNOWN)


class AlertEventKind(models.TextChoices):
    """What happened to an alert in one AlertEvent; the digest sorts its news by it."""

    OPENED = "opened", "Condition seen"
    FIRED = "fired", "Fired"
    WORSE = "worse", "Got worse"
    REMINDER = "reminder", "Still firing"
    UNKNOWN = "unknown", "Device unreachable"
    BACK = "back", "Device answers again"
    RESOLVED = "resolved", "Resolved"
    SUPERSEDED = "superseded", "Replaced by a graver alert"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class NotificationStatus(models.TextChoices):
    """Delivery state of one email."""

    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed permanently"


class ChannelKind(models.TextChoices):
    """How an alert channel delivers (issue 19): the names are used in the inventory file."""

    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook (signed JSON)"
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams incoming webhook"
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"


class NotificationPurpose(models.TextChoices):
    """Why a notification exists: news of alert events, an Alertmanager refresh, or an admin's test."""

    EVENTS = "events", "Alert events"
    REFRESH = "refresh", "Alertmanager refresh of firing alerts"
    TEST = "test", "Test"


class AuditAction(models.TextChoices):
    """What an audit entry records."""

    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    ACTION = "action", "Action"
    LOGIN = "login", "Login"
