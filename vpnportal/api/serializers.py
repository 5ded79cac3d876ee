"""Serializers of alerts (docs/contracts.md §4 field names)."""

from __future__ import annotations

from rest_framework import serializers

from vpnportal.models import Alert


class AlertSerializer(serializers.ModelSerializer):
    """An alert: what, where, how bad, since when; acknowledged_at is an addition to §5.3."""

    device = serializers.CharField(source="device.name", allow_null=True, default=None)

    class Meta:
        model = Alert
        fields = [
            "id",
            "kind",
            "device",
            "subject",
            "severity",
            "state",
            "opened_at",
            "resolved_at",
            "acknowledged_at",
        ]
