"""Poll one device: claim it, run the command matrix, store raw outputs, parse, hand the outputs to the state.

The step after this one is correlation (devices.correlate), run by the task or the fleet runner."""

from __future__ import annotations

import contextlib
import logging
import re
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from devices import commands as cmds
from devices import history, plainsql, rawstore, session_pool, state
from devices.choices import PollStatus
from devices.commands import Command, CommandOutput, learned_pki_form, poll_commands
from devices.models import Device, DeviceState, Poll
from devices.outputs import ParsedOutput, applicable, parse_all
from devices.redact import redact_text
from devices.sessions import DeviceSession, SessionError
from pki import state as pki_state
from vpnportal import page_cache
from vpnportal.logging import log_context

log = logging.getLogger(__name__)

MAX_REASON = 1000
# The devices this process has applied a poll of in full. A restarted worker (a deploy with new parsers,
# rows rewritten by a data migration) trusts no row an older version wrote: its first poll of each device
# applies every output again, unchanged or not (rawstore.Stored.unchanged is ignored once).
APPLIED_HERE: set[int] = set()
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def claim(device_id: int, slot: datetime | None = None, task_id: str = "") -> tuple[Poll | None, Device]:
    """Claim a device's poll; returns (None, device) when another run already has this slot.

    1. Without a slot (manual poll): move next_poll_at forward with a conditional UPDATE; the old
       value becomes the slot. Losing the race means someone else just claimed it.
    2. Insert Poll(device, slot): the unique constraint makes a duplicated task a no-op.
    3. A redelivered task (same task id, worker lost) takes its own unfinished poll over.
    """
    if slot is not None and task_id:
        # The usual Celery case: the dispatcher already wrote this task's row. Taking it over first spares
        # every dispatched poll an INSERT the unique constraint rejects (and its error in the server log).
        own = _own_row(device_id, slot, task_id)
        if own is not None:
            return own, own.device
    # With its state row: apply_state and mark_stale read it (devices.state._state), no query of their own.
    device = plainsql.device_with_state(device_id)
    interval = timedelta(seconds=settings.POLL_INTERVAL_SECONDS)
    if slot is None:
        for _ in range(5):
            current = device.next_poll_at
            won = plainsql.update_row(
                Device,
                device_id,
                {"next_poll_at": timezone.now() + interval},
                where={"next_poll_at": current},
            )
            if won:
                slot = current
                break
            device.refresh_from_db(fields=["next_poll_at"])
        else:
            return None, device
    assert slot is not None
    try:
        # The INSERT with no save signal, like the dispatcher's rows (a running poll changes no page;
        # its finish bumps the page cache), as text (devices/plainsql.py). Inside a transaction a
        # savepoint keeps a duplicate's IntegrityError from breaking it; in autocommit the one statement
        # is its own transaction, and BEGIN/COMMIT around it would only cost the claim CPU.
        inside: contextlib.AbstractContextManager[object] = (
            transaction.atomic() if not connection.get_autocommit() else contextlib.nullcontext()
        )
        with inside:
            (poll,) = plainsql.insert_rows(Poll, [Poll(device=device, slot=slot, task_id=task_id[:64])])
        return poll, device
    except IntegrityError:
        if task_id:
            taken = _take_over(device, slot, task_id)
            if taken is not None:
                return taken, device
        return None, device


def _own_row(device_id: int, slot: datetime, task_id: str) -> Poll | None:
    """This task's own running Poll row of the slot with its device and state (one query), its start moved
    to now; None if there is none. The UPDATE is conditional: a row finished meanwhile is not taken over."""
    row = plainsql.own_poll(device_id, slot, task_id[:64], PollStatus.RUNNING)
    if row is None:
        return None
    row.started_at = timezone.now()
    taken = plainsql.update_row(
        Poll, row.pk, {"started_at": row.started_at}, where={"status": PollStatus.RUNNING}
    )
    return row if taken else None


def _take_over(device: Device, slot: datetime, task_id: str) -> Poll | None:
    """This task's own running Poll row of the slot, its start moved to now; None if there is none."""
    taken = Poll.objects.filter(
        device=device, slot=slot, task_id=task_id[:64], status=PollStatus.RUNNING
    ).update(started_at=timezone.now())
    return Poll.objects.get(device=device, slot=slot) if taken else None


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


def _stored(text: str, platform: str = "") -> str:
    # Device words end up in reasons and warnings: no escape sequence from a device reaches a terminal
    # or a page, and no secret of a line they quote is stored.
    return _CONTROL_RE.sub("?", redact_text(text, platform))


def _finish(
    poll: Poll, status: str, reason: str, started: float, timings: dict[str, float], warnings: list[str]
) -> None:
    poll.status = status
    poll.reason = _stored(reason)[:MAX_REASON]
    poll.finished_at = timezone.now()
    poll.duration_ms = int((time.monotonic() - started) * 1000)
    poll.timings = {k: round(v, 4) for k, v in timings.items()}
    poll.warnings = [_stored(w) for w in warnings]
    fields = ["status", "reason", "finished_at", "duration_ms", "timings", "warnings", "outputs_complete"]
    # One UPDATE and one page-cache bump for everything the poll wrote (its state rows are written with
    # update() and bulk_update(), which send no signal): now, and again when the poll's transaction commits.
    # Its device's version only: the rows a poll writes by UPDATE are that device's; the certificates, CRLs
    # and trustpoints it changes are saved (their signals bump the pki lists), tunnels by correlation.
    plainsql.update_row(Poll, poll.pk, {f: getattr(poll, f) for f in fields})
    page_cache.changed((), [poll.device_id])
    log.info(
        "poll %s of device %s: %s in %d ms %s", poll.pk, poll.device_id, status, poll.duration_ms, poll.reason
    )


def _store_outputs(poll: Poll, parsed: list[ParsedOutput], platform: str) -> frozenset[str]:
    """The raw outputs (whole or as deltas) and a PollOutput per command that changed since the previous
    poll, with its error and warnings (redacted): devices/rawstore.py. Returns the kinds of output the
    state need not apply again (rawstore.Stored.unchanged)."""
    return rawstore.store(poll, parsed, platform, lambda text: _stored(text, platform)).unchanged


def _learn_pki_form(device: Device, parsed: list[ParsedOutput]) -> None:
    """Remember whether the device speaks the `pki` or the `ca` commands, so later polls ask once."""
    for p in parsed:
        form = learned_pki_form(p.out.command, p.out.text)
        if form and not p.error and form != device.pki_form:
            Device.objects.filter(pk=device.pk).update(pki_form=form)
            device.pki_form = form


def apply_outputs(
    device: Device, poll: Poll, results: dict[str, ParsedOutput], unchanged: frozenset[str] = frozenset()
) -> None:
    """Hand a poll's applicable outputs to each app's state in turn: SAs, engine, clock and config
    (devices.state), certificates, CRLs and trustpoints (pki.state), then the counter history. `unchanged`:
    the kinds of output already applied as they are (devices/rawstore.py:Stored), which only move the
    rows' last-seen times."""
    applied = state.apply_state(device, poll, results, unchanged)
    pki_state.apply_pki_state(
        device,
        poll,
        certificates=results[cmds.CERTIFICATES].result if cmds.CERTIFICATES in results else None,
        crls=results[cmds.CRLS].result if cmds.CRLS in results else None,
        config=results[cmds.CONFIG].result if cmds.CONFIG in results else None,
        unchanged=unchanged >= pki_state.PKI_KINDS,
    )
    history.record_samples(poll, applied.sampled, applied.sampled_at)


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
    3. Parse; store raw outputs (deduplicated, compressed, deltas against the previous poll's) and a PollOutput per
       command whose output changed since the previous poll.
    4. Hand the outputs that succeeded to each app's state (`apply_outputs`).
    5. Record the outcome and reason; a failed poll marks the last known state stale.
    """
    poll, device = claim(device_id, slot, task_id)
    if poll is None:
        return None
    with log_context(device_id=device.pk, poll_id=poll.pk):
        return _run_claimed(poll, device)


def _run_claimed(poll: Poll, device: Device) -> Poll:
    """Steps 2 to 5 of poll_device, for a poll this run has claimed."""
    started = time.monotonic()
    timings: dict[str, float] = {}
    try:
        commands = poll_commands(device.platform, device.pki_form)
        try:
            # The device's session kept from its previous poll, or a fresh one (devices/session_pool.py).
            outputs = session_pool.run_commands(device, lambda s: _run_commands(s, commands), timings)
        except SessionError as exc:
            timings.setdefault("connect", time.monotonic() - started)
            with transaction.atomic():
                _finish(poll, PollStatus.FAILED, exc.reason, started, timings, [])
                state.mark_stale(device, poll)
            return poll
        t0 = time.monotonic()
        parsed = parse_all(device.platform, outputs)
        timings["parse"] = time.monotonic() - t0
        # Each output's warnings are stored with it (PollOutput.warnings), not twice: rawstore.poll_warnings().
        status, reason, _ = _outcome(parsed)
        t0 = time.monotonic()
        with transaction.atomic():
            unchanged = _store_outputs(poll, parsed, device.platform)
            _learn_pki_form(device, parsed)
            if status == PollStatus.FAILED:
                state.mark_stale(device, poll)
            else:
                apply_outputs(
                    device, poll, applicable(parsed), unchanged if device.pk in APPLIED_HERE else frozenset()
                )
                APPLIED_HERE.add(device.pk)
            timings["store"] = time.monotonic() - t0
            _finish(poll, status, reason, started, timings, [])
        return poll
    except BaseException as exc:
        # Push the next attempt forward and leave a readable record before re-raising.
        _push_next_poll(device)
        try:
            recorded = Poll.objects.filter(pk=poll.pk, status=PollStatus.RUNNING).update(
                status=PollStatus.FAILED,
                reason=_stored(f"internal error: {type(exc).__name__}: {exc}")[:MAX_REASON],
                finished_at=timezone.now(),
                duration_ms=int((time.monotonic() - started) * 1000),
            )
            DeviceState.objects.filter(device=device).update(stale=True)
            page_cache.changed((), [device.pk])  # the UPDATEs above send no signal
            if recorded:
                state.count_polls(device.pk, failed=1)
        except Exception:
            log.exception("could not record the failure of poll %s", poll.pk)
        raise
