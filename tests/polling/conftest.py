"""Fixtures of the polling tests: the seed simulator on free ports, its inventory, a private known-hosts file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from devices.inventory import import_inventory
from devices.models import Device
from simulator import SimulatorHandle, run_in_thread


@pytest.fixture
def known_hosts(settings: Any, tmp_path: Path) -> Path:
    """A known-hosts file of this test only."""
    path = tmp_path / "known_hosts"
    settings.VPNPORTAL_KNOWN_HOSTS = path
    return path


@pytest.fixture
def fast_timeouts(settings: Any) -> None:
    """Short SSH timeouts so a fault costs seconds, not minutes."""
    settings.SSH_CONNECT_TIMEOUT = 3
    settings.SSH_COMMAND_TIMEOUT = 3


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatorHandle]:
    """The seed network (1720-1 and pix520-1) served over SSH and telnet on free ports of 127.0.0.1."""
    handle = run_in_thread(None, base_port=0, state_dir=tmp_path / "sim")
    try:
        yield handle
    finally:
        handle.stop()


def inventory_text(sim: SimulatorHandle, **overrides: dict[str, Any]) -> str:
    """The simulator's inventory as YAML without host keys (pinned on first contact), with overrides."""
    doc = sim.inventory()
    for device in doc["devices"]:
        device.pop("host_key", None)
        device.update(overrides.get(device["name"], {}))
    return yaml.safe_dump(doc, sort_keys=False)


@pytest.fixture
def seed(sim: SimulatorHandle, known_hosts: Path) -> dict[str, Device]:
    """The seed pair imported into the inventory, by name."""
    import_inventory(inventory_text(sim))
    return {d.name: d for d in Device.objects.all()}


def sent_commands(sim: SimulatorHandle, name: str) -> list[str]:
    """The lines a simulated device received, without the log prefix."""
    return [line.split(": ", 1)[1] for line in sim.received_lines(name) if ": " in line]
