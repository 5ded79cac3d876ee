"""SSH/telnet device simulator: the seed's 1720-1 and pix520-1, modern IOS-XE and ASA 9, fleets, faults."""

from __future__ import annotations

from .process import SubprocessHandle, run_in_subprocess
from .simulator import Simulator, SimulatorHandle, run_forever, run_in_thread

__all__ = [
    "Simulator",
    "SimulatorHandle",
    "SubprocessHandle",
    "run_forever",
    "run_in_subprocess",
    "run_in_thread",
]
