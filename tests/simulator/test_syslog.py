"""The simulated devices send their syslog, in their platform's format, when their state changes."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from pathlib import Path

from events.classify import classify
from events.syslog_format import parse_message
from simulator import run_in_thread
from tests.services import FOUR_PERSONAS, four_personas_scenario, simulator_state_dir


def _collect(sock: socket.socket, until: float) -> list[tuple[str, str, str]]:
    out = []
    while time.monotonic() < until:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        msg = parse_message(data, datetime.now(UTC))
        assert msg is not None, data
        out.append((msg.hostname, msg.mnemonic, classify(msg).kind))
    return out


def test_each_persona_sends_its_own_messages_on_tunnel_down_up_and_reboot(
    key_cache: Path, tmp_path: Path
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.2)
        collector = f"127.0.0.1:{sock.getsockname()[1]}"
        scenario = four_personas_scenario()
        with run_in_thread(
            scenario, state_dir=simulator_state_dir(key_cache, tmp_path), syslog=collector
        ) as sim:
            assert _collect(sock, time.monotonic() + 0.5) == []  # nothing changed, nothing said
            sim.set_fault("1720-1", "tunnel_down")
            sim.set_fault("asa-1", "tunnel_down")
            down = _collect(sock, time.monotonic() + 1.5)
            sim.clear_fault("1720-1", "tunnel_down")
            sim.clear_fault("asa-1", "tunnel_down")
            up = _collect(sock, time.monotonic() + 1.5)
            sim.reboot("csr-1")
            sim.reboot("asa-1")
            restart = _collect(sock, time.monotonic() + 1.5)
    assert set(down) == {
        ("1720-1", "%CRYPTO-5-SESSION_STATUS", "tunnel_down"),
        ("pix520-1", "%PIX-6-602302", "sa_deleted"),
        ("csr-1", "%CRYPTO-5-SESSION_STATUS", "tunnel_down"),
        ("asa-1", "%ASA-6-602304", "sa_deleted"),
        ("asa-1", "%ASA-4-113019", "tunnel_down"),
    }
    assert set(up) == {
        ("1720-1", "%CRYPTO-5-SESSION_STATUS", "tunnel_up"),
        ("pix520-1", "%PIX-6-602301", "sa_created"),
        ("csr-1", "%CRYPTO-5-SESSION_STATUS", "tunnel_up"),
        ("asa-1", "%ASA-5-713119", "phase1_up"),
        ("asa-1", "%ASA-5-713120", "tunnel_up"),
        ("asa-1", "%ASA-6-602303", "sa_created"),
    }
    assert set(restart) == {("csr-1", "%SYS-5-RESTART", "restart"), ("asa-1", "%ASA-1-199005", "restart")}
    assert set(FOUR_PERSONAS) == {h for h, _, _ in down}
