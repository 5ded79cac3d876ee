"""Counter history: a sample per IPsec SA per poll with reset-aware deltas, rollups, pruning, series.

Metrics of `counter_series` (rates in packets per second over each point's interval):
- `encaps`: packets this end encapsulated (sent into the tunnel); `counter` is `#pkts encaps`.
- `decaps`: packets this end decapsulated (received from the tunnel); `counter` is `#pkts decaps`.
- `errors`: send + receive errors + other failure counters (replay, verify, compression).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BigIntegerField, Count, Max, Q, Sum, Value
from django.db.models.functions import Cast, Extract, TruncDay, TruncHour
from django.utils import timezone

from devices import plainsql
from devices.choices import RollupPeriod
from devices.models import CounterRollup, CounterSample, IpsecSa, Poll, Tunnel

METRICS = ("encaps", "decaps", "errors")
DEFAULT_MAX_POINTS = 1000
# The page-cache scope (vpnportal/page_cache.py) of the rollup rows: every rollup run bumps it, and an
# answer read from the rollups alone (a week, a month, a year) is cached under it, not under the polls.
ROLLUPS_SCOPE = "rollups"
# counter_series reads rollup times as epoch microseconds on PostgreSQL (False: as datetimes, as elsewhere).
EPOCH_ROLLUPS = True
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Counters of `show crypto ipsec sa` that count failures besides send/recv errors.
_OTHER_ERROR_WORDS = ("fail", "replay", "invalid", "drop")


def other_errors(counters: dict[str, int]) -> int:
    """Sum of failure counters other than send/recv errors (compression, replay, verify failures)."""
    return sum(
        v
        for k, v in counters.items()
        if k not in ("send_errors", "recv_errors") and any(w in k for w in _OTHER_ERROR_WORDS)
    )


def delta(current: int, previous: int) -> int:
    """Growth of a counter; one that went down was reset (reboot, clear) and counts from zero."""
    return current - previous if current >= previous else current


def record_samples(
    poll: Poll | None, sampled: Iterable[tuple[IpsecSa, dict[str, int]]], at: datetime
) -> list[CounterSample]:
    """Store one CounterSample per SA with deltas against its previous sample (never negative).

    A counter that went down or an SPI that changed marks the sample `reset`: the deltas then count
    from zero (or from the previous value when the counter kept growing through a rekey), so a rate is
    never negative and never larger than the traffic really seen.
    """
    items = list(sampled)
    if not items:
        return []
    ids = [sa.pk for sa, _ in items]
    # As text on PostgreSQL (devices/plainsql.py): the ORM's compile cost more than the query.
    previous: dict[int, Any] | None = plainsql.newest_samples(ids)
    if previous is None:
        previous = CounterSample.objects.newest_by_sa(ids)
    rows: list[CounterSample] = []
    for sa, counters in items:
        errors = other_errors(counters)
        sample = CounterSample(
            ipsec_sa=sa,
            poll=poll,
            at=at,
            inbound_spi=sa.inbound_spi,
            outbound_spi=sa.outbound_spi,
            pkts_encaps=counters.get("pkts_encaps", 0),
            pkts_decaps=counters.get("pkts_decaps", 0),
            send_errors=counters.get("send_errors", 0),
            recv_errors=counters.get("recv_errors", 0),
            other_errors=errors,
        )
        prev = previous.get(sa.pk)
        if prev is not None and at > prev.at:
            went_down = (
                sample.pkts_encaps < prev.pkts_encaps
                or sample.pkts_decaps < prev.pkts_decaps
                or sample.send_errors < prev.send_errors
                or sample.recv_errors < prev.recv_errors
                or sample.other_errors < prev.other_errors
            )
            rekeyed = (prev.inbound_spi, prev.outbound_spi) != (sample.inbound_spi, sample.outbound_spi)
            sample.reset = went_down or rekeyed
            sample.d_encaps = delta(sample.pkts_encaps, prev.pkts_encaps)
            sample.d_decaps = delta(sample.pkts_decaps, prev.pkts_decaps)
            sample.d_errors = (
                delta(sample.send_errors, prev.send_errors)
                + delta(sample.recv_errors, prev.recv_errors)
                + delta(sample.other_errors, prev.other_errors)
            )
            sample.interval_seconds = (at - prev.at).total_seconds()
        rows.append(sample)
    return plainsql.insert_rows(CounterSample, rows)


# -- rollups and pruning ------------------------------------------------------------------------------


@dataclass
class RollupResult:
    """Rows written and deleted by one rollup run."""

    hourly: int = 0
    daily: int = 0
    pruned_samples: int = 0
    pruned_hourly: int = 0
    pruned_daily: int = 0
    pruned_polls: int = 0
    pruned_raw_outputs: int = 0


def _upsert(period: str, groups: Iterable[dict[str, Any]]) -> int:
    rows = [
        CounterRollup(
            ipsec_sa_id=g["ipsec_sa_id"],
            period=period,
            bucket=g["bucket"],
            samples=g["n"] or 0,
            d_encaps=g["enc"] or 0,
            d_decaps=g["dec"] or 0,
            d_errors=g["err"] or 0,
            seconds=g["secs"] or 0.0,
        )
        for g in groups
    ]
    if rows:
        CounterRollup.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["ipsec_sa", "period", "bucket"],
            update_fields=["samples", "d_encaps", "d_decaps", "d_errors", "seconds"],
            batch_size=2000,
        )
    return len(rows)


def rollup_history(now: datetime | None = None) -> RollupResult:
    """Roll raw samples into hours and hours into days, then prune by the HISTORY_* retention settings.

    1. Hours not yet rolled (from the last hourly bucket, within raw retention) are recomputed from raw
       samples: closed buckets are stable, so running twice writes the same numbers.
    2. Days likewise from the hourly rows.
    3. Delete raw samples, hourly and daily rows older than their retention; polls, their outputs and
       unused raw outputs older than the raw retention (each device's last poll and last ok poll stay).
    """
    now = now or timezone.now()
    result = RollupResult()
    raw_from = now - timedelta(days=settings.HISTORY_RAW_DAYS)
    hour_now = now.replace(minute=0, second=0, microsecond=0)
    last_hour = CounterRollup.objects.filter(period=RollupPeriod.HOUR).aggregate(m=Max("bucket"))["m"]
    start = max(raw_from, last_hour - timedelta(hours=1)) if last_hour else raw_from
    hourly = (
        CounterSample.objects.filter(
            at__gte=start.replace(minute=0, second=0, microsecond=0), at__lt=hour_now
        )
        .annotate(bucket=TruncHour("at"))
        .values("ipsec_sa_id", "bucket")
        .annotate(
            n=Count("id"),
            enc=Sum("d_encaps"),
            dec=Sum("d_decaps"),
            err=Sum("d_errors"),
            secs=Sum("interval_seconds"),
        )
    )
    result.hourly = _upsert(RollupPeriod.HOUR, hourly)
    day_now = now.replace(hour=0, minute=0, second=0, microsecond=0)
    hourly_from = now - timedelta(days=settings.HISTORY_HOURLY_DAYS)
    last_day = CounterRollup.objects.filter(period=RollupPeriod.DAY).aggregate(m=Max("bucket"))["m"]
    day_start = max(hourly_from, last_day - timedelta(days=1)) if last_day else hourly_from
    daily = (
        CounterRollup.objects.filter(
            period=RollupPeriod.HOUR,
            bucket__gte=day_start.replace(hour=0, minute=0, second=0, microsecond=0),
            bucket__lt=day_now,
        )
        .annotate(day=TruncDay("bucket"))
        .values("ipsec_sa_id", "day")
        .annotate(
            n=Sum("samples"),
            enc=Sum("d_encaps"),
            dec=Sum("d_decaps"),
            err=Sum("d_errors"),
            secs=Sum("seconds"),
        )
    )
    result.daily = _upsert(RollupPeriod.DAY, ({**g, "bucket": g["day"]} for g in daily))
    # Keep raw samples of the hour being rolled even past retention; prune only what is rolled.
    result.pruned_samples = CounterSample.objects.filter(at__lt=min(raw_from, hour_now)).delete()[0]
    result.pruned_hourly = CounterRollup.objects.filter(
        period=RollupPeriod.HOUR, bucket__lt=hourly_from
    ).delete()[0]
    result.pruned_daily = CounterRollup.objects.filter(
        period=RollupPeriod.DAY, bucket__lt=now - timedelta(days=settings.HISTORY_DAILY_DAYS)
    ).delete()[0]
    result.pruned_polls, result.pruned_raw_outputs = prune_polls(raw_from)
    rollups_changed()
    return result


def rollups_changed() -> None:
    """The rollup rows changed (written or pruned): the history answers cached under ROLLUPS_SCOPE go."""
    from vpnportal import page_cache

    page_cache.changed(scopes=(ROLLUPS_SCOPE,))


def prune_polls(before: datetime) -> tuple[int, int]:
    """Delete polls (and their outputs) older than `before`, keeping each device's latest and latest ok
    poll; then the raw outputs no poll uses any more. Returns (polls, raw outputs) deleted.

    A poll kept may read outputs unchanged since older polls (devices/rawstore.py): first the kept polls
    that can, each device's oldest poll from `before` and the latest (ok) ones older than it, get rows of
    their own, so an output unchanged for longer than the retention still reads back."""
    from django.db.models import OuterRef, Subquery

    from devices.models import Device, DeviceState, PollOutput, RawOutput
    from devices.rawstore import complete_polls

    keep: set[int] = set()
    for last, last_ok in DeviceState.objects.values_list("last_poll_id", "last_ok_poll_id"):
        keep.update(i for i in (last, last_ok) if i is not None)
    oldest_kept = Poll.objects.filter(device=OuterRef("pk"), started_at__gte=before).order_by("started_at")
    firsts = Device.objects.annotate(first=Subquery(oldest_kept.values("pk")[:1])).values_list(
        "first", flat=True
    )
    readers = Poll.objects.filter(outputs_complete=False).filter(
        Q(pk__in=[i for i in firsts if i is not None]) | Q(pk__in=keep, started_at__lt=before)
    )
    complete_polls(readers)
    old = Poll.objects.filter(started_at__lt=before).exclude(pk__in=keep)
    polls = old.count()
    PollOutput.objects.filter(poll__in=old).delete()
    old.delete()
    raws = RawOutput.objects.filter(created_at__lt=before, uses__isnull=True).delete()[0]
    return polls, raws


# -- series for pages and the API ---------------------------------------------------------------------


def _sas(tunnel_or_sa: Tunnel | IpsecSa) -> list[int]:
    if isinstance(tunnel_or_sa, IpsecSa):
        return [tunnel_or_sa.pk]
    # A tunnel's series is seen from its first end (inventory order): encaps = sent by end A.
    ids = list(
        IpsecSa.objects.filter(tunnel=tunnel_or_sa, device_id=tunnel_or_sa.end_a_id).values_list(
            "pk", flat=True
        )
    )
    if not ids:
        ids = list(IpsecSa.objects.filter(tunnel=tunnel_or_sa).values_list("pk", flat=True)[:1])
    return ids


def counter_series(
    tunnel_or_sa: Tunnel | IpsecSa,
    metric: str,
    since: datetime,
    until: datetime | None = None,
    max_points: int = DEFAULT_MAX_POINTS,
) -> list[dict[str, Any]]:
    """A downsampled series (at most max_points) of a metric: [{at, rate, delta, seconds, counter}].

    `at` is the ISO start of each point's bucket, `rate` packets/s (None without a measured interval),
    `delta` packets in the bucket, `counter` the last raw counter seen (None when read from rollups).
    Raw samples are used while the range is within raw retention, then hourly, then daily rollups.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; one of {', '.join(METRICS)}")
    until = until or timezone.now()
    max_points = max(1, min(int(max_points), DEFAULT_MAX_POINTS))
    if until <= since:
        return []
    ids = _sas(tunnel_or_sa)
    if not ids:
        return []
    now = timezone.now()
    # (seconds from `since`, the row's time as a key, delta, seconds covered, last counter, SA).
    points: list[tuple[float, Hashable, int, float, int | None, int]] = []
    delta_field = {"encaps": "d_encaps", "decaps": "d_decaps", "errors": "d_errors"}[metric]
    # Plain rows, not model instances: a year of hourly rollups is ~9,000 rows per SA.
    if since >= now - timedelta(days=settings.HISTORY_RAW_DAYS):
        counter_fields = {
            "encaps": ("pkts_encaps",),
            "decaps": ("pkts_decaps",),
            "errors": ("send_errors", "recv_errors", "other_errors"),
        }[metric]
        rows = CounterSample.objects.filter(ipsec_sa_id__in=ids, at__gte=since, at__lte=until).order_by("at")
        for at, d, seconds, sa_id, *raw in rows.values_list(
            "at", delta_field, "interval_seconds", "ipsec_sa_id", *counter_fields
        ):
            points.append(((at - since).total_seconds(), at, d, seconds, sum(raw), sa_id))
    else:
        hourly_ok = since >= now - timedelta(days=settings.HISTORY_HOURLY_DAYS)
        period = RollupPeriod.HOUR if hourly_ok else RollupPeriod.DAY
        rollups = CounterRollup.objects.filter(
            ipsec_sa_id__in=ids, period=period, bucket__gte=since, bucket__lte=until
        ).order_by("bucket")
        if EPOCH_ROLLUPS and connection.vendor == "postgresql":
            # The bucket as integer microseconds since the epoch: half the CPU of parsing each timestamp,
            # and the same offsets (integer microseconds / 10**6, as timedelta.total_seconds() divides).
            since_us = (since - _EPOCH) // _MICROSECOND
            at_us = Cast(Extract("bucket", "epoch") * Value(1_000_000), BigIntegerField())
            for us, d, seconds, sa_id in rollups.annotate(at_us=at_us).values_list(
                "at_us", delta_field, "seconds", "ipsec_sa_id"
            ):
                points.append(((us - since_us) / 1_000_000, us, d, seconds, None, sa_id))
        else:
            for bucket, d, seconds, sa_id in rollups.values_list(
                "bucket", delta_field, "seconds", "ipsec_sa_id"
            ):
                points.append(((bucket - since).total_seconds(), bucket, d, seconds, None, sa_id))
    width = (until - since).total_seconds() / max_points
    buckets: dict[int, list[Any]] = {}
    several = len(ids) > 1
    for offset, at, d, seconds, counter, sa_id in points:
        index = min(max_points - 1, max(0, math.floor(offset / width)))
        b = buckets.setdefault(index, [0, 0.0, {}, {}])
        b[0] += d
        if several:
            # Several SAs sampled at the same poll cover the same seconds: count the interval once.
            b[3][at] = max(b[3].get(at, 0.0), seconds)
        else:
            b[1] += seconds
        if counter is not None:
            b[2][sa_id] = counter  # the last reading of each SA in the bucket
    series: list[dict[str, Any]] = []
    for index in sorted(buckets):
        total, seconds, counters, per_at = buckets[index]
        if several:
            seconds = sum(per_at.values())
        series.append(
            {
                "at": (since + timedelta(seconds=index * width)).isoformat(),
                "rate": round(total / seconds, 6) if seconds > 0 else None,
                "delta": total,
                "seconds": round(seconds, 3),
                "counter": sum(counters.values()) if counters else None,
            }
        )
    return series
