"""Counter time series for the history endpoint, read from samples or rollups and bounded in points.

`devices.history.counter_series` (the polling pipeline's module) will own this; until it lands the
endpoint reads CounterSample/CounterRollup here, behind the same call shape.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from devices.choices import RollupPeriod
from devices.models import CounterRollup, CounterSample, IpsecSa, Tunnel

# Metric name -> delta column on both CounterSample and CounterRollup.
METRICS = {"encaps": "d_encaps", "decaps": "d_decaps", "errors": "d_errors"}
MAX_POINTS = 1000
RAW, HOUR, DAY = "raw", RollupPeriod.HOUR.value, RollupPeriod.DAY.value
NATIVE_STEP = {HOUR: 3600, DAY: 86400}
# Reading up to this many rows per SA and bucketing them is cheaper than a coarser, blurrier source.
OVERSAMPLE = 4


def choose_source(since: datetime, until: datetime, max_points: int, now: datetime | None = None) -> str:
    """The finest store that still holds `since` and gives at most OVERSAMPLE x max_points rows."""
    now = now or timezone.now()
    span = max((until - since).total_seconds(), 1.0)
    raw_step = max(int(getattr(settings, "POLL_INTERVAL_SECONDS", 300)), 1)
    budget = max_points * OVERSAMPLE
    if since >= now - timedelta(days=settings.HISTORY_RAW_DAYS) and span / raw_step <= budget:
        return RAW
    if since >= now - timedelta(days=settings.HISTORY_HOURLY_DAYS) and span / 3600 <= budget:
        return HOUR
    return DAY


def _sa_ids(target: Tunnel | IpsecSa | Iterable[int]) -> list[int]:
    if isinstance(target, IpsecSa):
        return [target.pk]
    if isinstance(target, Tunnel):
        return list(IpsecSa.objects.filter(tunnel=target).values_list("pk", flat=True))
    return list(target)


def counter_series(
    target: Tunnel | IpsecSa | Iterable[int],
    metric: str,
    since: datetime,
    until: datetime | None = None,
    max_points: int = MAX_POINTS,
) -> list[dict[str, Any]]:
    """Points {t, value, rate} of a counter's deltas summed over the SAs, at most max_points of them.

    1. Pick the store (raw samples, hourly or daily rollups) from the range and the retention.
    2. Read (sa, time, delta, seconds) rows of the range in one indexed query.
    3. Sum them into equal buckets wide enough for max_points; rate is the per-SA rates summed.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; one of {', '.join(METRICS)}")
    until = until or timezone.now()
    max_points = max(1, min(max_points, MAX_POINTS))
    ids = _sa_ids(target)
    if not ids or until <= since:
        return []
    source = choose_source(since, until, max_points)
    column = METRICS[metric]
    rows: Iterable[tuple[int, datetime, int, float]]
    if source == RAW:
        native = max(int(settings.POLL_INTERVAL_SECONDS), 1)
        rows = CounterSample.objects.filter(ipsec_sa_id__in=ids, at__gte=since, at__lt=until).values_list(
            "ipsec_sa_id", "at", column, "interval_seconds"
        )
    else:
        native = NATIVE_STEP[source]
        rows = CounterRollup.objects.filter(
            ipsec_sa_id__in=ids, period=source, bucket__gte=since, bucket__lt=until
        ).values_list("ipsec_sa_id", "bucket", column, "seconds")
    span = (until - since).total_seconds()
    width = max(float(native), math.ceil(span / max_points))
    # Buckets on multiples of their width since the epoch: the same instant lands in the same bucket
    # whatever `since` was, so a refreshed chart does not shift its points.
    start = math.floor(since.timestamp() / width) * width
    # bucket index -> sa id -> [delta, seconds]
    buckets: dict[int, dict[int, list[float]]] = {}
    for sa_id, at, delta, seconds in rows:
        index = int((at.timestamp() - start) // width)
        per_sa = buckets.setdefault(index, {})
        acc = per_sa.setdefault(sa_id, [0.0, 0.0])
        acc[0] += delta or 0
        acc[1] += seconds or 0
    points = []
    for index in sorted(buckets)[:max_points]:
        per_sa = buckets[index]
        value = sum(acc[0] for acc in per_sa.values())
        rate = sum(acc[0] / acc[1] for acc in per_sa.values() if acc[1] > 0)
        points.append(
            {
                "t": datetime.fromtimestamp(start + index * width, tz=since.tzinfo or UTC).isoformat(),
                "value": int(value),
                "rate": round(rate, 6),
            }
        )
    return points
