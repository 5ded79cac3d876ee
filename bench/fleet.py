"""Start the SSH simulator with a fleet of IOS-XE / ASA 9 pairs in a child process, and its inventory, for the benchmarks."""

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


def fleet_inventory(scenario: Path, ports: dict[str, int], devices: int) -> dict[str, Any]:
    """The inventory document of the simulated fleet's first `devices` devices, at their live ports."""
    from simulator import Simulator

    doc = Simulator(scenario, base_port=0, state_dir=scenario.parent / "inventory-only").inventory()
    doc["devices"] = doc["devices"][:devices]
    names = {d["name"] for d in doc["devices"]}
    for d in doc["devices"]:
        d["port"] = ports[d["name"]]
        # Keys of this scratch copy differ from the running simulator's: pin on first contact instead.
        d.pop("host_key", None)
    doc["tunnels"] = [t for t in doc["tunnels"] if set(t["ends"]) <= names]
    return doc


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Terminate a child the bench started, killing it if it does not stop in time."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
