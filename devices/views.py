"""Pages of devices and tunnels: both ends side by side, polls with their raw outputs, silences."""

from __future__ import annotations

import zlib
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from devices.api.filtersets import DeviceFilter, TunnelFilter
from devices.chart_range import default_range
from devices.choices import TunnelStatus
from devices.models import Device, Poll, PollOutput, Tunnel
from devices.rawstore import poll_outputs, poll_warnings
from devices.summary import device_state, secret_paths, tunnel_ends, tunnel_queryset
from devices.topology import topology_graph
from pki.choices import CertificateRole, CertificateStatus
from pki.models import Certificate, Crl, Trustpoint
from vpnportal import page_cache
from vpnportal.alerting import actions
from vpnportal.choices import OPEN_ALERT_STATES
from vpnportal.lists import filtered_list
from vpnportal.models import Alert

POLL_HISTORY = 50
PAGE_SIZE = 100
RECENT_ALERTS = 30
MAX_SILENCE_HOURS = 24 * 31
SILENCE_HOURS = (1, 4, 24, 72, 168)
# A page shows at most this much of one output; the rest is one click away in the admin or the API.
MAX_OUTPUT_CHARS = 200_000


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def raw_text(output: PollOutput) -> str:
    """The command's output as received (whole or as a delta, PollOutput.data), decoded leniently."""
    if output.raw is None:
        return ""
    try:
        text = output.data().decode("utf-8", "replace")
    except (zlib.error, ValueError):
        return "(stored output could not be decompressed)"
    if len(text) > MAX_OUTPUT_CHARS:
        return text[:MAX_OUTPUT_CHARS] + f"\n... ({len(text) - MAX_OUTPUT_CHARS} more characters)"
    return text


@require_GET
def device_list(request: HttpRequest) -> HttpResponse:
    """Every device with its last poll outcome, age and clock skew, a page at a time; search, filters, CSV."""
    _need(request, "devices.view_device")
    devices = Device.objects.without_secrets().select_related("state__last_poll").order_by("name")
    listing = filtered_list(
        request,
        DeviceFilter,
        devices,
        api_list="api:device-list",
        fields=("q", "platform"),
        page_size=PAGE_SIZE,
    )
    return render(
        request, "devices/device_list.html", {**listing.context(), "devices": listing.page.object_list}
    )


@require_GET
def tunnel_list(request: HttpRequest) -> HttpResponse:
    """Every tunnel with both ends side by side, worst first, a page at a time; search, filters, CSV."""
    _need(request, "devices.view_tunnel")
    listing = filtered_list(
        request,
        TunnelFilter,
        tunnel_queryset(),
        api_list="api:tunnel-list",
        fields=("q", "device"),
        page_size=PAGE_SIZE,
    )
    status = listing.params.get("status", "")
    context = {
        **listing.context(),
        "rows": [{"tunnel": t, "ends": tunnel_ends(t)} for t in listing.page.object_list],
        "status": status if status in TunnelStatus.values else "",
        "statuses": TunnelStatus.choices,
    }
    return render(request, "devices/tunnel_list.html", context)


@require_GET
def device_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A device: last poll and what each command printed, config facts, poll history, PKI, alerts."""
    _need(request, "devices.view_device")
    name = Device.objects.filter(pk=pk).values_list("name", flat=True).first()
    if name is None:
        raise Http404

    def data() -> dict[str, Any]:
        device = get_object_or_404(
            Device.objects.without_secrets().select_related("state__last_poll", "state__last_ok_poll"), pk=pk
        )
        state = device_state(device)
        last_poll = state.last_poll if state else None
        if last_poll is None:
            last_poll = Poll.objects.filter(device=device).order_by("-started_at").first()
        outputs: list[dict[str, Any]] = []
        if last_poll is not None:
            for output in poll_outputs(last_poll):
                size = output.raw.size if output.raw is not None and not output.delta else None
                text = raw_text(output)
                # An output unchanged since an earlier poll is that poll's row (its duration too).
                since = output.__dict__.get("at") if output.poll_id != last_poll.pk else None
                outputs.append(
                    {
                        "output": output,
                        "text": text,
                        "size": len(text.encode()) if size is None else size,
                        "unchanged_since": since,
                    }
                )
        polls = list(Poll.objects.filter(device=device).order_by("-started_at")[:POLL_HISTORY])
        alerts = list(
            Alert.objects.filter(Q(device=device) | Q(tunnel__end_a=device) | Q(tunnel__end_b=device))
            .select_related("device", "tunnel", "acknowledged_by")
            .defer(*secret_paths("device"))
            .order_by("resolved_at", "-opened_at")[:RECENT_ALERTS]
        )
        tunnels = [{"tunnel": t, "ends": tunnel_ends(t)} for t in tunnel_queryset().touching(device)]
        context = {
            "poll_warnings": poll_warnings(last_poll) if last_poll is not None else [],
            "now": timezone.now(),
            "device": device,
            "state": state,
            "last_poll": last_poll,
            "outputs": outputs,
            "polls": polls,
            "certificates": Certificate.objects.filter(device=device, present=True)
            .select_related("trustpoint")
            .order_by("valid_to"),
            "crls": Crl.objects.filter(device=device, present=True).order_by("next_update"),
            # An enroll button says "Enroll" for a trustpoint with no identity certificate yet.
            "trustpoints": Trustpoint.objects.filter(device=device, present=True)
            .annotate(
                enrolled=Exists(
                    Certificate.objects.filter(
                        trustpoint=OuterRef("pk"),
                        present=True,
                        role=CertificateRole.IDENTITY,
                        status=CertificateStatus.AVAILABLE,
                    )
                )
            )
            .order_by("name"),
            "alerts": alerts,
            "open_states": OPEN_ALERT_STATES,
            "tunnel_rows": tunnels,
            "silence_hours": SILENCE_HOURS,
            "silence_url": reverse("devices:device_silence", args=[device.pk]),
            "silence_scope": "device",
        }
        return context

    # A page fragment (vpnportal/templatetags/page_fragments.py) under this device's version and its
    # tunnels' peers' versions (their rows show both ends), not the fleet-wide scopes: whatever this page
    # shows bumps one of them (its polls, its tunnels' saves, its and its tunnels' alerts, a diagnosis).
    pairs = Tunnel.objects.touching(pk).values_list("end_a_id", "end_b_id")
    peers = sorted({end for pair in pairs for end in pair} | {pk})
    versions = page_cache.versions((), peers)
    key = None if versions is None else (pk, sorted(versions.items()))
    context = {"page_key": key, "device_data": data, "device": {"name": name}}
    return render(request, "devices/device_detail.html", context)


@require_GET
def tunnel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A tunnel: both ends in two columns, every SA with its counters, charts of the history."""
    _need(request, "devices.view_tunnel")
    row = Tunnel.objects.filter(pk=pk).values_list("name", "end_a_id", "end_b_id").first()
    if row is None:
        raise Http404
    name, end_a, end_b = row

    def data() -> dict[str, Any]:
        tunnel = get_object_or_404(tunnel_queryset(), pk=pk)
        now = timezone.now()
        # The tunnel's own alerts, and its ends' open ones: an expired certificate on either end breaks its IKE.
        alerts = list(
            Alert.objects.filter(
                Q(tunnel=tunnel)
                | Q(
                    device_id__in=[tunnel.end_a_id, tunnel.end_b_id],
                    tunnel__isnull=True,
                    state__in=OPEN_ALERT_STATES,
                )
            )
            .select_related("device", "tunnel", "acknowledged_by")
            .defer(*secret_paths("device"))
            .order_by("resolved_at", "-opened_at")[:RECENT_ALERTS]
        )
        context = {
            "now": now,
            "tunnel": tunnel,
            "chart_range": default_range(tunnel, now),
            "ends": tunnel_ends(tunnel),
            "alerts": alerts,
            "open_states": OPEN_ALERT_STATES,
            "history_url": reverse("api:tunnel-history", args=[tunnel.pk]),
            "silence_hours": SILENCE_HOURS,
            "silence_url": reverse("devices:tunnel_silence", args=[tunnel.pk]),
            "silence_scope": "tunnel",
        }
        return context

    # A page fragment under the versions of both ends alone: the tunnel's saves, its alerts and its ends'
    # (and their polls and diagnoses) bump them; an alert or a tunnel elsewhere in the fleet does not.
    versions = page_cache.versions((), (end_a, end_b))
    key = None if versions is None else (pk, sorted(versions.items()))
    context = {"page_key": key, "tunnel_data": data, "tunnel": {"name": name}}
    return render(request, "devices/tunnel_detail.html", context)


@require_GET
def topology(request: HttpRequest) -> HttpResponse:
    """The fleet as a picture: devices as nodes, tunnels as edges coloured by status, each a link."""
    _need(request, "devices.view_tunnel")
    graph = topology_graph()
    return render(request, "devices/topology.html", {"graph": graph})


def _silence(request: HttpRequest, target: Device | Tunnel, back: str) -> HttpResponse:
    try:
        hours = int(request.POST.get("hours", "0"))
    except ValueError:
        hours = 0
    if not 0 < hours <= MAX_SILENCE_HOURS:
        return HttpResponseBadRequest(gettext("hours must be 1..%(max)s") % {"max": MAX_SILENCE_HOURS})
    reason = request.POST.get("reason", "").strip()[:255] or "maintenance"
    until = timezone.now() + timedelta(hours=hours)
    try:
        actions.silence(target, until, request.user, reason)
    except actions.ActionError as exc:
        messages.error(request, str(exc))
    else:
        params = {"target": target, "until": f"{until:%Y-%m-%d %H:%M}"}
        if isinstance(target, Device):
            text = gettext("Silenced every alert of device %(target)s until %(until)s UTC") % params
        else:
            text = gettext("Silenced every alert of tunnel %(target)s until %(until)s UTC") % params
        messages.success(request, text)
    return redirect(back)


@require_POST
@permission_required("vpnportal.add_maintenancewindow", raise_exception=True)
def device_silence(request: HttpRequest, pk: int) -> HttpResponse:
    """Silence a device's alerts for some hours (operators; audited by the action)."""
    device = get_object_or_404(Device, pk=pk)
    return _silence(request, device, reverse("devices:device_detail", args=[device.pk]))


@require_POST
@permission_required("vpnportal.add_maintenancewindow", raise_exception=True)
def tunnel_silence(request: HttpRequest, pk: int) -> HttpResponse:
    """Silence a tunnel's alerts for some hours (operators; audited by the action)."""
    tunnel = get_object_or_404(Tunnel, pk=pk)
    return _silence(request, tunnel, reverse("devices:tunnel_detail", args=[tunnel.pk]))
