"""Admin views of trustpoints, certificates, CRLs and enrollments (read-only: devices are the truth)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pki.models import Certificate, Crl, Enrollment, Trustpoint
from vpnportal.admin_audit import AuditedAdmin


class ReadOnlyAdmin(AuditedAdmin):
    """Rows written by polls and jobs, shown but never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Trustpoint)
class TrustpointAdmin(ReadOnlyAdmin):
    list_display = ("device", "name", "enrollment_url", "crl_optional", "present")


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ("device", "role", "serial", "subject", "status", "valid_to", "present")
    list_filter = ("role", "status", "present")
    search_fields = ("serial", "subject", "device__name")


@admin.register(Crl)
class CrlAdmin(ReadOnlyAdmin):
    list_display = ("device", "issuer", "last_update", "next_update", "present")


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdmin):
    list_display = ("device", "trustpoint", "state", "requested_by", "created_at", "finished_at")
    exclude = ("challenge",)
