"""`make soak` / `python -m bench.soak [--minutes 10] [--devices 100]`: the whole stack under faults.

1. A PostgreSQL database of its own (`--db`, created and dropped), a private redis-server on a free
   port, the simulator with a fleet (`--devices`, IOS-XE / ASA 9 pairs), two Celery workers, beat,
   gunicorn and an aiosmtpd server; POLL_INTERVAL_SECONDS short so there are many cycles.
2. For `--minutes`: every simulator fault in rotation (one fault per tunnel at a time, each held for
   two poll intervals so alerts can fire), and once each: SIGKILL of a whole worker mid-cycle (then
   restarted), a Redis restart, SMTP down for two cycles, simulated reboots, a changed host key.
3. Drain: faults cleared, no new claims, every claimed poll and queued notification given time to end.
4. Checks (see bench/soak_checks.py for the definitions), printed; exit 1 if any fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import soak_checks as checks  # noqa: E402
from bench import soak_syslog  # noqa: E402
from bench.soak_stack import Child, MemorySampler, SmtpSink, free_port, python, rss_kb, wait_port  # noqa: E402

# Every fault the simulator knows (docs/simulator.md), with the parameters the soak uses.
FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("tunnel_down", {}),
    ("refuse", {}),
    ("slow", {"seconds": 2}),
    ("wrong_password", {}),
    ("garbled", {"ratio": 0.08}),
    ("one_way", {}),
    ("no_prompt", {}),
    ("errors", {"rate": 1.0}),
    ("truncated", {"fraction": 0.5, "close": True}),
    ("clock_1993", {}),
    ("crl_missing", {}),
    ("reboot", {}),
    ("crl_expired", {}),
    ("enroll_stuck", {}),
    ("identity_address", {}),
    ("host_key_changed", {}),
]
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
WORKER_CONCURRENCY = 3
DRAIN_POLLS_S = 240.0
DRAIN_NOTIFY_S = 180.0


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Soak:
    """One soak run: the stack, the schedule of faults and disruptions, the drain and the checks."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.seconds = args.minutes * 60.0
        self.interval = args.interval or max(20, round(args.devices * 0.3))
        self.db = args.db
        self.dir = ROOT / "var" / "soak" / self.db
        # Ports are picked again once the simulator holds its own (see start_services).
        self.redis_port, self.web_port, self.smtp_port = free_port(), free_port(), free_port()
        self.children: dict[str, Child] = {}
        self.sim: Any = None
        self.smtp = SmtpSink(self.smtp_port)
        self.faults: list[checks.FaultRecord] = []
        self.active: dict[str, checks.FaultRecord] = {}  # device -> fault in place
        self.events: list[str] = []
        self.unexpected_exits: list[str] = []
        self.web_probes: dict[str, int] = {}
        self.sampler: MemorySampler | None = None
        self.token = ""
        self.pairs: list[tuple[str, str]] = []
        self.reserved: set[str] = set()
        self.expected_down: set[str] = set()  # roles the soak itself has stopped for now
        self.started = 0.0
        self.plan: list[tuple[float, str, Any]] = []

    # -- setup -------------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """The environment every service of the stack shares."""
        from cryptography.fernet import Fernet

        if not hasattr(self, "_fernet"):
            self._fernet = Fernet.generate_key().decode()
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "vpnportal.settings",
                "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{self.db}",
                "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(self.smtp_port),
                "EMAIL_TIMEOUT": "5",
                "EMAIL_USE_TLS": "0",
                "ALERT_EMAIL_TO": "ops@soak.invalid",
                "DEFAULT_FROM_EMAIL": "vpnportal@soak.invalid",
                "POLL_INTERVAL_SECONDS": str(self.interval),
                "SSH_CONNECT_TIMEOUT": "8",
                "SSH_COMMAND_TIMEOUT": "10",
                "NOTIFY_RETRY_BASE_SECONDS": "5",
                # Polls here end within ~40 s (SSH timeouts below): a lost one is finished soon after.
                "POLL_LEASE_SECONDS": str(max(90, 3 * self.interval)),
                "VPNPORTAL_KNOWN_HOSTS": str(self.dir / "known_hosts"),
                "VPNPORTAL_FERNET_KEYS": self._fernet,
                "DJANGO_SECRET_KEY": "soak-" + self._fernet,
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DJANGO_INSECURE_HTTP": "1",
                "VPNPORTAL_PLAIN_STATIC": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(dict(kv.split("=", 1) for kv in self.args.env))
        return env

    def create_database(self) -> None:
        """A fresh database for this run (dropped first if a previous run left it)."""
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.db}"')

    def drop_database(self) -> None:
        """Drop the run's database."""
        import psycopg

        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may never have been set up
            pass
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')

    def setup_django(self) -> None:
        """This process talks to the soak database too: migrations, inventory, checks."""
        os.environ.update(self.env())
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0, interactive=False)
        with connection.cursor() as cursor:
            cursor.execute(checks.CLAIM_LOG_SQL)

    def start_simulator(self) -> None:
        """The fleet in a child process, its inventory imported with the live ports and host keys."""
        import yaml
        from django.utils import timezone

        from devices.inventory import import_inventory
        from simulator import Simulator
        from simulator.process import run_in_subprocess

        pairs = max(2, self.args.devices // 2)
        scenario = {
            "clock": {"start": "now", "speed": 1.0},
            "fleet": {"pairs": pairs, "personas": ["ios15", "asa9"], "traffic": {"a_to_b": 2, "b_to_a": 2}},
        }
        state = self.dir / "simulator"
        # The fleet sends its syslog to the receiver started with the services (bench/soak_syslog.py).
        self.syslog_port = soak_syslog.free_udp_port()
        self.sim = run_in_subprocess(scenario, state_dir=state, syslog=f"127.0.0.1:{self.syslog_port}")
        doc = Simulator(scenario, base_port=0, state_dir=state).inventory()
        for device in doc["devices"]:
            device["port"] = self.sim.port(device["name"])
        import_inventory(yaml.safe_dump(doc))
        self.pairs = [tuple(t["ends"]) for t in doc["tunnels"]]  # type: ignore[misc]
        # Every device due now: the first cycle polls the whole fleet at once, as after a deployment.
        self.move_slots(timezone.now())

    def move_slots(self, when: Any) -> None:
        """Set every device's next slot; the claim log ignores it (the soak is not a dispatcher)."""
        from django.db import connection, transaction

        from devices.models import Device

        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL soak.quiet = 'on'")
            Device.objects.update(next_poll_at=when)

    def start_services(self) -> None:
        """Redis, SMTP, two workers, beat and the web server; wait until each is ready."""
        # Free ports now, after the simulator bound its listeners (an earlier pick could be taken).
        self.redis_port, self.web_port, self.smtp_port = free_port(), free_port(), free_port()
        while len({self.redis_port, self.web_port, self.smtp_port}) < 3:
            self.web_port, self.smtp_port = free_port(), free_port()
        self.smtp.port = self.smtp_port
        env = self.env()
        logs = self.dir
        self.children["redis"] = Child(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(logs),
            ],
            logs / "redis.log",
            env,
        )
        self.children["redis"].start()
        if not wait_port(self.redis_port, 30):
            raise RuntimeError("redis-server did not start")
        self.smtp.start()
        for name in ("worker-a", "worker-b"):
            self.children[name] = Child(
                name,
                [
                    python(),
                    "-m",
                    "celery",
                    "-A",
                    "vpnportal",
                    "worker",
                    "--pool",
                    "prefork",
                    "--concurrency",
                    str(self.args.concurrency),
                    "--loglevel",
                    "INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-n",
                    f"{name}@soak",
                ],
                logs / f"{name}.log",
                env,
            )
        self.children["beat"] = Child(
            "beat",
            [
                python(),
                "-m",
                "celery",
                "-A",
                "vpnportal",
                "beat",
                "--loglevel",
                "INFO",
                "-s",
                str(logs / "beat-schedule"),
            ],
            logs / "beat.log",
            env,
        )
        self.children["web"] = Child(
            "web",
            [
                python(),
                "-m",
                "gunicorn",
                "vpnportal.wsgi",
                "-b",
                f"127.0.0.1:{self.web_port}",
                "-w",
                "2",
                "--timeout",
                "60",
            ],
            logs / "web.log",
            env,
        )
        self.children["syslog"] = soak_syslog.receiver(self.syslog_port, logs / "syslog.log", env)
        for name in ("worker-a", "worker-b", "web", "syslog"):
            self.children[name].start()
        self.noise = soak_syslog.Noise(self.syslog_port, [name for pair in self.pairs for name in pair][:10])
        self.noise.start()
        for name in ("worker-a", "worker-b"):
            self._wait_worker_ready(name)
        if not wait_port(self.web_port, 60):
            raise RuntimeError("gunicorn did not start")
        self.children["beat"].start()

    def _wait_worker_ready(self, name: str, timeout: float = 120.0) -> None:
        child = self.children[name]
        deadline = time.monotonic() + timeout
        mark = child.log.stat().st_size if child.restarts else 0
        while time.monotonic() < deadline:
            with open(child.log, "rb") as log:
                log.seek(mark)
                if b"ready." in log.read():
                    return
            if not child.alive():
                raise RuntimeError(f"{name} exited; see {child.log}")
            time.sleep(0.3)
        raise TimeoutError(f"{name} not ready; see {child.log}")

    def make_api_token(self) -> None:
        """A viewer with an API token for the web probes."""
        from django.contrib.auth.models import Group, User
        from rest_framework.authtoken.models import Token

        from vpnportal.roles import VIEWER, ensure_roles

        ensure_roles()
        user = User.objects.create_user("soak-viewer", password="soak-viewer-password-1")
        user.groups.add(Group.objects.get(name=VIEWER))
        self.token = Token.objects.create(user=user).key

    # -- during the run ------------------------------------------------------------------------------

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.started

    def set_fault(self, device: str, fault: str, params: dict[str, Any]) -> None:
        """Set a fault through the simulator's control file and record it."""
        self.sim.set_fault(device, fault, **params)
        record = checks.FaultRecord(device, fault, time.time())
        self.faults.append(record)
        if fault == "reboot":
            record.cleared_at = record.set_at
        else:
            self.active[device] = record

    def clear_fault(self, device: str) -> None:
        """Clear whatever fault the device has."""
        record = self.active.pop(device, None)
        if record is not None:
            self.sim.clear_fault(device)
            record.cleared_at = time.time()

    def rotate_faults(self, state: dict[str, Any]) -> None:
        """Clear faults held long enough; set the next fault of the rotation on the next free tunnel."""
        hold = 2.0 * self.interval + 2.0
        # tunnel_down is held until its alert can fire (two polls of both ends, then an evaluation), so
        # the false-alert check also sees true ones and their mail goes through the outage and retries.
        hold_down = 4.0 * self.interval + 60.0
        now = time.time()
        for device, record in list(self.active.items()):
            held = hold_down if record.fault == "tunnel_down" else hold
            if device not in self.reserved and now - record.set_at >= held:
                self.clear_fault(device)
        if self.elapsed() < state["next_fault_at"] or self.elapsed() > self.seconds - self.interval:
            return
        busy = set(self.active) | self.reserved
        for _ in range(len(self.pairs)):
            a, b = self.pairs[state["pair"] % len(self.pairs)]
            state["pair"] += 1
            if a in busy or b in busy:
                continue
            fault, params = FAULTS[state["fault"] % len(FAULTS)]
            device = a if state["fault"] % 2 == 0 else b
            state["fault"] += 1
            self.set_fault(device, fault, params)
            state["next_fault_at"] = self.elapsed() + state["step"]
            return

    def kill_worker_mid_cycle(self, waited: float = 0.0) -> None:
        """SIGKILL worker-a's whole process group while polls run (looked for again each half second)."""
        from devices.models import Poll

        running = Poll.objects.filter(status="running").count()
        if not running and waited < 3 * self.interval:
            self.later(0.5, "kill", lambda: self.kill_worker_mid_cycle(waited + 0.5))
            return
        child = self.children["worker-a"]
        self.expected_down.add("worker-a")
        child.kill()
        self.events.append(f"{self.elapsed():5.0f}s SIGKILL worker-a (group) with {running} polls running")
        _log(self.events[-1])
        self.later(3, "worker-a back", lambda: self.start_again("worker-a"))

    def start_again(self, name: str) -> None:
        """Start a service the soak stopped or killed."""
        self.children[name].restart()
        self.expected_down.discard(name)
        self.events.append(f"{self.elapsed():5.0f}s {name} started again")
        _log(self.events[-1])

    def later(self, seconds: float, name: str, action: Any) -> None:
        """Run `action` `seconds` from now, from the schedule loop."""
        self.plan.append((self.elapsed() + seconds, name, action))
        self.plan.sort(key=lambda p: p[0])

    def restart_redis(self) -> None:
        """Stop the private redis-server (its queue is lost: no persistence) and start it again."""
        child = self.children["redis"]
        self.expected_down.add("redis")
        child.stop(timeout=10)
        self.events.append(f"{self.elapsed():5.0f}s redis-server stopped")
        _log(self.events[-1])
        self.later(3, "redis back", lambda: self.start_again("redis"))

    def reboot_devices(self, count: int = 3) -> None:
        """Reboot a few devices that have no fault in place (one-shot reboot fault)."""
        busy = set(self.active) | self.reserved
        chosen = [a for a, b in self.pairs if a not in busy and b not in busy][:count]
        for device in chosen:
            self.set_fault(device, "reboot", {})
        self.events.append(f"{self.elapsed():5.0f}s rebooted {', '.join(chosen)}")
        _log(self.events[-1])

    def probe_web(self) -> None:
        """GET the health check and a page of the API; count status codes."""
        for path, auth in (("/healthz", False), ("/api/tunnels/?limit=20", True)):
            request = urllib.request.Request(f"http://127.0.0.1:{self.web_port}{path}")
            if auth:
                request.add_header("Authorization", f"Token {self.token}")
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own server
                    code = str(response.status)
            except urllib.error.HTTPError as exc:
                code = str(exc.code)
            except Exception as exc:  # refused, timed out, or not HTTP at all
                code = type(exc).__name__
            key = f"{path.split('?')[0]} {code}"
            self.web_probes[key] = self.web_probes.get(key, 0) + 1

    def watch_children(self) -> None:
        """A service that died on its own is recorded and started again."""
        for name, child in self.children.items():
            if name in self.expected_down or child.alive():
                continue
            code = child.proc.returncode if child.proc else None
            self.unexpected_exits.append(f"{self.elapsed():5.0f}s {name} exited ({code})")
            _log(f"unexpected exit: {self.unexpected_exits[-1]}; restarting")
            child.restart()

    def run_schedule(self) -> None:
        """The timed part: fault rotation throughout, each disruption once at its moment."""
        total = self.seconds
        steps = len(FAULTS)
        state: dict[str, Any] = {
            "next_fault_at": 0.0,
            "pair": 3,
            "fault": 0,
            # Fit every fault of the rotation into the run, at most one new fault every half interval.
            "step": max(2.0, min(self.interval / 2.0, (total - self.interval) / (steps + 1))),
        }
        host_key_device = self.pairs[1][1]
        self.reserved = {host_key_device}
        self.plan = [
            (0.15 * total, "kill", self.kill_worker_mid_cycle),
            (0.30 * total, "redis", self.restart_redis),
            (0.45 * total, "smtp down", self.smtp_down),
            (0.45 * total + 2 * self.interval, "smtp up", self.smtp_up),
            (0.55 * total, "reboot", self.reboot_devices),
            (0.62 * total, "host key", lambda: self.change_host_key(host_key_device)),
            (
                0.62 * total + 2.5 * self.interval,
                "host key back",
                lambda: self.restore_host_key(host_key_device),
            ),
        ]
        self.plan.sort(key=lambda p: p[0])
        plan = self.plan
        next_probe = 0.0
        while self.elapsed() < total:
            while plan and self.elapsed() >= plan[0][0]:
                _, _, action = plan.pop(0)
                action()
            self.rotate_faults(state)
            if self.elapsed() >= next_probe:
                self.probe_web()
                next_probe = self.elapsed() + 10
            self.watch_children()
            time.sleep(0.5)
        for _, name, action in plan:  # a very short run still performs every disruption
            _log(f"late: {name}")
            action()

    def smtp_down(self) -> None:
        """Stop the SMTP server (connections refused) for two poll cycles."""
        self.smtp.stop()
        self.events.append(f"{self.elapsed():5.0f}s SMTP stopped")
        _log(self.events[-1])

    def smtp_up(self) -> None:
        """Start the SMTP server again on the same port."""
        self.smtp.start()
        self.events.append(f"{self.elapsed():5.0f}s SMTP started again")
        _log(self.events[-1])

    def change_host_key(self, device: str) -> None:
        """The device presents another host key."""
        self.set_fault(device, "host_key_changed", {})
        self.events.append(f"{self.elapsed():5.0f}s host key of {device} changed")
        _log(self.events[-1])

    def restore_host_key(self, device: str) -> None:
        """The device presents its original key again."""
        self.clear_fault(device)
        self.events.append(f"{self.elapsed():5.0f}s host key of {device} restored")
        _log(self.events[-1])

    # -- drain and checks ------------------------------------------------------------------------------

    def drain(self) -> dict[str, Any]:
        """Clear faults, stop claiming, let every claimed poll and queued notification finish."""
        from datetime import timedelta

        from django.utils import timezone

        from vpnportal.models import Notification

        # No more events either: their polls are claims too (the receiver's counters stay in its log).
        self.noise.stop()
        self.expected_down.add("syslog")
        self.children["syslog"].stop()
        for device in list(self.active):
            self.clear_fault(device)
        # No new claims from here on: every device's next slot moves a day away (not a claim).
        self.move_slots(timezone.now() + timedelta(days=1))
        if not self.smtp.running:
            self.smtp.start()
        started = time.monotonic()
        missing = running = -1
        while time.monotonic() - started < DRAIN_POLLS_S:
            self.watch_children()
            missing, running = checks.unfinished_claims()
            if missing == 0 and running == 0:
                break
            time.sleep(2)
        polls_s = time.monotonic() - started
        _log(f"drain: polls settled in {polls_s:.0f} s ({missing} claims without a row, {running} running)")
        started = time.monotonic()
        pending = -1
        while time.monotonic() - started < DRAIN_NOTIFY_S:
            self.watch_children()
            pending = Notification.objects.filter(status__in=["queued", "sending"]).count()
            if pending == 0:
                break
            time.sleep(2)
        notify_s = time.monotonic() - started
        _log(f"drain: notifications settled in {notify_s:.0f} s ({pending} still queued)")
        return {"polls_s": round(polls_s), "notifications_s": round(notify_s)}

    def report(self, drain: dict[str, Any]) -> tuple[list[checks.Check], dict[str, Any]]:
        """Run every check and print them with the context."""
        assert self.sampler is not None
        lost, twice = checks.notifications(self.smtp.counts())
        memory_check, memory_lines = checks.memory(
            dict(self.sampler.series.items()),
            warmup_s=min(120.0, self.seconds * 0.3),
        )
        applied = {f.fault for f in self.faults}
        missing_faults = [f for f, _ in FAULTS if f not in applied]
        results = [
            checks.polls_lost(),
            checks.duplicate_polls(),
            lost,
            twice,
            checks.false_tunnel_down(self.faults),
            checks.failures_without_reason(),
            soak_syslog.check(self.children["syslog"], self.dir / "syslog.log", self.noise),
            memory_check,
            checks.Check(
                "services that exited on their own (info)",
                len(self.unexpected_exits),
                True,  # restarted as systemd would; the lost work shows in the checks above
                "restarted by the soak as a supervisor would",
                self.unexpected_exits[:5],
            ),
            checks.Check(
                "faults never exercised",
                len(missing_faults),
                not missing_faults,
                f"{len(applied)} of {len(FAULTS)} faults applied, {len(self.faults)} times in all",
                missing_faults,
            ),
        ]
        counts = checks.summary_counts()
        print()
        print(
            f"soak: {self.args.devices} devices, {self.seconds / 60:g} min, POLL_INTERVAL_SECONDS={self.interval}, "
            f"2 workers x {self.args.concurrency}; drain {drain}"
        )
        for event in self.events:
            print(f"  event {event}")
        print(f"  polls {counts['polls']}")
        print(f"  alerts {counts['alerts']}")
        print(f"  notifications {counts['notifications']}; SMTP received {len(self.smtp.received)}")
        print(f"  web probes {self.web_probes}")
        print("  memory (RSS of each process group):")
        for line in memory_lines:
            print(f"    {line}")
        print()
        width = max(len(c.name) for c in results)
        for c in results:
            print(f"  {'PASS' if c.ok else 'FAIL'}  {c.name:{width}}  {c.value:>4}   {c.detail}")
            for example in c.examples:
                print(f"          {example}")
        summary = {
            "devices": self.args.devices,
            "minutes": self.args.minutes,
            "interval": self.interval,
            "events": self.events,
            "counts": counts,
            "web_probes": self.web_probes,
            "memory": memory_lines,
            "drain": drain,
            "checks": [asdict(c) for c in results],
            "faults": [asdict(f) for f in self.faults],
        }
        return results, summary

    # -- the whole run ---------------------------------------------------------------------------------

    def run(self) -> int:
        """Set up, run, drain, check, tear down; 0 when every check passes."""
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        _log(
            f"soak {self.db}: {self.args.devices} devices for {self.args.minutes:g} min, interval {self.interval} s; "
            f"logs in {self.dir}"
        )
        ok = False
        try:
            self.create_database()
            self.setup_django()
            self.start_simulator()
            self.make_api_token()
            self.start_services()
            probes: dict[str, Any] = {
                name: (lambda c=child: (c.restarts, c.rss_kb())) for name, child in self.children.items()
            }
            probes["simulator"] = lambda: (0, rss_kb(self.sim.proc.pid))
            probes["soak+smtp"] = lambda: (0, rss_kb(os.getpid()))
            self.sampler = MemorySampler(probes, every=5.0)
            self.sampler.start()
            self.started = time.monotonic()
            _log(f"stack up: redis :{self.redis_port}, web :{self.web_port}, smtp :{self.smtp_port}")
            self.run_schedule()
            _log("run over: draining")
            drain = self.drain()
            self.children["beat"].stop()
            self.sampler.stop()
            results, summary = self.report(drain)
            (self.dir / "report.json").write_text(json.dumps(summary, indent=2, default=str))
            ok = all(c.ok for c in results)
            print(
                f"\nsoak {'PASSED' if ok else 'FAILED'} ({sum(not c.ok for c in results)} checks failed); "
                f"report {self.dir / 'report.json'}"
            )
            return 0 if ok else 1
        finally:
            if self.sampler is not None:
                self.sampler.stop()
            if getattr(self, "noise", None) is not None:
                self.noise.stop()
            for child in reversed(list(self.children.values())):
                child.stop(timeout=15)
            if self.sim is not None:
                self.sim.stop()
            self.smtp.stop()
            if not self.args.keep_db:
                try:
                    self.drop_database()
                except Exception as exc:
                    _log(f"could not drop {self.db}: {exc}")
            if ok and not self.args.keep_logs:
                shutil.rmtree(self.dir / "simulator", ignore_errors=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the faulted run (10)")
    parser.add_argument("--devices", type=int, default=100, help="simulated devices, in pairs (100)")
    parser.add_argument(
        "--interval", type=int, default=0, help="POLL_INTERVAL_SECONDS (default from --devices)"
    )
    parser.add_argument("--concurrency", type=int, default=WORKER_CONCURRENCY, help="processes per worker")
    parser.add_argument("--db", default="soak_vpnportal", help="PostgreSQL database to create and drop")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="extra setting")
    parser.add_argument("--keep-db", action="store_true", help="leave the database for inspection")
    parser.add_argument("--keep-logs", action="store_true", help="keep the simulator's state folder")
    parser.add_argument("--seed", type=int, default=10)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Run one soak; SIGTERM/SIGINT still tear the stack down."""
    args = parse_args(argv)
    random.seed(args.seed)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    return Soak(args).run()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
