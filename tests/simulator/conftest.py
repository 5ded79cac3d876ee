"""Simulators for the tests: a fresh one per test (fast: host and CA keys are shared per session)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator import SimulatorHandle, run_in_thread
from tests.services import simulator_state_dir

from .helpers import modern_scenario, seed_scenario


@pytest.fixture
def seed_sim(key_cache: Path, tmp_path: Path) -> Iterator[SimulatorHandle]:
    """The seed's 1720-1 and pix520-1, clock frozen at Jan 11 2002 01:06:41.786 PST."""
    handle = run_in_thread(seed_scenario(), state_dir=simulator_state_dir(key_cache, tmp_path))
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def modern_sim(key_cache: Path, tmp_path: Path) -> Iterator[SimulatorHandle]:
    """csr-1 (IOS-XE) and asa-1/asa-2 (ASA 9), clock frozen."""
    handle = run_in_thread(modern_scenario(), state_dir=simulator_state_dir(key_cache, tmp_path))
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def fresh_state(tmp_path: Path) -> Iterator[Path]:
    """A state folder of its own (for host-key tests)."""
    path = tmp_path / "own-state"
    yield path
    shutil.rmtree(path, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The legacy personas use SHA-1 DH group 1 on purpose; keep its deprecation notice out of reports."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.filterwarnings("ignore:Diffie-Hellman over finite fields"))
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning:paramiko"))
