"""Start the SSH simulator with a fleet of IOS-XE / ASA 9 pairs in a child process, for the benchmarks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def start_fleet_simulator(
    devices: int, state_dir: Path, stdout: Any = None
) -> tuple[subprocess.Popen[bytes], dict[str, int], Path]:
    """Serve `devices` simulated devices (in pairs); returns the process, SSH ports by name and the scenario."""
    scenario = state_dir / "fleet.yaml"
    pairs = max(1, (devices + 1) // 2)
    scenario.write_text(
        yaml.safe_dump({"clock": {"start": "now"}, "fleet": {"pairs": pairs, "personas": ["ios15", "asa9"]}})
    )
    ready = state_dir / "ready.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "--scenario",
            str(scenario),
            "--base-port",
            "0",
            "--state-dir",
            str(state_dir),
            "--ready-file",
            str(ready),
        ],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=stdout,
    )
    # 1,000 devices take a while to listen on a loaded 2-core machine (host keys are cached after the first run).
    deadline = time.monotonic() + 300
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("simulator did not start")
        time.sleep(0.1)
    return proc, json.loads(ready.read_text())["ssh"], scenario
