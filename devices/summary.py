"""Read-side views of the state: tunnels with both ends side by side, for the pages and the API alike."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value, When
from django.db.models.functions import JSONObject

from devices.choices import TunnelStatus
from devices.models import CounterSample, Device, DeviceState, IkeSa, IpsecSa, Tunnel
from devices.querysets import SECRET_FIELDS, TunnelQuerySet

# Worst first: what needs attention sorts to the top of every list of tunnels.
STATUS_ORDER = {
    TunnelStatus.DOWN: 0,
    TunnelStatus.DEGRADED: 1,
    TunnelStatus.UNKNOWN: 2,
    TunnelStatus.UP: 3,
}


def secret_paths(*relations: str) -> list[str]:
    """The credential columns of the devices behind `relations`, for .defer() ("" is the Device itself)."""
    return [f"{r}__{f}" if r else f for r in relations for f in SECRET_FIELDS]


def status_rank() -> Case:
    """An SQL expression ranking tunnel status worst first."""
    return Case(
        *[When(status=status, then=Value(rank)) for status, rank in STATUS_ORDER.items()],
        default=Value(9),
        output_field=IntegerField(),
    )


def ipsec_sas_with_latest_sample() -> QuerySet[IpsecSa]:
    """Active IPsec SA rows annotated with their newest counter sample (one correlated subquery)."""
    newest = CounterSample.objects.filter(ipsec_sa=OuterRef("pk")).order_by("-at")
    sample = JSONObject(
        at="at",
        d_encaps="d_encaps",
        d_decaps="d_decaps",
        d_errors="d_errors",
        interval_seconds="interval_seconds",
    )
    return (
        IpsecSa.objects.filter(active=True)
        .annotate(latest_sample=Subquery(newest.values_list(sample)[:1]))
        .order_by("local_ident", "remote_ident", "id")
    )


def tunnel_queryset() -> TunnelQuerySet:
    """Tunnels with everything both ends need, in a fixed number of queries, worst status first."""
    return (
        Tunnel.objects.select_related(
            "end_a__state__last_poll",
            "end_b__state__last_poll",
        )
        .prefetch_related(
            Prefetch("ipsec_sas", queryset=ipsec_sas_with_latest_sample(), to_attr="active_ipsec_sas"),
            Prefetch("end_a__ike_sas", queryset=IkeSa.objects.filter(active=True), to_attr="ike_as_a"),
            Prefetch("end_b__ike_sas", queryset=IkeSa.objects.filter(active=True), to_attr="ike_as_b"),
        )
        .defer(*secret_paths("end_a", "end_b"))
        .annotate(status_rank=status_rank())
        .order_by("status_rank", "name")
    )


@dataclass
class SaView:
    """One IPsec SA row of one end, with its SPI match against the other end and its latest rates."""

    sa: IpsecSa
    inbound_matched: bool | None
    outbound_matched: bool | None
    encaps_rate: float | None
    decaps_rate: float | None
    errors_delta: int | None
    sample_at: Any

    @property
    def errors(self) -> int:
        """Send plus receive errors as the device counts them."""
        return self.sa.send_errors + self.sa.recv_errors


@dataclass
class TunnelEnd:
    """One end of a tunnel: the device, its IKE SA(s) towards the peer and its IPsec SAs."""

    device: Device
    ike_sas: list[IkeSa] = field(default_factory=list)
    sas: list[SaView] = field(default_factory=list)

    @property
    def ike_sa(self) -> IkeSa | None:
        """The IKE SA towards the peer (the first, when several)."""
        return self.ike_sas[0] if self.ike_sas else None

    @property
    def local_addr(self) -> str:
        """This end's tunnel address as its IPsec SAs report it (ASA prints none in its IKE SA list)."""
        return next((str(s.sa.local_addr) for s in self.sas if s.sa.local_addr), "")

    @property
    def encaps_rate(self) -> float | None:
        """Packets per second this end sends into the tunnel (latest interval)."""
        rates = [s.encaps_rate for s in self.sas if s.encaps_rate is not None]
        return sum(rates) if rates else None

    @property
    def decaps_rate(self) -> float | None:
        """Packets per second this end receives from the tunnel (latest interval)."""
        rates = [s.decaps_rate for s in self.sas if s.decaps_rate is not None]
        return sum(rates) if rates else None

    @property
    def errors(self) -> int:
        """Send plus receive errors over all SAs."""
        return sum(s.errors for s in self.sas)

    @property
    def errors_delta(self) -> int:
        """Errors counted in the latest poll interval."""
        return sum(s.errors_delta or 0 for s in self.sas)

    @property
    def last_poll(self) -> Any:
        """The device's last poll, or None."""
        state = device_state(self.device)
        return state.last_poll if state is not None else None


def device_state(device: Device) -> DeviceState | None:
    """The device's state row, None before its first poll."""
    try:
        return device.state
    except DeviceState.DoesNotExist:
        return None


def _rate(delta: Any, seconds: Any) -> float | None:
    if delta is None or not seconds:
        return None
    return float(delta) / float(seconds)


def tunnel_ends(tunnel: Tunnel) -> list[TunnelEnd]:
    """Both ends of a tunnel from prefetched rows (tunnel_queryset), SPIs matched across the ends."""
    sas = getattr(tunnel, "active_ipsec_sas", None)
    if sas is None:
        sas = list(ipsec_sas_with_latest_sample().filter(tunnel=tunnel))
    by_device: dict[int, list[IpsecSa]] = {tunnel.end_a_id: [], tunnel.end_b_id: []}
    for sa in sas:
        by_device.setdefault(sa.device_id, []).append(sa)
    ends: list[TunnelEnd] = []
    for device, other in ((tunnel.end_a, tunnel.end_b), (tunnel.end_b, tunnel.end_a)):
        mine = by_device.get(device.pk, [])
        theirs = by_device.get(other.pk, [])
        their_in = {s.inbound_spi for s in theirs if s.inbound_spi is not None}
        their_out = {s.outbound_spi for s in theirs if s.outbound_spi is not None}
        peers = {str(s.current_peer) for s in mine if s.current_peer}
        ike_all = getattr(device, "ike_as_a", None) if device.pk == tunnel.end_a_id else None
        ike_all = ike_all if ike_all is not None else getattr(device, "ike_as_b", None)
        if ike_all is None:
            ike_all = list(device.ike_sas.filter(active=True))
        ike = [i for i in ike_all if peers & {str(i.peer), str(i.dst), str(i.src)}]
        views = []
        for sa in mine:
            sample = sa.latest_sample if hasattr(sa, "latest_sample") else None
            if isinstance(sample, str):  # some backends hand JSON back as text
                sample = json.loads(sample)
            views.append(
                SaView(
                    sa=sa,
                    # My inbound SPI is the peer's outbound SPI, and the other way round (docs/contracts.md §6).
                    inbound_matched=(sa.inbound_spi in their_out) if theirs and sa.inbound_spi else None,
                    outbound_matched=(sa.outbound_spi in their_in) if theirs and sa.outbound_spi else None,
                    encaps_rate=_rate(sample.get("d_encaps"), sample.get("interval_seconds"))
                    if sample
                    else None,
                    decaps_rate=_rate(sample.get("d_decaps"), sample.get("interval_seconds"))
                    if sample
                    else None,
                    errors_delta=sample.get("d_errors") if sample else None,
                    sample_at=sample.get("at") if sample else None,
                )
            )
        ends.append(TunnelEnd(device=device, ike_sas=ike, sas=views))
    return ends
