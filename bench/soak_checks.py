"""What the soak checks afterwards, from the soak database, the SMTP sink and the fault log.

Definitions (each check prints its number; a check fails when it is not 0, or not true):

- claimed slot: a value of Device.next_poll_at that a dispatcher (or a manual poll) replaced while it
  was due. A trigger installed in the soak database records every such change (device, slot, when), so
  the claims are known independently of the code under test.
- polls lost: claimed slots without a Poll row for (device, slot), plus Poll rows still `running` (or
  without finished_at) once the stack has drained. Every claim must end in a finished Poll row.
- duplicate polls: (device, slot) pairs with more than one Poll row, plus pairs of finished polls of one
  device whose [started_at, finished_at] intervals overlap (two sessions to one device at once). A
  poll finished as abandoned has no real end time (its finished_at is when the loss was noticed) and
  is left out of the overlap test.
- notifications lost: Notification rows that the SMTP server never received (by the
  X-Vpnportal-Notification header, which carries the row id; Message-ID carries it too), and rows not
  `sent` at the end. Sent twice: ids the server received more than once.
- false tunnel_down alerts: tunnel_down alerts that fired on a tunnel none of whose ends had the
  simulator's tunnel_down fault set before the alert opened.
- failures without a reason: failed or partial Poll rows with an empty reason.
- memory: per process (role), RSS after warm-up, at the end and at most; growth above
  MEMORY_GROWTH_RATIO and MEMORY_GROWTH_MB both is flagged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Installed in the soak database only: records each claimed slot as the database saw it.
CLAIM_LOG_SQL = """
CREATE TABLE IF NOT EXISTS soak_claim (
    id bigserial PRIMARY KEY,
    device_id bigint NOT NULL,
    slot timestamptz NOT NULL,
    next_poll_at timestamptz,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE OR REPLACE FUNCTION soak_log_claim() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('soak.quiet', true), '') <> 'on'
       AND OLD.next_poll_at IS NOT NULL
       AND OLD.next_poll_at <= clock_timestamp() THEN
        INSERT INTO soak_claim (device_id, slot, next_poll_at) VALUES (OLD.id, OLD.next_poll_at, NEW.next_poll_at);
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS soak_claim_trigger ON devices_device;
CREATE TRIGGER soak_claim_trigger AFTER UPDATE OF next_poll_at ON devices_device
    FOR EACH ROW WHEN (OLD.next_poll_at IS DISTINCT FROM NEW.next_poll_at) EXECUTE FUNCTION soak_log_claim();
"""

MEMORY_GROWTH_RATIO = 1.5
MEMORY_GROWTH_MB = 40.0


@dataclass
class Check:
    """One printed check: a count (0 passes) or a flag, with examples when it fails."""

    name: str
    value: int
    ok: bool
    detail: str = ""
    examples: list[str] = field(default_factory=list)


@dataclass
class FaultRecord:
    """A fault the soak set on a simulated device, and when (epoch seconds) it was cleared."""

    device: str
    fault: str
    set_at: float
    cleared_at: float | None = None


def unfinished_claims() -> tuple[int, int]:
    """(claimed slots without a Poll row, Poll rows not finished): the drain waits for both to be 0."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM soak_claim c
               WHERE NOT EXISTS (SELECT 1 FROM devices_poll p WHERE p.device_id = c.device_id AND p.slot = c.slot)"""
        )
        missing = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM devices_poll WHERE status = 'running' OR finished_at IS NULL")
        running = int(cursor.fetchone()[0])
    return missing, running


def polls_lost() -> Check:
    """Claimed slots without a finished Poll row."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT d.name, c.slot, c.at FROM soak_claim c JOIN devices_device d ON d.id = c.device_id
               WHERE NOT EXISTS (SELECT 1 FROM devices_poll p WHERE p.device_id = c.device_id AND p.slot = c.slot)
               ORDER BY c.at"""
        )
        missing = cursor.fetchall()
        cursor.execute(
            """SELECT d.name, p.slot, p.status, p.started_at FROM devices_poll p JOIN devices_device d ON d.id = p.device_id
               WHERE p.status = 'running' OR p.finished_at IS NULL ORDER BY p.started_at"""
        )
        unfinished = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM soak_claim")
        claims = int(cursor.fetchone()[0])
    examples = [f"no Poll row: {n} slot {s:%H:%M:%S} (claimed {a:%H:%M:%S})" for n, s, a in missing[:5]]
    examples += [
        f"not finished: {n} slot {s:%H:%M:%S} {st} since {t:%H:%M:%S}" for n, s, st, t in unfinished[:5]
    ]
    value = len(missing) + len(unfinished)
    return Check(
        "polls lost",
        value,
        value == 0,
        f"{claims} claimed slots; {len(missing)} without a Poll row, {len(unfinished)} never finished",
        examples,
    )


def duplicate_polls() -> Check:
    """Two rows for one claim, or two polls of one device at once."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT device_id, slot, count(*) FROM devices_poll GROUP BY device_id, slot HAVING count(*) > 1"
        )
        twice = cursor.fetchall()
        cursor.execute(
            """SELECT d.name, a.slot, a.started_at, a.finished_at, b.slot, b.started_at, b.finished_at
               FROM devices_poll a JOIN devices_poll b ON a.device_id = b.device_id AND a.id < b.id
               JOIN devices_device d ON d.id = a.device_id
               WHERE a.finished_at IS NOT NULL AND b.finished_at IS NOT NULL
                 AND a.reason NOT LIKE 'abandoned:%%' AND b.reason NOT LIKE 'abandoned:%%'
                 AND a.started_at < b.finished_at AND b.started_at < a.finished_at"""
        )
        overlapping = cursor.fetchall()
    examples = [
        f"{n}: slot {s1:%H:%M:%S} ran {a1:%H:%M:%S}-{f1:%H:%M:%S} while slot {s2:%H:%M:%S} ran "
        f"{a2:%H:%M:%S}-{f2:%H:%M:%S}"
        for n, s1, a1, f1, s2, a2, f2 in overlapping[:5]
    ]
    value = len(twice) + len(overlapping)
    return Check(
        "duplicate polls stored",
        value,
        value == 0,
        f"{len(twice)} slots stored twice, {len(overlapping)} overlapping pairs",
        examples,
    )


def notifications(received: Counter[str]) -> tuple[Check, Check]:
    """Lost (in the database, never received) and sent twice (received more than once)."""
    from vpnportal.models import Notification

    rows = list(Notification.objects.values_list("pk", "status", "attempts", "last_error"))
    ids = {str(pk) for pk, *_ in rows}
    lost = [(pk, st, at, err) for pk, st, at, err in rows if str(pk) not in received]
    not_sent = [(pk, st) for pk, st, *_ in rows if st != "sent"]
    twice = {k: v for k, v in received.items() if v > 1}
    unknown = [k for k in received if k not in ids]
    lost_check = Check(
        "notifications lost",
        len(lost) + len([1 for pk, st in not_sent if str(pk) in received]),
        not lost and not not_sent,
        f"{len(rows)} notification rows, {sum(received.values())} messages received; "
        f"{len(not_sent)} rows not sent; {len(unknown)} received ids unknown; "
        f"{sum(1 for _, _, at, _ in rows if at > 1)} delivered after a retry",
        [f"notification {pk}: {st} after {at} attempts ({err[:80]})" for pk, st, at, err in lost[:5]],
    )
    twice_check = Check(
        "notifications sent twice",
        len(twice),
        not twice,
        "by X-Vpnportal-Notification / Message-ID",
        [f"notification {k} received {v} times" for k, v in list(twice.items())[:5]],
    )
    return lost_check, twice_check


def false_tunnel_down(faults: list[FaultRecord]) -> Check:
    """tunnel_down alerts that fired on tunnels none of whose ends had the tunnel_down fault."""
    from devices.models import Tunnel
    from vpnportal.models import Alert

    ends = {t.name: (t.end_a.name, t.end_b.name) for t in Tunnel.objects.select_related("end_a", "end_b")}
    allowed: dict[str, float] = {}
    for f in faults:
        if f.fault == "tunnel_down":
            allowed[f.device] = min(allowed.get(f.device, f.set_at), f.set_at)
    fired = Alert.objects.filter(kind="tunnel_down").exclude(fired_at=None).select_related("tunnel")
    false: list[str] = []
    total = 0
    for alert in fired:
        total += 1
        name = alert.tunnel.name if alert.tunnel else alert.subject
        pair = ends.get(name, ())
        opened = alert.opened_at.timestamp()
        if not any(end in allowed and allowed[end] <= opened + 1 for end in pair):
            false.append(f"{name} fired {alert.fired_at:%H:%M:%S} ({alert.summary[:80]})")
    pending = Alert.objects.filter(kind="tunnel_down", fired_at=None).count()
    return Check(
        "false tunnel_down alerts",
        len(false),
        not false,
        f"{total} tunnel_down alerts fired ({pending} pending only); {len(allowed)} devices had the fault",
        false[:5],
    )


def failures_without_reason() -> Check:
    """Failed or partial polls whose reason is empty."""
    from devices.models import Poll

    bare = Poll.objects.filter(status__in=["failed", "partial"], reason="")
    examples = [
        f"{p.device.name} slot {p.slot:%H:%M:%S} {p.status}" for p in bare.select_related("device")[:5]
    ]
    failed = Poll.objects.filter(status__in=["failed", "partial"]).count()
    count = bare.count()
    return Check(
        "failures without a reason", count, count == 0, f"{failed} failed or partial polls", examples
    )


def memory(series: dict[str, list[Any]], warmup_s: float) -> tuple[Check, list[str]]:
    """Per role and process generation: RSS after warm-up, at the end, at most; flag growth."""
    lines: list[str] = []
    flagged: list[str] = []
    for role, runs in series.items():
        for run in runs:
            samples = run.samples
            if not samples:
                continue
            # Warm-up counts from the process's own start: a restarted worker forks its pool first.
            born = samples[0][0]
            warm = [kib for at, kib in samples if at >= born + warmup_s] or [samples[-1][1]]
            start_mb, end_mb = warm[0] / 1024, samples[-1][1] / 1024
            max_mb = max(kib for _, kib in samples) / 1024
            growth = end_mb - start_mb
            label = role if len(runs) == 1 else f"{role}#{run.generation}"
            flag = end_mb > start_mb * MEMORY_GROWTH_RATIO and growth > MEMORY_GROWTH_MB and len(warm) >= 3
            lines.append(
                f"{label:14s} start {start_mb:7.1f} MB  end {end_mb:7.1f} MB  max {max_mb:7.1f} MB  "
                f"{'GROWING' if flag else 'stable'} ({len(samples)} samples)"
            )
            if flag:
                flagged.append(label)
    return (
        Check(
            "processes with growing memory",
            len(flagged),
            not flagged,
            f"growth over x{MEMORY_GROWTH_RATIO} and {MEMORY_GROWTH_MB:.0f} MB after {warmup_s:.0f} s warm-up",
            flagged,
        ),
        lines,
    )


def summary_counts() -> dict[str, Any]:
    """Context for the report: polls by status, alerts by kind, notification states."""
    from django.db.models import Count

    from devices.models import Poll
    from vpnportal.models import Alert, Notification

    return {
        "polls": dict(Poll.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")),
        "alerts": dict(Alert.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n")),
        "notifications": dict(
            Notification.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
        ),
    }


def fmt_time(ts: float) -> str:
    """Epoch seconds as HH:MM:SS UTC."""
    return datetime.utcfromtimestamp(ts).strftime("%H:%M:%S")
