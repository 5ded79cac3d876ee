"""API routes of the pki app (issue 8 adds enrollments here)."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from pki.api.enrollments import EnrollmentViewSet
from pki.api.views import CertificateViewSet, CrlViewSet

router = SimpleRouter()
router.register("certificates", CertificateViewSet, basename="certificate")
router.register("crls", CrlViewSet, basename="crl")
router.register("enrollments", EnrollmentViewSet, basename="enrollment")
urlpatterns = router.urls
