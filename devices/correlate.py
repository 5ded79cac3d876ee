"""Pair the two ends of each tunnel by mirrored SPIs and mirror-image idents, and judge its status.

Status, from what both ends report (one end alone cannot tell a dead tunnel from a quiet one): `up`
both ends have IKE and IPsec SAs whose SPIs mirror; `degraded` one-sided phase 2, SPI mismatch, errors
rising or one-way traffic; `down` a configured tunnel with no SAs while both devices answered;
`unknown` an end could not be polled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from devices.choices import TunnelStatus
from devices.models import CounterSample, Device, DeviceState, IkeSa, IpsecSa, Tunnel
from events.timeline import record_status_change
from vpnportal.translated_text import StoredText, deferred, english


@dataclass
class Verdict:
    """A tunnel's judged status, why, and the SAs of each end that belong to it."""

    status: str
    reason: str
    spi_mirror_ok: bool | None
    sas: list[IpsecSa] = field(default_factory=list)
    one_way: bool = False
    # The reason as a deferred text, so that pages show it in the reader's language; `reason` is its
    # English, the column the API and search use.
    text: StoredText | None = None


def _verdict(
    status: str, why: StoredText, spi_mirror_ok: bool | None, sas: list[IpsecSa] | None = None, **kw: bool
) -> Verdict:
    return Verdict(status, english(why), spi_mirror_ok, sas or [], text=why, **kw)


def _all_spis(sa: IpsecSa, direction: str) -> set[int]:
    spis: set[int] = set()
    for name in (f"{direction}_esp", f"{direction}_ah"):
        for item in (sa.sas or {}).get(name) or []:
            if isinstance(item, dict) and isinstance(item.get("spi"), int) and item["spi"]:
                spis.add(item["spi"])
    value = sa.inbound_spi if direction == "inbound" else sa.outbound_spi
    if value:
        spis.add(value)
    return spis


def spis_mirror(a: IpsecSa, b: IpsecSa) -> bool:
    """True when a's outbound SPI is one of b's inbound SPIs and the other way round."""
    return bool(
        a.outbound_spi
        and b.outbound_spi
        and a.outbound_spi in _all_spis(b, "inbound")
        and b.outbound_spi in _all_spis(a, "inbound")
    )


def idents_mirror(a: IpsecSa, b: IpsecSa) -> bool:
    """True when a's local ident is b's remote ident and the other way round."""
    return a.local_ident == b.remote_ident and a.remote_ident == b.local_ident


def _answered(state: DeviceState | None) -> bool:
    return state is not None and not state.stale and state.last_ok_poll_id is not None


def _postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def _addresses(sas: list[IpsecSa]) -> set[str]:
    return {sa.local_addr for sa in sas if sa.local_addr}


def judge(
    tunnel: Tunnel,
    states: dict[int, DeviceState],
    sas_by_device: dict[int, list[IpsecSa]],
    ike_by_device: dict[int, list[IkeSa]],
    latest: dict[int, CounterSample] | None = None,
) -> Verdict:
    """The status of one tunnel from the current state of its two ends (`latest`: the newest counter
    sample of each IpsecSa id, read here when not given)."""
    a, b = tunnel.end_a, tunnel.end_b
    for end in (a, b):
        if not _answered(states.get(end.pk)):
            last = states.get(end.pk)
            # The poll's own reason is what the session reported (the device's or the SSH library's
            # words): it is quoted as it is, only the sentence around it is translated.
            why: StoredText | str = (
                last.last_poll.reason
                if last and last.last_poll and last.last_poll.reason
                else deferred("not polled yet")
            )
            return _verdict(
                TunnelStatus.UNKNOWN,
                deferred("%(device)s could not be polled: %(why)s", device=end.name, why=why),
                None,
            )
    all_a, all_b = sas_by_device.get(a.pk, []), sas_by_device.get(b.pk, [])
    addr_a, addr_b = _addresses(all_a), _addresses(all_b)

    def belongs(sa: IpsecSa, others: list[IpsecSa], other_addrs: set[str]) -> bool:
        return any(idents_mirror(sa, o) or spis_mirror(sa, o) for o in others) or (
            sa.current_peer is not None and sa.current_peer in other_addrs
        )

    mine_a = [sa for sa in all_a if belongs(sa, all_b, addr_b)]
    mine_b = [sa for sa in all_b if belongs(sa, all_a, addr_a)]
    live_a = [sa for sa in mine_a if sa.active]
    live_b = [sa for sa in mine_b if sa.active]
    sas = mine_a + mine_b
    if not live_a and not live_b:
        return _verdict(
            TunnelStatus.DOWN, deferred("no IPsec SAs on %(a)s or %(b)s", a=a.name, b=b.name), None, sas
        )
    if not live_a or not live_b:
        has, lacks = (a, b) if live_a else (b, a)
        return _verdict(
            TunnelStatus.DEGRADED,
            deferred(
                "one-sided phase 2: %(has)s has IPsec SAs, %(lacks)s has none", has=has.name, lacks=lacks.name
            ),
            False,
            sas,
        )
    unmatched = [sa for sa in live_a if not any(spis_mirror(sa, o) for o in live_b)]
    unmatched += [sa for sa in live_b if not any(spis_mirror(sa, o) for o in live_a)]
    if unmatched:
        sa = unmatched[0]
        return _verdict(
            TunnelStatus.DEGRADED,
            deferred(
                "SPI mismatch: %(device)s outbound SPI %(spi)s has no inbound counterpart on the peer",
                device=sa.device.name,
                spi=f"0x{(sa.outbound_spi or 0):08X}",
            ),
            False,
            sas,
        )
    for end in (a, b):
        if not [ike for ike in ike_by_device.get(end.pk, []) if ike.active]:
            return _verdict(
                TunnelStatus.DEGRADED, deferred("no IKE SA on %(device)s", device=end.name), True, sas
            )
    if latest is None:
        latest = CounterSample.objects.newest_by_sa(sa.pk for sa in live_a + live_b)
    for sa in live_a + live_b:
        sample = latest.get(sa.pk)
        if sample is not None and sample.d_errors > 0 and not sample.reset:
            return _verdict(
                TunnelStatus.DEGRADED,
                deferred(
                    "errors rising on %(device)s: %(errors)s since the previous poll",
                    device=sa.device.name,
                    errors=sample.d_errors,
                ),
                True,
                sas,
            )
    one_way = _one_way(a, live_a, b, live_b, latest)
    if one_way:
        return _verdict(TunnelStatus.DEGRADED, one_way, True, sas, one_way=True)
    return Verdict(TunnelStatus.UP, "", True, sas)


def _one_way(
    a: Device, live_a: list[IpsecSa], b: Device, live_b: list[IpsecSa], latest: dict[int, CounterSample]
) -> StoredText | None:
    def moved(sas: list[IpsecSa]) -> tuple[int, int] | None:
        samples = [latest[sa.pk] for sa in sas if sa.pk in latest and latest[sa.pk].interval_seconds > 0]
        if not samples:
            return None
        return sum(s.d_encaps for s in samples), sum(s.d_decaps for s in samples)

    da, db = moved(live_a), moved(live_b)
    for (end, d), (peer, pd) in (((a, da), (b, db)), ((b, db), (a, da))):
        if d is None:
            continue
        sent, received = d
        if sent > 0 and received == 0 and (pd is None or pd[0] == 0):
            return deferred(
                "one-way traffic: %(device)s sends (%(sent)s packets) but receives nothing from %(peer)s",
                device=end.name,
                sent=sent,
                peer=peer.name,
            )
    return None


def _discovered_name(a: Device, b: Device) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]", "_", f"{a.name}--{b.name}")[:120]
    name, n = base, 2
    while Tunnel.objects.filter(name=name).exists():
        name = f"{base}-{n}"
        n += 1
    return name


def discover_tunnels(device_ids: list[int] | None = None) -> list[Tunnel]:
    """Create a discovered Tunnel for every pair of devices whose live SAs mirror and have none yet.

    With device_ids, only pairs involving those devices are looked for (what one poll can change).
    """
    live_all = IpsecSa.objects.filter(active=True, outbound_spi__isnull=False)
    if device_ids is None:
        live = list(live_all)
        peers = live
    else:
        live = list(live_all.filter(device_id__in=device_ids))
        peers = list(live_all.filter(inbound_spi__in=[sa.outbound_spi for sa in live]))
    by_inbound: dict[int, list[IpsecSa]] = {}
    for sa in peers:
        for spi in _all_spis(sa, "inbound"):
            by_inbound.setdefault(spi, []).append(sa)
    pairs: set[tuple[int, int]] = set()
    for sa in live:
        for other in by_inbound.get(sa.outbound_spi or 0, []):
            if other.device_id != sa.device_id and spis_mirror(sa, other):
                pairs.add((min(sa.device_id, other.device_id), max(sa.device_id, other.device_id)))
    created: list[Tunnel] = []
    for low, high in sorted(pairs):
        if Tunnel.objects.between(low, high).exists():
            continue
        a, b = Device.objects.get(pk=low), Device.objects.get(pk=high)
        created.append(Tunnel.objects.create(name=_discovered_name(a, b), end_a=a, end_b=b, discovered=True))
    return created


def correlate_tunnels(
    devices: Iterable[Device] | None = None, *, device_ids: Iterable[int] | None = None
) -> list[Tunnel]:
    """Pair ends, discover unnamed tunnels, and update every tunnel's status (or those of `devices`,
    or of the devices whose ids are `device_ids`).

    1. Discover: device pairs with mirrored live SPIs and no tunnel get a `discovered` Tunnel.
    2. Judge each tunnel from both ends' state (see module docstring) and link its IpsecSa rows.
    3. Record status, reason, spi_mirror_ok and, when the status changed, status_changed_at.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = [d.pk for d in devices] if devices is not None else None
        if device_ids is not None:
            ids = [*(ids or []), *device_ids]
        discover_tunnels(ids)
        tunnels = Tunnel.objects.select_related("end_a", "end_b")
        if ids is not None:
            tunnels = tunnels.touching(id__in=ids)
        tunnels = tunnels.select_for_update(of=("self",)) if _postgres() else tunnels
        tunnel_list = list(tunnels)
        end_ids = {t.end_a_id for t in tunnel_list} | {t.end_b_id for t in tunnel_list}
        states = {
            s.device_id: s
            for s in DeviceState.objects.filter(device_id__in=end_ids).select_related("last_poll")
        }
        sas_by_device: dict[int, list[IpsecSa]] = {}
        for sa in IpsecSa.objects.filter(device_id__in=end_ids).select_related("device"):
            sas_by_device.setdefault(sa.device_id, []).append(sa)
        ike_by_device: dict[int, list[IkeSa]] = {}
        for ike in IkeSa.objects.filter(device_id__in=end_ids, active=True):
            ike_by_device.setdefault(ike.device_id, []).append(ike)
        # One query for every tunnel's newest samples instead of one per tunnel.
        latest = CounterSample.objects.newest_by_sa(
            sa.pk for sas in sas_by_device.values() for sa in sas if sa.active
        )
        for tunnel in tunnel_list:
            verdict = judge(tunnel, states, sas_by_device, ike_by_device, latest)
            before = _recorded(tunnel)
            if verdict.status != TunnelStatus.UNKNOWN:
                tunnel.one_way_polls = tunnel.one_way_polls + 1 if verdict.one_way else 0
            previous, since = tunnel.status, tunnel.status_changed_at
            changed = verdict.status != tunnel.status or tunnel.status_changed_at is None
            if changed:
                tunnel.status_changed_at = now
            tunnel.status = verdict.status
            tunnel.status_reason = verdict.reason[:500]
            tunnel.status_reason_text = verdict.text or {}
            if changed:  # every change is a row with its time and reason (docs/syslog.md)
                record_status_change(tunnel, previous if since else "", since, now)
            if verdict.status != TunnelStatus.UNKNOWN:
                tunnel.spi_mirror_ok = verdict.spi_mirror_ok
            if _recorded(tunnel) != before:  # a steady tunnel's row is left as it is
                tunnel.save(update_fields=list(_RECORDED))
            ids = [sa.pk for sa in verdict.sas if sa.tunnel_id != tunnel.pk]
            if ids:
                IpsecSa.objects.filter(pk__in=ids).exclude(tunnel=tunnel).update(tunnel=tunnel)
    return tunnel_list


_RECORDED = (
    "status",
    "status_reason",
    "status_reason_text",
    "status_changed_at",
    "spi_mirror_ok",
    "one_way_polls",
)


def _recorded(tunnel: Tunnel) -> tuple[object, ...]:
    return tuple(getattr(tunnel, name) for name in _RECORDED)
