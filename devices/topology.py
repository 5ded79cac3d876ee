"""The fleet as a graph for the topology page: devices as nodes, tunnels as edges with their status."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from devices.models import Device, Tunnel
from devices.summary import secret_paths

# A picture of more than this many devices is no longer readable; the lists page the rest.
MAX_NODES = 400


def topology_graph() -> dict[str, Any]:
    """{nodes: [{id, name, platform, status, url}], edges: [{id, name, a, b, status, reason, url}], truncated}."""
    devices = list(
        Device.objects.without_secrets().select_related("state__last_poll").order_by("name")[: MAX_NODES + 1]
    )
    truncated = len(devices) > MAX_NODES
    devices = devices[:MAX_NODES]
    ids = {d.pk for d in devices}
    nodes = []
    for d in devices:
        state = getattr(d, "state", None)
        poll = state.last_poll if state is not None else None
        nodes.append(
            {
                "id": d.pk,
                "name": d.name,
                "platform": d.get_platform_display(),
                "status": poll.status if poll is not None else "never",
                "stale": bool(state.stale) if state is not None else False,
                "url": reverse("devices:device_detail", args=[d.pk]),
            }
        )
    tunnels = (
        Tunnel.objects.filter(end_a_id__in=ids, end_b_id__in=ids)
        .defer(*secret_paths("end_a", "end_b"))
        .order_by("name")
    )
    edges = [
        {
            "id": t.pk,
            "name": t.name,
            "a": t.end_a_id,
            "b": t.end_b_id,
            "status": t.status,
            "reason": t.shown_reason(),
            "url": reverse("devices:tunnel_detail", args=[t.pk]),
        }
        for t in tunnels
    ]
    return {"nodes": nodes, "edges": edges, "truncated": truncated}
