"""Pages and history under load: 1,000 devices, 500 tunnels, a year of counter history.

Targets: overview and tunnel page < 200 ms at p95, history endpoint < 100 ms at p95, and a
bounded number of SQL queries per page. Runs in its own database (bench_pages), dropped afterwards.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

DEVICES = 1000
TUNNELS = 500
RUNS = 30
TARGET_PAGE_MS = 200
TARGET_HISTORY_MS = 100


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpnportal.test_settings")
    import django

    django.setup()


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1), "runs": len(ordered)}


def populate(history: bool = True) -> dict[str, Any]:
    """Bulk-create the inventory, its state and a year of history; return row counts and seconds."""
    from django.db import connection
    from django.utils import timezone

    from devices.choices import Platform, PollStatus, TunnelStatus
    from devices.models import Device, DeviceState, IkeSa, IpsecSa, Poll, Tunnel
    from pki.choices import CertificateRole, CertificateStatus
    from pki.models import Certificate, Crl
    from vpnportal.choices import AlertKind, AlertState, Severity
    from vpnportal.models import Alert, Heartbeat

    started = time.monotonic()
    now = timezone.now()
    devices = Device.objects.bulk_create(
        Device(
            name=f"r{i:04d}",
            host=f"10.{i // 250}.{i % 250}.1",
            platform=Platform.CISCO_IOS if i % 2 == 0 else Platform.CISCO_ASA,
            username="bench",
        )
        for i in range(DEVICES)
    )
    polls = Poll.objects.bulk_create(
        Poll(
            device=d,
            slot=now - timedelta(minutes=2),
            status=PollStatus.OK if i % 50 else PollStatus.FAILED,
            reason="" if i % 50 else "connect: timed out",
            started_at=now - timedelta(minutes=2),
            finished_at=now - timedelta(minutes=1),
            duration_ms=1800,
        )
        for i, d in enumerate(devices)
    )
    DeviceState.objects.bulk_create(
        DeviceState(device=d, last_poll=p, last_ok_poll=p, stale=False, clock_skew_seconds=(i % 7) * 3.0)
        for i, (d, p) in enumerate(zip(devices, polls, strict=True))
    )
    tunnels = Tunnel.objects.bulk_create(
        Tunnel(
            name=f"t{i:04d}",
            end_a=devices[2 * i],
            end_b=devices[2 * i + 1],
            status=TunnelStatus.UP if i % 25 else TunnelStatus.DOWN,
            spi_mirror_ok=bool(i % 25),
        )
        for i in range(TUNNELS)
    )
    IkeSa.objects.bulk_create(
        IkeSa(device=d, src=f"192.0.2.{i % 250}", dst="198.51.100.1", peer="198.51.100.1", state="QM_IDLE")
        for i, d in enumerate(devices)
    )
    sas = []
    for i, t in enumerate(tunnels):
        a_in, a_out = 0x10000000 + i, 0x20000000 + i
        sas.append(
            IpsecSa(
                device=t.end_a,
                tunnel=t,
                local_ident="a",
                remote_ident="b",
                current_peer="198.51.100.1",
                inbound_spi=a_in,
                outbound_spi=a_out,
            )
        )
        sas.append(
            IpsecSa(
                device=t.end_b,
                tunnel=t,
                local_ident="b",
                remote_ident="a",
                current_peer="192.0.2.1",
                inbound_spi=a_out,
                outbound_spi=a_in,
            )
        )
    IpsecSa.objects.bulk_create(sas)
    Certificate.objects.bulk_create(
        Certificate(
            device=d,
            key=f"{role}-{d.pk}",
            role=role,
            status=CertificateStatus.AVAILABLE,
            serial=f"{d.pk:08X}",
            subject=f"CN={d.name}.example.net",
            valid_to=now + timedelta(days=(d.pk * 7 + k * 100) % 700 - 30),
        )
        for d in devices
        for k, role in enumerate((CertificateRole.IDENTITY, CertificateRole.CA, CertificateRole.RA_SIGNATURE))
    )
    Crl.objects.bulk_create(
        Crl(device=d, issuer="CN=CRL1, O=bench", next_update=now + timedelta(hours=d.pk % 200 - 10))
        for d in devices
    )
    Alert.objects.bulk_create(
        Alert(
            kind=AlertKind.TUNNEL_DOWN if i % 2 else AlertKind.CERT_EXPIRING,
            key=f"bench:{i}",
            device=devices[i * 5],
            subject=f"s{i}",
            severity=Severity.CRITICAL if i % 3 == 0 else Severity.WARNING,
            state=AlertState.FIRING if i < 150 else AlertState.RESOLVED,
            summary="bench alert",
        )
        for i in range(200)
    )
    Heartbeat.objects.create(name="worker", last_seen=now)
    # A year of history for every SA: daily rollups for the year, hourly for the hourly retention,
    # raw samples for the raw retention, as INSERT ... SELECT generate_series (bulk, server side).
    from django.conf import settings

    with connection.cursor() as cursor:
        if history:
            cursor.execute(
                """INSERT INTO devices_counterrollup (ipsec_sa_id, period, bucket, samples, d_encaps, d_decaps, d_errors, seconds)
                   SELECT sa.id, 'day', g, 288, 864000 + sa.id, 860000, (sa.id + extract(doy from g)::int) %% 5, 86400
                   FROM devices_ipsecsa sa, generate_series(date_trunc('day', %s::timestamptz) - interval '365 days',
                                                             date_trunc('day', %s::timestamptz), interval '1 day') g""",
                [now, now],
            )
            cursor.execute(
                """INSERT INTO devices_counterrollup (ipsec_sa_id, period, bucket, samples, d_encaps, d_decaps, d_errors, seconds)
                   SELECT sa.id, 'hour', g, 12, 36000, 35900, 0, 3600
                   FROM devices_ipsecsa sa, generate_series(date_trunc('hour', %s::timestamptz) - %s * interval '1 day',
                                                             date_trunc('hour', %s::timestamptz), interval '1 hour') g""",
                [now, settings.HISTORY_HOURLY_DAYS, now],
            )
            cursor.execute(
                """INSERT INTO devices_countersample (ipsec_sa_id, at, inbound_spi, outbound_spi, pkts_encaps, pkts_decaps,
                       send_errors, recv_errors, other_errors, d_encaps, d_decaps, d_errors, interval_seconds, reset)
                   SELECT sa.id, g, sa.inbound_spi, sa.outbound_spi, 0, 0, 0, 0, 0, 3000, 2990, 0, 300, false
                   FROM devices_ipsecsa sa, generate_series(%s::timestamptz - %s * interval '1 day', %s::timestamptz,
                                                             interval '300 seconds') g""",
                [now, settings.HISTORY_RAW_DAYS, now],
            )
        cursor.execute("ANALYZE")
        cursor.execute("SELECT period, count(*) FROM devices_counterrollup GROUP BY period")
        rollups = dict(cursor.fetchall())
        cursor.execute("SELECT count(*) FROM devices_countersample")
        samples = cursor.fetchone()[0]
    return {
        "devices": DEVICES,
        "tunnels": TUNNELS,
        "ipsec_sas": len(sas),
        "rollups_daily": rollups.get("day", 0),
        "rollups_hourly": rollups.get("hour", 0),
        "raw_samples": samples,
        "populate_seconds": round(time.monotonic() - started, 1),
    }


def measure(client: Any, urls: Callable[[int], str], runs: int = RUNS) -> dict[str, Any]:
    """Time `runs` GETs (after one warm-up) and count the SQL queries of one."""
    from django.db import connection

    client.get(urls(0))
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    # An execute wrapper survives the connection being closed and reopened between requests.
    with connection.execute_wrapper(count):
        response = client.get(urls(0))
    assert response.status_code == 200, (urls(0), response.status_code)
    times = []
    for i in range(runs):
        started = time.perf_counter()
        response = client.get(urls(i))
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return {**_percentiles(times), "queries": len(queries), "bytes": len(response.content)}


def run() -> dict[str, Any]:
    """Build the data set in a scratch database, measure the pages and the history endpoint, drop it."""
    _setup_django()
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment, teardown_test_environment

    from devices.models import Tunnel
    from vpnportal.roles import VIEWER, ensure_roles

    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = "bench_pages"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        counts = populate()
        ensure_roles()
        user = User.objects.create_user("bench-viewer", password="x" * 20)
        user.groups.add(Group.objects.get(name=VIEWER))
        client = Client()
        client.force_login(user)
        ids = list(Tunnel.objects.order_by("?").values_list("pk", flat=True)[:RUNS])
        results: dict[str, Any] = {"data": counts}
        results["overview"] = measure(client, lambda i: "/", runs=20)
        results["tunnel_page"] = measure(client, lambda i: f"/tunnels/{ids[i % len(ids)]}/")
        for rng in ("day", "week", "month", "year"):

            def history_url(i: int, rng: str = rng) -> str:
                return f"/api/tunnels/{ids[i % len(ids)]}/history/?metric=encaps&range={rng}"

            results[f"history_{rng}"] = measure(client, history_url)
        results["api_tunnels_page"] = measure(client, lambda i: "/api/tunnels/?limit=100", runs=10)
        results["certificates_page"] = measure(client, lambda i: "/certificates/", runs=10)
        results["metrics"] = measure(client, lambda i: "/metrics", runs=5)
        # Search, server-side sorting and the CSV exports (the whole filtered list: docs/lists.md).
        results["devices_searched"] = measure(
            client, lambda i: "/devices/?q=r09&ordering=-clock_skew", runs=10
        )
        results["certificates_sorted"] = measure(
            client, lambda i: "/certificates/?role=identity&ordering=-valid_to&page=2", runs=10
        )
        results["csv_devices"] = measure(client, lambda i: "/api/devices/?format=csv", runs=5)
        results["csv_tunnels"] = measure(client, lambda i: "/api/tunnels/?format=csv", runs=3)
        results["csv_certificates"] = measure(client, lambda i: "/api/certificates/?format=csv", runs=5)
        results["targets"] = {
            "overview_p95_ok": results["overview"]["p95_ms"] < TARGET_PAGE_MS,
            "tunnel_page_p95_ok": results["tunnel_page"]["p95_ms"] < TARGET_PAGE_MS,
            "history_year_p95_ok": results["history_year"]["p95_ms"] < TARGET_HISTORY_MS,
        }
        for name, value in results.items():
            print(f"  {name:18s} {value}", flush=True)
        return results
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    run()
