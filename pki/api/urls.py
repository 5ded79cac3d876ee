"""API routes of the pki app: certificates, CRLs and enrollments."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from pki.api.views import CertificateViewSet, CrlViewSet, EnrollmentViewSet

router = SimpleRouter()
router.register("certificates", CertificateViewSet, basename="certificate")
router.register("crls", CrlViewSet, basename="crl")
router.register("enrollments", EnrollmentViewSet, basename="enrollment")
urlpatterns = router.urls
