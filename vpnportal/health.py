"""`/healthz` (liveness) and `/readyz` (readiness of every part), JSON for probes and people alike.

Both are public (no login) and exempt from the https redirect (settings.SECURE_REDIRECT_EXEMPT): a load
balancer's probe speaks plain http and never logs in.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from vpnportal.readiness import run_checks


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: 200 whenever this process serves requests; touches neither the database nor Redis.

    An orchestrator restarts a web server whose liveness fails: a database outage must not do that.
    """
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: every part's check (vpnportal/readiness.py); 503 when a required part is down."""
    report = run_checks()
    return JsonResponse(report, status=503 if report["status"] == "down" else 200)
