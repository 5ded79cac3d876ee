"""Serializers of certificates, CRLs and enrollments: the field names of the API contract (docs/api.md)."""

from __future__ import annotations

import math

from django.utils.translation import gettext
from rest_framework import serializers

from devices.models import Device, as_row_id
from pki.models import Certificate, Crl, Enrollment


class CertificateSerializer(serializers.ModelSerializer):
    """A certificate a device holds, with whole days left (negative once expired)."""

    device = serializers.CharField(source="device.name")
    trustpoint = serializers.CharField(source="trustpoint.name", allow_null=True, default=None)
    days_left = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "id",
            "device",
            "trustpoint",
            "role",
            "serial",
            "subject",
            "issuer",
            "status",
            "valid_from",
            "valid_to",
            "days_left",
        ]

    def get_days_left(self, cert: Certificate) -> int | None:
        """Whole days until valid_to, rounded down: -1 as soon as it has expired."""
        days = cert.days_left(self.context.get("now"))
        return None if days is None else math.floor(days)


class CrlSerializer(serializers.ModelSerializer):
    """A CRL a device holds."""

    device = serializers.CharField(source="device.name")

    class Meta:
        model = Crl
        fields = ["id", "device", "issuer", "last_update", "next_update"]


class EnrollmentSerializer(serializers.ModelSerializer):
    """An enrollment's progress: state, transcript (passwords already redacted), error, serials."""

    device = serializers.CharField(source="device.name")
    requested_by = serializers.CharField(source="requested_by.username", allow_null=True, default=None)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "device",
            "trustpoint",
            "state",
            "transcript",
            "error",
            "previous_serial",
            "new_serial",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "deadline",
        ]
        read_only_fields = fields


class EnrollmentRequestSerializer(serializers.Serializer):
    """What an operator sends: the device (name or id), the trustpoint and the CA's challenge password."""

    device = serializers.CharField(max_length=255)
    trustpoint = serializers.CharField(max_length=255, trim_whitespace=False)
    challenge_password = serializers.CharField(
        max_length=255, allow_blank=True, required=False, default="", trim_whitespace=False, write_only=True
    )

    def validate_device(self, value: str) -> Device:
        """A device by name, or by id."""
        device = Device.objects.filter(name=value).first()
        row_id = as_row_id(value)
        if device is None and row_id is not None:
            device = Device.objects.filter(pk=row_id).first()
        if device is None:
            raise serializers.ValidationError(gettext("no such device"))
        return device


class EnrollmentCreatedSerializer(serializers.Serializer):
    """The answer to a request: the job's id and state."""

    id = serializers.IntegerField()
    state = serializers.CharField()
