"""The whole API under /api/: every app's routes, the root and the OpenAPI schema."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from devices.api.urls import router as devices_router
from events.api.urls import router as events_router
from pki.api.urls import router as pki_router
from vpnportal.api.docs import ApiRootView, SchemaView, api_docs
from vpnportal.api.views import AlertViewSet

# Plain path() routes (<str:pk>, no regex anchors) and no .json suffix routes: readable URLs, and the
# site-wide URL walk (tests/foundation) can fill them in. `?format=json` still works.
router = DefaultRouter(use_regex_path=False)
router.include_format_suffixes = False
router.APIRootView = ApiRootView
router.register("alerts", AlertViewSet, basename="alert")
# One root listing every app's endpoints: the app routers' registrations, in one place.
for app_router in (devices_router, pki_router, events_router):
    router.registry.extend(app_router.registry)

urlpatterns = [
    # The schema describes internal endpoints: only for users holding a role.
    # A browser gets it as a page (SchemaView), clients YAML or `?format=json`.
    path("schema/", SchemaView.as_view(), name="schema"),
    # Swagger UI from pinned local files, inside the CSP (docs/api.md).
    path("docs/", api_docs, name="docs"),
    path("", include(router.urls)),
]
