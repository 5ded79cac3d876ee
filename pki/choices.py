"""Enumerations of the pki app."""

from __future__ import annotations

from django.db import models


class CertificateRole(models.TextChoices):
    """What a certificate is for on the device: its own identity, a CA, or an RA's signing or encryption."""

    IDENTITY = "identity", "Identity"
    CA = "ca", "CA"
    RA_SIGNATURE = "ra_signature", "RA signature"
    RA_ENCRYPTION = "ra_encryption", "RA encryption"


class CertificateStatus(models.TextChoices):
    """Status the device prints for a certificate."""

    AVAILABLE = "available", "Available"
    PENDING = "pending", "Pending"
    OTHER = "other", "Other"


class EnrollmentState(models.TextChoices):
    """Lifecycle of a re-enrollment job (docs/enrollment.md, "States")."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PENDING = "pending", "Pending (waiting for the CA)"
    GRANTED = "granted", "Granted"
    FAILED = "failed", "Failed"


ENROLLMENT_ACTIVE_STATES = (EnrollmentState.QUEUED, EnrollmentState.RUNNING, EnrollmentState.PENDING)
