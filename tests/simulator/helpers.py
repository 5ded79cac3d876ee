"""Scenarios and clients shared by the simulator tests (no database needed)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import paramiko  # type: ignore[import-untyped]

from devices.netmiko_pix import connect as netmiko_connect
from simulator import SimulatorHandle

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "cli"


def seed_scenario(**defaults: Any) -> dict[str, Any]:
    """The seed network with a frozen clock (only `advance()` moves it), telnet on."""
    return {
        "clock": {"start": "seed", "speed": 0},
        "defaults": {"enroll_delay": 30, **defaults},
        "devices": [
            {"name": "1720-1", "persona": "seed-router", "telnet": True},
            {"name": "pix520-1", "persona": "seed-pix", "telnet": True},
        ],
        "tunnels": [{"name": "hq-branch", "ends": ["1720-1", "pix520-1"]}],
    }


def modern_scenario() -> dict[str, Any]:
    """An IOS-XE router and two ASAs (asa-1 in both tunnels), frozen clock at a fixed instant."""
    return {
        "clock": {"start": "2026-03-01T12:00:00+00:00", "speed": 0},
        "defaults": {"enroll_delay": 30},
        "devices": [
            {"name": "csr-1", "persona": "ios15"},
            {"name": "asa-1", "persona": "asa9", "telnet": True},
            {"name": "asa-2", "persona": "asa9"},
        ],
        "tunnels": [
            {"name": "csr1-asa1", "ends": ["csr-1", "asa-1"], "traffic": {"a_to_b": 5, "b_to_a": 4}},
            {"name": "asa1-asa2", "ends": ["asa-1", "asa-2"]},
        ],
    }


def fixture_text(platform: str, name: str) -> str:
    """A seed output as the device prints it (tests/fixtures/cli)."""
    return (FIXTURES / platform / f"{name}.txt").read_text()


def connect(handle: SimulatorHandle, name: str, transport: str = "ssh", **kwargs: Any) -> Any:
    """A netmiko connection to a simulated device with its own credentials (enabled)."""
    dev = handle.device(name)
    port = handle.port(name) if transport == "ssh" else handle.telnet_port(name)
    params: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "username": dev.username,
        "password": dev.password,
        "secret": dev.enable,
        "conn_timeout": 10,
        "auth_timeout": 10,
        "banner_timeout": 10,
    }
    params.update(kwargs)
    conn = netmiko_connect(dev.platform, transport, **params)
    conn.enable()
    return conn


class RawShell:
    """A bare paramiko shell, to see exactly what the device writes (paging, prompts, errors)."""

    def __init__(self, port: int, username: str, password: str, **connect_kwargs: Any) -> None:
        self.client = paramiko.SSHClient()
        self.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.client.connect(
            "127.0.0.1",
            port=port,
            username=username,
            password=password,
            look_for_keys=False,
            allow_agent=False,
            timeout=10,
            banner_timeout=10,
            auth_timeout=10,
            **connect_kwargs,
        )
        self.chan = self.client.invoke_shell(width=200)
        self.buffer = ""

    def send(self, text: str) -> None:
        """Type text (add \\n yourself)."""
        self.chan.send(text.encode())

    def expect(self, pattern: str, timeout: float = 5.0) -> str:
        """Read until `pattern` (regex) appears; return everything read up to and including it."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            m = regex.search(self.buffer)
            if m:
                out, self.buffer = self.buffer[: m.end()], self.buffer[m.end() :]
                return out
            if time.monotonic() > deadline:
                raise TimeoutError(f"{pattern!r} not seen; got {self.buffer[-500:]!r}")
            if self.chan.recv_ready():
                self.buffer += self.chan.recv(65536).decode("utf-8", "replace")
            else:
                time.sleep(0.02)

    def quiet(self, seconds: float = 0.5) -> str:
        """Everything that arrives within `seconds`."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.chan.recv_ready():
                self.buffer += self.chan.recv(65536).decode("utf-8", "replace")
            time.sleep(0.02)
        out, self.buffer = self.buffer, ""
        return out

    def close(self) -> None:
        """Close the connection."""
        self.client.close()


def raw_shell(handle: SimulatorHandle, name: str, **kwargs: Any) -> RawShell:
    """A RawShell logged in to a device."""
    dev = handle.device(name)
    return RawShell(handle.port(name), dev.username, dev.password, **kwargs)
