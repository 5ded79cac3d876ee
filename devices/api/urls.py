"""API routes of the devices app."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from devices.api.findings import FindingViewSet
from devices.api.views import DeviceViewSet, TunnelViewSet

router = SimpleRouter()
router.register("devices", DeviceViewSet, basename="device")
router.register("tunnels", TunnelViewSet, basename="tunnel")
router.register("findings", FindingViewSet, basename="finding")
urlpatterns = router.urls
