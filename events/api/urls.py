"""API routes of the events app."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from events.api.views import EventViewSet, StatusChangeViewSet

router = SimpleRouter()
router.register("events", EventViewSet, basename="event")
router.register("tunnel-status-changes", StatusChangeViewSet, basename="tunnel-status-change")
urlpatterns = router.urls
