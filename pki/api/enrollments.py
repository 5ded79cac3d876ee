"""API of re-enrollment (DESIGN.md §5.3): POST /api/enrollments/ -> 202 {id, state}; GET one for its progress."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from devices.models import Device
from pki.enrollment_requests import ENROLL_PERMISSION, EnrollmentRefused, request_enrollment
from pki.models import Enrollment


class OperatorsOnly(BasePermission):
    """Enrollments are operators' business: reading them too (DESIGN.md §5.3)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(ENROLL_PERMISSION))


class EnrollmentSerializer(serializers.ModelSerializer):
    """An enrollment's progress: state, transcript (passwords already redacted), error, serials."""

    device = serializers.CharField(source="device.name")
    requested_by = serializers.CharField(source="requested_by.username", allow_null=True, default=None)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "device",
            "trustpoint",
            "state",
            "transcript",
            "error",
            "previous_serial",
            "new_serial",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "deadline",
        ]
        read_only_fields = fields


class EnrollmentRequestSerializer(serializers.Serializer):
    """What an operator sends: the device (name or id), the trustpoint and the CA's challenge password."""

    device = serializers.CharField(max_length=255)
    trustpoint = serializers.CharField(max_length=255, trim_whitespace=False)
    challenge_password = serializers.CharField(
        max_length=255, allow_blank=True, required=False, default="", trim_whitespace=False, write_only=True
    )

    def validate_device(self, value: str) -> Device:
        """A device by name, or by id."""
        device = Device.objects.filter(name=value).first()
        if device is None and value.isdigit():
            device = Device.objects.filter(pk=int(value)).first()
        if device is None:
            raise serializers.ValidationError("no such device")
        return device


class EnrollmentCreatedSerializer(serializers.Serializer):
    """The answer to a request: the job's id and state."""

    id = serializers.IntegerField()
    state = serializers.CharField()


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
