"""Fixtures of the enrollment tests: all four personas on free ports, imported, with short timeouts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from devices.inventory import import_inventory
from devices.models import Device
from pki.models import Trustpoint
from simulator import SimulatorHandle, run_in_thread
from tests.services import four_personas_scenario as scenario
from tests.services import simulator_state_dir
from vpnportal.celery import app

# One device per platform dialogue: IOS 12.2, PIX 6, IOS-XE, ASA 9, and the trustpoint each reports.
TRUSTPOINTS = {"1720-1": "vpn", "pix520-1": "cisco", "csr-1": "SIMCA", "asa-1": "SIMCA"}
CHALLENGE = "Ch4llenge-2002!x"


@pytest.fixture
def sim(key_cache: Path, tmp_path: Path) -> Iterator[SimulatorHandle]:
    """The four personas on free ports of 127.0.0.1 (stopped after the test)."""
    handle = run_in_thread(scenario(), state_dir=simulator_state_dir(key_cache, tmp_path))
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def quick(settings: Any, tmp_path: Path) -> None:
    """Short timeouts and checks, a known-hosts file of this test, no broker needed."""
    settings.VPNPORTAL_KNOWN_HOSTS = tmp_path / "known_hosts"
    settings.SSH_CONNECT_TIMEOUT = 5
    settings.SSH_COMMAND_TIMEOUT = 5
    settings.ENROLLMENT_CHECK_SECONDS = 1
    settings.ENROLLMENT_DEADLINE_SECONDS = 60


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Enrollment ids that would have been sent to the broker (tests run them themselves)."""
    ids: list[int] = []
    monkeypatch.setattr("pki.enrollment_requests.enqueue_enrollment", ids.append)
    return ids


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """CELERY_TASK_ALWAYS_EAGER for one test: a task the code queues runs at once in this process.

    So the poll an enrollment queues after its grant runs as a worker would run it, once the enrollment's
    transaction commits: at once under `django_db(transaction=True)`, else when a
    `django_capture_on_commit_callbacks(execute=True)` block ends.
    """
    conf = app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager = conf.task_eager_propagates = True
    try:
        yield
    finally:
        conf.task_always_eager, conf.task_eager_propagates = saved


@pytest.fixture
def devices(sim: SimulatorHandle, quick: None) -> dict[str, Device]:
    """The simulated devices in the inventory, each with the trustpoint it reports."""
    import_inventory(yaml.safe_dump(sim.inventory(), sort_keys=False))
    found = {d.name: d for d in Device.objects.all()}
    for name, trustpoint in TRUSTPOINTS.items():
        Trustpoint.objects.get_or_create(device=found[name], name=trustpoint)
    return found


def sent_lines(sim: SimulatorHandle, name: str) -> list[str]:
    """What the device received after login: `<kind>: <line>` without the time and session."""
    lines = []
    for raw in sim.received_lines(name):
        rest = raw.split(" ", 2)[2] if raw.count(" ") >= 2 else raw
        lines.append(rest)
    return lines
