"""The simulator in a child process, driven through its control file (for tests that need isolation)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from .faults import ONE_SHOT

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 120
ACK_TIMEOUT_S = 10


class SubprocessHandle:
    """A simulator running as `python -m simulator`; faults go through `control.yaml`."""

    def __init__(self, proc: subprocess.Popen[bytes], state_dir: Path, ports: dict[str, Any]) -> None:
        self.proc = proc
        self.state_dir = state_dir
        self.ports: dict[str, int] = ports["ssh"]
        self.telnet_ports: dict[str, int] = ports["telnet"]
        self._faults: dict[str, dict[str, dict[str, Any]]] = {}
        self._seq = 0

    def port(self, name: str) -> int:
        """The device's SSH port."""
        return self.ports[name]

    def telnet_port(self, name: str) -> int:
        """The device's telnet port."""
        return self.telnet_ports[name]

    def _send(self, advance: float = 0.0) -> None:
        self._seq += 1
        control = self.state_dir / "control.yaml"
        tmp = control.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump({"seq": self._seq, "faults": self._faults, "advance": advance}))
        tmp.replace(control)
        ack = self.state_dir / "control.ack"
        deadline = time.monotonic() + ACK_TIMEOUT_S
        while time.monotonic() < deadline:
            # The acknowledgement file may not exist yet, or be caught half-written.
            with contextlib.suppress(FileNotFoundError, ValueError):
                if int(ack.read_text() or 0) >= self._seq:
                    return
            if self.proc.poll() is not None:
                raise RuntimeError(f"simulator exited with {self.proc.returncode}")
            time.sleep(0.05)
        raise TimeoutError("the simulator did not acknowledge its control file")

    def set_fault(self, name: str, fault: str, **params: Any) -> None:
        """Switch a fault on (acknowledged before returning)."""
        self._faults.setdefault(name, {})[fault] = params
        self._send()
        if fault in ONE_SHOT:
            self._faults[name].pop(fault, None)

    def clear_fault(self, name: str, fault: str | None = None) -> None:
        """Switch a fault (or all of the device's) off."""
        if fault is None:
            self._faults[name] = {}
        else:
            self._faults.setdefault(name, {}).pop(fault, None)
        self._send()

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward."""
        self._send(advance=seconds)

    def received_lines(self, name: str) -> list[str]:
        """Every line the device received."""
        path = self.state_dir / "logs" / f"{name}.log"
        return path.read_text().splitlines() if path.exists() else []

    def stop(self) -> None:
        """SIGTERM, then wait (kill after 15 s)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> SubprocessHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_subprocess(
    scenario: str | Path | dict[str, Any] | None = None,
    *,
    base_port: int = 0,
    state_dir: str | Path | None = None,
    keep_state: bool = False,
    reset: bool = False,
    syslog: str | None = None,
) -> SubprocessHandle:
    """Start `python -m simulator` (base_port 0: free ports) and wait until it listens.

    `keep_state` and `reset` are `--keep-state` and `--reset` (simulator/persist.py); with `syslog`
    (HOST:PORT) its devices send their syslog there.
    """
    state = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="vpnportal-sim-"))
    state.mkdir(parents=True, exist_ok=True)
    args = [
        sys.executable,
        "-m",
        "simulator",
        "--base-port",
        str(base_port),
        "--state-dir",
        str(state),
    ]
    args += ["--keep-state"] if keep_state else []
    args += ["--reset"] if reset else []
    if syslog:
        args += ["--syslog", syslog]
    if isinstance(scenario, dict):
        path = state / "scenario.yaml"
        path.write_text(yaml.safe_dump(scenario))
        args += ["--scenario", str(path)]
    elif scenario is not None:
        args += ["--scenario", str(scenario)]
    ready = state / "ready.json"
    ready.unlink(missing_ok=True)
    for stale in ("control.yaml", "control.ack"):
        (state / stale).unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    log = open(state / "simulator.out", "ab")  # noqa: SIM115 - the child writes to it for its lifetime
    proc = subprocess.Popen([*args, "--ready-file", str(ready)], cwd=ROOT, env=env, stdout=log, stderr=log)
    log.close()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready.exists():
        if proc.poll() is not None:
            raise RuntimeError(f"simulator exited with {proc.returncode}; see {state / 'simulator.out'}")
        if time.monotonic() > deadline:
            proc.kill()
            raise TimeoutError("simulator did not start")
        time.sleep(0.05)
    return SubprocessHandle(proc, state, json.loads(ready.read_text()))
