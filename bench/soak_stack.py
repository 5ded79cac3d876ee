"""The soak's stack: a private redis-server, Celery workers and beat, gunicorn, an SMTP sink, RSS sampling.

Every child runs in a session of its own (its own process group), so one SIGKILL takes a whole worker
(main process and pool children) as a crash would, and `Stack.stop()` ends every group it started and
nothing else. Only 127.0.0.1 and free ports are used; the machine's shared Redis on 6379 is never touched.
"""

from __future__ import annotations

import contextlib
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float) -> bool:
    """True once something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    return False


def rss_kb(pid: int) -> int:
    """Resident set size of one process in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return 0
    return 0


def group_pids(pgid: int) -> list[int]:
    """Every live process of a process group (read from /proc)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry))
    return pids


@dataclass
class Child:
    """One started service: its role, command, log and the process (group leader)."""

    role: str
    args: list[str]
    log: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    def start(self) -> None:
        """Start it in a new session; output goes to its log file (appended across restarts)."""
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                self.args,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int | None:
        """The group leader's pid while it runs."""
        return self.proc.pid if self.proc and self.proc.poll() is None else None

    def alive(self) -> bool:
        """Whether the group leader still runs."""
        return self.pid is not None

    def rss_kb(self) -> int:
        """RSS of the whole process group (a prefork worker's pool children included)."""
        if self.proc is None:
            return 0
        return sum(rss_kb(p) for p in group_pids(self.proc.pid))

    def signal_group(self, sig: int) -> None:
        """Send a signal to the whole group (only ever a group this soak started)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the group, SIGKILL it after `timeout`, and reap the leader."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        # Pool children may outlive their leader: the group goes in any case.
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)

    def kill(self) -> None:
        """SIGKILL the whole group now, as a crash or an OOM kill would."""
        self.signal_group(signal.SIGKILL)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)

    def restart(self) -> None:
        """Start it again after a stop or a kill."""
        self.restarts += 1
        self.start()


class SmtpSink:
    """An aiosmtpd server on a fixed port that can be stopped and started again (an SMTP outage)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the headers that identify the notification; accept."""
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.received.append(
                {
                    "notification": str(message.get("X-Vpnportal-Notification", "")),
                    "message_id": str(message.get("Message-ID", "")),
                    "to": ",".join(envelope.rcpt_tos),
                    "subject": str(message.get("Subject", ""))[:200],
                    "at": f"{time.time():.3f}",
                }
            )
        return "250 Message accepted for delivery"

    def start(self) -> None:
        """Listen (again) on the port."""
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening: clients get connection refused."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        """Whether it listens now."""
        return self._controller is not None

    def counts(self) -> Counter[str]:
        """How many times each notification id arrived."""
        with self.lock:
            return Counter(m["notification"] for m in self.received)


@dataclass
class MemorySeries:
    """RSS samples of one role: (seconds since start, KiB), reset when the role's process is replaced."""

    role: str
    samples: list[tuple[float, int]] = field(default_factory=list)
    generation: int = 0


class MemorySampler(threading.Thread):
    """Samples the RSS of every role every `every` seconds until stopped."""

    def __init__(self, probes: dict[str, Any], every: float = 5.0) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.probes = probes  # role -> callable returning (generation, KiB)
        self.every = every
        self.series: dict[str, list[MemorySeries]] = {role: [] for role in probes}
        self.started_at = time.monotonic()
        self._stop_event = threading.Event()

    def run(self) -> None:
        """Sample until stop()."""
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.every)

    def sample(self) -> None:
        """One sample of every role."""
        at = time.monotonic() - self.started_at
        for role, probe in self.probes.items():
            generation, kib = probe()
            if kib <= 0:
                continue
            runs = self.series[role]
            if not runs or runs[-1].generation != generation:
                runs.append(MemorySeries(role, generation=generation))
            runs[-1].samples.append((at, kib))

    def stop(self) -> None:
        """End sampling."""
        self._stop_event.set()


def python() -> str:
    """The interpreter of this venv."""
    return sys.executable
