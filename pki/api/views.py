"""API views of certificates and CRLs (soonest to run out first) and of re-enrollment jobs."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from devices.summary import secret_paths
from pki.api.filtersets import CertificateFilter, CrlFilter, EnrollmentFilter
from pki.api.serializers import (
    CertificateSerializer,
    CrlSerializer,
    EnrollmentCreatedSerializer,
    EnrollmentRequestSerializer,
    EnrollmentSerializer,
)
from pki.enrollment_requests import ENROLL_PERMISSION, EnrollmentRefused, request_enrollment
from pki.models import Certificate, Crl, Enrollment
from vpnportal.api.csv_export import CsvExportMixin
from vpnportal.api.permissions import ModelViewPermission


class CertificateViewSet(CsvExportMixin, viewsets.ReadOnlyModelViewSet):
    """Certificates by expiry. Filters: `q`, `device`, `role`, `status`, `expires_within_days`, `present=all`."""

    csv_filename = "certificates"
    serializer_class = CertificateSerializer
    permission_classes = [ModelViewPermission]
    filterset_class = CertificateFilter

    def get_queryset(self) -> QuerySet[Certificate]:
        return (
            Certificate.objects.select_related("device", "trustpoint")
            .defer(*secret_paths("device"))
            .order_by(F("valid_to").asc(nulls_last=True), "device__name", "id")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        # One "now" for a whole page, so days_left agree with each other.
        return {**super().get_serializer_context(), "now": timezone.now()}


class CrlViewSet(CsvExportMixin, viewsets.ReadOnlyModelViewSet):
    """CRLs by NextUpdate. Filters: `q`, `device`, `present=all`."""

    csv_filename = "crls"

    serializer_class = CrlSerializer
    permission_classes = [ModelViewPermission]
    filterset_class = CrlFilter

    def get_queryset(self) -> QuerySet[Crl]:
        return (
            Crl.objects.select_related("device")
            .defer(*secret_paths("device"))
            .order_by(F("next_update").asc(nulls_last=True), "device__name", "id")
        )


class OperatorsOnly(BasePermission):
    """Enrollments are operators' business: reading them too."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(ENROLL_PERMISSION))


@method_decorator(sensitive_post_parameters("challenge_password"), name="dispatch")
class EnrollmentViewSet(CsvExportMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Re-enrollment jobs, newest first; POST queues one (202), GET shows its progress and transcript."""

    permission_classes = [OperatorsOnly]
    csv_filename = "enrollments"
    serializer_class = EnrollmentSerializer
    filterset_class = EnrollmentFilter

    def get_queryset(self) -> QuerySet[Enrollment]:
        return Enrollment.objects.select_related("device", "requested_by").order_by("-created_at", "-id")

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action == "create":
            return EnrollmentRequestSerializer
        return EnrollmentSerializer

    @extend_schema(request=EnrollmentRequestSerializer, responses={202: EnrollmentCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Queue a re-enrollment; 400 with the reason when a value is refused, 409 when one is running."""
        serializer = EnrollmentRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            enrollment = request_enrollment(
                data["device"], data["trustpoint"], data.get("challenge_password") or "", request.user
            )
        except EnrollmentRefused as exc:
            if exc.field == "device":
                return Response({"device": [exc.message]}, status=status.HTTP_409_CONFLICT)
            raise ValidationError({exc.field or "non_field_errors": [exc.message]}) from None
        return Response({"id": enrollment.pk, "state": enrollment.state}, status=status.HTTP_202_ACCEPTED)
