"""The history endpoint: both ends' series, at most 1,000 points for any range, from the rollups."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devices.choices import RollupPeriod
from devices.history import ROLLUPS_SCOPE, counter_series, rollup_history, rollups_changed
from devices.models import CounterRollup, CounterSample, IpsecSa, Tunnel
from tests.pages.seed import Seed
from vpnportal import page_cache

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(viewer: User) -> Client:
    client = Client()
    client.force_login(viewer)
    return client


def test_it_returns_both_ends_for_the_last_hour(api: Client, seed: Seed) -> None:
    response = api.get(f"/api/tunnels/{seed.tunnel.pk}/history/?metric=encaps&range=hour")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"tunnel", "metric", "since", "until", "resolution", "series"}
    assert body["resolution"] == "raw" and body["metric"] == "encaps"
    router, pix = body["series"]
    assert router["device"] == "1720-1" and pix["device"] == "pix520-1"
    assert 10 <= len(router["points"]) <= 13
    point = router["points"][-1]
    assert set(point) >= {"at", "rate", "delta"}
    assert point["rate"] == pytest.approx(10, rel=0.05)


def test_it_takes_an_iso_since(api: Client, seed: Seed) -> None:
    since = (timezone.now() - timedelta(minutes=30)).isoformat()
    response = api.get(f"/api/tunnels/{seed.tunnel.pk}/history/", {"metric": "decaps", "since": since})
    assert response.status_code == 200
    assert 5 <= len(response.json()["series"][0]["points"]) <= 7


def test_it_reads_a_year_from_the_daily_rollups_in_at_most_1000_points(api: Client, seed: Seed) -> None:
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=400)
    CounterRollup.objects.bulk_create(
        CounterRollup(
            ipsec_sa=sa,
            period=RollupPeriod.DAY,
            bucket=start + timedelta(days=d),
            samples=288,
            d_encaps=864000,
            d_decaps=860000,
            d_errors=d % 3,
            seconds=86400,
        )
        for sa in (seed.router_sa, seed.pix_sa)
        for d in range(400)
    )
    since = (timezone.now() - timedelta(days=365)).isoformat()
    body = api.get(f"/api/tunnels/{seed.tunnel.pk}/history/", {"metric": "encaps", "since": since}).json()
    assert body["resolution"] == "day"
    total = sum(len(s["points"]) for s in body["series"])
    assert 700 <= total <= 1000
    assert body["series"][0]["points"][10]["rate"] == pytest.approx(10, rel=0.01)


def test_it_reads_a_month_from_the_hourly_rollups(api: Client, seed: Seed) -> None:
    body = api.get(f"/api/tunnels/{seed.tunnel.pk}/history/?metric=errors&range=month").json()
    assert body["resolution"] == "hour"
    assert sum(len(s["points"]) for s in body["series"]) <= 1000
    assert len(body["series"][0]["points"]) > 100


@pytest.mark.parametrize(
    "query",
    ["metric=bogus", "since=yesterday", "range=decade", f"since={'2030-01-01T00:00:00Z'}"],
)
def test_it_rejects_bad_parameters(api: Client, seed: Seed, query: str) -> None:
    assert api.get(f"/api/tunnels/{seed.tunnel.pk}/history/?{query}").status_code == 400


def test_it_answers_404_for_an_unknown_tunnel(api: Client, seed: Seed) -> None:
    assert api.get("/api/tunnels/999999/history/").status_code == 404


def test_a_named_range_reads_the_store_its_span_reads_and_reaches_now(api: Client, seed: Seed) -> None:
    """The end of a named range is rounded up (browsers share one cached answer per step) without the range
    starting later than `now - span`, which turned a week of hourly rollups into an hour of raw samples."""
    before = timezone.now()
    body = api.get(f"/api/tunnels/{seed.tunnel.pk}/history/?metric=encaps&range=week").json()
    assert body["resolution"] == "hour"
    assert datetime.fromisoformat(body["since"]) <= before - timedelta(days=7)
    assert datetime.fromisoformat(body["until"]) >= before
    assert len(body["series"][0]["points"]) > 100


@pytest.mark.parametrize("range_name", ["hour", "day", "week", "year"])
def test_its_answer_is_the_history_serializer_s(api: Client, seed: Seed, range_name: str) -> None:
    from devices.api.serializers import HistorySerializer

    body = api.get(f"/api/tunnels/{seed.tunnel.pk}/history/?metric=errors&range={range_name}").json()
    points = [p for end in body["series"] for p in end["points"]]
    again = HistorySerializer(
        {
            **body,
            "since": datetime.fromisoformat(body["since"]),
            "until": datetime.fromisoformat(body["until"]),
        }
    ).data
    assert again == body
    assert points == [dict(p) for end in again["series"] for p in end["points"]]


def test_the_charts_open_on_a_range_whose_store_the_api_reads(seed: Seed) -> None:
    from devices.chart_range import RANGES, named_range, store_for

    now = timezone.now()
    for span in RANGES.values():
        since = named_range(now, span)[0]
        # The start the API reads for a named range decides the store, for the chart's choice too.
        assert since <= now - span
        assert store_for(since, now) == store_for(now - span - timedelta(seconds=1), now)


def _rollup_queries(api: Client, url: str) -> tuple[dict[str, Any], int]:
    with CaptureQueriesContext(connection) as queries:
        body = api.get(url).json()
    return body, sum("devices_counterrollup" in q["sql"] for q in queries.captured_queries)


def _hour_rollups(seed: Seed, hours: range, d_encaps: int = 36000) -> None:
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    CounterRollup.objects.bulk_create(
        CounterRollup(
            ipsec_sa=sa,
            period=RollupPeriod.HOUR,
            bucket=start - timedelta(hours=h),
            samples=12,
            d_encaps=d_encaps,
            d_decaps=d_encaps,
            seconds=3600,
        )
        for sa in (seed.router_sa, seed.pix_sa)
        for h in hours
    )


def test_a_poll_of_an_end_keeps_a_rollup_range_s_answer_and_a_rollup_run_renews_it(
    api: Client, seed: Seed
) -> None:
    _hour_rollups(seed, range(24 * 8, 24 * 20))
    url = f"/api/tunnels/{seed.tunnel.pk}/history/?metric=encaps&range=month"
    first, read = _rollup_queries(api, url)
    assert read == 2 and first["resolution"] == "hour"  # one query per end
    # A poll of either end adds raw samples, never rollups: the month's answer stays cached.
    page_cache.changed(device_ids=[seed.router.pk, seed.pix.pk])
    again, read = _rollup_queries(api, url)
    assert (again, read) == (first, 0)
    # The hourly rollup run writes rows and bumps the rollups' version: the next answer reads them.
    _hour_rollups(seed, range(24 * 21, 24 * 22))
    rollups_changed()
    renewed, read = _rollup_queries(api, url)
    assert read == 2
    assert sum(len(s["points"]) for s in renewed["series"]) > sum(len(s["points"]) for s in first["series"])


def test_a_rollup_run_bumps_the_rollups_version(seed: Seed) -> None:
    before = page_cache.versions((ROLLUPS_SCOPE,))
    rollup_history()
    assert page_cache.versions((ROLLUPS_SCOPE,)) != before


def test_a_raw_range_s_answer_follows_the_polls_of_its_ends(api: Client, seed: Seed) -> None:
    url = f"/api/tunnels/{seed.tunnel.pk}/history/?metric=encaps&range=day"
    first = api.get(url).json()
    assert first["resolution"] == "raw"
    sa = seed.router_sa
    CounterSample.objects.create(ipsec_sa=sa, at=timezone.now(), pkts_encaps=10**9, d_encaps=10**6)
    page_cache.changed(device_ids=[seed.router.pk])
    assert api.get(url).json() != first


@pytest.mark.parametrize(("period", "days"), [(RollupPeriod.HOUR, 30), (RollupPeriod.DAY, 365)])
def test_a_rollup_range_reads_the_index_only(seed: Seed, period: str, days: int) -> None:
    """The rollups' unique index covers what counter_series reads (migration 0013): no heap page per row."""
    since = timezone.now() - timedelta(days=days)
    with CaptureQueriesContext(connection) as queries:
        counter_series(seed.router_sa, "decaps", since)
    (sql,) = [q["sql"] for q in queries.captured_queries if "devices_counterrollup" in q["sql"]]
    with connection.cursor() as cursor:
        # A seed-sized table is read whole by the planner's choice: ask for the index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using one_rollup_per_bucket" in plan, plan


UNREACHABLE_CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.mark.parametrize("range_name", ["day", "month"])
def test_a_cached_answer_is_the_bytes_and_headers_drf_renders(
    api: Client, seed: Seed, range_name: str
) -> None:
    _hour_rollups(seed, range(24 * 8, 24 * 20))
    url = f"/api/tunnels/{seed.tunnel.pk}/history/?metric=decaps&range={range_name}"
    api.get(url)
    kept = api.get(url)  # the JSON bytes the first request stored
    with override_settings(CACHES=UNREACHABLE_CACHES):
        rendered = api.get(url)  # no cache: DRF's Response, rendered by JSONRenderer
    assert kept.status_code == rendered.status_code == 200
    assert kept.content == rendered.content
    for header in ("Content-Type", "Vary", "Allow"):
        assert kept[header] == rendered[header], header
    # Another format (the browsable API) still gets the data.
    page = api.get(url, HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert api.get(url, HTTP_ACCEPT="application/json; indent=2").json() == kept.json()


@pytest.mark.parametrize("days", [12, 30, 200, 365])
def test_rollup_times_read_as_epoch_microseconds_give_the_same_series(
    seed: Seed, monkeypatch: pytest.MonkeyPatch, days: int
) -> None:
    from devices import history

    _hour_rollups(seed, range(24 * 8, 24 * 40), d_encaps=36001)
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    CounterRollup.objects.bulk_create(
        CounterRollup(
            ipsec_sa=sa, period=RollupPeriod.DAY, bucket=start - timedelta(days=d), d_encaps=d, seconds=86400
        )
        for sa in (seed.router_sa, seed.pix_sa)
        for d in range(1, 400)
    )
    # A start with microseconds, odd point counts, one SA and the tunnel's SAs of end A (several).
    until = timezone.now()
    since = until - timedelta(days=days, microseconds=123457)
    cases: list[tuple[Tunnel | IpsecSa, int]] = [
        (seed.router_sa, 1000),
        (seed.router_sa, 333),
        (seed.tunnel, 77),
    ]
    epoch = [counter_series(subject, "encaps", since, until, n) for subject, n in cases]
    monkeypatch.setattr(history, "EPOCH_ROLLUPS", False)
    assert epoch == [counter_series(subject, "encaps", since, until, n) for subject, n in cases]
    assert all(epoch)


@override_settings(PAGE_CACHE_SECONDS=1)
def test_a_rollup_range_s_answer_outlives_a_raw_range_s(api: Client, seed: Seed) -> None:
    """A rollup range changes at the hourly run only: kept ten times PAGE_CACHE_SECONDS, a raw one once."""
    import time

    _hour_rollups(seed, range(24 * 8, 24 * 20))
    month = f"/api/tunnels/{seed.tunnel.pk}/history/?metric=encaps&range=month"
    day = f"/api/tunnels/{seed.tunnel.pk}/history/?metric=encaps&range=day"
    api.get(month), api.get(day)
    time.sleep(1.5)
    assert _rollup_queries(api, month)[1] == 0
    with CaptureQueriesContext(connection) as queries:
        api.get(day)
    assert any("devices_countersample" in q["sql"] for q in queries.captured_queries)
