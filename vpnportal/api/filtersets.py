"""Filters of the alert list (docs/api.md)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vpnportal.api.filtering import SearchFilterSet, choices
from vpnportal.choices import OPEN_ALERT_STATES, AlertKind, AlertState, Severity
from vpnportal.dashboard import ALERT_CATEGORIES, silenced_q
from vpnportal.models import Alert

# `open` groups pending and firing; `resolved` and the states themselves match one state.
STATE_FILTERS = ["open", "resolved", *AlertState.values]


class AlertFilter(SearchFilterSet):
    search_fields = ("subject", "summary", "device__name", "tunnel__name")
    state = django_filters.ChoiceFilter(choices=choices(STATE_FILTERS), method="in_state", label=_("State"))
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices, label=_("Kind"))
    severity = django_filters.ChoiceFilter(choices=Severity.choices, label=_("Severity"))
    device = django_filters.CharFilter(field_name="device__name", label=_("Device"))
    # The alert page's tabs: open (nobody has looked), acknowledged, silenced, resolved.
    category = django_filters.ChoiceFilter(
        choices=choices(ALERT_CATEGORIES), method="in_category", label=_("page tab")
    )
    ordering = django_filters.OrderingFilter(fields=("opened_at", "resolved_at", "severity", "kind", "state"))

    class Meta:
        model = Alert
        fields: list[str] = []

    def in_state(self, queryset: QuerySet[Alert], name: str, value: str) -> QuerySet[Alert]:
        if value == "open":
            return queryset.filter(state__in=OPEN_ALERT_STATES)
        return queryset.filter(state=value)

    def in_category(self, queryset: QuerySet[Alert], name: str, value: str) -> QuerySet[Alert]:
        """The alerts of one tab of the alert page (vpnportal.dashboard.alerts_in)."""
        if value == "resolved":
            return queryset.filter(state=AlertState.RESOLVED)
        silenced = silenced_q(timezone.now())
        queryset = queryset.filter(state__in=OPEN_ALERT_STATES)
        if value == "silenced":
            return queryset.filter(silenced)
        return queryset.exclude(silenced).filter(acknowledged_at__isnull=value != "acknowledged")
