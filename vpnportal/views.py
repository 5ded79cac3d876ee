"""Dashboard pages of the cross-cutting app: overview, alerts with their actions, audit log, health."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from vpnportal.alerting import actions
from vpnportal.api.filtersets import AlertFilter
from vpnportal.choices import OPEN_ALERT_STATES
from vpnportal.dashboard import ALERT_CATEGORIES, alert_counts, alerts_in, overview_context
from vpnportal.health import healthz, readyz
from vpnportal.lists import filtered_list
from vpnportal.metrics import metrics
from vpnportal.models import Alert, AuditEntry

SILENCE_HOURS = (1, 4, 24, 72, 168)
MAX_SILENCE_HOURS = 24 * 31
PAGE_SIZE = 100

__all__ = [
    "alert_acknowledge",
    "alert_list",
    "alert_silence",
    "audit_log",
    "favicon",
    "healthz",
    "home",
    "metrics",
    "readyz",
]


def _can_view(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The overview: tunnels worst first with both ends, open alerts, soonest expiries, polls."""
    _can_view(request, "devices.view_tunnel")
    return render(request, "vpnportal/home.html", overview_context(request))


@require_GET
def overview_fragment(request: HttpRequest) -> HttpResponse:
    """The overview's sections alone, for the page's auto-refresh (no full reload)."""
    _can_view(request, "devices.view_tunnel")
    return render(request, "vpnportal/_overview.html", overview_context(request))


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Redirect to the page the form came from when it is ours, else to `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(default)


@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    """Alerts by tab: open (nobody has looked), acknowledged, silenced, resolved; search, filters, CSV."""
    _can_view(request, "vpnportal.view_alert")
    category = request.GET.get("state", "open")
    if category not in ALERT_CATEGORIES:
        category = "open"
    # The tab is `state` on the page and `category` in the API (whose `state` is the alert's own state).
    listing = filtered_list(
        request,
        AlertFilter,
        alerts_in(category),
        api_list="api:alert-list",
        fields=("q", "kind", "severity", "device"),
        page_size=PAGE_SIZE,
        drop=("state",),
        api_extra={"category": category},
    )
    return render(
        request,
        "vpnportal/alerts.html",
        {
            **listing.context(),
            "category": category,
            "categories": ALERT_CATEGORIES,
            "counts": alert_counts(),
            "silence_hours": SILENCE_HOURS,
            "can_acknowledge": request.user.has_perm("vpnportal.change_alert"),
            "can_silence": request.user.has_perm("vpnportal.add_maintenancewindow"),
        },
    )


@require_POST
@permission_required("vpnportal.change_alert", raise_exception=True)
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge an open alert (operators; audited by the action)."""
    alert = get_object_or_404(Alert, pk=pk, state__in=OPEN_ALERT_STATES)
    try:
        actions.acknowledge_alert(alert, request.user)
    except actions.ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            gettext("Acknowledged: %(kind)s %(subject)s")
            % {"kind": alert.get_kind_display(), "subject": alert.subject},
        )
    return _back(request, "alerts")


@require_POST
@permission_required("vpnportal.add_maintenancewindow", raise_exception=True)
def alert_silence(request: HttpRequest, pk: int) -> HttpResponse:
    """Silence for some hours, in the scope asked (`scope`): this alert, its device or its tunnel (operators; audited)."""
    alert = get_object_or_404(Alert.objects.select_related("device", "tunnel"), pk=pk)
    scope = request.POST.get("scope", "")
    targets = {"alert": alert, "device": alert.device, "tunnel": alert.tunnel}
    if not scope:  # an old form without the choice: the widest target, as before
        scope = "tunnel" if alert.tunnel else "device"
    target = targets.get(scope)
    if target is None:
        return HttpResponseBadRequest(gettext("scope must be alert, or the device or tunnel this alert has."))
    try:
        hours = int(request.POST.get("hours", "0"))
    except ValueError:
        hours = 0
    if not 0 < hours <= MAX_SILENCE_HOURS:
        return HttpResponseBadRequest(gettext("hours must be 1..%(max)s") % {"max": MAX_SILENCE_HOURS})
    reason = request.POST.get("reason", "").strip()[:255] or f"silenced from alert {alert.pk}"
    until = timezone.now() + timedelta(hours=hours)
    try:
        if isinstance(target, Alert):
            actions.silence_alert(target, until, request.user, reason)
        else:
            actions.silence(target, until, request.user, reason)
    except actions.ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _silenced_text(scope, alert, target, until))
    return _back(request, "alerts")


def _silenced_text(scope: str, alert: Alert, target: object, until: datetime) -> str:
    """The message after a silence: what was silenced and until when, one whole sentence per scope."""
    params = {
        "kind": alert.get_kind_display(),
        "subject": alert.subject,
        "target": target,
        "until": f"{until:%Y-%m-%d %H:%M}",
    }
    if scope == "alert":
        return gettext("Silenced this alert (%(kind)s %(subject)s) until %(until)s UTC") % params
    if scope == "device":
        return gettext("Silenced device %(target)s until %(until)s UTC: every alert of this device") % params
    return gettext("Silenced tunnel %(target)s until %(until)s UTC: every alert of this tunnel") % params


@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Who did what, newest first; filter by user or verb."""
    _can_view(request, "vpnportal.view_auditentry")
    qs = AuditEntry.objects.all().order_by("-at", "-id")
    user = request.GET.get("user", "").strip()
    verb = request.GET.get("verb", "").strip()
    if user:
        qs = qs.filter(username=user)
    if verb:
        qs = qs.filter(verb=verb)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    verbs = AuditEntry.objects.order_by("verb").values_list("verb", flat=True).distinct()
    return render(
        request, "vpnportal/audit.html", {"page": page, "user_filter": user, "verb": verb, "verbs": verbs}
    )


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico: a permanent redirect to the static file (hashed name in production)."""
    return redirect(static("favicon.ico"), permanent=True)
