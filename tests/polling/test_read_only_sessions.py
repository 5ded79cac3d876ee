"""A poll never enters configuration mode: every persona, over SSH and telnet, from the device's own log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.choices import PollStatus, Transport
from devices.inventory import import_inventory
from devices.models import Device, Poll, PollOutput
from devices.poll import poll_device
from simulator import SimulatorHandle, run_in_thread
from tests.services import simulator_state_dir

from .conftest import inventory_text, sent_commands

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

# One device of each persona, each also reachable over telnet.
SCENARIO = {
    "clock": {"start": "now", "speed": 1.0},
    "devices": [
        {"name": "1720-1", "persona": "seed-router", "telnet": True},
        {"name": "pix520-1", "persona": "seed-pix", "telnet": True},
        {"name": "csr-1", "persona": "ios15", "telnet": True},
        {"name": "asa-1", "persona": "asa9", "telnet": True},
    ],
    "tunnels": [],
}
NAMES = [d["name"] for d in SCENARIO["devices"]]  # type: ignore[index]


@pytest.fixture
def personas(key_cache: Path, tmp_path: Path, known_hosts: Path) -> Iterator[SimulatorHandle]:
    """Every persona the simulator has, imported into the inventory."""
    handle = run_in_thread(SCENARIO, state_dir=simulator_state_dir(key_cache, tmp_path))
    try:
        import_inventory(inventory_text(handle))
        yield handle
    finally:
        handle.stop()


def _configuration_lines(handle: SimulatorHandle, name: str) -> list[str]:
    # `conf t`, `config terminal`, `configure terminal`: any abbreviation IOS, PIX and ASA accept.
    return [line for line in sent_commands(handle, name) if line.strip().lower().startswith("conf")]


@pytest.mark.parametrize("transport", [Transport.SSH, Transport.TELNET])
@pytest.mark.parametrize("name", NAMES)
def test_a_poll_never_enters_configuration_mode(personas: SimulatorHandle, name: str, transport: str) -> None:
    device = Device.objects.get(name=name)
    if transport == Transport.TELNET:
        Device.objects.filter(pk=device.pk).update(transport=transport, port=personas.telnet_port(name))
    poll = poll_device(device.pk)
    assert poll is not None
    poll = Poll.objects.get(pk=poll.pk)
    # `ok` means every output came back whole: paging was off without configuration mode.
    assert poll.status == PollStatus.OK, poll.reason
    assert not [o.error for o in PollOutput.objects.filter(poll=poll) if o.error]
    assert sent_commands(personas, name), "the simulator logged nothing"
    assert _configuration_lines(personas, name) == []
    if name != "pix520-1":  # PIX 6 has no terminal width; IOS and ASA take it in EXEC mode
        assert "terminal width 511" in sent_commands(personas, name)
