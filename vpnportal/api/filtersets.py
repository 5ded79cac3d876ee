"""Filters of the alert list (docs/api.md)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from vpnportal.api.filtering import choices
from vpnportal.choices import OPEN_ALERT_STATES, AlertKind, AlertState, Severity
from vpnportal.models import Alert

# `open` groups pending and firing; `resolved` and the states themselves match one state.
STATE_FILTERS = ["open", "resolved", *AlertState.values]


class AlertFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=choices(STATE_FILTERS), method="in_state")
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    device = django_filters.CharFilter(field_name="device__name", label="device name")
    ordering = django_filters.OrderingFilter(fields=("opened_at", "resolved_at", "severity", "kind", "state"))

    class Meta:
        model = Alert
        fields: list[str] = []

    def in_state(self, queryset: QuerySet[Alert], name: str, value: str) -> QuerySet[Alert]:
        if value == "open":
            return queryset.filter(state__in=OPEN_ALERT_STATES)
        return queryset.filter(state=value)
