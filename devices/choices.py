"""Enumerations of the devices app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    """Platform names as netmiko spells them (docs/contracts.md §1)."""

    CISCO_IOS = "cisco_ios", "Cisco IOS / IOS-XE"
    CISCO_ASA = "cisco_asa", "Cisco ASA / PIX 7+"
    CISCO_PIX = "cisco_pix", "Cisco PIX 6.x"


class Transport(models.TextChoices):
    """How the poller reaches the device's CLI."""

    SSH = "ssh", "SSH"
    TELNET = "telnet", _("Telnet (SSHv1-only devices)")


class PkiForm(models.TextChoices):
    """Which certificate command family the device speaks, learnt on first poll."""

    UNKNOWN = "", _("not yet known")
    PKI = "pki", "crypto pki"
    CA = "ca", "crypto ca"


class PollStatus(models.TextChoices):
    """Outcome of one poll of one device."""

    RUNNING = "running", _("Running")
    OK = "ok", "OK"
    PARTIAL = "partial", _("Partial")
    FAILED = "failed", _("Failed")


class TunnelStatus(models.TextChoices):
    """Health of a tunnel as seen from both ends."""

    UP = "up", _("Up")
    DOWN = "down", _("Down")
    DEGRADED = "degraded", _("Degraded")
    UNKNOWN = "unknown", _("Unknown")


class RollupPeriod(models.TextChoices):
    """Granularity of a counter rollup row."""

    HOUR = "hour", _("Hour")
    DAY = "day", _("Day")
