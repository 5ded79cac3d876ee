"""Poll one device: claim it, run the command matrix, store raw outputs, parse, update state and history."""

from __future__ import annotations

import hashlib
import logging
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from devices import commands as cmds
from devices.choices import PollStatus
from devices.commands import Command, CommandOutput, learned_pki_form, poll_commands
from devices.models import Device, DeviceState, Poll, PollOutput, RawOutput
from devices.outputs import ParsedOutput, applicable, parse_all, redact_config
from devices.sessions import DeviceSession, SessionError

log = logging.getLogger(__name__)

MAX_REASON = 1000
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def claim(device_id: int, slot: datetime | None = None, task_id: str = "") -> tuple[Poll | None, Device]:
    """Claim a device's poll; returns (None, device) when another run already has this slot.

    1. Without a slot (manual poll): move next_poll_at forward with a conditional UPDATE; the old
       value becomes the slot. Losing the race means someone else just claimed it.
    2. Insert Poll(device, slot): the unique constraint makes a duplicated task a no-op.
    3. A redelivered task (same task id, worker lost) takes its own unfinished poll over.
    """
    device = Device.objects.get(pk=device_id)
    interval = timedelta(seconds=settings.POLL_INTERVAL_SECONDS)
    if slot is None:
        for _ in range(5):
            current = device.next_poll_at
            won = Device.objects.filter(pk=device_id, next_poll_at=current).update(
                next_poll_at=timezone.now() + interval
            )
            if won:
                slot = current
                break
            device.refresh_from_db(fields=["next_poll_at"])
        else:
            return None, device
    assert slot is not None
    try:
        with transaction.atomic():
            poll = Poll.objects.create(device=device, slot=slot, task_id=task_id[:64])
        return poll, device
    except IntegrityError:
        if task_id:
            taken = Poll.objects.filter(
                device=device, slot=slot, task_id=task_id[:64], status=PollStatus.RUNNING
            ).update(started_at=timezone.now())
            if taken:
                return Poll.objects.get(device=device, slot=slot), device
        return None, device


def _run_commands(session: DeviceSession, commands: list[Command]) -> list[CommandOutput]:
    outputs: list[CommandOutput] = []
    for i, command in enumerate(commands):
        out = session.run_command(command)
        outputs.append(out)
        if session.broken:
            for rest in commands[i + 1 :]:
                outputs.append(CommandOutput(rest, rest.text, "", f"not run: {session.broken}"))
            break
    return outputs


def _store_raw(parsed: list[ParsedOutput]) -> dict[int, RawOutput]:
    """RawOutput rows, one per distinct content (sha256), compressed; returns them by position."""
    blobs: dict[int, tuple[str, bytes]] = {}
    for i, item in enumerate(parsed):
        text = item.out.output
        if item.out.command.kind == cmds.CONFIG:
            text = redact_config(text)
        data = text.encode("utf-8", "replace")
        blobs[i] = (hashlib.sha256(data).hexdigest(), data)
    digests = dict(blobs.values())
    existing = set(RawOutput.objects.filter(sha256__in=digests).values_list("sha256", flat=True))
    RawOutput.objects.bulk_create(
        [
            RawOutput(sha256=digest, size=len(data), content=zlib.compress(data, 6))
            for digest, data in digests.items()
            if digest not in existing
        ],
        ignore_conflicts=True,
    )
    rows = {r.sha256: r for r in RawOutput.objects.filter(sha256__in=digests).only("id", "sha256")}
    return {i: rows[digest] for i, (digest, _) in blobs.items()}


def _outcome(parsed: list[ParsedOutput]) -> tuple[str, str, list[str]]:
    failed = [p for p in parsed if p.error]
    warned = [p for p in parsed if p.warnings and not p.error]
    warnings = [f"{p.out.text}: {w}" for p in warned for w in p.warnings][:200]
    if failed and len(failed) == len(parsed):
        status = PollStatus.FAILED
    elif failed:
        status = PollStatus.PARTIAL
    else:
        status = PollStatus.OK
    reasons: list[str] = []
    by_error: dict[str, list[str]] = {}
    for p in failed:
        by_error.setdefault(p.error.strip().splitlines()[0][:200] if p.error.strip() else "error", []).append(
            p.out.text
        )
    for error, texts in by_error.items():
        reasons.append(f"{error} ({', '.join(texts)})")
    if warned:
        reasons.append("parse warnings: " + ", ".join(f"{p.out.text} ({len(p.warnings)})" for p in warned))
    return status, "; ".join(reasons)[:MAX_REASON], warnings


def _finish(
    poll: Poll, status: str, reason: str, started: float, timings: dict[str, float], warnings: list[str]
) -> None:
    poll.status = status
    # Device words end up in the reason: no escape sequence from a device reaches a terminal or page.
    poll.reason = _CONTROL_RE.sub("?", reason)[:MAX_REASON]
    poll.finished_at = timezone.now()
    poll.duration_ms = int((time.monotonic() - started) * 1000)
    poll.timings = {k: round(v, 4) for k, v in timings.items()}
    poll.warnings = [_CONTROL_RE.sub("?", w) for w in warnings]
    poll.save(update_fields=["status", "reason", "finished_at", "duration_ms", "timings", "warnings"])


def _push_next_poll(device: Device) -> None:
    # Never earlier than one interval from now, whatever happened: no crash loop on a broken device.
    later = timezone.now() + timedelta(seconds=settings.POLL_INTERVAL_SECONDS)
    Device.objects.filter(pk=device.pk, next_poll_at__lt=later - timedelta(seconds=1)).update(
        next_poll_at=later
    )


def poll_device(device_id: int, slot: datetime | None = None, task_id: str = "") -> Poll | None:
    """Poll one device once and store everything; returns the Poll, or None if this slot was taken.

    1. Claim (see `claim`).
    2. Open the session and run the platform's commands (pki form falls back to ca and is remembered).
    3. Parse; store raw outputs (deduplicated, compressed) and one PollOutput per command.
    4. Apply the state (SAs, engine, clock, config, certificates, CRLs) and the counter history.
    5. Record the outcome and reason; a failed poll marks the last known state stale.
    """
    from devices import history, state
    from pki import state as pki_state

    poll, device = claim(device_id, slot, task_id)
    if poll is None:
        return None
    started = time.monotonic()
    timings: dict[str, float] = {}
    try:
        session = DeviceSession(device)
        commands = poll_commands(device.platform, device.pki_form)
        try:
            t0 = time.monotonic()
            session.open()
            timings["connect"] = time.monotonic() - t0
            t0 = time.monotonic()
            outputs = _run_commands(session, commands)
            timings["commands"] = time.monotonic() - t0
        except SessionError as exc:
            timings.setdefault("connect", time.monotonic() - started)
            with transaction.atomic():
                _finish(poll, PollStatus.FAILED, exc.reason, started, timings, [])
                state.mark_stale(device, poll)
            return poll
        finally:
            session.close()
        t0 = time.monotonic()
        parsed = parse_all(device.platform, outputs)
        timings["parse"] = time.monotonic() - t0
        status, reason, warnings = _outcome(parsed)
        t0 = time.monotonic()
        with transaction.atomic():
            raws = _store_raw(parsed)
            PollOutput.objects.bulk_create(
                [
                    PollOutput(
                        poll=poll,
                        command=p.out.text[:128],
                        raw=raws[i],
                        error=_CONTROL_RE.sub("?", p.error)[:2000],
                        warnings=[_CONTROL_RE.sub("?", w) for w in p.warnings[:100]],
                        duration_ms=int(p.out.seconds * 1000),
                    )
                    for i, p in enumerate(parsed)
                ]
            )
            for p in parsed:
                form = learned_pki_form(p.out.command, p.out.text)
                if form and not p.error and form != device.pki_form:
                    Device.objects.filter(pk=device.pk).update(pki_form=form)
                    device.pki_form = form
            if status == PollStatus.FAILED:
                state.mark_stale(device, poll)
            else:
                results = applicable(parsed)
                applied = state.apply_state(device, poll, results)
                pki_state.apply_pki_state(
                    device,
                    poll,
                    certificates=results[cmds.CERTIFICATES].result if cmds.CERTIFICATES in results else None,
                    crls=results[cmds.CRLS].result if cmds.CRLS in results else None,
                    config=results[cmds.CONFIG].result if cmds.CONFIG in results else None,
                )
                history.record_samples(poll, applied.sampled, applied.sampled_at)
            timings["store"] = time.monotonic() - t0
            _finish(poll, status, reason, started, timings, warnings)
        return poll
    except BaseException as exc:
        # Push the next attempt forward and leave a readable record before re-raising.
        _push_next_poll(device)
        try:
            recorded = Poll.objects.filter(pk=poll.pk, status=PollStatus.RUNNING).update(
                status=PollStatus.FAILED,
                reason=f"internal error: {type(exc).__name__}: {exc}"[:MAX_REASON],
                finished_at=timezone.now(),
                duration_ms=int((time.monotonic() - started) * 1000),
            )
            DeviceState.objects.filter(device=device).update(stale=True)
            if recorded:
                state.count_polls(device.pk, failed=1)
        except Exception:
            log.exception("could not record the failure of poll %s", poll.pk)
        raise


# -- one whole cycle, for `manage.py poll` and the benchmark ---------------------------------------------


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
    return outcomes


def _poll_processes(devices: list[Device], processes: int, threads: int) -> list[DeviceOutcome]:
    import multiprocessing
    import os
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
    from devices.poll_worker import poll_in_process

    with ProcessPoolExecutor(max_workers=len(payloads), mp_context=context) as pool:
        return [o for result in pool.map(poll_in_process, payloads) for o in result]


# Below this many devices one process keeps up; above, a process per core (spawning costs ~1 s each).
PROCESS_PER_CORE_FROM = 200


def auto_processes(devices: int) -> int:
    """How many polling processes a cycle of `devices` devices should use (one per core when large)."""
    import os

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
    3. vpnportal.alerting.run_alert_cycle(): findings, rules, notifications.
    """
    from devices.correlate import correlate_tunnels

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
        note = run_alert_cycle()
    return CycleResult(outcomes, time.monotonic() - started, note)


def run_alert_cycle() -> str:
    """Evaluate alert rules and send due notifications (vpnportal.alerting); returns its summary as text."""
    # Imported here: vpnportal.alerting reads devices' models and diagnosis, which import this module.
    from vpnportal.alerting.cycle import run_alert_cycle as alert_cycle

    return str(alert_cycle())
