"""Poll cycle through Celery (the production path) beside `manage.py poll` and the netmiko script, one run.

For each fleet size N the simulator runs in its own process (bench/fleet.py). In the same run and on the
same fleet and scratch database: bench_poll's thread-path cycle (`run_poll_cycle`, what `manage.py poll`
does) and its sequential netmiko script, then for each worker concurrency C a real
`celery -A vpnportal worker --pool prefork --concurrency C` on the bench's Redis broker. A cycle is what
beat sets off: `dispatch_due_polls` is sent to the worker's queue (beat's "dispatch-due-polls" entry), the
worker claims every due device and queues one `poll_device` task each, its pool polls them. Reported per
cycle: devices/s, wall time (dispatch sent -> last poll finished), p50/p95 per device (the task taking
its Poll row over -> the row finished), CPU ms per device-poll of the worker's process tree and of the
simulator's (utime+stime from /proc/<pid>/stat), peak RSS per worker process (VmHWM), and the mean split
per device from Poll.timings plus the task's own overhead (see `_split`).

`python -m bench bench_celery_poll` (or `python -m bench.bench_celery_poll 100 1000`);
BENCH_CELERY_SIZES=100,1000 and BENCH_CELERY_CONCURRENCY=1,2,4,threads:32 choose the fleet sizes and worker concurrencies
(an entry `threads:32` runs `--pool threads --concurrency 32` instead of prefork, `threads:32x2` two such workers);
the workers start with the `Environment=` lines of deploy/systemd/vpnportal-worker@.service, as production's
do (GLIBC_TUNABLES); BENCH_CELERY_WORKER_ENV="PYTHONMALLOC=malloc" adds to the workers' environment only,
over the unit's; the idle worker's RSS (before its first poll) is `rss_idle_mb_mains`;
BENCH_CELERY_PROFILE=/tmp/worker.prof profiles each worker's main process, all its threads by their own CPU
(/tmp/worker.prof.threads32.0 for `threads:32`; prefork's children are not profiled, `solo:1` runs tasks in it).
`python -m bench.bench_celery_poll --split 20 3`: CPU ms and queries per device-poll of each step (`cpu_split`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.fleet import start_fleet_simulator
from bench.procfs import (
    memory_composition,
    own_cpu_seconds,
    peak_rss_mb,
    status_mb,
    tree_cpu_seconds,
    tree_pids,
)

ROOT = Path(__file__).resolve().parent.parent
SIZES = tuple(int(n) for n in os.environ.get("BENCH_CELERY_SIZES", "100,1000").split(","))
CONCURRENCIES = tuple(os.environ.get("BENCH_CELERY_CONCURRENCY", "1,2,4,threads:32").split(","))
CYCLE_TIMEOUT = 900.0


def percentile(values: list[float], q: float) -> float:
    """The q-quantile of values by nearest rank (the same rule as bench_poll)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _split(polls: list[dict[str, Any]], slot_s: float) -> dict[str, float]:
    """Mean seconds per device: Poll.timings' steps, the claim/finish around them, and the task overhead.

    connect is SSH handshake + login together (Poll.timings does not separate them), reuse the lease of a
    session kept from an earlier poll instead, reconnect the replacement of a kept session found dead. claim_finish is the
    poll row's own time outside its steps (claiming the row, recording the outcome). task_overhead is each
    pool process's time per device (C x wall / N) outside the poll: Celery receiving and acking the
    message, the task's correlation of the device's tunnels, waiting for the next message.
    """
    n = len(polls) or 1
    split: dict[str, float] = {}
    for p in polls:
        for k, v in (p["timings"] or {}).items():
            split[k] = split.get(k, 0.0) + v / n
    in_poll = sum(p["in_task_s"] for p in polls) / n
    split["claim_finish"] = max(0.0, in_poll - sum(split.values()))
    split["task_overhead"] = max(0.0, slot_s - in_poll)
    return {k: round(v, 4) for k, v in split.items()}


_PROFILED_CELERY = """
import cProfile, pstats, runpy, sys, threading, time
out = sys.argv[1]
sys.argv = ["celery", *sys.argv[2:]]
profilers = []

def _start(*_):
    # The first event of a new thread swaps this hook for a profiler of that thread alone, timed by the
    # thread's own CPU (thread_time): netmiko's sleeps, socket waits and the GIL waits do not count.
    sys.setprofile(None)
    profiler = cProfile.Profile(time.thread_time)
    profilers.append(profiler)
    profiler.enable()

threading.setprofile(_start)
main = cProfile.Profile(time.thread_time)
profilers.append(main)
main.enable()
try:
    runpy.run_module("celery", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
finally:
    main.disable()
    stats = None
    for profiler in profilers:
        profiler.create_stats()
        if profiler.stats:
            stats = pstats.Stats(profiler) if stats is None else stats.add(profiler)
    if stats is not None:
        stats.dump_stats(out)
"""


class Worker:
    """One `celery worker` process group on a private queue, polling the bench's scratch database."""

    def __init__(
        self,
        concurrency: int,
        queue: str,
        env: dict[str, str],
        log: Path,
        pool: str = "prefork",
        index: int = 0,
    ) -> None:
        self.concurrency = concurrency
        self.queue = queue
        self.name = f"bench{concurrency}{pool}{index}-{os.getpid()}@localhost"
        # BENCH_CELERY_PROFILE=<file>: the worker runs under cProfile, every thread of its main process
        # timed by its own CPU (the thread pool's polling threads, paramiko's transport threads, Celery's
        # consumer); a prefork pool's child processes are not profiled: use `threads:C` or `solo:1`.
        profile = os.environ.get("BENCH_CELERY_PROFILE")
        prefix = ["-c", _PROFILED_CELERY, f"{profile}.{pool}{concurrency}.{index}"] if profile else []
        args = [
            sys.executable, *(prefix or ["-m", "celery"]), "-A", "vpnportal", "worker", "--pool", pool,
            "--concurrency", str(concurrency), "-Q", queue, "-n", self.name,
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, app: Any, timeout: float = 120.0) -> None:
        """Until the worker answers a ping (its pool is up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited with {self.proc.returncode}")
            if app.control.ping(destination=[self.name], timeout=1.0):
                return
        raise RuntimeError("celery worker did not answer a ping")

    def stop(self) -> None:
        """Warm shutdown of the group this bench started; SIGKILL after 30 s."""
        with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


def _make_due(count: int | None = None) -> None:
    """Forget every poll; the first `count` devices (all by default) are due now, the others later."""
    from datetime import timedelta

    from django.utils import timezone

    from devices.models import Device, Poll

    Poll.objects.all().delete()
    now = timezone.now()
    ids = list(Device.objects.order_by("name").values_list("pk", flat=True))
    due = ids if count is None else ids[:count]
    Device.objects.filter(pk__in=due).update(next_poll_at=now - timedelta(seconds=1))
    Device.objects.exclude(pk__in=due).update(next_poll_at=now + timedelta(days=1))


def _celery_cycle(workers: list[Worker], devices: int, sim_pid: int) -> dict[str, Any]:
    """One beat-triggered cycle: send the dispatcher to the workers' queue, wait until every poll ended."""
    from django.utils import timezone

    from devices.choices import PollStatus
    from devices.models import Poll
    from devices.tasks import CORRELATE_DELAY_SECONDS, dispatch_due_polls

    mains = [w.proc.pid for w in workers]
    queue = workers[0].queue
    cpu, sim_cpu = sum(tree_cpu_seconds(p) for p in mains), tree_cpu_seconds(sim_pid)
    main_cpu = sum(own_cpu_seconds(p) for p in mains)
    sent_at: datetime = timezone.now()
    started = time.monotonic()
    dispatch_due_polls.apply_async(kwargs={"queue": queue}, queue=queue)  # type: ignore[attr-defined]
    while True:
        done = Poll.objects.exclude(status=PollStatus.RUNNING).count()
        if done >= devices:
            break
        if time.monotonic() - started > CYCLE_TIMEOUT or any(w.proc.poll() is not None for w in workers):
            raise RuntimeError(f"Celery cycle stuck: {done}/{devices} polls finished")
        time.sleep(0.1)
    observed = time.monotonic() - started
    # The last polls' tunnels are judged after their rows are finished (CORRELATE_DELAY_SECONDS later).
    time.sleep(CORRELATE_DELAY_SECONDS + 1.5)
    cpu = sum(tree_cpu_seconds(p) for p in mains) - cpu
    main_cpu = sum(own_cpu_seconds(p) for p in mains) - main_cpu
    sim_cpu = tree_cpu_seconds(sim_pid) - sim_cpu
    fields = ("status", "started_at", "finished_at", "timings", "reason")
    rows: list[dict[str, Any]] = [dict(r) for r in Poll.objects.values(*fields)]
    last = max(r["finished_at"] for r in rows)
    wall = (last - sent_at).total_seconds()
    polls = [
        {"in_task_s": (r["finished_at"] - r["started_at"]).total_seconds(), "timings": r["timings"]}
        for r in rows
    ]
    per_device = [p["in_task_s"] for p in polls]
    reused = sum(1 for r in rows if (r["timings"] or {}).get("reuse") is not None)
    reconnected = sum(1 for r in rows if (r["timings"] or {}).get("reconnect") is not None)
    pool = [p for main in mains for p in tree_pids(main) if p != main]
    failed = [r for r in rows if r["status"] == PollStatus.FAILED]
    in_flight = sum(w.concurrency for w in workers)
    return {
        "devices": len(rows),
        "failed": len(failed),
        "failure_reasons": sorted({r["reason"][:80] for r in failed})[:3],
        "devices_per_s": round(len(rows) / wall, 2),
        # Polls that ran on a session kept open from an earlier poll (devices/session_pool.py), and those
        # that found their kept session dead and opened another.
        "reused_share": round(reused / len(rows), 3),
        "reconnected": reconnected,
        "wall_s": round(wall, 2),
        "observed_wall_s": round(observed, 2),
        "p50_s": round(statistics.median(per_device), 3),
        "p95_s": round(percentile(per_device, 0.95), 3),
        "first_task_wait_s": round(min((r["started_at"] - sent_at).total_seconds() for r in rows), 3),
        "split_mean_s": _split(polls, in_flight * wall / len(rows)),
        "worker_cpu_ms_per_device": round(1000 * cpu / len(rows), 1),
        # Prefork: the main process receives, hands out and acks the messages; the pool polls.
        "worker_main_cpu_ms_per_device": round(1000 * main_cpu / len(rows), 1),
        "simulator_cpu_ms_per_device": round(1000 * sim_cpu / len(rows), 1),
        "worker_processes": len(mains) + len(pool),
        "rss_peak_mb_main": round(max(peak_rss_mb(p) for p in mains), 1),
        "rss_peak_mb_mains": [round(peak_rss_mb(p), 1) for p in mains],
        "rss_peak_mb_pool": [round(peak_rss_mb(p), 1) for p in pool],
        "rss_peak_mb_group": round(sum(peak_rss_mb(p) for p in mains + pool), 1),
        # What the first worker's RSS is made of at the cycle's end (its sessions still kept).
        "rss_composition_mb": memory_composition(mains[0]),
    }


WORKER_UNIT = ROOT / "deploy" / "systemd" / "vpnportal-worker@.service"


def unit_environment(unit: Path = WORKER_UNIT) -> dict[str, str]:
    """The `Environment=NAME=value` settings of a systemd unit (one per line, as the worker unit writes
    them), which production's worker starts with: the allocator's tunables among them. The concurrency
    default is left out: the bench chooses each worker's concurrency itself."""
    settings: dict[str, str] = {}
    for line in unit.read_text().splitlines():
        if line.startswith("Environment="):
            name, _, value = line.removeprefix("Environment=").partition("=")
            if name != "VPNPORTAL_WORKER_CONCURRENCY":
                settings[name] = value
    return settings


def _worker_env(known_hosts: Path) -> dict[str, str]:
    """The worker's environment: what the worker unit sets (production's start), the bench's settings,
    scratch database, broker and known-hosts file; BENCH_CELERY_WORKER_ENV="NAME=value NAME=value" last,
    the workers' environment only (an allocator setting), over the unit's too."""
    from django.db import connection

    env = {**os.environ, **unit_environment()}
    env.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "vpnportal.test_settings"),
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        VPNPORTAL_KNOWN_HOSTS=str(known_hosts),
        VPNPORTAL_LOG_LEVEL="WARNING",
    )
    for item in os.environ.get("BENCH_CELERY_WORKER_ENV", "").split():
        name, _, value = item.partition("=")
        env[name] = value
    return env


def _celery_runs(devices: int, sim_pid: int, tmp: Path, known_hosts: Path) -> dict[str, Any]:
    """A worker per concurrency: a short warm-up cycle (2 devices per pool process), then the measured one."""
    from vpnportal.celery import app

    runs: dict[str, Any] = {}
    queue = f"bench-celery-{os.getpid()}"
    for entry in CONCURRENCIES:
        # `4` (prefork, concurrency 4), `threads:32` (thread pool), `threads:32x2` (two such workers).
        pool, _, count = entry.rpartition(":")
        pool = pool or "prefork"
        per_worker, _, copies = count.partition("x")
        concurrency, processes = int(per_worker), int(copies or 1)
        key = f"concurrency_{concurrency}" if pool == "prefork" else f"concurrency_{concurrency}_{pool}"
        key += f"_x{processes}" if processes > 1 else ""
        workers = [
            Worker(
                concurrency,
                queue,
                _worker_env(known_hosts),
                tmp / f"worker-{pool}-{concurrency}-{i}.log",
                pool,
                i,
            )
            for i in range(processes)
        ]
        try:
            for worker in workers:
                worker.wait_ready(app)
            # The baseline before any poll: what the worker's imports and Celery's consumer hold.
            idle_rss = [round(status_mb(w.proc.pid, "VmRSS"), 1) for w in workers]
            # The first cycle opens every session (cold: its own row); the measured one is the next, as
            # production's: with SSH_SESSION_REUSE_SECONDS (540) under two poll intervals (600), a pool
            # process still holds the sessions of the devices it polled in the previous cycle only.
            _make_due()
            cold = _celery_cycle(workers, devices, sim_pid)
            _make_due()
            load = os.getloadavg()[0]
            cycle = _celery_cycle(workers, devices, sim_pid)
            cycle["cold"] = {
                k: cold[k]
                for k in ("devices_per_s", "wall_s", "worker_cpu_ms_per_device", "reused_share", "failed")
            }
            cycle["load_at_start"] = round(load, 2)
            cycle["load_at_end"] = round(os.getloadavg()[0], 2)
            cycle["pool"] = pool
            cycle["rss_idle_mb_mains"] = idle_rss
            cycle["worker_groups"] = processes
            runs[key] = cycle
            print(
                f"  {devices:>5} devices, celery {processes} x {pool} concurrency {concurrency}: "
                f"{cycle['devices_per_s']:.1f} dev/s, "
                f"wall {cycle['wall_s']:.1f}s, p50 {cycle['p50_s']:.2f}s, p95 {cycle['p95_s']:.2f}s, "
                f"worker {cycle['worker_cpu_ms_per_device']} ms CPU/device, sim "
                f"{cycle['simulator_cpu_ms_per_device']} ms, RSS {cycle['rss_peak_mb_group']} MB "
                f"(idle {idle_rss}), "
                f"({cycle['rss_composition_mb']}), {cycle['failed']} failed, reused {cycle['reused_share']:.0%} (cold cycle "
                f"{cold['worker_cpu_ms_per_device']} ms CPU/device, {cold['devices_per_s']:.1f} dev/s), "
                f"load {cycle['load_at_start']}->{cycle['load_at_end']}",
                flush=True,
            )
        finally:
            for worker in workers:
                worker.stop()
            with app.connection_for_write() as conn:
                conn.default_channel.queue_purge(queue)  # type: ignore[attr-defined]
    return runs


def _thread_row(steady: dict[str, Any]) -> dict[str, Any]:
    """bench_poll's steady thread-path cycle with CPU per device-poll beside its figures."""
    n = steady["devices"] or 1
    return {
        **steady,
        "poller_cpu_ms_per_device": round(1000 * steady["poller_cpu_s"] / n, 1),
        "simulator_cpu_ms_per_device": round(1000 * steady["simulator_cpu_s"] / n, 1),
    }


def run(sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    """The Celery path at each fleet size and concurrency, beside the thread path and the netmiko script."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpnportal.test_settings")
    from bench.__main__ import BENCH_REDIS_URL

    os.environ.setdefault("REDIS_URL", BENCH_REDIS_URL)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    from bench.bench_poll import PLAIN_SAMPLE, PROCESSES, _inventory, _plain_script, _vpnportal_cycle

    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_celery_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    results: dict[str, Any] = {"broker": settings.CELERY_BROKER_URL.rsplit("@", 1)[-1]}
    try:
        for n in sizes:
            connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
            with tempfile.TemporaryDirectory(prefix="bench-celery-") as tmp:
                known_hosts = Path(tmp) / "known_hosts"
                settings.VPNPORTAL_KNOWN_HOSTS = known_hosts
                load = os.getloadavg()[0]
                proc, ports, scenario = start_fleet_simulator(n, Path(tmp), stdout=subprocess.DEVNULL)
                try:
                    doc = _inventory(scenario, ports, n)
                    threads = _vpnportal_cycle(doc, proc.pid, PROCESSES)
                    steady = _thread_row(threads["steady"])
                    print(
                        f"  {n:>5} devices, manage.py poll ({steady['processes']} x {steady['threads_per_process']}"
                        f" threads): {steady['devices_per_s']:.1f} dev/s, wall {steady['wall_s']:.1f}s, "
                        f"{steady['poller_cpu_ms_per_device']} ms CPU/device, load {os.getloadavg()[0]:.2f}",
                        flush=True,
                    )
                    plain_cpu = time.process_time()
                    plain = _plain_script(doc, min(n, PLAIN_SAMPLE))
                    # What netmiko itself costs a device-poll (login, session preparation, 8 commands,
                    # nothing stored): the floor of any poller built on it.
                    plain["cpu_ms_per_device"] = round(
                        1000 * (time.process_time() - plain_cpu) / (plain["devices"] or 1), 1
                    )
                    print(f"  {n:>5} devices, netmiko script: {json.dumps(plain)}", flush=True)
                    connection.close()  # the workers fork with their own connections
                    celery = _celery_runs(n, proc.pid, Path(tmp), known_hosts)
                finally:
                    proc.terminate()
                    try:
                        proc.wait(30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
            results[f"devices_{n}"] = {
                "celery": celery,
                "manage_py_poll": steady,
                "plain_netmiko": plain,
                "load_at_start": round(load, 2),
                "load_at_end": round(os.getloadavg()[0], 2),
            }
            connection.creation.destroy_test_db(old_name, verbosity=0)
    finally:
        connection.settings_dict["NAME"] = old_name
    return results


# The steps of one poll, timed by the polling thread's own CPU (time.thread_time), in call order.
_SPLIT_STEPS = (
    ("devices.poll", "claim", "claim"),
    ("devices.sessions:DeviceSession", "open", "ssh handshake+login"),
    ("devices.sessions:DeviceSession", "drain", "ssh drain (kept session)"),
    ("devices.poll", "_run_commands", "ssh commands"),
    ("devices.sessions:DeviceSession", "close", "ssh close"),
    ("devices.poll", "parse_all", "parse"),
    ("devices.poll", "_store_outputs", "store outputs"),
    ("devices.state", "apply_state", "state: SAs, engine, clock, config"),
    ("pki.state", "apply_pki_state", "state: certificates, CRLs, trustpoints"),
    ("devices.history", "record_samples", "counter history"),
    ("devices.poll", "_finish", "finish"),
    ("devices.correlate", "correlate_tunnels", "correlation (one batch)"),
)


def cpu_split(devices: int = 20, rounds: int = 3) -> dict[str, Any]:
    """CPU ms and SQL queries per device-poll of each step, from sequential in-process polls (no profiler).

    Every device is polled `rounds` times one after the other (devices.poll.poll_device, what a pool
    process runs), then the batch is correlated once (what correlate_polled runs). The round before last
    opens fresh sessions and keeps them (`fresh_session`), the last one reuses them: it is reported at the
    top level, as what a long-lived worker runs; `idle_cpu_ms_per_kept_session` is what a kept session
    costs while idle. A step's CPU is its polling thread's (time.thread_time); paramiko's transport thread, which
    encrypts and decrypts the session, is the process CPU (time.process_time) minus the polling thread's.
    """
    import importlib
    from collections import Counter

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpnportal.test_settings")
    import django

    django.setup()
    import yaml
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    from bench.bench_poll import _inventory

    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_split_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    cpu: dict[str, float] = {}
    queries: Counter[str] = Counter()
    current: list[str] = []
    rounds_seen: list[dict[str, Any]] = []

    def timed(owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)

        def step(*args: Any, **kwargs: Any) -> Any:
            current.append(label)
            started = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                cpu[label] = cpu.get(label, 0.0) + time.thread_time() - started
                current.pop()

        setattr(owner, name, step)

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries[current[-1] if current else "other"] += 1
        return execute(sql, params, many, context)

    for where, name, label in _SPLIT_STEPS:
        module, _, cls = where.partition(":")
        owner = importlib.import_module(module)
        timed(getattr(owner, cls) if cls else owner, name, label)
    poll = importlib.import_module("devices.poll")
    correlate = importlib.import_module("devices.correlate")
    # devices.poll imported these by name: time the names it calls.
    for attr, module in (
        ("state", "devices.state"),
        ("pki_state", "pki.state"),
        ("history", "devices.history"),
    ):
        assert getattr(poll, attr) is importlib.import_module(module)
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    result: dict[str, Any] = {"devices": devices, "rounds": rounds}
    try:
        from devices import session_pool
        from devices.inventory import import_inventory
        from devices.models import Device, Poll

        with tempfile.TemporaryDirectory(prefix="bench-split-") as tmp:
            settings.VPNPORTAL_KNOWN_HOSTS = Path(tmp) / "known_hosts"
            proc, ports, scenario = start_fleet_simulator(devices, Path(tmp), stdout=subprocess.DEVNULL)
            try:
                import_inventory(yaml.safe_dump(_inventory(scenario, ports, devices)))
                ids = list(Device.objects.order_by("name").values_list("pk", flat=True))
                reuse_seconds = settings.SSH_SESSION_REUSE_SECONDS
                # The first rounds pin host keys and store every output whole, each on a fresh session;
                # the one before last opens fresh sessions that are kept, the last one reuses them.
                for i in range(max(2, rounds)):
                    settings.SSH_SESSION_REUSE_SECONDS = reuse_seconds if i >= max(2, rounds) - 2 else 0
                    if i == max(2, rounds) - 2:
                        rss_before = _rss_mb(os.getpid())
                    cpu.clear()
                    queries.clear()
                    thread0, process0 = time.thread_time(), time.process_time()
                    with connection.execute_wrapper(count):
                        for pk in ids:
                            poll.poll_device(pk)
                        correlate.correlate_tunnels(device_ids=ids)
                    thread = time.thread_time() - thread0
                    process = time.process_time() - process0
                    rows = list(Poll.objects.filter(device_id__in=ids).order_by("-pk")[: len(ids)])
                    reused = sum(1 for r in rows if "reuse" in (r.timings or {}))
                    rounds_seen.append(_split_round(cpu, queries, thread, process, len(ids), reused))
                    if i == max(2, rounds) - 2:
                        # An upper bound: the round's other allocations count too.
                        kept_mb = (_rss_mb(os.getpid()) - rss_before) / max(1, len(session_pool.POOL.kept()))
                        result["rss_mb_per_kept_session"] = round(kept_mb, 3)
                result["idle_cpu_ms_per_kept_session"] = _idle_cpu(len(session_pool.POOL.kept()))
                session_pool.close_all()
                settings.SSH_SESSION_REUSE_SECONDS = reuse_seconds
            finally:
                proc.terminate()
                proc.wait(30)
        # The headline is the last round, on kept sessions (what a long-lived worker runs); the one
        # before it, on fresh sessions, shows what the handshake and login cost.
        result.update(rounds_seen[-1])
        result["fresh_session"] = rounds_seen[-2]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return result


def _split_round(
    cpu: dict[str, float], queries: Any, thread: float, process: float, n: int, reused: int
) -> dict[str, Any]:
    """One round of cpu_split: CPU ms and queries per device-poll of each step."""
    steps = {label: round(1000 * cpu.get(label, 0.0) / n, 1) for _, _, label in _SPLIT_STEPS}
    steps["ssh transport thread (paramiko)"] = round(1000 * (process - thread) / n, 1)
    steps["other"] = round(1000 * (thread - sum(cpu.values())) / n, 1)
    return {
        "cpu_ms_per_device_poll": round(1000 * process / n, 1),
        "reused_share": round(reused / n, 3),
        "steps_cpu_ms": steps,
        "queries_per_poll": {k: round(v / n, 1) for k, v in queries.most_common()},
        "queries_total": round(sum(queries.values()) / n, 1),
    }


def _rss_mb(pid: int) -> float:
    """Resident set size (VmRSS) of one process in MB, 0 when it is gone."""
    return status_mb(pid, "VmRSS")


def _idle_cpu(kept: int, seconds: float = 10.0) -> dict[str, Any]:
    """What the kept sessions cost while nobody polls: the process's CPU over `seconds` of idling (their
    paramiko transport threads waking up), scaled to one session and one default poll interval."""
    from django.conf import settings

    started = time.process_time()
    time.sleep(seconds)
    spent = time.process_time() - started
    per_interval = spent / max(1, kept) * settings.POLL_INTERVAL_SECONDS / seconds
    return {"kept": kept, "idle_s": seconds, "cpu_ms_per_session_per_interval": round(1000 * per_interval, 2)}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if sys.argv[1:2] == ["--split"]:
        print(json.dumps(cpu_split(*(int(x) for x in sys.argv[2:4])), indent=2))
        sys.exit(0)
    chosen = tuple(int(x) for x in sys.argv[1:]) or SIZES
    print(json.dumps(run(chosen), indent=2, default=str))
