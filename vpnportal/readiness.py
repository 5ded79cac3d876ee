"""Readiness of every part of the portal: one plain function per part, each returning ok and its figures.

`/readyz` (vpnportal/health.py), `/metrics` (vpnportal/metrics.py) and the admin banner
(vpnportal/context_processors.py) all call `run_checks()`, so they always tell the same story.

A check answers a dict: `ok` (True, False, or None when it could not be looked at because the database is
down), `required` (a required part down makes the whole portal "down" and /readyz 503; an optional one only
"degraded"), its figures (numbers and names), and `problem`, one sentence for a person, when not ok.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from devices.choices import PollStatus
from devices.models import Device, Poll
from vpnportal.choices import NotificationStatus
from vpnportal.models import Heartbeat, Notification

Check = dict[str, Any]
REQUIRED = ("database", "redis", "beat", "workers")
OPTIONAL = ("notifications", "polls")
PARTS = REQUIRED + OPTIONAL
BEAT_HEARTBEAT = "beat"  # recorded by beat itself each time it sends the minute's heartbeat task
WORKER_HEARTBEAT = "worker"  # recorded by whichever worker ran that task (vpnportal/tasks.py)
# The numeric figures /metrics exports, as vpnportal_<part>_<figure> gauges.
FIGURES = (
    ("database", "latency_ms", "Round trip of SELECT 1, in milliseconds."),
    ("redis", "latency_ms", "Round trip of the broker's PING and queue length, in milliseconds."),
    ("redis", "queued", "Tasks waiting in the default Celery queue."),
    ("beat", "age_seconds", "Seconds since Celery beat last ticked (sent the minute's heartbeat task)."),
    ("workers", "age_seconds", "Seconds since a worker last ran the heartbeat task."),
    ("workers", "fresh", "Worker heartbeats younger than HEARTBEAT_STALE_SECONDS."),
    ("notifications", "backlog", "Emails queued or being sent."),
    ("notifications", "oldest_age_seconds", "Age of the oldest undelivered email (0 without backlog)."),
    ("notifications", "failed", "Emails that failed for good."),
    ("polls", "overdue", "Enabled devices not polled for more than one interval past their due time."),
    ("polls", "oldest_overdue_seconds", "How long the most overdue device has waited (0 when none)."),
    ("polls", "running", "Polls claimed and not finished."),
)
BROKER_TIMEOUT_SECONDS = 2.0
DEFAULT_QUEUE = "celery"


def _minutes(seconds: float) -> str:
    # The same units as the pages' durations (vpnportal/templatetags/portal.py), with their plural forms.
    if seconds >= 90:
        n = f"{seconds / 60:.0f}"
        return ngettext("%(n)s min", "%(n)s min", int(n)) % {"n": n}
    n = f"{seconds:.0f}"
    return ngettext("%(n)s s", "%(n)s s", int(n)) % {"n": n}


def check_database() -> Check:
    """The database answers `SELECT 1`; its round trip in milliseconds."""
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        # A broken connection is dropped, so the next request connects afresh.
        connection.close_if_unusable_or_obsolete()
        return {"ok": False, "error": type(exc).__name__, "problem": gettext("The database does not answer.")}
    return {"ok": True, "latency_ms": round((time.monotonic() - started) * 1000, 1)}


def check_redis() -> Check:
    """The Celery broker answers PING; the length of the default queue (tasks waiting for a worker)."""
    url = settings.CELERY_BROKER_URL
    started = time.monotonic()
    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=BROKER_TIMEOUT_SECONDS, socket_timeout=BROKER_TIMEOUT_SECONDS
        )
        try:
            client.ping()
            queued = int(client.llen(DEFAULT_QUEUE))  # type: ignore[arg-type]
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError) as exc:
        return {
            "ok": False,
            "error": type(exc).__name__,
            "problem": gettext("The Redis broker does not answer: no task can be queued, nothing is polled."),
        }
    return {"ok": True, "latency_ms": round((time.monotonic() - started) * 1000, 1), "queued": queued}


def _heartbeat_ages(prefix: str, now: datetime) -> list[tuple[str, float]]:
    """(name, age in seconds) of the heartbeats whose name starts with `prefix`, freshest first."""
    rows = Heartbeat.objects.filter(name__startswith=prefix).order_by("-last_seen")
    return [(h.name, (now - h.last_seen).total_seconds()) for h in rows]


def check_beat(now: datetime) -> Check:
    """Celery beat ticked recently: the age of its own heartbeat."""
    stale = settings.HEARTBEAT_STALE_SECONDS
    ages = [a for a in _heartbeat_ages(BEAT_HEARTBEAT, now) if a[0] == BEAT_HEARTBEAT]
    if not ages:
        return {
            "ok": False,
            "age_seconds": None,
            "problem": gettext("Beat has never ticked: nothing is scheduled."),
        }
    age = ages[0][1]
    check: Check = {"ok": age <= stale, "age_seconds": round(age, 1)}
    if not check["ok"]:
        check["problem"] = gettext("Beat is silent: no tick for %(age)s; nothing is scheduled.") % {
            "age": _minutes(age)
        }
    return check


def check_workers(now: datetime) -> Check:
    """A worker ran the minute's heartbeat task recently: the freshest worker heartbeat's age."""
    stale = settings.HEARTBEAT_STALE_SECONDS
    ages = _heartbeat_ages(WORKER_HEARTBEAT, now)
    fresh = [a for a in ages if a[1] <= stale]
    if not ages:
        return {
            "ok": False,
            "age_seconds": None,
            "fresh": 0,
            "problem": gettext("No worker has ever run: polling has not started."),
        }
    check: Check = {
        "ok": bool(fresh),
        "age_seconds": round(ages[0][1], 1),
        "fresh": len(fresh),
    }
    if not fresh:
        check["problem"] = gettext("Polling has stopped: no worker heartbeat for %(age)s.") % {
            "age": _minutes(ages[0][1])
        }
    return check


def check_notifications(now: datetime) -> Check:
    """Emails not yet delivered: how many, the oldest one's age, and how many failed for good (one query)."""
    pending = Q(status__in=[NotificationStatus.QUEUED, NotificationStatus.SENDING])
    figures = Notification.objects.aggregate(
        backlog=Count("id", filter=pending),
        oldest=Min("created_at", filter=pending),
        failed=Count("id", filter=Q(status=NotificationStatus.FAILED)),
    )
    oldest = figures["oldest"]
    age = round((now - oldest).total_seconds(), 1) if oldest else 0.0
    check: Check = {
        "ok": age <= settings.NOTIFY_BACKLOG_MAX_AGE_SECONDS,
        "backlog": figures["backlog"],
        "oldest_age_seconds": age,
        "failed": figures["failed"],
    }
    if not check["ok"]:
        check["problem"] = ngettext(
            "%(n)s notification(s) undelivered, the oldest for %(age)s.",
            "%(n)s notification(s) undelivered, the oldest for %(age)s.",
            figures["backlog"],
        ) % {"n": figures["backlog"], "age": _minutes(age)}
    return check


def check_polls(now: datetime) -> Check:
    """Devices whose poll is overdue by more than one interval, and the polls running now (two queries)."""
    overdue = Q(next_poll_at__lt=now - timedelta(seconds=settings.POLL_INTERVAL_SECONDS))
    figures = Device.objects.filter(enabled=True).aggregate(
        devices=Count("id"), overdue=Count("id", filter=overdue), oldest=Min("next_poll_at", filter=overdue)
    )
    oldest = figures["oldest"]
    check: Check = {
        "ok": oldest is None,
        "overdue": figures["overdue"],
        "oldest_overdue_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0.0,
        "running": Poll.objects.filter(status=PollStatus.RUNNING).count(),
        "devices": figures["devices"],
    }
    if not check["ok"]:
        check["problem"] = ngettext(
            "%(n)s device(s) not polled for %(age)s.",
            "%(n)s device(s) not polled for %(age)s.",
            check["overdue"],
        ) % {"n": check["overdue"], "age": _minutes(check["oldest_overdue_seconds"])}
    return check


def _needs_database(fn: Callable[[datetime], Check], now: datetime) -> Check:
    try:
        return fn(now)
    except DatabaseError as exc:
        connection.close_if_unusable_or_obsolete()
        return {
            "ok": None,
            "error": type(exc).__name__,
            "problem": gettext("Not checked: the database does not answer."),
        }


def run_checks() -> dict[str, Any]:
    """Every check, and the overall status: "down" (a required part is not ok), "degraded", or "ok"."""
    now = timezone.now()
    checks: dict[str, Check] = {"database": check_database(), "redis": check_redis()}
    dependent: dict[str, Callable[[datetime], Check]] = {
        "beat": check_beat,
        "workers": check_workers,
        "notifications": check_notifications,
        "polls": check_polls,
    }
    for name, fn in dependent.items():
        if checks["database"]["ok"]:
            checks[name] = _needs_database(fn, now)
        else:
            checks[name] = {"ok": None, "problem": gettext("Not checked: the database does not answer.")}
    for name, check in checks.items():
        check["required"] = name in REQUIRED
    if any(checks[name]["ok"] is not True for name in REQUIRED):
        status = "down"
    elif any(checks[name]["ok"] is not True for name in OPTIONAL):
        status = "degraded"
    else:
        status = "ok"
    return {"status": status, "checked_at": now.isoformat(), "checks": checks}


def problems(report: dict[str, Any]) -> list[tuple[str, str]]:
    """(part, sentence) for each part that is not ok, required parts first."""
    return [
        (name, report["checks"][name].get("problem", gettext("%(part)s is not ok") % {"part": name}))
        for name in PARTS
        if report["checks"][name]["ok"] is not True
    ]
