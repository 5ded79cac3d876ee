"""Fixtures of the stored-findings tests: simulators on free ports, imported, with short timeouts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from devices.inventory import import_inventory
from devices.models import Device
from simulator import SimulatorHandle, run_in_thread
from tests.services import simulator_state_dir

# Every fault of the guide on its own modern device, next to a healthy IOS-XE pair.
FAULTS_SCENARIO: dict[str, Any] = {
    "clock": {"start": "now", "speed": 1.0},
    "validity": {"cert_age_days": 30, "cert_days_left": 335, "crl_age_hours": 1, "crl_hours_left": 23},
    "defaults": {"enroll_delay": 2},
    "devices": [
        {"name": "csr-1", "persona": "ios15"},
        {"name": "csr-2", "persona": "ios15"},
        {"name": "clock-1", "persona": "ios15", "faults": ["clock_1993"]},
        {"name": "nocrl-1", "persona": "asa9", "faults": ["crl_missing"]},
        {"name": "ident-1", "persona": "asa9", "faults": ["identity_address"]},
        {"name": "stuck-1", "persona": "ios15", "enrolled": False, "faults": ["enroll_stuck"]},
    ],
    "tunnels": [{"name": "csr1-csr2", "ends": ["csr-1", "csr-2"]}],
}


@pytest.fixture
def quick(settings: Any, tmp_path: Path) -> None:
    """Short timeouts, a known-hosts file of this test only."""
    settings.VPNPORTAL_KNOWN_HOSTS = tmp_path / "known_hosts"
    settings.SSH_CONNECT_TIMEOUT = 5
    settings.SSH_COMMAND_TIMEOUT = 8
    settings.ENROLLMENT_CHECK_SECONDS = 1
    settings.ENROLLMENT_DEADLINE_SECONDS = 20


def _start(scenario: dict[str, Any] | None, key_cache: Path, tmp_path: Path) -> SimulatorHandle:
    return run_in_thread(scenario, base_port=0, state_dir=simulator_state_dir(key_cache, tmp_path))


@pytest.fixture
def seed_network(quick: None, key_cache: Path, tmp_path: Path) -> Iterator[dict[str, Device]]:
    """The seed pair (1720-1, pix520-1) on free ports, imported; the handle stops after the test."""
    handle = _start(None, key_cache, tmp_path)
    try:
        import_inventory(yaml.safe_dump(handle.inventory(), sort_keys=False))
        yield {d.name: d for d in Device.objects.all()}
    finally:
        handle.stop()


@pytest.fixture
def fault_network(quick: None, key_cache: Path, tmp_path: Path) -> Iterator[SimulatorHandle]:
    """FAULTS_SCENARIO on free ports, imported."""
    handle = _start(FAULTS_SCENARIO, key_cache, tmp_path)
    try:
        import_inventory(yaml.safe_dump(handle.inventory(), sort_keys=False))
        yield handle
    finally:
        handle.stop()
