"""Pages under concurrent load through gunicorn, with Prometheus scrapes and a poll cycle running.

The data set is bench_pages' (`populate`: 1,000 devices, 500 tunnels, a year of counter history) in a
scratch PostgreSQL database. The first BENCH_PAGES_POLLED devices (default 200, the pairs of 100 tunnels)
are pointed at the SSH simulator (bench/fleet.py), and a child process polls them again and again
(`run_poll_cycle`, one process, BENCH_PAGES_POLL_THREADS threads (8), correlation and the alert cycle over the whole
fleet, as `manage.py poll` does), so the page cache is invalidated the whole time. gunicorn serves the
project with WEB_CONCURRENCY workers (deploy/env.example: 2 per core). Then, for BENCH_PAGES_SECONDS:

- BENCH_PAGES_CLIENTS (20) browsers, each its own logged-in session (viewers and operators alternately),
  BENCH_PAGES_THINK_SECONDS (2, mean) between page views,
  cycle through the overview, its auto-refresh fragment, a tunnel page with two history API calls (its
  charts: a random range of day, week, month, year), a device page and the certificates page;
- two Prometheus servers (an HA pair) each scrape `/metrics` every 15 s with the bearer token.

Reported: p50/p95/p99 per page and requests/s, the targets beside them (pages p95 < 200 ms, history API
< 100 ms, `/metrics` < 250 ms), the polls finished during the run and the load average at start and end.
The client threads run in this process and take some of the same two cores.

`python -m bench bench_concurrent_pages` (or `python -m bench.bench_concurrent_pages`).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.fleet import fleet_inventory, start_fleet_simulator, stop_process

ROOT = Path(__file__).resolve().parent.parent
POLLED = int(os.environ.get("BENCH_PAGES_POLLED", "200"))
CLIENTS = int(os.environ.get("BENCH_PAGES_CLIENTS", "20"))
SECONDS = float(os.environ.get("BENCH_PAGES_SECONDS", "120"))
# A person reads a page before the next click: 1-3 s (uniform) between a browser's page views; the history
# calls of a tunnel page follow it at once, as its charts ask for them. 0: back-to-back, a throughput test.
THINK_S = float(os.environ.get("BENCH_PAGES_THINK_SECONDS", "2"))
# Threads of the poll loop: each holds a PostgreSQL connection, and a shared server has max_connections.
POLL_THREADS = int(os.environ.get("BENCH_PAGES_POLL_THREADS", "8"))
# `paced` (default): the production rate, fleet size / POLL_INTERVAL_SECONDS devices per second (1,000 devices
# every 300 s: 3.3 polls/s), over the simulated devices, the alert cycle every 30 s as beat runs it;
# `stress`: the simulated devices back to back with POLL_THREADS threads, correlation and alerts per cycle.
POLL_MODE = os.environ.get("BENCH_PAGES_POLL_MODE", "paced")
FLEET = 1000
ALERT_EVERY_S = 30.0
SCRAPE_EVERY = 15.0
SCRAPERS = 2
WORKERS = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1))
TARGETS_MS = {"page": 200, "history_api": 100, "metrics": 250}
PAGES = ("overview", "overview_fragment", "tunnel", "history_api", "device", "certificates", "metrics")
METRICS_TOKEN = "bench-metrics-token-" + "x" * 24
WORKER_UNIT = ROOT / "deploy" / "systemd" / "vpnportal-worker@.service"


def worker_nice(unit: Path = WORKER_UNIT) -> int:
    """The worker unit's Nice= (0 without one): the poll loop stands for the Celery workers and runs at
    their priority. In production each unit is its own cgroup and the web unit's CPUWeight= (ten times
    the worker's) is what gives pages the CPU first; in this one session the same weights are nice values
    (0 against 10: 1024 against 110)."""
    for line in unit.read_text().splitlines():
        if line.startswith("Nice="):
            return int(line.partition("=")[2])
    return 0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _target(page: str) -> int:
    return TARGETS_MS.get(page, TARGETS_MS["page"])


def _point_at_simulator(doc: dict[str, Any]) -> list[str]:
    """Give the first populated devices the simulated devices' addresses and logins; their names."""
    from devices.models import Device

    polled = list(Device.objects.order_by("name")[: len(doc["devices"])])
    for device, sim in zip(polled, doc["devices"], strict=False):
        assert device.platform == sim["platform"], (device.name, sim["name"])
        device.host, device.port = sim["host"], sim["port"]
        device.username, device.password, device.secret = sim["username"], sim["password"], sim["secret"]
        device.save()
    return [d.name for d in polled]


def _sessions(count: int) -> list[str]:
    """Session cookies of `count` users, viewers and operators alternately (the overview differs by role)."""
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from vpnportal.roles import OPERATOR, VIEWER, ensure_roles

    ensure_roles()
    cookies = []
    for i in range(count):
        user = User.objects.create_user(f"bench-browser-{i}", password="x" * 20)
        user.groups.add(Group.objects.get(name=VIEWER if i % 2 == 0 else OPERATOR))
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies["sessionid"].value)
    return cookies


def _env(known_hosts: Path, redis_url: str) -> dict[str, str]:
    """The children's environment: the bench's settings, scratch database, Redis and page-cache prefix."""
    from django.db import connection

    return dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "vpnportal.test_settings"),
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        REDIS_URL=redis_url,
        VPNPORTAL_KNOWN_HOSTS=str(known_hosts),
        VPNPORTAL_LOG_LEVEL="WARNING",
        METRICS_TOKEN=METRICS_TOKEN,
        WEB_CONCURRENCY=str(WORKERS),
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, int, float]:
    """One GET on a new connection (gunicorn's sync workers close each one): status, bytes, ms."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    return response.status, len(body), (time.perf_counter() - started) * 1000


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited")
        with contextlib.suppress(OSError):
            if _get(port, "/healthz", {})[0] == 200:
                return
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer /healthz")


class Recorder:
    """Latencies by page, from every thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ms: dict[str, list[float]] = {p: [] for p in PAGES}
        self.errors: dict[str, int] = {}
        self.bytes: dict[str, int] = {}

    def record(self, page: str, status: int, size: int, ms: float) -> None:
        with self.lock:
            if status != 200:
                self.errors[f"{page} {status}"] = self.errors.get(f"{page} {status}", 0) + 1
                return
            self.ms[page].append(ms)
            self.bytes[page] = size


def _browser(
    port: int, cookie: str, ids: dict[str, list[int]], until: float, rec: Recorder, seed: int
) -> None:
    """One browser: overview, fragment, a tunnel with its charts' two history calls, a device, certificates."""
    rnd = random.Random(seed)
    headers = {"Cookie": f"sessionid={cookie}"}
    while time.monotonic() < until:
        tunnel = rnd.choice(ids["tunnels"])
        visits = [
            ("overview", "/"),
            ("overview_fragment", "/overview/fragment/"),
            ("tunnel", f"/tunnels/{tunnel}/"),
            *(
                ("history_api", f"/api/tunnels/{tunnel}/history/?metric={m}&range={rnd.choice(RANGES)}")
                for m in ("encaps", "decaps")
            ),
            ("device", f"/devices/{rnd.choice(ids['devices'])}/"),
            ("certificates", "/certificates/"),
        ]
        for page, path in visits:
            if time.monotonic() >= until:
                return
            try:
                rec.record(page, *_get(port, path, headers))
            except OSError as exc:
                rec.record(page, 0, 0, 0.0)
                print(f"  {page}: {exc}", flush=True)
            if page != "tunnel" and THINK_S:
                time.sleep(rnd.uniform(THINK_S / 2, THINK_S * 1.5))


RANGES = ("day", "week", "month", "year")


def _scraper(port: int, until: float, offset: float, rec: Recorder) -> None:
    """A Prometheus server: `/metrics` with the bearer token every SCRAPE_EVERY seconds, accepting gzip as
    Prometheus does (the bytes reported are the compressed body's)."""
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}", "Accept-Encoding": "gzip"}
    next_at = time.monotonic() + offset
    while next_at < until:
        time.sleep(max(0.0, next_at - time.monotonic()))
        try:
            rec.record("metrics", *_get(port, "/metrics", headers))
        except OSError:
            rec.record("metrics", 0, 0, 0.0)
        next_at += SCRAPE_EVERY


def poll_loop(names_file: Path, stats_file: Path, stop_file: Path) -> None:
    """The child process: poll the named devices again and again until `stop_file` appears."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpnportal.test_settings")
    import django

    os.nice(worker_nice())
    django.setup()
    from devices.fleet import run_poll_cycle

    names = json.loads(names_file.read_text())
    if POLL_MODE == "stress":
        _stress_loop(names, stats_file, stop_file, run_poll_cycle)
    else:
        _paced_loop(names, stats_file, stop_file, run_poll_cycle)


def _stress_loop(names: list[str], stats_file: Path, stop_file: Path, run_poll_cycle: Any) -> None:
    cycles = []
    while not stop_file.exists():
        result = run_poll_cycle(names, concurrency=POLL_THREADS, processes=1)
        cycles.append(
            {
                "finished_at": time.time(),
                "devices": len(result.outcomes),
                "failed": len(result.failed),
                "wall_s": round(result.seconds, 2),
            }
        )
        stats_file.write_text(json.dumps(cycles))


def _paced_loop(names: list[str], stats_file: Path, stop_file: Path, run_poll_cycle: Any) -> None:
    """Every second, the next devices due at the production rate (round robin over `names`); the first
    batch is the whole list (host keys pinned, populated SAs replaced), recorded as a cycle of its own."""
    from django.conf import settings

    rate = FLEET / settings.POLL_INTERVAL_SECONDS
    cycles = []
    result = run_poll_cycle(names, concurrency=POLL_THREADS, processes=1)
    cycles.append({"finished_at": time.time(), "devices": len(result.outcomes), "failed": len(result.failed)})
    stats_file.write_text(json.dumps(cycles))
    started, due, done, position, last_alerts = time.monotonic(), 0.0, 0, 0, time.monotonic()
    while not stop_file.exists():
        due = (time.monotonic() - started) * rate
        count = int(due) - done
        if count <= 0:
            time.sleep(0.05)
            continue
        batch = [names[(position + i) % len(names)] for i in range(min(count, len(names)))]
        position = (position + len(batch)) % len(names)
        alerts = time.monotonic() - last_alerts >= ALERT_EVERY_S
        if alerts:
            last_alerts = time.monotonic()
        result = run_poll_cycle(batch, concurrency=min(POLL_THREADS, len(batch)), processes=1, alerts=alerts)
        done += len(batch)
        cycles.append(
            {"finished_at": time.time(), "devices": len(result.outcomes), "failed": len(result.failed)}
        )
        stats_file.write_text(json.dumps(cycles))


def _cycles(stats_file: Path) -> list[dict[str, Any]]:
    try:
        return list(json.loads(stats_file.read_text()))
    except (OSError, ValueError):
        return []


def _measure(port: int, cookies: list[str], ids: dict[str, list[int]], stats_file: Path) -> dict[str, Any]:
    """Warm every page in every gunicorn worker, then the browsers and scrapers for SECONDS; the figures."""
    headers = {"Cookie": f"sessionid={cookies[0]}"}
    tunnel, device = ids["tunnels"][0], ids["devices"][0]
    warm = ["/", "/overview/fragment/", f"/tunnels/{tunnel}/", f"/devices/{device}/", "/certificates/"]
    warm.append(f"/api/tunnels/{tunnel}/history/?metric=encaps&range=year")

    def warm_up() -> None:
        for path in warm:
            _get(port, path, headers)
        _get(port, "/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}", "Accept-Encoding": "gzip"})

    # A worker's first request imports and compiles (seconds on a busy machine): never in the figures.
    warmers = [threading.Thread(target=warm_up) for _ in range(2 * WORKERS)]
    for t in warmers:
        t.start()
    for t in warmers:
        t.join()
    rec = Recorder()
    load_start = os.getloadavg()
    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    polls_before = sum(c["devices"] for c in _cycles(stats_file))
    started = time.monotonic()
    until = started + SECONDS
    threads = [
        threading.Thread(target=_browser, args=(port, cookie, ids, until, rec, i), daemon=True)
        for i, cookie in enumerate(cookies)
    ]
    threads += [
        threading.Thread(target=_scraper, args=(port, until, i * SCRAPE_EVERY / SCRAPERS, rec), daemon=True)
        for i in range(SCRAPERS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    load_end = os.getloadavg()
    cpu_end = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu_s = (cpu_end.ru_utime - cpu_start.ru_utime) + (cpu_end.ru_stime - cpu_start.ru_stime)
    cycles = _cycles(stats_file)
    pages: dict[str, Any] = {}
    for page, samples in rec.ms.items():
        if not samples:
            continue
        p95 = percentile(samples, 0.95)
        pages[page] = {
            "requests": len(samples),
            "p50_ms": round(percentile(samples, 0.5), 1),
            "p95_ms": round(p95, 1),
            "p99_ms": round(percentile(samples, 0.99), 1),
            "bytes": rec.bytes.get(page),
            "target_p95_ms": _target(page),
            "ok": p95 < _target(page),
        }
    total = sum(len(s) for s in rec.ms.values())
    return {
        "pages": pages,
        "requests": total,
        "requests_per_s": round(total / wall, 1),
        "seconds": round(wall, 1),
        "errors": rec.errors,
        "polls_during_run": sum(c["devices"] for c in cycles) - polls_before,
        "polls_per_s": round((sum(c["devices"] for c in cycles) - polls_before) / wall, 2),
        "poll_mode": POLL_MODE,
        "poll_nice": worker_nice(),
        "client_cpu_s": round(client_cpu_s, 1),
        "client_cores": round(client_cpu_s / wall, 2),
        "cpu_model": _cpu_model(),
        "poll_cycles": cycles[:5],
        "load_at_start": [round(x, 2) for x in load_start],
        "load_at_end": [round(x, 2) for x in load_end],
    }


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} x{os.cpu_count()}"
    return f"unknown x{os.cpu_count()}"


def _print(result: dict[str, Any]) -> None:
    print(
        f"  {CLIENTS} browsers ({THINK_S:g} s between views) + {SCRAPERS} scrapers every {SCRAPE_EVERY:.0f} s "
        f"for {result['seconds']} s, "
        f"gunicorn {WORKERS} workers, {result['polls_during_run']} polls of {POLLED} devices during the run; "
        f"load {result['load_at_start'][0]} -> {result['load_at_end'][0]}",
        flush=True,
    )
    print(
        f"  poll loop {result['poll_mode']} (nice {result['poll_nice']}, as the worker unit): "
        f"{result['polls_per_s']} polls/s; the client threads took "
        f"{result['client_cpu_s']} s CPU ({result['client_cores']} cores); {result['cpu_model']}",
        flush=True,
    )
    print(f"  {'page':18s} {'requests':>8s} {'p50':>8s} {'p95':>8s} {'p99':>8s}  target p95", flush=True)
    for page, row in result["pages"].items():
        print(
            f"  {page:18s} {row['requests']:>8d} {row['p50_ms']:>6.0f}ms {row['p95_ms']:>6.0f}ms "
            f"{row['p99_ms']:>6.0f}ms  < {row['target_p95_ms']} ms {'ok' if row['ok'] else 'MISSED'}",
            flush=True,
        )
    print(f"  {result['requests_per_s']} requests/s, errors {result['errors'] or 'none'}", flush=True)


def run() -> dict[str, Any]:
    """The data set, the simulator, the poll loop and gunicorn; the measured run; everything stopped."""
    from bench.__main__ import BENCH_REDIS_URL

    redis_url = os.environ.get("REDIS_URL", BENCH_REDIS_URL)
    # Every process of the run (this one, gunicorn's workers, the poller) shares one page cache.
    os.environ["VPNPORTAL_TEST_REDIS_URL"] = redis_url
    os.environ["VPNPORTAL_TEST_CACHE_RUN"] = f"bench-{os.getpid()}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpnportal.test_settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    from bench.bench_pages import populate
    from devices.models import Device, Tunnel

    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_concurrent_pages_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-concurrent-pages-") as tmp_name:
            try:
                tmp = Path(tmp_name)
                data = populate()
                sim, ports, scenario = start_fleet_simulator(POLLED, tmp, stdout=subprocess.DEVNULL)
                procs.append(sim)
                names = _point_at_simulator(fleet_inventory(scenario, ports, POLLED))
                cookies = _sessions(CLIENTS)
                ids = {
                    "tunnels": list(Tunnel.objects.values_list("pk", flat=True)),
                    "devices": list(Device.objects.values_list("pk", flat=True)),
                }
                connection.close()  # the children open their own
                env = _env(tmp / "known_hosts", redis_url)
                (tmp / "names.json").write_text(json.dumps(names))
                stats, stop = tmp / "cycles.json", tmp / "stop"
                poller = subprocess.Popen(
                    [sys.executable, "-m", "bench.bench_concurrent_pages", "--poll-loop", str(tmp)],
                    cwd=ROOT,
                    env=env,
                )
                procs.append(poller)
                port = _free_port()
                web = subprocess.Popen(
                    [
                        str(Path(sys.executable).with_name("gunicorn")),
                        *("vpnportal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)),
                        *("--timeout", "60", "--log-level", "warning"),
                    ],
                    cwd=ROOT,
                    env=env,
                )
                procs.append(web)
                _wait_ready(port, web)
                # Measure from the second cycle on: the first pins the host keys and replaces the populated SAs.
                deadline = time.monotonic() + 600
                while not _cycles(stats) and time.monotonic() < deadline and poller.poll() is None:
                    time.sleep(1)
                result = _measure(port, cookies, ids, stats)
                stop.touch()
            finally:
                # Before the folder goes: the poller and the simulator write into it until they stop.
                for proc in reversed(procs):
                    stop_process(proc, timeout=60)
    finally:
        for proc in reversed(procs):
            stop_process(proc, timeout=60)
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    result.update(
        {
            "data": {**data, "polled_devices": POLLED},
            "browsers": CLIENTS,
            "think_s": THINK_S,
            "scrapers": SCRAPERS,
            "scrape_every_s": SCRAPE_EVERY,
            "gunicorn_workers": WORKERS,
            "poll_threads": POLL_THREADS,
        }
    )
    _print(result)
    return result


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if sys.argv[1:2] == ["--poll-loop"]:
        folder = Path(sys.argv[2])
        poll_loop(folder / "names.json", folder / "cycles.json", folder / "stop")
    else:
        print(json.dumps(run(), indent=2, default=str))
