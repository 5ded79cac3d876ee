"""Filters of the certificate, CRL and enrollment lists (docs/api.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pki.choices import CertificateRole, CertificateStatus, EnrollmentState
from pki.models import Certificate, Crl, Enrollment
from vpnportal.api.filtering import IntegerFilter, SearchFilterSet


class PresentFilterSet(SearchFilterSet):
    """Only what devices still report, unless `present=all`."""

    present = django_filters.ChoiceFilter(
        choices=[("all", "all")], method="keep_all", label=_("all: include what devices no longer report")
    )

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.form.cleaned_data.get("present") != "all":
            queryset = queryset.filter(present=True)
        return super().filter_queryset(queryset)  # type: ignore[no-any-return]

    def keep_all(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset


class CertificateFilter(PresentFilterSet):
    search_fields = ("device__name", "trustpoint__name", "serial", "subject", "issuer")
    device = django_filters.CharFilter(field_name="device__name", label=_("Device"))
    role = django_filters.ChoiceFilter(choices=CertificateRole.choices, label=_("Role"))
    status = django_filters.ChoiceFilter(choices=CertificateStatus.choices, label=_("Status"))
    expires_within_days = IntegerFilter(method="expiring", label=_("Expires within (days)"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("valid_to", "valid_to"),
            ("device__name", "device"),
            ("serial", "serial"),
            ("status", "status"),
            ("trustpoint__name", "trustpoint"),
            ("role", "role"),
            ("subject", "subject"),
        )
    )

    class Meta:
        model = Certificate
        fields: list[str] = []

    def expiring(self, queryset: QuerySet[Certificate], name: str, value: int) -> QuerySet[Certificate]:
        return queryset.filter(valid_to__lt=timezone.now() + timedelta(days=value))


class CrlFilter(PresentFilterSet):
    search_fields = ("device__name", "issuer", "retrieved_from")
    device = django_filters.CharFilter(field_name="device__name", label=_("Device"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("next_update", "next_update"),
            ("last_update", "last_update"),
            ("device__name", "device"),
            ("issuer", "issuer"),
        )
    )

    class Meta:
        model = Crl
        fields: list[str] = []


class EnrollmentFilter(SearchFilterSet):
    search_fields = ("device__name", "trustpoint", "previous_serial", "new_serial", "error")
    device = django_filters.CharFilter(field_name="device__name", label=_("Device"))
    state = django_filters.ChoiceFilter(choices=EnrollmentState.choices, label=_("State"))
    ordering = django_filters.OrderingFilter(fields=("created_at", "state"))

    class Meta:
        model = Enrollment
        fields: list[str] = []
