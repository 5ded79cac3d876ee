"""`GET /api/events/` (device syslog events) and `GET /api/tunnel-status-changes/` (docs/contracts.md §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from devices.choices import TunnelStatus
from devices.models import as_row_id
from events.choices import EventKind, StatusSource
from events.models import SyslogEvent, TunnelStatusChange
from vpnportal.api.permissions import ModelViewPermission


def _id_or_name(field: str, value: str) -> Q:
    row_id = as_row_id(value)
    return Q(**{f"{field}_id": row_id}) if row_id is not None else Q(**{f"{field}__name": value})


class _SinceFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time, UTC when it names no offset."""

    def filter(self, qs: QuerySet[Any], value: datetime | None) -> QuerySet[Any]:
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_fixed_timezone(0))
        return super().filter(qs, value)


class EventFilter(django_filters.FilterSet):
    device = django_filters.CharFilter(method="by_id_or_name", label=_("device id or name"))
    tunnel = django_filters.CharFilter(method="by_id_or_name", label=_("tunnel id or name"))
    kind = django_filters.MultipleChoiceFilter(choices=EventKind.choices)
    since = _SinceFilter(
        field_name="received_at", lookup_expr="gte", label=_("received at or after (ISO 8601)")
    )

    class Meta:
        model = SyslogEvent
        fields: list[str] = []

    def by_id_or_name(self, queryset: QuerySet[SyslogEvent], name: str, value: str) -> QuerySet[SyslogEvent]:
        return queryset.filter(_id_or_name(name, value))


class EventSerializer(serializers.ModelSerializer[SyslogEvent]):
    """One event: who sent it, when (received and by the device's clock), what it says and means."""

    device = serializers.CharField(source="device.name", read_only=True)
    tunnel = serializers.CharField(source="tunnel.name", default=None, read_only=True)

    class Meta:
        model = SyslogEvent
        fields = [
            "id",
            "device",
            "tunnel",
            "received_at",
            "device_time",
            "facility",
            "severity",
            "mnemonic",
            "kind",
            "peer",
            "message",
        ]


class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """Events, newest first. Filters: `device`, `tunnel` (id or name), `kind` (repeatable), `since`."""

    serializer_class = EventSerializer
    permission_classes = [ModelViewPermission]
    filterset_class = EventFilter

    def get_queryset(self) -> QuerySet[SyslogEvent]:
        return SyslogEvent.objects.select_related("device", "tunnel").order_by("-received_at", "-id")


class StatusChangeFilter(django_filters.FilterSet):
    tunnel = django_filters.CharFilter(method="by_id_or_name", label=_("tunnel id or name"))
    status = django_filters.ChoiceFilter(choices=TunnelStatus.choices)
    source = django_filters.ChoiceFilter(choices=StatusSource.choices)
    since = _SinceFilter(field_name="at", lookup_expr="gte", label=_("at or after (ISO 8601)"))

    class Meta:
        model = TunnelStatusChange
        fields: list[str] = []

    def by_id_or_name(
        self, queryset: QuerySet[TunnelStatusChange], name: str, value: str
    ) -> QuerySet[TunnelStatusChange]:
        return queryset.filter(_id_or_name(name, value))


class StatusChangeSerializer(serializers.ModelSerializer[TunnelStatusChange]):
    """One change of a tunnel's status."""

    tunnel = serializers.CharField(source="tunnel.name", read_only=True)
    # Plain strings in the schema: the tunnels' own `status` enum keeps its name (drf-spectacular W001).
    status = serializers.CharField(read_only=True, help_text="up, down, degraded or unknown")
    previous = serializers.CharField(read_only=True, help_text="the status before; empty for the first")

    class Meta:
        model = TunnelStatusChange
        fields = ["id", "tunnel", "at", "previous", "status", "reason", "source", "event"]


class StatusChangeViewSet(viewsets.ReadOnlyModelViewSet):
    """Tunnel status changes, newest first. Filters: `tunnel` (id or name), `status`, `source`, `since`."""

    serializer_class = StatusChangeSerializer
    permission_classes = [ModelViewPermission]
    filterset_class = StatusChangeFilter

    def get_queryset(self) -> QuerySet[TunnelStatusChange]:
        return TunnelStatusChange.objects.select_related("tunnel").order_by("-at", "-id")
