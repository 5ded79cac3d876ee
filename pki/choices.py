"""Enumerations of the pki app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CertificateRole(models.TextChoices):
    """What a certificate is for on the device: its own identity, a CA, or an RA's signing or encryption."""

    IDENTITY = "identity", _("Identity")
    CA = "ca", "CA"
    RA_SIGNATURE = "ra_signature", _("RA signature")
    RA_ENCRYPTION = "ra_encryption", _("RA encryption")


class CertificateStatus(models.TextChoices):
    """Status the device prints for a certificate."""

    AVAILABLE = "available", _("Available")
    PENDING = "pending", _("Pending")
    OTHER = "other", _("Other")


class EnrollmentState(models.TextChoices):
    """Lifecycle of a re-enrollment job (docs/enrollment.md, "States")."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    PENDING = "pending", _("Pending (waiting for the CA)")
    GRANTED = "granted", _("Granted")
    FAILED = "failed", _("Failed")


ENROLLMENT_ACTIVE_STATES = (EnrollmentState.QUEUED, EnrollmentState.RUNNING, EnrollmentState.PENDING)
