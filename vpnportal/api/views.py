"""API views of alerts, with the operators' acknowledge action."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from devices.summary import secret_paths
from vpnportal.alerting import actions
from vpnportal.api.csv_export import CsvExportMixin
from vpnportal.api.filtersets import AlertFilter
from vpnportal.api.permissions import ModelViewPermission
from vpnportal.api.serializers import AlertSerializer
from vpnportal.models import Alert


class AlertViewSet(CsvExportMixin, viewsets.ReadOnlyModelViewSet):
    """Alerts, newest first. Filters: `q`, `state` (open|resolved or a state), `kind`, `severity`, `device`, `category`."""

    csv_filename = "alerts"

    serializer_class = AlertSerializer
    permission_classes = [ModelViewPermission]
    action_permissions = {"acknowledge": "vpnportal.change_alert"}
    filterset_class = AlertFilter

    def get_queryset(self) -> QuerySet[Alert]:
        return (
            Alert.objects.select_related("device")
            .defer(*secret_paths("device"))
            .order_by("-opened_at", "-id")
        )

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
