"""`GET /api/findings/`: diagnosis findings with their evidence and suggested commands."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import serializers, viewsets

from devices.api.filtersets import FindingFilter
from devices.models import Finding
from vpnportal.api.permissions import ModelViewPermission
from vpnportal.choices import severity_rank


class FindingSerializer(serializers.ModelSerializer[Finding]):
    """A finding as the API shows it: where, what, the evidence lines and the fix."""

    device = serializers.CharField(source="device.name", default=None, read_only=True)
    tunnel = serializers.CharField(source="tunnel.name", default=None, read_only=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "device",
            "tunnel",
            "code",
            "severity",
            "subject",
            "title",
            "evidence",
            "fix",
            "fix_device",
            "first_seen",
            "last_seen",
            "active",
        ]


class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    """Active findings by default. Filters: `device`, `tunnel` (id or name), `severity`, `code`, `active`."""

    serializer_class = FindingSerializer
    permission_classes = [ModelViewPermission]

    filterset_class = FindingFilter

    def get_queryset(self) -> QuerySet[Finding]:
        return Finding.objects.select_related("device", "tunnel").order_by(
            "-active", severity_rank().desc(), "code", "id"
        )
