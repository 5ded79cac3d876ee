"""Which range the tunnel charts open on: the widest named range that the stored history mostly fills."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min

from devices.choices import RollupPeriod
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


def store_for(span: timedelta) -> str:
    """Which store a range of this span reads: raw samples, hourly or daily rollups (as the history API)."""
    if span < timedelta(days=settings.HISTORY_RAW_DAYS):
        return "raw"
    if span < timedelta(days=settings.HISTORY_HOURLY_DAYS):
        return RollupPeriod.HOUR
    return RollupPeriod.DAY


def choose_range(oldest: dict[str, datetime | None], now: datetime) -> str:
    """The widest range whose store's oldest point fills FILL of it; else the best-filled one ("day" if none).

    `oldest` maps a store ("raw", "hour", "day") to its oldest point for the tunnel.
    """
    fills: dict[str, float] = {}
    for name, span in RANGES.items():
        first = oldest.get(store_for(span))
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
