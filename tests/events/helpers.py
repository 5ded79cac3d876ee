"""The syslog receiver as a subprocess on free ports of 127.0.0.1, and senders of syslog to it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.services import ROOT, free_port, worker_env


def free_udp_port() -> int:
    """A UDP port of 127.0.0.1 nobody is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ReceiverProcess:
    """A running `manage.py syslog` and where it listens."""

    proc: subprocess.Popen[bytes]
    udp_port: int
    tcp_port: int
    log: Path

    def output(self) -> str:
        """What it printed so far."""
        return self.log.read_text(errors="replace")

    def counters(self) -> dict[str, int]:
        """The last counters line it printed."""
        lines = [
            ln
            for ln in self.output().splitlines()
            if ln.startswith(("syslog counters: ", "syslog stopped: "))
        ]
        return json.loads(lines[-1].split(": ", 1)[1]) if lines else {}

    def rss_kb(self) -> int:
        """Resident memory of the process, kB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def send_udp(self, data: bytes, source: str = "127.0.0.1") -> None:
        """One datagram from `source` (any 127.x.y.z address is this host's)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((source, 0))
            sock.sendto(data, ("127.0.0.1", self.udp_port))

    def send_tcp(self, data: bytes, source: str = "127.0.0.1") -> None:
        """Bytes on one TCP connection from `source`, then close it."""
        with socket.socket() as sock:
            sock.bind((source, 0))
            sock.connect(("127.0.0.1", self.tcp_port))
            sock.sendall(data)


@contextmanager
def syslog_receiver(tmp_path: Path, extra_env: dict[str, str] | None = None) -> Iterator[ReceiverProcess]:
    """`manage.py syslog` on free ports, printing its counters every half second; stopped (SIGTERM) after."""
    udp, tcp = free_udp_port(), free_port()
    log = tmp_path / "syslog.log"
    env = worker_env({"SYSLOG_INDEX_SECONDS": "1", **(extra_env or {})})
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "syslog",
                "--udp",
                f"127.0.0.1:{udp}",
                "--tcp",
                f"127.0.0.1:{tcp}",
                "--stats-seconds",
                "0.5",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        receiver = ReceiverProcess(proc, udp, tcp, log)
        try:
            deadline = time.monotonic() + 60
            while "syslog listening" not in receiver.output():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"syslog receiver did not start: {receiver.output()[-3000:]}")
                time.sleep(0.1)
            yield receiver
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
