"""Filters of the device, tunnel and finding lists (docs/api.md)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from devices.choices import Platform, TunnelStatus
from devices.diagnosis.model import Severity
from devices.models import Device, Finding, Tunnel, as_row_id
from vpnportal.api.filtering import SearchFilterSet, choices

FINDING_SEVERITIES = [Severity.CRITICAL, Severity.WARNING, Severity.INFO]
# `active` answers to the spellings the list always took; "all" lifts the default (active only).
ACTIVE_VALUES = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False, "all": None}


class DeviceFilter(SearchFilterSet):
    search_fields = ("name", "host")
    platform = django_filters.ChoiceFilter(choices=Platform.choices, label=_("Platform"))
    name = django_filters.CharFilter(label=_("exact device name"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("platform", "platform"),
            ("host", "host"),
            ("state__last_poll__started_at", "last_poll"),
            ("state__clock_skew_seconds", "clock_skew"),
        )
    )

    class Meta:
        model = Device
        fields: list[str] = []


class TunnelFilter(SearchFilterSet):
    search_fields = ("name", "status_reason", "end_a__name", "end_b__name")
    status = django_filters.ChoiceFilter(choices=TunnelStatus.choices, label=_("Status"))
    device = django_filters.CharFilter(method="at_either_end", label=_("Device (either end)"))
    ordering = django_filters.OrderingFilter(fields=("name", "status", "status_changed_at"))

    class Meta:
        model = Tunnel
        fields: list[str] = []

    def at_either_end(self, queryset: QuerySet[Tunnel], name: str, value: str) -> QuerySet[Tunnel]:
        return queryset.touching(name=value)  # type: ignore[attr-defined, no-any-return]


def _id_or_name(field: str, value: str) -> Q:
    row_id = as_row_id(value)
    return Q(**{f"{field}_id": row_id}) if row_id is not None else Q(**{f"{field}__name": value})


class FindingFilter(django_filters.FilterSet):
    device = django_filters.CharFilter(method="by_id_or_name", label=_("device id or name"))
    tunnel = django_filters.CharFilter(method="by_id_or_name", label=_("tunnel id or name"))
    severity = django_filters.ChoiceFilter(choices=choices(FINDING_SEVERITIES))
    code = django_filters.CharFilter(label=_("finding code, e.g. weak_cipher"))
    active = django_filters.ChoiceFilter(
        choices=choices([*ACTIVE_VALUES]), method="by_activity", label=_("true (default), false or all")
    )
    ordering = django_filters.OrderingFilter(fields=("severity", "code", "first_seen", "last_seen"))

    class Meta:
        model = Finding
        fields: list[str] = []

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        if data is not None:
            data = data.copy()
            # Absent means active only; any case of the words is accepted.
            data["active"] = (data.get("active") or "true").lower()
        super().__init__(data, *args, **kwargs)

    def by_id_or_name(self, queryset: QuerySet[Finding], name: str, value: str) -> QuerySet[Finding]:
        return queryset.filter(_id_or_name(name, value))

    def by_activity(self, queryset: QuerySet[Finding], name: str, value: str) -> QuerySet[Finding]:
        active = ACTIVE_VALUES[value]
        return queryset if active is None else queryset.filter(active=active)
