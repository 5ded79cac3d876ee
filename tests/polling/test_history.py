"""Counter history: reset-aware deltas (reboot, rekey), rollups, pruning and downsampled series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from devices.fleet import run_poll_cycle
from devices.history import counter_series, delta, record_samples, rollup_history
from devices.models import CounterRollup, CounterSample, Device, IpsecSa, Tunnel
from simulator import SimulatorHandle


def make_sa(name: str = "r1") -> IpsecSa:
    device = Device.objects.create(name=name, host="127.0.0.1", platform="cisco_ios", username="u")
    return IpsecSa.objects.create(
        device=device, local_ident="1.1.1.0/255.255.255.0/0/0", remote_ident="2.2.2.0/255.255.255.0/0/0"
    )


def sample(
    sa: IpsecSa, at: datetime, encaps: int, decaps: int, spi: int = 0x1000, errors: int = 0
) -> CounterSample:
    sa.inbound_spi, sa.outbound_spi = spi, spi + 1
    counters = {"pkts_encaps": encaps, "pkts_decaps": decaps, "send_errors": errors, "recv_errors": 0}
    return record_samples(None, [(sa, counters)], at)[0]


def test_it_counts_growth_and_treats_a_drop_as_a_reset() -> None:
    assert delta(150, 100) == 50
    assert delta(7, 100) == 7  # rebooted: the 7 packets since the reboot


@pytest.mark.django_db
def test_it_stores_deltas_against_the_previous_sample() -> None:
    sa = make_sa()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    first = sample(sa, t0, 100, 90)
    assert (first.d_encaps, first.interval_seconds, first.reset) == (0, 0, False)
    second = sample(sa, t0 + timedelta(seconds=300), 400, 390)
    assert (second.d_encaps, second.d_decaps, second.interval_seconds, second.reset) == (
        300,
        300,
        300.0,
        False,
    )


@pytest.mark.django_db
def test_it_never_goes_negative_after_a_reboot() -> None:
    sa = make_sa()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    sample(sa, t0, 1_000_000, 1_000_000, errors=50)
    after = sample(sa, t0 + timedelta(seconds=300), 120, 110, spi=0x2000, errors=0)
    assert after.reset is True
    assert (after.d_encaps, after.d_decaps, after.d_errors) == (120, 110, 0)


@pytest.mark.django_db
def test_it_does_not_spike_on_a_rekey_whose_counters_keep_growing() -> None:
    sa = make_sa()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    sample(sa, t0, 1000, 1000)
    rekeyed = sample(sa, t0 + timedelta(seconds=300), 1300, 1300, spi=0x3000)
    assert rekeyed.reset is True
    assert rekeyed.d_encaps == 300  # not 1300


@pytest.mark.django_db
def test_it_rolls_up_hours_and_days_idempotently_and_prunes(settings: object) -> None:
    sa = make_sa()
    now = timezone.now().replace(minute=30, second=0, microsecond=0)
    start = now - timedelta(hours=5)
    for i in range(60):  # every 5 minutes for 5 hours, 10 packets each time
        sample(sa, start + timedelta(minutes=5 * i), 10 * i, 10 * i)
    first = rollup_history(now)
    hours = list(CounterRollup.objects.filter(period="hour").order_by("bucket"))
    assert first.hourly == len(hours) >= 4
    assert sum(h.d_encaps for h in hours) == sum(
        s.d_encaps for s in CounterSample.objects.filter(at__lt=now.replace(minute=0))
    )
    rollup_history(now)
    assert [
        (h.bucket, h.d_encaps) for h in CounterRollup.objects.filter(period="hour").order_by("bucket")
    ] == [(h.bucket, h.d_encaps) for h in hours]
    # Eight days later the raw samples are gone, the hourly rows remain.
    later = rollup_history(now + timedelta(days=8))
    assert later.pruned_samples == 60
    assert CounterRollup.objects.filter(period="hour").count() == len(hours)
    assert CounterRollup.objects.filter(period="day").exists()


@pytest.mark.django_db
def test_it_downsamples_a_series_to_at_most_1000_points() -> None:
    sa = make_sa()
    until = timezone.now()
    since = until - timedelta(days=2)
    rows = []
    for i in range(5760):
        at = since + timedelta(seconds=30 * i + 15)
        rows.append(
            CounterSample(
                ipsec_sa=sa, at=at, pkts_encaps=60 * i, d_encaps=60, d_decaps=30, interval_seconds=30
            )
        )
    CounterSample.objects.bulk_create(rows)
    series = counter_series(sa, "encaps", since, until)
    assert 0 < len(series) <= 1000
    assert all(p["rate"] == pytest.approx(2.0) for p in series)
    assert series[-1]["counter"] == 60 * 5759
    decaps = counter_series(sa, "decaps", since, until, max_points=10)
    assert len(decaps) == 10 and all(p["rate"] == pytest.approx(1.0) for p in decaps)
    with pytest.raises(ValueError, match="unknown metric"):
        counter_series(sa, "bytes", since, until)


@pytest.mark.django_db
def test_it_gives_a_tunnel_series_from_its_first_end() -> None:
    sa = make_sa("a")
    peer = Device.objects.create(name="b", host="127.0.0.2", platform="cisco_pix", username="u")
    tunnel = Tunnel.objects.create(name="t", end_a=sa.device, end_b=peer)
    IpsecSa.objects.filter(pk=sa.pk).update(tunnel=tunnel)
    t0 = timezone.now() - timedelta(hours=1)
    sample(sa, t0, 0, 0)
    sample(sa, t0 + timedelta(seconds=100), 500, 0)
    series = counter_series(tunnel, "encaps", t0 - timedelta(seconds=1))
    assert sum(p["delta"] for p in series) == 500


@pytest.mark.django_db(transaction=True)
@pytest.mark.integration
def test_it_keeps_rates_sane_through_a_reboot_and_a_rekey(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    # Simulated seconds before each poll: a reboot before the third, 3600 s (past the SA lifetime,
    # so a rekey with new SPIs) before the fourth.
    advanced = [0, 300, 300, 3600, 300]
    for i, seconds in enumerate(advanced):
        if i == 2:
            sim.reboot("pix520-1")  # counters and SAs start again, new SPIs on both ends
        sim.advance(seconds)
        run_poll_cycle(alerts=False)
    resets = 0
    for sa in IpsecSa.objects.all():
        samples = list(CounterSample.objects.filter(ipsec_sa=sa).order_by("at"))
        assert len(samples) == len(advanced), sa
        for s, seconds in zip(samples, advanced, strict=True):
            resets += s.reset
            assert s.d_encaps >= 0 and s.d_decaps >= 0 and s.d_errors >= 0
            # The seed tunnel carries 1 packet/s each way: a delta is bounded by the time that passed.
            assert s.d_encaps <= 1.5 * seconds + 10, (sa, s.d_encaps, seconds)
            assert s.d_decaps <= 1.5 * seconds + 10, (sa, s.d_decaps, seconds)
    assert resets >= 2


@pytest.mark.django_db
def test_it_prunes_old_polls_and_unused_raw_outputs_but_keeps_the_last_ones() -> None:
    from devices.history import prune_polls
    from devices.models import DeviceState, Poll, PollOutput, RawOutput

    device = make_device_only()
    old = timezone.now() - timedelta(days=10)
    raw = RawOutput.objects.create(sha256="a" * 64, size=1, content=b"x")
    RawOutput.objects.filter(pk=raw.pk).update(created_at=old)
    polls = [
        Poll.objects.create(device=device, slot=old + timedelta(minutes=i), started_at=old) for i in range(3)
    ]
    for poll in polls:
        PollOutput.objects.create(poll=poll, command="show clock", raw=raw)
    DeviceState.objects.create(device=device, last_poll=polls[-1], last_ok_poll=polls[-1])
    assert prune_polls(timezone.now() - timedelta(days=7)) == (2, 0)  # the raw output is still used
    assert list(Poll.objects.values_list("pk", flat=True)) == [polls[-1].pk]
    DeviceState.objects.all().delete()
    assert prune_polls(timezone.now() - timedelta(days=7)) == (1, 1)


def make_device_only() -> Device:
    return Device.objects.create(name="p1", host="127.0.0.1", platform="cisco_ios", username="u")
