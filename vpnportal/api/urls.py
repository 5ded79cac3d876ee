"""The whole API under /api/: every app's routes, the root and the OpenAPI schema."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from devices.api.urls import router as devices_router
from events.api.urls import router as events_router
from pki.api.urls import router as pki_router
from vpnportal.api.permissions import RolePermission
from vpnportal.api.views import AlertViewSet

# Plain path() routes (<str:pk>, no regex anchors) and no .json suffix routes: readable URLs, and the
# site-wide URL walk (tests/foundation) can fill them in. `?format=json` still works.
router = DefaultRouter(use_regex_path=False)
router.include_format_suffixes = False
router.register("alerts", AlertViewSet, basename="alert")
# One root listing every app's endpoints: the app routers' registrations, in one place.
for app_router in (devices_router, pki_router, events_router):
    router.registry.extend(app_router.registry)

urlpatterns = [
    # The schema describes internal endpoints: only for users holding a role.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[RolePermission]), name="schema"),
    path("", include(router.urls)),
]
