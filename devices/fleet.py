"""The fleet runner behind `manage.py poll` and the bench: poll many devices now, correlate, run the alerts.

Threads poll devices through `devices.poll.poll_device`; a large fleet is split over spawned processes
(one Python process, one GIL, is the bottleneck there). A spawned process imports this module before
Django is set up, so Django models are imported inside the functions only.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

from devices.choices import PollStatus

if TYPE_CHECKING:
    from devices.models import Device

log = logging.getLogger(__name__)


@dataclass
class DeviceOutcome:
    """How one device's poll in a cycle ended."""

    device: str
    status: str
    seconds: float
    reason: str
    timings: dict[str, float]


@dataclass
class CycleResult:
    """A whole cycle: per-device outcomes, then correlation and alerting notes."""

    outcomes: list[DeviceOutcome]
    seconds: float
    alerting: str = ""

    @property
    def failed(self) -> list[DeviceOutcome]:
        """Devices whose poll failed (or could not be claimed)."""
        return [o for o in self.outcomes if o.status not in (PollStatus.OK, PollStatus.PARTIAL)]


def _poll_one(device: Device) -> DeviceOutcome:
    from devices.poll import poll_device

    started = time.monotonic()
    try:
        poll = poll_device(device.pk)
        if poll is None:
            return DeviceOutcome(device.name, "skipped", 0.0, "claimed by another poller", {})
        return DeviceOutcome(
            device.name, poll.status, time.monotonic() - started, poll.reason, dict(poll.timings or {})
        )
    except Exception as exc:
        log.exception("poll of %s crashed", device.name)
        return DeviceOutcome(
            device.name, PollStatus.FAILED, time.monotonic() - started, f"internal error: {exc}", {}
        )


# Settings a spawned polling process must share with its parent (tests and the bench override them).
_SHARED_SETTINGS = (
    "VPNPORTAL_KNOWN_HOSTS",
    "VPNPORTAL_FERNET_KEYS",
    "SSH_CONNECT_TIMEOUT",
    "SSH_COMMAND_TIMEOUT",
    "POLL_INTERVAL_SECONDS",
)


def poll_threads(
    devices: list[Device], workers: int, progress: Callable[[DeviceOutcome], None] | None = None
) -> list[DeviceOutcome]:
    """Poll devices with `workers` threads; each keeps one database connection for all its devices."""
    import queue
    import threading

    from django.db import connection

    todo: queue.SimpleQueue[Device] = queue.SimpleQueue()
    for device in devices:
        todo.put(device)
    outcomes: list[DeviceOutcome] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            while True:
                try:
                    device = todo.get_nowait()
                except queue.Empty:
                    return
                outcome = _poll_one(device)
                with lock:
                    outcomes.append(outcome)
                    if progress:
                        progress(outcome)
        finally:
            # Opening a PostgreSQL connection per device costs a backend fork: one per thread instead.
            connection.close()

    threads = [
        threading.Thread(target=work, name=f"poll-{i}", daemon=True)
        for i in range(max(1, min(workers, len(devices))))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One-shot: the sessions the polls kept for a next poll that never comes in this process are closed.
    from devices.session_pool import close_all

    close_all()
    return outcomes


def poll_in_process(payload: dict[str, Any]) -> list[DeviceOutcome]:
    """A spawned polling process: set Django up like the parent (settings, database), then poll the
    given device ids with threads."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", payload["settings_module"])
    import django

    django.setup()
    from django.db import connections

    for key, value in payload["settings"].items():
        setattr(settings, key, value)
    connections["default"].settings_dict["NAME"] = payload["db_name"]
    from devices.models import Device

    try:
        devices = list(Device.objects.filter(pk__in=payload["ids"]))
        return poll_threads(devices, payload["threads"])
    finally:
        connections.close_all()


def _poll_processes(devices: list[Device], processes: int, threads: int) -> list[DeviceOutcome]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from django.db import connection

    chunks = [devices[i::processes] for i in range(processes)]
    payloads = [
        {
            "ids": [d.pk for d in chunk],
            "threads": threads,
            "settings_module": os.environ.get("DJANGO_SETTINGS_MODULE", "vpnportal.settings"),
            "settings": {k: getattr(settings, k) for k in _SHARED_SETTINGS},
            "db_name": connection.settings_dict["NAME"],
        }
        for chunk in chunks
        if chunk
    ]
    # spawn, not fork: the parent may run threads (a simulator, a thread pool) that fork would break.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(payloads), mp_context=context) as pool:
        return [o for result in pool.map(poll_in_process, payloads) for o in result]


# Below this many devices one process keeps up; above, a process per core (spawning costs ~1 s each).
PROCESS_PER_CORE_FROM = 200


def auto_processes(devices: int) -> int:
    """How many polling processes a cycle of `devices` devices should use (one per core when large)."""
    return 1 if devices < PROCESS_PER_CORE_FROM else max(1, os.cpu_count() or 1)


def run_poll_cycle(
    names: list[str] | None = None,
    *,
    concurrency: int | None = None,
    processes: int | None = 1,
    progress: Callable[[int, int, DeviceOutcome], None] | None = None,
    alerts: bool = True,
) -> CycleResult:
    """Poll now, correlate tunnels, then run the alert cycle: what `manage.py poll` does.

    1. Poll the named devices (all enabled ones by default) with POLL_CONCURRENCY threads, in
       `processes` processes when one Python process (one GIL) is the bottleneck of a large fleet
       (None: `auto_processes`).
    2. correlate_tunnels() over everything.
    3. vpnportal.alerting.cycle.run_alert_cycle(): findings, rules, notifications.
    """
    from devices.correlate import correlate_tunnels
    from devices.models import Device
    from vpnportal.alerting.cycle import run_alert_cycle

    started = time.monotonic()
    devices = Device.objects.all() if names else Device.objects.filter(enabled=True)
    if names:
        devices = devices.filter(name__in=names)
    device_list = list(devices.order_by("name"))
    if names:
        missing = sorted(set(names) - {d.name for d in device_list})
        if missing:
            raise ValueError(f"no device named {', '.join(missing)}")
    workers = max(1, min(concurrency or settings.POLL_CONCURRENCY, len(device_list) or 1))
    if processes is None:
        processes = auto_processes(len(device_list))
    outcomes: list[DeviceOutcome] = []
    if processes > 1 and len(device_list) > 1:
        outcomes = _poll_processes(device_list, min(processes, len(device_list)), workers)
        if progress:
            for i, outcome in enumerate(sorted(outcomes, key=lambda o: o.device), start=1):
                progress(i, len(device_list), outcome)
    else:

        def collect_one(outcome: DeviceOutcome) -> None:
            outcomes.append(outcome)
            if progress:
                progress(len(outcomes), len(device_list), outcome)

        poll_threads(device_list, workers, collect_one)
    outcomes.sort(key=lambda o: o.device)
    correlate_tunnels()
    note = ""
    if alerts:
        note = str(run_alert_cycle())
    return CycleResult(outcomes, time.monotonic() - started, note)
