"""Trustpoints, certificates, CRLs and re-enrollment jobs."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from devices.models import Device
from pki.choices import ENROLLMENT_ACTIVE_STATES, CertificateRole, CertificateStatus, EnrollmentState
from vpnportal.fields import EncryptedTextField


class Trustpoint(models.Model):
    """A CA identity / trustpoint configured on a device (`crypto ca identity`, `ca identity`, ...)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="trustpoints")
    name = models.CharField(max_length=64)
    enrollment_url = models.CharField(max_length=255, blank=True, default="")
    crl_optional = models.BooleanField(default=False)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    present = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("trustpoint")
        verbose_name_plural = _("trustpoints")
        ordering = ["device", "name"]
        constraints = [
            models.UniqueConstraint(fields=["device", "name"], name="one_trustpoint_name_per_device")
        ]

    def __str__(self) -> str:
        return f"{self.device}:{self.name}"


class Certificate(models.Model):
    """A certificate a device holds, as `show crypto ca certificates` and the config chain describe it."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="certificates")
    trustpoint = models.ForeignKey(
        Trustpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="certificates"
    )
    # Serial for issued certificates; "pending:<fingerprint>" while a request waits for the CA.
    key = models.CharField(max_length=128)
    role = models.CharField(max_length=16, choices=CertificateRole.choices)
    status = models.CharField(max_length=16, choices=CertificateStatus.choices)
    serial = models.CharField(max_length=64, blank=True, default="")
    subject = models.CharField(max_length=500, blank=True, default="")
    subject_name = models.CharField(max_length=255, blank=True, default="")
    issuer = models.CharField(max_length=500, blank=True, default="")
    key_usage = models.CharField(max_length=64, blank=True, default="")
    crl_distribution_point = models.CharField(max_length=500, blank=True, default="")
    fingerprint = models.CharField(max_length=128, blank=True, default="")
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True, db_index=True)
    x509 = models.JSONField(
        default=dict, blank=True, help_text=_("Decoded from the config chain when present.")
    )
    present = models.BooleanField(default=True, db_index=True, help_text=_("Still reported by the device."))
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["valid_to"]
        constraints = [models.UniqueConstraint(fields=["device", "role", "key"], name="one_certificate_row")]

    def __str__(self) -> str:
        return f"{self.device} {self.role} {self.serial or self.key}"

    def days_left(self, now: datetime | None = None) -> float | None:
        """Days until valid_to (negative once expired), None when unknown."""
        if self.valid_to is None:
            return None
        return (self.valid_to - (now or timezone.now())).total_seconds() / 86400


class Crl(models.Model):
    """A CRL a device holds, by issuer."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="crls")
    issuer = models.CharField(max_length=500)
    last_update = models.DateTimeField(null=True, blank=True)
    next_update = models.DateTimeField(null=True, blank=True, db_index=True)
    retrieved_from = models.CharField(max_length=500, blank=True, default="")
    present = models.BooleanField(default=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("crl")
        verbose_name_plural = _("crls")
        ordering = ["next_update"]
        constraints = [models.UniqueConstraint(fields=["device", "issuer"], name="one_crl_per_issuer")]

    def __str__(self) -> str:
        return f"{self.device} CRL {self.issuer}"


class Enrollment(models.Model):
    """A certificate re-enrollment job, carried out as the device's own CLI dialogue."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="enrollments")
    trustpoint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=EnrollmentState.choices, default=EnrollmentState.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The challenge password lives here only encrypted, only until the task reads it, then it is wiped.
    challenge = EncryptedTextField(blank=True, default="")
    previous_serial = models.CharField(max_length=64, blank=True, default="")
    new_serial = models.CharField(max_length=64, blank=True, default="")
    transcript = models.TextField(
        blank=True, default="", help_text=_("Dialogue with passwords replaced by ********.")
    )
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["device"],
                condition=models.Q(state__in=ENROLLMENT_ACTIVE_STATES),
                name="one_active_enrollment_per_device",
            )
        ]

    def __str__(self) -> str:
        return f"enroll {self.device}:{self.trustpoint} {self.state}"
