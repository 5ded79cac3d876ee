"""Serializers of devices and tunnels; field names are docs/contracts.md §4's, never a credential."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from devices.choices import PollStatus
from devices.models import COUNTER_FIELDS, Device, IkeSa, Poll
from devices.summary import SaView, TunnelEnd, device_state, tunnel_ends
from events.availability import availability_for


class LastPollSerializer(serializers.ModelSerializer):
    """How the device's last poll ended."""

    error = serializers.SerializerMethodField()

    class Meta:
        model = Poll
        fields = ["status", "started_at", "finished_at", "error"]

    def get_error(self, poll: Poll) -> str | None:
        """The reason of a failed or partial poll, null when it went fine."""
        if poll.status in (PollStatus.FAILED, PollStatus.PARTIAL):
            return poll.reason or poll.get_status_display()
        return None


class DeviceSerializer(serializers.ModelSerializer):
    """A device and how its last poll went (credentials and host key are deliberately absent)."""

    last_poll = serializers.SerializerMethodField()
    clock_skew_seconds = serializers.SerializerMethodField()

    class Meta:
        model = Device
        # An explicit list, so a new model field (or a secret) never leaks by default.
        fields = ["id", "name", "host", "port", "platform", "last_poll", "clock_skew_seconds"]

    @extend_schema_field(LastPollSerializer(allow_null=True))
    def get_last_poll(self, device: Device) -> dict[str, Any] | None:
        """The last poll, null before the first one."""
        state = device_state(device)
        if state is None or state.last_poll is None:
            return None
        return dict(LastPollSerializer(state.last_poll).data)

    def get_clock_skew_seconds(self, device: Device) -> float | None:
        """Device clock minus our clock at the last poll, seconds."""
        state = device_state(device)
        return state.clock_skew_seconds if state is not None else None


class IkeSaSerializer(serializers.ModelSerializer):
    """A phase 1 SA as the device reported it."""

    class Meta:
        model = IkeSa
        fields = ["dst", "src", "peer", "state", "conn_id", "slot", "status", "version", "role", "last_seen"]


class CountersSerializer(serializers.Serializer):
    """The latest counters of one IPsec SA row."""

    pkts_encaps = serializers.IntegerField()
    pkts_encrypt = serializers.IntegerField()
    pkts_digest = serializers.IntegerField()
    pkts_decaps = serializers.IntegerField()
    pkts_decrypt = serializers.IntegerField()
    pkts_verify = serializers.IntegerField()
    send_errors = serializers.IntegerField()
    recv_errors = serializers.IntegerField()


class IpsecSaSerializer(serializers.Serializer):
    """One IPsec SA row of one end: idents, SPIs (integers), whether they mirror the peer, counters."""

    id = serializers.IntegerField(source="sa.id")
    interface = serializers.CharField(source="sa.interface")
    crypto_map = serializers.CharField(source="sa.crypto_map")
    local_ident = serializers.CharField(source="sa.local_ident")
    remote_ident = serializers.CharField(source="sa.remote_ident")
    current_peer = serializers.IPAddressField(source="sa.current_peer", allow_null=True)
    inbound_spi = serializers.IntegerField(source="sa.inbound_spi", allow_null=True)
    outbound_spi = serializers.IntegerField(source="sa.outbound_spi", allow_null=True)
    inbound_spi_matched = serializers.BooleanField(source="inbound_matched", allow_null=True)
    outbound_spi_matched = serializers.BooleanField(source="outbound_matched", allow_null=True)
    transform = serializers.CharField(source="sa.transform")
    counters = serializers.SerializerMethodField()
    last_seen = serializers.DateTimeField(source="sa.last_seen")

    @extend_schema_field(CountersSerializer)
    def get_counters(self, view: SaView) -> dict[str, int]:
        """The counters the pages show, from the SA row."""
        return {name: getattr(view.sa, name) for name in COUNTER_FIELDS}


class TunnelEndSerializer(serializers.Serializer):
    """One end: the device's name, its IKE SA towards the peer, its IPsec SAs."""

    device = serializers.CharField(source="device.name")
    ike_sa = IkeSaSerializer(allow_null=True)
    ipsec_sas = IpsecSaSerializer(source="sas", many=True)


class TunnelSerializer(serializers.Serializer):
    """A tunnel with both ends side by side."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    status_reason = serializers.CharField()
    spi_mirror_ok = serializers.BooleanField(allow_null=True)
    status_since = serializers.DateTimeField(source="status_changed_at", allow_null=True)
    availability = serializers.SerializerMethodField()
    ends = serializers.SerializerMethodField()

    @extend_schema_field(
        {
            "type": "object",
            "properties": {w: {"type": "number", "nullable": True} for w in ("24h", "7d", "30d")},
        }
    )
    def get_availability(self, tunnel: Any) -> dict[str, float | None]:
        """Time up over time known in the last 24 h, 7 d, 30 d (events/availability.py), for the whole
        page at once."""
        cache: dict[int, dict[str, float | None]] = self.context.setdefault("_availability", {})
        if tunnel.pk not in cache:
            page = getattr(self.parent, "instance", None) if self.parent is not None else None
            ids = [t.pk for t in page] if page is not None else [tunnel.pk]
            cache.update(availability_for(ids, timezone.now()))
        return cache.get(tunnel.pk) or {}

    @extend_schema_field(TunnelEndSerializer(many=True))
    def get_ends(self, tunnel: Any) -> list[dict[str, Any]]:
        """Both ends in inventory order, as TunnelEndSerializer describes them (built directly: a page
        of 100 tunnels would otherwise instantiate hundreds of nested serializers)."""
        ends: list[TunnelEnd] = tunnel_ends(tunnel)
        return [end_data(end) for end in ends]


_when = serializers.DateTimeField()
IKE_FIELDS = IkeSaSerializer.Meta.fields


def end_data(end: TunnelEnd) -> dict[str, Any]:
    """One end as TunnelEndSerializer would render it."""
    ike = end.ike_sa
    return {
        "device": end.device.name,
        "ike_sa": None
        if ike is None
        else {
            name: (_when.to_representation(getattr(ike, name)) if name == "last_seen" else getattr(ike, name))
            for name in IKE_FIELDS
        },
        "ipsec_sas": [
            {
                "id": v.sa.id,
                "interface": v.sa.interface,
                "crypto_map": v.sa.crypto_map,
                "local_ident": v.sa.local_ident,
                "remote_ident": v.sa.remote_ident,
                "current_peer": v.sa.current_peer,
                "inbound_spi": v.sa.inbound_spi,
                "outbound_spi": v.sa.outbound_spi,
                "inbound_spi_matched": v.inbound_matched,
                "outbound_spi_matched": v.outbound_matched,
                "transform": v.sa.transform,
                "counters": {name: getattr(v.sa, name) for name in COUNTER_FIELDS},
                "last_seen": _when.to_representation(v.sa.last_seen),
            }
            for v in end.sas
        ],
    }


class PointSerializer(serializers.Serializer):
    """One point: bucket start, per second rate, packets (or errors) in the bucket, seconds covered."""

    at = serializers.DateTimeField()
    rate = serializers.FloatField(allow_null=True)
    delta = serializers.IntegerField()
    seconds = serializers.FloatField()
    counter = serializers.IntegerField(allow_null=True, help_text="last raw counter (null from rollups)")


class SeriesSerializer(serializers.Serializer):
    """The points of one end."""

    device = serializers.CharField()
    points = PointSerializer(many=True)


def point_data(point: dict[str, Any]) -> dict[str, Any]:
    """PointSerializer's representation of a point of devices.history.counter_series, without the
    serializer's per-field machinery (1,000 points: most of a history answer's CPU). `at` is already
    ISO text, which DateTimeField passes through."""
    rate, counter = point["rate"], point["counter"]
    return {
        "at": point["at"],
        "rate": None if rate is None else float(rate),
        "delta": int(point["delta"]),
        "seconds": float(point["seconds"]),
        "counter": None if counter is None else int(counter),
    }


class HistorySerializer(serializers.Serializer):
    """A counter's history for both ends of a tunnel, at most 1,000 points in all."""

    tunnel = serializers.IntegerField()
    metric = serializers.CharField()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    resolution = serializers.CharField(help_text="raw, hour or day: where the points come from")
    series = SeriesSerializer(many=True)


def history_data(data: dict[str, Any]) -> dict[str, Any]:
    """HistorySerializer(data).data, its points converted by point_data (the answer is the same)."""
    head = dict(HistorySerializer({**data, "series": []}).data)
    head["series"] = [
        {"device": str(end["device"]), "points": [point_data(p) for p in end["points"]]}
        for end in data["series"]
    ]
    return head
