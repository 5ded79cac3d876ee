"""Serializers of certificates and CRLs (DESIGN.md §5.3 field names)."""

from __future__ import annotations

import math

from rest_framework import serializers

from pki.models import Certificate, Crl


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
