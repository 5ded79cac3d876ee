"""The named ranges of the tunnel charts and the history API (`?range=`): their spans, the times each
one reads, which store that is, and which range the charts open on (the widest the history mostly fills).
One rule for all of them: the store is the one devices.history.counter_series reads for the start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Min

from devices.choices import RollupPeriod
from devices.history import DEFAULT_MAX_POINTS
from devices.models import CounterRollup, CounterSample, Tunnel

# The range picker's names and spans (the same as `?range=` of the history API).
RANGES: dict[str, timedelta] = {
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(days=7),
    "month": timedelta(days=30),
    "year": timedelta(days=365),
}
# A range is worth opening on when the data covers at least this share of it.
FILL = 0.5


def named_range(now: datetime, span: timedelta) -> tuple[datetime, datetime]:
    """(since, until) of a named range (`?range=day`) on steps of the chart's width (1/500 of the span, at
    least a minute), so that browsers asking within the same step share one cached answer: the end is
    rounded up (at most one step past now, where nothing is recorded yet) and the start down, so the range
    never starts after `now - span` and reads the store its span reads (a week starting a minute late
    would read raw samples instead of hourly rollups)."""
    step = max(60, int(span.total_seconds()) // (DEFAULT_MAX_POINTS // 2))
    epoch = int(now.timestamp())
    until = datetime.fromtimestamp(-(-epoch // step) * step, tz=UTC)
    since = datetime.fromtimestamp(epoch // step * step, tz=UTC) - span
    return since, until


def store_for(since: datetime, now: datetime) -> str:
    """Which store a range starting at `since` reads: raw samples, hourly or daily rollups (the rule of
    devices.history.counter_series, and the history API's `resolution`)."""
    if since >= now - timedelta(days=settings.HISTORY_RAW_DAYS):
        return "raw"
    if since >= now - timedelta(days=settings.HISTORY_HOURLY_DAYS):
        return RollupPeriod.HOUR
    return RollupPeriod.DAY


def choose_range(oldest: dict[str, datetime | None], now: datetime) -> str:
    """The widest range whose store's oldest point fills FILL of it; else the best-filled one ("day" if none).

    `oldest` maps a store ("raw", "hour", "day") to its oldest point for the tunnel.
    """
    fills: dict[str, float] = {}
    for name, span in RANGES.items():
        first = oldest.get(store_for(named_range(now, span)[0], now))
        if first is None:
            fills[name] = 0.0
            continue
        covered = now - max(first, now - span)
        fills[name] = max(0.0, covered / span)
    wide = [name for name, fill in fills.items() if fill >= FILL]
    if wide:
        return wide[-1]
    best = max(fills.items(), key=lambda item: item[1])
    return best[0] if best[1] > 0 else "day"


def default_range(tunnel: Tunnel, now: datetime) -> str:
    """The range the tunnel page's charts open on (see choose_range), from three MIN queries."""
    ids = list(tunnel.ipsec_sas.values_list("pk", flat=True))
    if not ids:
        return "day"
    oldest: dict[str, datetime | None] = {
        "raw": CounterSample.objects.filter(ipsec_sa_id__in=ids).aggregate(m=Min("at"))["m"]
    }
    for period in (RollupPeriod.HOUR, RollupPeriod.DAY):
        oldest[str(period)] = CounterRollup.objects.filter(ipsec_sa_id__in=ids, period=period).aggregate(
            m=Min("bucket")
        )["m"]
    return choose_range(oldest, now)
