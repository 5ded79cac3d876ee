"""API views of alerts, with the operators' acknowledge action."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from devices.summary import secret_paths
from vpnportal.alerting import actions
from vpnportal.api.permissions import ModelViewPermission
from vpnportal.api.serializers import AlertSerializer
from vpnportal.choices import OPEN_ALERT_STATES, AlertKind, AlertState, Severity
from vpnportal.models import Alert

STATE_FILTERS = ["open", "resolved", *AlertState.values]


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Alerts, newest first. Filters: `state` (open|resolved or a state), `kind`, `severity`, `device`."""

    serializer_class = AlertSerializer
    permission_classes = [ModelViewPermission]
    action_permissions = {"acknowledge": "vpnportal.change_alert"}

    def get_queryset(self) -> QuerySet[Alert]:
        qs = (
            Alert.objects.select_related("device")
            .defer(*secret_paths("device"))
            .order_by("-opened_at", "-id")
        )
        params = self.request.query_params
        state = params.get("state")
        if state == "open":
            qs = qs.filter(state__in=OPEN_ALERT_STATES)
        elif state:
            if state not in STATE_FILTERS:
                raise ValidationError({"state": f"one of {', '.join(STATE_FILTERS)}"})
            qs = qs.filter(state=state)
        for name in ("kind", "severity"):
            if params.get(name):
                qs = qs.filter(**{name: params[name]})
        if params.get("device"):
            qs = qs.filter(device__name=params["device"])
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=STATE_FILTERS),
            OpenApiParameter("kind", str, enum=AlertKind.values),
            OpenApiParameter("severity", str, enum=Severity.values),
            OpenApiParameter("device", str),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        """Acknowledge an open alert (operators): it stays open until its condition clears."""
        alert = self.get_object()
        try:
            actions.acknowledge_alert(alert, request.user)
        except actions.ActionError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        alert.refresh_from_db()
        return Response(AlertSerializer(alert).data)
