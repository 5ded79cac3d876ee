"""Dashboard home and health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from devices.models import Device, Tunnel
from pki.models import Certificate
from vpnportal.choices import OPEN_ALERT_STATES
from vpnportal.models import Alert


def home(request: HttpRequest) -> HttpResponse:
    """The overview: counts first; later issues fill it with tunnels, alerts and expiries."""
    context = {
        "device_count": Device.objects.count(),
        "tunnel_count": Tunnel.objects.count(),
        "open_alert_count": Alert.objects.filter(state__in=OPEN_ALERT_STATES).count(),
        "certificate_count": Certificate.objects.filter(present=True).count(),
    }
    return render(request, "vpnportal/home.html", context)


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
