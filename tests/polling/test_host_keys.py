"""Host keys are pinned: first contact writes the product's known-hosts file; a changed key sends nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.choices import PollStatus
from devices.fleet import run_poll_cycle
from devices.inventory import import_inventory
from devices.models import Device, Poll
from devices.sessions import read_known_host
from simulator import SimulatorHandle
from tests.polling.conftest import inventory_text, sent_commands

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


def test_it_pins_the_key_on_first_contact(
    sim: SimulatorHandle, seed: dict[str, Device], known_hosts: Path
) -> None:
    assert not known_hosts.exists()
    run_poll_cycle(["1720-1"], alerts=False)
    device = Device.objects.get(name="1720-1")
    offered = " ".join(sim.host_key("1720-1").split()[:2])
    assert device.host_key == offered and device.host_key_pinned_at is not None
    assert read_known_host("127.0.0.1", sim.port("1720-1"), known_hosts) == offered


def test_it_sends_nothing_when_the_key_changed(sim: SimulatorHandle, seed: dict[str, Device]) -> None:
    run_poll_cycle(["1720-1"], alerts=False)
    sim.set_fault("1720-1", "host_key_changed")
    received = len(sim.received_lines("1720-1"))
    result = run_poll_cycle(alerts=False)
    by_name = {o.device: o for o in result.outcomes}
    assert by_name["1720-1"].status == PollStatus.FAILED
    assert by_name["1720-1"].reason == "host key changed"
    assert by_name["pix520-1"].status == PollStatus.OK
    assert sim.received_lines("1720-1")[received:] == []  # not even a login line
    # The pin is not silently replaced.
    assert Device.objects.get(name="1720-1").host_key != " ".join(sim.host_key("1720-1").split()[:2])


def test_it_uses_the_inventory_key_and_never_accepts_another(sim: SimulatorHandle, known_hosts: Path) -> None:
    import_inventory(inventory_text(sim, **{"1720-1": {"host_key": OTHER_KEY}}))
    run_poll_cycle(["1720-1"], alerts=False)
    poll = Poll.objects.get(device__name="1720-1")
    assert (poll.status, poll.reason) == (PollStatus.FAILED, "host key changed")
    assert not [line for line in sent_commands(sim, "1720-1") if line.startswith("show")]
    assert read_known_host("127.0.0.1", sim.port("1720-1"), known_hosts) == OTHER_KEY


def test_it_connects_with_the_right_key_from_the_inventory(sim: SimulatorHandle, known_hosts: Path) -> None:
    key = " ".join(sim.host_key("1720-1").split()[:2])
    import_inventory(inventory_text(sim, **{"1720-1": {"host_key": key}}))
    run_poll_cycle(["1720-1"], alerts=False)
    assert Poll.objects.get(device__name="1720-1").status == PollStatus.OK
    assert Device.objects.get(name="1720-1").host_key_pinned_at is not None
    assert read_known_host("127.0.0.1", sim.port("1720-1"), known_hosts) == key


def test_it_does_not_fall_back_to_accepting_when_the_file_is_missing(
    sim: SimulatorHandle, seed: dict[str, Device], known_hosts: Path
) -> None:
    run_poll_cycle(["1720-1"], alerts=False)
    known_hosts.unlink()
    sim.set_fault("1720-1", "host_key_changed")
    run_poll_cycle(["1720-1"], alerts=False)
    poll = Poll.objects.filter(device__name="1720-1").order_by("-started_at").first()
    assert poll is not None and poll.reason == "host key changed"
    # The file is written back from the pin, not from what was offered.
    assert (
        read_known_host("127.0.0.1", sim.port("1720-1"), known_hosts)
        == Device.objects.get(name="1720-1").host_key
    )
