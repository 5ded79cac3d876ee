"""Tunnel and SA rules: down, idle is not down, one-way traffic, errors rising, SPI mismatch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devices.choices import PollStatus, TunnelStatus
from tests.alerts.factories import make_device, make_sa, make_tunnel, poll, sample
from tests.alerts.helpers import ctx
from vpnportal.alerting import tunnel_rules
from vpnportal.choices import AlertKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def ends() -> tuple:  # type: ignore[type-arg]
    return make_device("1720-1"), make_device("pix520-1", platform="cisco_pix")


def test_it_reports_a_tunnel_down_when_both_ends_answered(ends: tuple) -> None:  # type: ignore[type-arg]
    a, b = ends
    tunnel = make_tunnel(a, b, status=TunnelStatus.DOWN, status_reason="no IKE SA on either end")
    pa, pb = poll(a), poll(b)
    (cand,) = tunnel_rules.tunnel_down(ctx())
    assert cand.key == "tunnel_down::hq-branch"
    assert cand.tunnel == tunnel
    assert cand.observed == f"{pa.pk}:{pb.pk}"
    assert "no IKE SA" in cand.summary


def test_it_takes_the_per_tunnel_pending_polls(ends: tuple) -> None:  # type: ignore[type-arg]
    a, b = ends
    make_tunnel(a, b, status=TunnelStatus.DOWN, down_after_polls=4)
    poll(a), poll(b)
    (cand,) = tunnel_rules.tunnel_down(ctx())
    assert cand.needs == 4


def test_it_does_not_call_an_idle_tunnel_with_sas_down(ends: tuple) -> None:  # type: ignore[type-arg]
    a, b = ends
    # Even if correlation were to say "down", SAs on both ends mean established-but-idle.
    tunnel = make_tunnel(a, b, status=TunnelStatus.DOWN)
    pa, pb = poll(a), poll(b)
    sa_a = make_sa(a, tunnel, inbound=0xD740971C, outbound=0x3803A0C1)
    sa_b = make_sa(b, tunnel, inbound=0x3803A0C1, outbound=0xD740971C)
    sample(sa_a, pa, d_encaps=0, d_decaps=0)
    sample(sa_b, pb, d_encaps=0, d_decaps=0)
    assert tunnel_rules.tunnel_down(ctx()) == []
    assert tunnel_rules.tunnel_one_way(ctx()) == []


def test_it_does_not_report_a_tunnel_down_when_an_end_did_not_answer(ends: tuple) -> None:  # type: ignore[type-arg]
    a, b = ends
    make_tunnel(a, b, status=TunnelStatus.DOWN)
    poll(a)
    poll(b, status=PollStatus.FAILED, reason="timeout")
    assert tunnel_rules.tunnel_down(ctx()) == []


def test_it_reports_one_way_traffic_from_counter_deltas(ends: tuple) -> None:  # type: ignore[type-arg]
    a, b = ends
    tunnel = make_tunnel(a, b)
    pa, pb = poll(a), poll(b)
    sa_a = make_sa(a, tunnel, inbound=1, outbound=2)
    sa_b = make_sa(b, tunnel, inbound=2, outbound=1)
    sample(sa_a, pa, d_encaps=120, d_decaps=0)
    sample(sa_b, pb, d_encaps=0, d_decaps=0)
    (cand,) = tunnel_rules.tunnel_one_way(ctx())
    assert cand.kind == AlertKind.TUNNEL_ONE_WAY
    assert cand.details["directions"] == [{"from": "1720-1", "to": "pix520-1", "encaps": 120}]
    assert "1720-1 encrypts, pix520-1 decrypts nothing" in cand.summary


def test_it_ignores_samples_older_than_the_latest_poll(ends: tuple) -> None:  # type: ignore[type-arg]
    a, b = ends
    tunnel = make_tunnel(a, b)
    old = poll(a, at=timezone.now() - timedelta(minutes=5))
    pb = poll(b)
    sa_a = make_sa(a, tunnel, inbound=1, outbound=2)
    sa_b = make_sa(b, tunnel, inbound=2, outbound=1)
    sample(sa_a, old, d_encaps=120, d_decaps=0)
    poll(a)  # a newer poll of `a` without a sample for this SA
    sample(sa_b, pb, d_encaps=0, d_decaps=0)
    assert tunnel_rules.tunnel_one_way(ctx()) == []


def test_it_reports_errors_rising_between_polls_but_not_after_a_reset(ends: tuple) -> None:  # type: ignore[type-arg]
    a, b = ends
    tunnel = make_tunnel(a, b)
    pa, pb = poll(a), poll(b)
    sample(make_sa(a, tunnel, inbound=1, outbound=2), pa, d_errors=7)
    sample(make_sa(b, tunnel, inbound=2, outbound=1), pb, d_errors=3, reset=True)
    (cand,) = tunnel_rules.sa_errors(ctx())
    assert cand.device == a
    assert cand.subject == "1.1.1.0/255.255.255.0/0/0 <-> 192.168.4.0/255.255.255.0/0/0"
    assert cand.details["new_errors"] == 7
    assert "7 new SA errors" in cand.summary


def test_it_reports_spis_that_do_not_mirror(ends: tuple) -> None:  # type: ignore[type-arg]
    a, b = ends
    make_tunnel(a, b, spi_mirror_ok=False, status=TunnelStatus.DEGRADED)
    make_tunnel(a, b, name="unknown-mirror", spi_mirror_ok=None)
    poll(a), poll(b)
    (cand,) = tunnel_rules.spi_mismatch(ctx())
    assert cand.subject == "hq-branch"
