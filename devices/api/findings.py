"""`GET /api/findings/`: diagnosis findings with their evidence and suggested commands."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from devices.diagnosis.model import Severity
from devices.models import Finding
from vpnportal.api.permissions import ModelViewPermission

SEVERITIES = [Severity.CRITICAL, Severity.WARNING, Severity.INFO]


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


def _id_or_name(value: str, field: str) -> Q:
    return Q(**{f"{field}_id": int(value)}) if value.isdigit() else Q(**{f"{field}__name": value})


class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    """Active findings by default. Filters: `device`, `tunnel` (id or name), `severity`, `code`, `active`."""

    serializer_class = FindingSerializer
    permission_classes = [ModelViewPermission]

    def get_queryset(self) -> QuerySet[Finding]:
        qs = Finding.objects.select_related("device", "tunnel").order_by("-active", "severity", "code", "id")
        params = self.request.query_params
        active = params.get("active", "true").lower()
        if active in ("true", "1", "yes"):
            qs = qs.filter(active=True)
        elif active in ("false", "0", "no"):
            qs = qs.filter(active=False)
        elif active != "all":
            raise ValidationError({"active": "true, false or all"})
        if params.get("device"):
            qs = qs.filter(_id_or_name(params["device"], "device"))
        if params.get("tunnel"):
            qs = qs.filter(_id_or_name(params["tunnel"], "tunnel"))
        severity = params.get("severity")
        if severity:
            if severity not in SEVERITIES:
                raise ValidationError({"severity": f"one of {', '.join(SEVERITIES)}"})
            qs = qs.filter(severity=severity)
        if params.get("code"):
            qs = qs.filter(code=params["code"])
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("device", str, description="device id or name"),
            OpenApiParameter("tunnel", str, description="tunnel id or name"),
            OpenApiParameter("severity", str, enum=SEVERITIES),
            OpenApiParameter("code", str, description="finding code, e.g. weak_cipher"),
            OpenApiParameter("active", str, enum=["true", "false", "all"], default="true"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)
