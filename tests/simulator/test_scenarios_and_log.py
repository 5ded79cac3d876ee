"""Scenario files, fleets, the received-lines log and the `simulate` command."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from simulator import SimulatorHandle
from simulator.scenario import load

from .helpers import ROOT, connect

SCENARIOS = ROOT / "simulator" / "scenarios"


@pytest.mark.parametrize("name", ["seed.yaml", "modern.yaml", "fleet.yaml", "faults.yaml", "demo.yaml"])
def test_it_loads_every_example_scenario(name: str) -> None:
    scenario = load(SCENARIOS / name)
    assert scenario.devices and scenario.tunnels
    names = {d.name for d in scenario.devices}
    assert all(t.a in names and t.b in names for t in scenario.tunnels)


def test_it_builds_a_fleet_of_pairs() -> None:
    scenario = load({"fleet": {"pairs": 3, "personas": ["ios15", "asa9"]}})
    assert [d.name for d in scenario.devices] == [f"sim000{i}{s}" for i in (1, 2, 3) for s in "ab"]
    assert (scenario.tunnels[0].a, scenario.tunnels[0].b) == ("sim0001a", "sim0001b")
    assert len({d.fields["outside_ip"] for d in scenario.devices}) == 6


def test_it_rejects_unknown_personas_and_faults() -> None:
    with pytest.raises(ValueError, match="persona"):
        load({"devices": [{"name": "x", "persona": "juniper"}]})
    with pytest.raises(ValueError, match="fault"):
        load({"devices": [{"name": "x", "persona": "ios15", "faults": ["gremlins"]}]})


def test_it_logs_every_received_line(seed_sim: SimulatorHandle) -> None:
    conn = connect(seed_sim, "1720-1")
    try:
        conn.send_command("show crypto isakmp sa")
    finally:
        conn.disconnect()
    lines = seed_sim.received_lines("1720-1")
    assert any(line.endswith("auth: user=cisco from=127.0.0.1:" + line.rsplit(":", 1)[-1]) for line in lines)
    assert any(line.endswith("line: show crypto isakmp sa") for line in lines)
    assert any(" enable-password: ww" in line for line in lines)
    assert any(line.endswith("line: terminal length 0") for line in lines)
    assert not any("configure" in line for line in lines)  # what was not sent is provably absent
    assert seed_sim.log_path("1720-1").parent == seed_sim.state_dir / "logs"


def _free_base_port() -> int:
    """A base port whose SSH (base, base+1) and telnet (base+100, base+101) ports are all free.

    Picked below the kernel's ephemeral range (32768-60999), where another test's client connection can
    take base+100 between our check and the simulator's bind (seen under load).
    """
    for _ in range(200):
        base = random.randint(20000, 32000)
        try:
            for port in (base, base + 1, base + 100, base + 101):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free base port")


def test_it_runs_in_the_foreground_with_manage_py(tmp_path: Path) -> None:
    base = _free_base_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "simulate",
            "--base-port",
            str(base),
            "--state-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = ""
        deadline = time.monotonic() + 60
        while "Ctrl-C stops" not in banner and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            banner += line
        assert f"ssh 127.0.0.1:{base}" in banner and f"ssh 127.0.0.1:{base + 1}" in banner, banner
        with socket.create_connection(("127.0.0.1", base), timeout=5) as s:
            assert s.recv(64).startswith(b"SSH-2.0-Cisco-1.25")
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=15)
        rest = proc.stdout.read() if proc.stdout else ""
        assert rc == 0, rest[-3000:]


def test_it_describes_itself_as_an_inventory(seed_sim: SimulatorHandle) -> None:
    inventory = seed_sim.inventory()
    router = next(d for d in inventory["devices"] if d["name"] == "1720-1")
    assert router["port"] == seed_sim.port("1720-1")
    assert (router["platform"], router["username"], router["password"], router["secret"]) == (
        "cisco_ios",
        "cisco",
        "cisco",
        "ww",
    )
    assert router["host_key"].startswith("ssh-rsa ")
    assert inventory["tunnels"] == [{"name": "hq-branch", "ends": ["1720-1", "pix520-1"]}]


def test_it_runs_in_a_subprocess_driven_by_its_control_file(tmp_path: Path) -> None:
    from simulator import run_in_subprocess

    from .helpers import seed_scenario

    with run_in_subprocess(seed_scenario(), state_dir=tmp_path) as sim:
        sim.set_fault("1720-1", "tunnel_down")
        conn = connect_port(sim.port("1720-1"))
        try:
            assert "QM_IDLE" not in conn.send_command("show crypto isakmp sa")
            sim.clear_fault("1720-1")
            sim.advance(100)
            assert "QM_IDLE" in conn.send_command("show crypto isakmp sa")
            assert "#pkts encaps: 103" in conn.send_command("show crypto ipsec sa")
        finally:
            conn.disconnect()
        assert any(line.endswith("line: show crypto ipsec sa") for line in sim.received_lines("1720-1"))


def connect_port(port: int) -> Any:
    """netmiko to the seed router on a port (the subprocess handle has no device objects)."""
    from devices.netmiko_pix import connect as netmiko_connect

    conn = netmiko_connect(
        "cisco_ios", "ssh", host="127.0.0.1", port=port, username="cisco", password="cisco", secret="ww"
    )
    conn.enable()
    return conn
