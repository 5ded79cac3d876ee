"""Tunnel correlation from stored state: pairing by SPI and idents, discovery, and each status's reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devices.choices import PollStatus, TunnelStatus
from devices.correlate import correlate_tunnels
from devices.models import CounterSample, Device, DeviceState, IkeSa, IpsecSa, Poll, Tunnel

pytestmark = pytest.mark.django_db

A_NET, B_NET = "1.1.1.0/255.255.255.0/0/0", "192.168.4.0/255.255.255.0/0/0"


def device(name: str, ok: bool = True, reason: str = "") -> Device:
    dev = Device.objects.create(name=name, host="127.0.0.1", platform="cisco_ios", username="u")
    poll = Poll.objects.create(
        device=dev, slot=timezone.now(), status=PollStatus.OK if ok else PollStatus.FAILED, reason=reason
    )
    DeviceState.objects.create(device=dev, last_poll=poll, last_ok_poll=poll if ok else None, stale=not ok)
    return dev


def sa(dev: Device, local: str, remote: str, inbound: int | None, outbound: int | None, addr: str) -> IpsecSa:
    sas = {
        "inbound_esp": [{"spi": inbound}] if inbound else [],
        "outbound_esp": [{"spi": outbound}] if outbound else [],
    }
    return IpsecSa.objects.create(
        device=dev,
        local_ident=local,
        remote_ident=remote,
        local_addr=addr,
        inbound_spi=inbound,
        outbound_spi=outbound,
        sas=sas,
        active=bool(inbound or outbound),
    )


def ike(dev: Device) -> None:
    IkeSa.objects.create(device=dev, src="172.16.172.34", dst="172.16.172.39", state="QM_IDLE")


def pair(inbound_b: int = 0x3803A0C1) -> tuple[Device, Device, IpsecSa, IpsecSa]:
    a, b = device("1720-1"), device("pix520-1")
    ike(a)
    ike(b)
    sa_a = sa(a, A_NET, B_NET, 0xD740971C, 0x3803A0C1, "172.16.172.39")
    sa_b = sa(b, B_NET, A_NET, inbound_b, 0xD740971C, "172.16.172.34")
    return a, b, sa_a, sa_b


def test_it_calls_a_mirrored_pair_up_and_links_its_sas() -> None:
    a, b, sa_a, sa_b = pair()
    Tunnel.objects.create(name="hq-branch", end_a=a, end_b=b)
    correlate_tunnels()
    tunnel = Tunnel.objects.get(name="hq-branch")
    assert (tunnel.status, tunnel.spi_mirror_ok, tunnel.status_reason) == (TunnelStatus.UP, True, "")
    assert set(tunnel.ipsec_sas.values_list("pk", flat=True)) == {sa_a.pk, sa_b.pk}


def test_it_discovers_an_unnamed_pair_by_spi() -> None:
    pair()
    correlate_tunnels()
    tunnel = Tunnel.objects.get()
    assert tunnel.discovered is True and tunnel.status == TunnelStatus.UP
    assert {tunnel.end_a.name, tunnel.end_b.name} == {"1720-1", "pix520-1"}
    correlate_tunnels()
    assert Tunnel.objects.count() == 1


def test_it_calls_an_spi_mismatch_degraded() -> None:
    a, b, _, _ = pair(inbound_b=0x11111111)
    Tunnel.objects.create(name="hq-branch", end_a=a, end_b=b)
    correlate_tunnels()
    tunnel = Tunnel.objects.get(name="hq-branch")
    assert (tunnel.status, tunnel.spi_mirror_ok) == (TunnelStatus.DEGRADED, False)
    assert tunnel.status_reason.startswith("SPI mismatch")


def test_it_calls_one_sided_phase_2_degraded() -> None:
    a, b = device("1720-1"), device("pix520-1")
    sa(a, A_NET, B_NET, 0xD740971C, 0x3803A0C1, "172.16.172.39")
    sa(b, B_NET, A_NET, None, None, "172.16.172.34")
    Tunnel.objects.create(name="hq-branch", end_a=a, end_b=b)
    correlate_tunnels()
    tunnel = Tunnel.objects.get(name="hq-branch")
    assert tunnel.status == TunnelStatus.DEGRADED
    assert tunnel.status_reason == "one-sided phase 2: 1720-1 has IPsec SAs, pix520-1 has none"


def test_it_calls_a_configured_tunnel_without_sas_down() -> None:
    a, b = device("1720-1"), device("pix520-1")
    Tunnel.objects.create(name="hq-branch", end_a=a, end_b=b)
    correlate_tunnels()
    assert Tunnel.objects.get(name="hq-branch").status == TunnelStatus.DOWN


def test_it_calls_a_tunnel_with_an_unpolled_end_unknown() -> None:
    a, b = device("1720-1"), device("pix520-1", ok=False, reason="authentication failed")
    Tunnel.objects.create(name="hq-branch", end_a=a, end_b=b)
    correlate_tunnels()
    tunnel = Tunnel.objects.get(name="hq-branch")
    assert tunnel.status == TunnelStatus.UNKNOWN
    assert tunnel.status_reason == "pix520-1 could not be polled: authentication failed"


def test_it_calls_one_way_traffic_degraded_and_counts_the_polls() -> None:
    a, b, sa_a, sa_b = pair()
    Tunnel.objects.create(name="hq-branch", end_a=a, end_b=b)
    now = timezone.now()
    CounterSample.objects.create(ipsec_sa=sa_a, at=now, d_encaps=300, d_decaps=0, interval_seconds=300)
    CounterSample.objects.create(ipsec_sa=sa_b, at=now, d_encaps=0, d_decaps=0, interval_seconds=300)
    correlate_tunnels()
    correlate_tunnels()
    tunnel = Tunnel.objects.get(name="hq-branch")
    assert tunnel.status == TunnelStatus.DEGRADED and tunnel.status_reason.startswith(
        "one-way traffic: 1720-1"
    )
    assert tunnel.one_way_polls == 2


def test_it_keeps_status_changed_at_while_the_status_holds() -> None:
    a, b, _, _ = pair()
    Tunnel.objects.create(name="hq-branch", end_a=a, end_b=b)
    correlate_tunnels()
    first = Tunnel.objects.get(name="hq-branch").status_changed_at
    correlate_tunnels()
    assert Tunnel.objects.get(name="hq-branch").status_changed_at == first
    IkeSa.objects.filter(device=b).update(active=False)
    correlate_tunnels()
    tunnel = Tunnel.objects.get(name="hq-branch")
    assert tunnel.status == TunnelStatus.DEGRADED and tunnel.status_reason == "no IKE SA on pix520-1"
    assert tunnel.status_changed_at is not None and first is not None
    assert tunnel.status_changed_at - first >= timedelta(0)


def test_it_discovers_from_one_polled_device_too() -> None:
    a, _, _, _ = pair()
    correlate_tunnels(devices=[a])
    assert Tunnel.objects.get().discovered is True
