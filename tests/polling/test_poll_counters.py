"""/metrics' poll counters only grow: pruned history never lowers them, an abandoned poll counts once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from devices.choices import PollStatus
from devices.fleet import run_poll_cycle
from devices.history import prune_polls
from devices.models import Device, DeviceState, Poll
from devices.tasks import finish_abandoned_polls
from simulator import SimulatorHandle

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def scrape() -> str:
    with override_settings(METRICS_TOKEN="scrape-me"):
        return Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").content.decode()


def counters(name: str) -> tuple[int, int]:
    state = DeviceState.objects.get(device__name=name)
    return state.polls_total, state.poll_failures_total


def test_poll_counters_survive_pruning(
    sim: SimulatorHandle, seed: dict[str, Device], fast_timeouts: None
) -> None:
    run_poll_cycle(alerts=False)
    sim.set_fault("1720-1", "refuse")
    run_poll_cycle(["1720-1"], alerts=False)
    sim.clear_fault("1720-1")
    run_poll_cycle(["1720-1"], alerts=False)
    assert counters("1720-1") == (3, 1)
    assert counters("pix520-1") == (1, 0)

    # A week later the history is pruned down to the latest poll: the counters must not drop, or a
    # Prometheus rate() would read the drop as a reset and the whole count as new failures.
    deleted, _ = prune_polls(timezone.now() + timedelta(days=1))
    assert deleted == 2 and Poll.objects.filter(device__name="1720-1").count() == 1
    text = scrape()
    assert 'vpnportal_polls_total{device="1720-1"} 3' in text
    assert 'vpnportal_poll_failures_total{device="1720-1"} 1' in text
    assert 'vpnportal_poll_failures_total{device="pix520-1"} 0' in text


def test_an_abandoned_poll_is_counted_once(seed: dict[str, Device], settings) -> None:
    device = seed["1720-1"]
    DeviceState.objects.create(device=device)
    settings.POLL_LEASE_SECONDS = 60
    long_ago = timezone.now() - timedelta(minutes=10)
    Poll.objects.create(device=device, slot=long_ago, status=PollStatus.RUNNING, started_at=long_ago)
    assert finish_abandoned_polls() == 1
    assert finish_abandoned_polls() == 0  # the next sweep finds nothing to count again
    assert counters("1720-1") == (1, 1)
    assert Poll.objects.get(device=device).reason.startswith("abandoned")
