"""Detection latency: from a fault injected into the simulator to the alert email accepted by the SMTP server.

One run, two ways, on the modern pair (IOS-XE csr-1 <-> ASA 9 asa-1) in a scratch PostgreSQL database:
- polling alone: the scheduled poll (every BENCH_POLL_INTERVAL seconds, all of steps 3-12, as beat and a
  worker would run them) sees the tunnel down and fires after ALERT_PENDING_POLLS (2) polls;
- with syslog: the same schedule, plus `manage.py syslog` receiving the devices' messages and a Celery
  worker (2 processes) running the polls it queues; the event
  triggers polls of both ends, which confirm it and fire at once.
Each fault is `tunnel_down` on csr-1, cleared (and the alert resolved) before the next. Then a spurious
"down" from a known device, which the polls contradict: it must raise no alert at all.

Latency with polling alone scales with the interval (production: 300 s, so 5-10 minutes); with syslog
it does not. `python -m bench bench_syslog` (BENCH_SYSLOG_FAULTS, BENCH_POLL_FAULTS, BENCH_POLL_INTERVAL).
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SYSLOG_FAULTS = int(os.environ.get("BENCH_SYSLOG_FAULTS", "8"))
POLL_FAULTS = int(os.environ.get("BENCH_POLL_FAULTS", "3"))
POLL_INTERVAL = float(os.environ.get("BENCH_POLL_INTERVAL", "20"))
SCENARIO: dict[str, Any] = {
    "clock": {"start": "now", "speed": 1.0},
    "validity": {"cert_age_days": 30, "cert_days_left": 335, "crl_age_hours": 1, "crl_hours_left": 200},
    "devices": [{"name": "csr-1", "persona": "ios15"}, {"name": "asa-1", "persona": "asa9"}],
    "tunnels": [{"name": "csr1-asa1", "ends": ["csr-1", "asa-1"], "traffic": {"a_to_b": 20, "b_to_a": 20}}],
}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _wait(predicate: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not met in time")


class Scheduler(threading.Thread):
    """The scheduled poll: a whole cycle (poll, correlate, alerts, mail) every `interval` seconds."""

    def __init__(self, interval: float) -> None:
        super().__init__(daemon=True, name="bench-scheduler")
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        from django.db import connection

        from devices.fleet import run_poll_cycle

        while not self.stopped.wait(self.interval):
            try:
                run_poll_cycle(processes=1)
            except Exception as exc:  # a poll that fails is the scheduler's business, not the bench's
                print(f"  scheduled cycle failed: {exc}", flush=True)
        connection.close()


def _firing(sink: Any, seen: int) -> bool:
    with sink.lock:
        return any("FIRING" in sink.text(m) and "csr1-asa1" in sink.text(m) for m in sink.messages[seen:])


def _faults(sim: Any, sink: Any, count: int, label: str) -> list[float]:
    from vpnportal.models import Alert

    latencies = []
    for i in range(count):
        seen = len(sink.messages)
        started = time.monotonic()
        sim.set_fault("csr-1", "tunnel_down")
        _wait(lambda seen=seen: _firing(sink, seen), timeout=max(120, POLL_INTERVAL * 6))
        latencies.append(time.monotonic() - started)
        sim.clear_fault("csr-1", "tunnel_down")
        _wait(
            lambda: not Alert.objects.filter(kind="tunnel_down", state__in=["pending", "firing"]).exists(),
            timeout=max(120, POLL_INTERVAL * 6),
            interval=0.5,
        )
        print(f"  {label} fault {i + 1}: {latencies[-1]:.1f} s", flush=True)
        # The next fault comes to a quiet network: not inside the debounce window of the recovery's events
        # (a fault there waits for the window's end, EVENT_POLL_DEBOUNCE_SECONDS at most).
        time.sleep(11)
    return latencies


def _summary(latencies: list[float]) -> dict[str, Any]:
    return {
        "faults": len(latencies),
        "p50_s": round(statistics.median(latencies), 2),
        "p95_s": round(_percentile(latencies, 0.95), 2),
        "max_s": round(max(latencies), 2),
    }


def _receiver(env: dict[str, str], udp_port: int, log: Path) -> subprocess.Popen[bytes]:
    out = open(log, "wb")  # noqa: SIM115 - lives as long as the child
    proc = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "syslog",
            "--udp",
            f"127.0.0.1:{udp_port}",
            "--tcp",
            "off",
            "--stats-seconds",
            "5",
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    _wait(lambda: b"syslog listening" in log.read_bytes() or proc.poll() is not None, 60)
    if proc.poll() is not None:
        raise RuntimeError(log.read_text()[-2000:])
    return proc


def _measure(tmp: Path) -> dict[str, Any]:
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from devices.inventory import import_inventory
    from simulator import run_in_thread
    from tests.alerts.smtp import Sink
    from tests.services import celery_worker_process
    from vpnportal.models import Alert

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        smtp_port = s.getsockname()[1]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        udp_port = s.getsockname()[1]
    known = tmp / "known_hosts"
    mail = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "ALERT_EMAIL_TO": "noc@example.com",
    }
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = (
        mail["EMAIL_BACKEND"],
        "127.0.0.1",
        smtp_port,
    )
    settings.ALERT_EMAIL_TO = ["noc@example.com"]
    settings.VPNPORTAL_KNOWN_HOSTS = known
    settings.ALERT_PENDING_POLLS, settings.POLL_INTERVAL_SECONDS = 2, int(POLL_INTERVAL)
    s = connection.settings_dict
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="vpnportal.settings",
        CELERY_TASK_ALWAYS_EAGER="0",
        REDIS_URL=redis,
        DATABASE_URL=f"postgres://{s.get('USER') or 'postgres'}@{s.get('HOST') or '127.0.0.1'}:"
        f"{s.get('PORT') or 5432}/{s['NAME']}",
        VPNPORTAL_KNOWN_HOSTS=str(known),
        ALERT_PENDING_POLLS="2",
        POLL_INTERVAL_SECONDS=str(int(POLL_INTERVAL)),
        PYTHONUNBUFFERED="1",
        SYSLOG_INDEX_SECONDS="2",
        **mail,
    )
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    results: dict[str, Any] = {"poll_interval_s": POLL_INTERVAL, "pending_polls": 2}
    try:
        with run_in_thread(SCENARIO, state_dir=tmp / "sim", syslog=f"127.0.0.1:{udp_port}") as sim:
            import_inventory(yaml.safe_dump(sim.inventory()))
            call_command("poll", stdout=open(os.devnull, "w"))  # noqa: SIM115 - pins the host keys
            scheduler = Scheduler(POLL_INTERVAL)
            scheduler.start()
            try:
                results["polling_only"] = _summary(_faults(sim, sink, POLL_FAULTS, "polling only"))
                # The triggered polls run on a Celery worker (2 processes), as in production.
                worker = celery_worker_process("celery", concurrency=2, extra_env=env, log=tmp / "worker.log")
                worker.__enter__()
                proc = _receiver(env, udp_port, tmp / "syslog.log")
                try:
                    time.sleep(3)  # the receiver's device index
                    results["with_syslog"] = _summary(_faults(sim, sink, SYSLOG_FAULTS, "with syslog"))
                    # A spurious "down" from a known device's address, which the polls contradict.
                    before = Alert.objects.count()
                    peer = sim.device("asa-1").outside_ip
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
                        out.sendto(
                            f"<189>1: csr-1: *Jan  1 00:00:00.000 UTC: %CRYPTO-5-SESSION_STATUS: Crypto "
                            f"tunnel is DOWN. Peer {peer}:500".encode(),
                            ("127.0.0.1", udp_port),
                        )
                    time.sleep(max(15.0, POLL_INTERVAL * 1.5))
                    results["spurious_down_alerts"] = Alert.objects.count() - before
                finally:
                    proc.terminate()
                    proc.wait(30)
                    worker.__exit__(None, None, None)
            finally:
                scheduler.stopped.set()
                scheduler.join(120)
    finally:
        smtp.stop()
    results["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return results


def run() -> dict[str, Any]:
    """Latency p50/p95 from fault to alert mail, polling alone and with syslog; spurious-down alerts."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpnportal.test_settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_syslog_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-syslog-") as tmp:
            result = _measure(Path(tmp))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(
        f"  polling alone (every {POLL_INTERVAL:.0f} s): p50 {result['polling_only']['p50_s']} s, "
        f"p95 {result['polling_only']['p95_s']} s | with syslog: p50 {result['with_syslog']['p50_s']} s, "
        f"p95 {result['with_syslog']['p95_s']} s | spurious down: {result['spurious_down_alerts']} alerts",
        flush=True,
    )
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
