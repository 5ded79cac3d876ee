"""Read-side of the enrollment pages: the list with its filters, and the certificate a job replaced."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from devices.summary import secret_paths
from pki.choices import CertificateRole, EnrollmentState
from pki.models import Certificate, Enrollment


def enrollments() -> QuerySet[Enrollment]:
    """Enrollments newest first, without their transcripts (the list page filters them, docs/lists.md)."""
    qs = Enrollment.objects.select_related("device", "requested_by").defer(
        *secret_paths("device"), "transcript"
    )
    return qs.order_by("-created_at", "-id")


def previous_certificates(enrollment: Enrollment) -> list[Certificate]:
    """The identity certificates of the job's trustpoint the device held before it was granted a new one.

    The serials the job recorded first; when it recorded none (the old one was no longer "Available", e.g.
    expired), the identity certificates of that trustpoint the portal had seen before the job was created.
    """
    base = Certificate.objects.filter(
        device_id=enrollment.device_id, trustpoint__name=enrollment.trustpoint, role=CertificateRole.IDENTITY
    )
    serials = [s for s in enrollment.previous_serial.split(",") if s]
    if serials:
        qs = base.filter(serial__in=serials)
    else:
        qs = base.filter(first_seen__lte=enrollment.created_at).exclude(
            Q(serial="") | Q(serial=enrollment.new_serial)
        )
    return list(qs.order_by("-valid_to")[:3])


def state_counts() -> dict[str, Any]:
    """How many enrollments are in each state, for the filter tabs."""
    counts: dict[str, Any] = dict.fromkeys(EnrollmentState.values, 0)
    counts.update(
        Enrollment.objects.order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    return counts
