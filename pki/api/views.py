"""API views of certificates and CRLs (soonest to run out first) and of re-enrollment jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from devices.summary import secret_paths
from pki.api.serializers import (
    CertificateSerializer,
    CrlSerializer,
    EnrollmentCreatedSerializer,
    EnrollmentRequestSerializer,
    EnrollmentSerializer,
)
from pki.choices import CertificateRole, CertificateStatus
from pki.enrollment_requests import ENROLL_PERMISSION, EnrollmentRefused, request_enrollment
from pki.models import Certificate, Crl, Enrollment
from vpnportal.api.permissions import ModelViewPermission


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name) or ""
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise ValidationError({name: "an integer"}) from exc


def _present_filter(request: Request, qs: QuerySet[Any]) -> QuerySet[Any]:
    """Only what devices still report, unless `present=all`."""
    if request.query_params.get("present") == "all":
        return qs
    return qs.filter(present=True)


class CertificateViewSet(viewsets.ReadOnlyModelViewSet):
    """Certificates by expiry. Filters: `device`, `role`, `status`, `expires_within_days`, `present=all`."""

    serializer_class = CertificateSerializer
    permission_classes = [ModelViewPermission]

    def get_queryset(self) -> QuerySet[Certificate]:
        qs = (
            Certificate.objects.select_related("device", "trustpoint")
            .defer(*secret_paths("device"))
            .order_by(F("valid_to").asc(nulls_last=True), "device__name", "id")
        )
        qs = _present_filter(self.request, qs)
        params = self.request.query_params
        for name in ("role", "status"):
            if params.get(name):
                qs = qs.filter(**{name: params[name]})
        if params.get("device"):
            qs = qs.filter(device__name=params["device"])
        within = _int_param(self.request, "expires_within_days")
        if within is not None:
            qs = qs.filter(valid_to__lt=timezone.now() + timedelta(days=within))
        return qs

    def get_serializer_context(self) -> dict[str, Any]:
        # One "now" for a whole page, so days_left agree with each other.
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(
        parameters=[
            OpenApiParameter("device", str),
            OpenApiParameter("role", str, enum=CertificateRole.values),
            OpenApiParameter("status", str, enum=CertificateStatus.values),
            OpenApiParameter("expires_within_days", int),
            OpenApiParameter("present", str, enum=["all"], description="include certificates gone"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


class CrlViewSet(viewsets.ReadOnlyModelViewSet):
    """CRLs by NextUpdate. Filters: `device`, `present=all`."""

    serializer_class = CrlSerializer
    permission_classes = [ModelViewPermission]

    def get_queryset(self) -> QuerySet[Crl]:
        qs = (
            Crl.objects.select_related("device")
            .defer(*secret_paths("device"))
            .order_by(F("next_update").asc(nulls_last=True), "device__name", "id")
        )
        qs = _present_filter(self.request, qs)
        if self.request.query_params.get("device"):
            qs = qs.filter(device__name=self.request.query_params["device"])
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("device", str),
            OpenApiParameter("present", str, enum=["all"], description="include CRLs gone"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


class OperatorsOnly(BasePermission):
    """Enrollments are operators' business: reading them too."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(ENROLL_PERMISSION))


@method_decorator(sensitive_post_parameters("challenge_password"), name="dispatch")
class EnrollmentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Re-enrollment jobs, newest first; POST queues one (202), GET shows its progress and transcript."""

    permission_classes = [OperatorsOnly]
    serializer_class = EnrollmentSerializer

    def get_queryset(self) -> QuerySet[Enrollment]:
        qs = Enrollment.objects.select_related("device", "requested_by").order_by("-created_at", "-id")
        name = self.request.query_params.get("device")
        if name:
            qs = qs.filter(device__name=name)
        return qs

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
