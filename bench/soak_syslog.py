"""The soak's syslog part: `manage.py syslog` receiving the fleet's messages, and a stream of forged and
garbage messages throughout, which must be dropped (never stored, never a poll, never an alert)."""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path
from typing import Any

from bench.soak_checks import Check
from bench.soak_stack import Child, python


def free_udp_port() -> int:
    """A UDP port of 127.0.0.1 nobody is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def receiver(port: int, log: Path, env: dict[str, str]) -> Child:
    """The receiver as a supervised child (UDP only; its counters every 10 s in its log)."""
    args = [
        python(),
        "manage.py",
        "syslog",
        "--udp",
        f"127.0.0.1:{port}",
        "--tcp",
        "off",
        "--stats-seconds",
        "10",
    ]
    return Child("syslog", args, log, env)


def counters(log: Path) -> dict[str, int]:
    """The receiver's last counters line (across restarts: each start counts from zero)."""
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.startswith("syslog ")]
    lines = [ln for ln in lines if ln.startswith(("syslog counters: ", "syslog stopped: "))]
    return json.loads(lines[-1].split(": ", 1)[1]) if lines else {}


class Noise(threading.Thread):
    """Every `every` seconds: a forged "down" naming a real device from an address no device has, and a
    garbage datagram (binary, oversized or not syslog) from the fleet's own address."""

    def __init__(self, port: int, hostnames: list[str], every: float = 0.5) -> None:
        super().__init__(daemon=True, name="soak-syslog-noise")
        self.port, self.hostnames, self.every = port, hostnames, every
        self.stopped = threading.Event()
        self.forged = self.garbage = 0

    def run(self) -> None:
        junk = [os.urandom(300), b"<13>" + b"x" * 9000, b"not syslog at all", b"\x00" * 64, b"<999>bad"]
        with (
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as forged,
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as plain,
        ):
            forged.bind(("127.0.0.3", 0))
            i = 0
            while not self.stopped.wait(self.every):
                name = self.hostnames[i % len(self.hostnames)]
                forged.sendto(
                    f"<189>1: {name}: *Jan  1 00:00:00.000 UTC: %CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. "
                    f"Peer 10.0.0.1:500 Id: 10.0.0.1".encode(),
                    ("127.0.0.1", self.port),
                )
                plain.sendto(junk[i % len(junk)], ("127.0.0.1", self.port))
                self.forged += 1
                self.garbage += 1
                i += 1

    def stop(self) -> None:
        """Stop sending."""
        self.stopped.set()
        self.join(5)


def check(child: Child, log: Path, noise: Noise) -> Check:
    """The receiver ran throughout, stored the fleet's events and dropped every forged and garbage one."""
    from events.models import SyslogEvent

    seen = counters(log)
    forged_stored = SyslogEvent.objects.filter(source="127.0.0.3").count()
    stored = SyslogEvent.objects.count()
    problems: list[str] = []
    if child.restarts:
        problems.append(f"the receiver exited {child.restarts} times")
    if forged_stored:
        problems.append(f"{forged_stored} forged events stored")
    if not stored:
        problems.append("no event of the fleet stored")
    detail: dict[str, Any] = {
        k: seen.get(k) for k in ("received", "stored", "unknown_source", "garbage", "queue_full")
    }
    return Check(
        "syslog: forged stored / receiver exits",
        forged_stored + child.restarts,
        not problems,
        f"{noise.forged} forged and {noise.garbage} garbage sent; {stored} events stored; receiver {detail}",
        problems,
    )
