"""Enumerations of the events app: what a syslog message means (docs/syslog.md) and where a status came from."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    """The classified meaning of a syslog message (a contract: additions only, docs/syslog.md)."""

    TUNNEL_DOWN = "tunnel_down", _("Tunnel down")
    TUNNEL_UP = "tunnel_up", _("Tunnel up")
    PHASE1_UP = "phase1_up", _("IKE phase 1 complete")
    SA_CREATED = "sa_created", _("IPsec SA created")
    SA_DELETED = "sa_deleted", _("IPsec SA deleted")
    IKE_FAILURE = "ike_failure", _("IKE negotiation failed")
    INVALID_SPI = "invalid_spi", _("Packet with an invalid SPI")
    REPLAY_ERROR = "replay_error", _("Replay check failed")
    CERT_INVALID = "cert_invalid", _("Peer certificate refused")
    CERT_ENROLLMENT = "cert_enrollment", _("Certificate enrollment")
    CERT_GRANTED = "cert_granted", _("Certificate granted")
    CERT_EXPIRING = "cert_expiring", _("Certificate expires soon")
    CERT_EXPIRED = "cert_expired", _("Certificate expired")
    CRL_FETCH_FAILED = "crl_fetch_failed", _("CRL fetch failed")
    PKI = "pki", _("Other PKI message")
    RESTART = "restart", _("Restart or reload")
    CLOCK_UPDATE = "clock_update", _("Clock set")
    UNCLASSIFIED = "unclassified", _("Unclassified")


# Kinds about a tunnel: they poll the device and the tunnel's other end.
TUNNEL_KINDS = frozenset(
    {
        EventKind.TUNNEL_DOWN,
        EventKind.TUNNEL_UP,
        EventKind.PHASE1_UP,
        EventKind.SA_CREATED,
        EventKind.SA_DELETED,
        EventKind.IKE_FAILURE,
        EventKind.INVALID_SPI,
        EventKind.REPLAY_ERROR,
        EventKind.CERT_INVALID,
    }
)
# Kinds about the device's certificates, CRLs or the device itself: they poll the device.
DEVICE_KINDS = frozenset(
    {
        EventKind.CERT_ENROLLMENT,
        EventKind.CERT_GRANTED,
        EventKind.CERT_EXPIRING,
        EventKind.CERT_EXPIRED,
        EventKind.CRL_FETCH_FAILED,
        EventKind.PKI,
        EventKind.RESTART,
    }
)
POLL_KINDS = TUNNEL_KINDS | DEVICE_KINDS
# Kinds that announce a loss: a tunnel both of whose ends' polls confirm it down after one of these fires
# at once instead of waiting for the remaining pending polls (vpnportal/alerting/tunnel_rules.py).
LOSS_KINDS = frozenset(
    {
        EventKind.TUNNEL_DOWN,
        EventKind.SA_DELETED,
        EventKind.IKE_FAILURE,
        EventKind.INVALID_SPI,
        EventKind.REPLAY_ERROR,
        EventKind.CERT_INVALID,
        EventKind.RESTART,
    }
)


class StatusSource(models.TextChoices):
    """What led to a tunnel's status change: a poll alone, or a poll that a device's event triggered."""

    POLL = "poll", _("Poll")
    EVENT = "event", _("Event")
