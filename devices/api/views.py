"""API views of devices and tunnels, with a tunnel's counter history."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from devices.api.filtersets import DeviceFilter, TunnelFilter
from devices.api.serializers import DeviceSerializer, HistorySerializer, TunnelSerializer, history_data
from devices.chart_range import RANGES, named_range
from devices.chart_range import store_for as resolution
from devices.history import DEFAULT_MAX_POINTS as MAX_POINTS
from devices.history import METRICS, ROLLUPS_SCOPE, counter_series
from devices.models import Device, IpsecSa, Tunnel
from devices.summary import secret_paths, tunnel_queryset
from vpnportal import page_cache
from vpnportal.api.csv_export import CsvExportMixin
from vpnportal.api.permissions import ModelViewPermission

HISTORY_KEY = "history:{}:{}:{}"
JSON = JSONRenderer.media_type
T = TypeVar("T")


def _kept(key: str, compute: Callable[[], T], seconds: int) -> T:
    """The entry under `key`, else `compute()` stored for `seconds` (page_cache.cached with a lifetime)."""
    found = page_cache.fetch([key])
    if key in found:
        return found[key]  # type: ignore[no-any-return]
    value = compute()
    page_cache.store({key: value}, seconds=seconds)
    return value


def end_series(
    sas: list[IpsecSa], metric: str, since: datetime, until: datetime, max_points: int
) -> list[dict[str, Any]]:
    """One end's points: each SA's series (same bucket grid) summed point by point."""
    merged: dict[str, dict[str, Any]] = {}
    for sa in sas:
        for point in counter_series(sa, metric, since, until, max_points):
            into = merged.setdefault(
                point["at"], {"at": point["at"], "rate": None, "delta": 0, "seconds": 0.0, "counter": None}
            )
            into["delta"] += point["delta"]
            into["seconds"] = max(into["seconds"], point["seconds"])
            if point["rate"] is not None:
                into["rate"] = round((into["rate"] or 0.0) + point["rate"], 6)
            if point["counter"] is not None:
                into["counter"] = (into["counter"] or 0) + point["counter"]
    return [merged[at] for at in sorted(merged)]


def parse_time(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 query parameter as an aware datetime (UTC when no offset); 400 when malformed."""
    if not value:
        return None
    # A '+' in a query string arrives as a space when the client did not encode it.
    text = value.strip().replace(" ", "+")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(
            {name: gettext("not an ISO 8601 time: %(value)s") % {"value": repr(value)}}
        ) from exc
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_fixed_timezone(0))
    return parsed


class DeviceViewSet(CsvExportMixin, viewsets.ReadOnlyModelViewSet):
    """Devices and how their last poll went. Filters: `q`, `platform`, `name`."""

    csv_filename = "devices"
    csv_columns = (
        "id",
        "name",
        "host",
        "port",
        "platform",
        "last_poll.status",
        "last_poll.started_at",
        "last_poll.finished_at",
        "last_poll.error",
        "clock_skew_seconds",
    )

    serializer_class = DeviceSerializer
    permission_classes = [ModelViewPermission]

    filterset_class = DeviceFilter

    def get_queryset(self) -> QuerySet[Device]:
        return Device.objects.without_secrets().select_related("state__last_poll").order_by("name")


class TunnelViewSet(CsvExportMixin, viewsets.ReadOnlyModelViewSet):
    """Tunnels, both ends side by side, worst status first. Filters: `q`, `status`, `device` (either end)."""

    csv_filename = "tunnels"
    csv_columns = (
        "id",
        "name",
        "status",
        "status_reason",
        "spi_mirror_ok",
        "ends.0.device",
        "ends.0.ike_sa.state",
        "ends.1.device",
        "ends.1.ike_sa.state",
    )

    serializer_class = TunnelSerializer
    permission_classes = [ModelViewPermission]

    filterset_class = TunnelFilter

    def get_queryset(self) -> QuerySet[Tunnel]:
        if self.action == "history":
            return Tunnel.objects.all()  # the permission reads its model; the history reads its own rows
        return tunnel_queryset()

    @extend_schema(
        parameters=[
            OpenApiParameter("metric", str, enum=[*METRICS], default="encaps"),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="ISO 8601; default a day ago"),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="ISO 8601; default now"),
            OpenApiParameter("range", str, enum=[*RANGES], description="instead of since"),
        ],
        responses=HistorySerializer,
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request: Request, pk: str | None = None) -> HttpResponse:
        """A counter's deltas over time for each end, at most 1,000 points in all, downsampled."""
        tunnel = get_object_or_404(
            Tunnel.objects.select_related("end_a", "end_b").defer(*secret_paths("end_a", "end_b")), pk=pk
        )
        params = request.query_params
        metric = params.get("metric", "encaps")
        if metric not in METRICS:
            raise ValidationError({"metric": gettext("one of %(values)s") % {"values": ", ".join(METRICS)}})
        now = timezone.now()
        until = parse_time(params.get("until"), "until")
        since = parse_time(params.get("since"), "since")
        if since is None:
            span = RANGES.get(params.get("range", "day"))
            if span is None:
                raise ValidationError({"range": gettext("one of %(values)s") % {"values": ", ".join(RANGES)}})
            if until is None:
                since, until = named_range(now, span)
            else:
                since = until - span
        until = until or now
        if since >= until:
            raise ValidationError({"since": gettext("must be before until")})
        keyed = self._history_key(tunnel, metric, since, until)
        if keyed is None:
            return Response(self._history(tunnel, metric, since, until))
        key, seconds = keyed
        if type(request.accepted_renderer) is JSONRenderer and request.accepted_media_type == JSON:
            # What the charts ask for: the JSON as JSONRenderer renders it, kept as bytes (no unpickling
            # and rendering of 1,000 points at each hit). Other formats (the browsable API) keep the data.
            body = _kept(
                key + ":json",
                lambda: JSONRenderer().render(self._history(tunnel, metric, since, until), JSON, {}),
                seconds,
            )
            return HttpResponse(body, content_type=JSON)
        return Response(_kept(key, lambda: self._history(tunnel, metric, since, until), seconds))

    @staticmethod
    def _history_key(tunnel: Tunnel, metric: str, since: datetime, until: datetime) -> tuple[str, int] | None:
        """The answer's cache key and lifetime (None when the cache does not answer). A range read from
        raw samples is keyed by its ends' versions (a poll of either end adds points) and kept
        PAGE_CACHE_SECONDS; one read from the rollups (week, month, year) by the rollups' version, which
        only a rollup run bumps, and by what else the answer shows: the tunnel's SAs (their ids and
        devices) and its ends' names, kept ten times as long (a named range's end moves on by a step of
        20 minutes for a week, longer for a month or a year)."""
        store = resolution(since, timezone.now())
        if store == "raw":
            versions = page_cache.versions((), (tunnel.end_a_id, tunnel.end_b_id))
            if versions is None:
                return None
            what: tuple[Any, ...] = tuple(sorted(versions.items()))
            seconds = settings.PAGE_CACHE_SECONDS
        else:
            rollups = page_cache.versions((ROLLUPS_SCOPE,))
            if rollups is None:
                return None
            sas = tuple(IpsecSa.objects.filter(tunnel=tunnel).order_by("id").values_list("pk", "device_id"))
            what = (rollups[ROLLUPS_SCOPE], sas, tunnel.end_a_id, tunnel.end_b_id)
            what += (tunnel.end_a.name, tunnel.end_b.name)
            seconds = settings.PAGE_CACHE_SECONDS * 10
        # The exact range asked, and which store it reads (a range near the raw retention's edge moves
        # to the rollups as time passes).
        parts = repr((store, what, since.isoformat(), until.isoformat()))
        return HISTORY_KEY.format(tunnel.pk, metric, hashlib.sha256(parts.encode()).hexdigest()[:32]), seconds

    def _history(self, tunnel: Tunnel, metric: str, since: datetime, until: datetime) -> dict[str, Any]:
        ends = tunnel.ends
        sas = list(IpsecSa.objects.filter(tunnel=tunnel).order_by("id"))
        # At most 1,000 points in all: each end gets its share.
        per_end = max(1, MAX_POINTS // len(ends))
        series = [
            {
                "device": device.name,
                "points": end_series(
                    [sa for sa in sas if sa.device_id == device.pk], metric, since, until, per_end
                ),
            }
            for device in ends
        ]
        data = {
            "tunnel": tunnel.pk,
            "metric": metric,
            "since": since,
            "until": until,
            "resolution": resolution(since, timezone.now()),  # the series' own clock came just before
            "series": series,
        }
        return history_data(data)
