"""Storage: database bytes per tunnel-day (counter samples and their rollups) and per device-day (poll records).

Two measurements in a scratch PostgreSQL database (`bench_storage`, dropped afterwards):

1. Counter history. Rows of devices_countersample and devices_counterrollup are generated server side
   for SAMPLE_SAS ident pairs (the same INSERT ... SELECT generate_series shape bench_pages uses) and
   the tables' on-disk size, indexes included, is divided by the row count. A tunnel is two ident pairs
   (one per end); at 5-minute polls it writes 288 raw samples a day per pair, rolled into 24 hourly and
   1 daily row, and the HISTORY_*_DAYS retention prunes them.
2. Poll records. A small simulated fleet is polled through the real pipeline (`run_poll_cycle`) a few
   times; the growth of devices_poll, devices_polloutput and devices_rawoutput per steady poll is
   measured. Nothing prunes these tables today, so they grow with every poll.

The baseline is the naive store: every command output kept as plain text per poll (what a script that
saves `show` outputs to disk would keep), so the ratio says what compression, deduplication and rollups buy.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SAMPLE_SAS = 200
POLLS_PER_DAY = 288  # one poll every 5 minutes (POLL_INTERVAL_SECONDS default 300)
FLEET_PAIRS = 10
STEADY_CYCLES = 4
PROJECT_TUNNELS = 1000
PROJECT_DAYS = 365


def _relation_bytes(cursor: Any, table: str) -> int:
    cursor.execute("SELECT pg_total_relation_size(%s)", [table])
    return int(cursor.fetchone()[0])


def _count(cursor: Any, table: str, where: str = "") -> int:
    cursor.execute(f"SELECT count(*) FROM {table} {where}")  # noqa: S608 - fixed table names
    return int(cursor.fetchone()[0])


def _history_row_bytes() -> dict[str, Any]:
    """On-disk bytes per raw sample, hourly and daily rollup row (table + indexes + TOAST)."""
    from django.db import connection
    from django.utils import timezone

    from devices.choices import Platform
    from devices.models import Device, IpsecSa

    now = timezone.now()
    devices = Device.objects.bulk_create(
        Device(name=f"s{i:04d}", host="127.0.0.1", platform=Platform.CISCO_IOS, username="bench")
        for i in range(SAMPLE_SAS)
    )
    IpsecSa.objects.bulk_create(
        IpsecSa(
            device=d, local_ident=f"10.{i}.0.0/24", remote_ident="192.168.0.0/24", current_peer="192.0.2.1"
        )
        for i, d in enumerate(devices)
    )
    with connection.cursor() as cursor:
        # Two days of raw samples, 90 days of hours, a year of days for each pair.
        cursor.execute(
            """INSERT INTO devices_countersample (ipsec_sa_id, at, inbound_spi, outbound_spi, pkts_encaps,
                   pkts_decaps, send_errors, recv_errors, other_errors, d_encaps, d_decaps, d_errors,
                   interval_seconds, reset)
               SELECT sa.id, g, 3607144732 + sa.id, 940810433 + sa.id, 123456789 + extract(epoch from g)::bigint,
                      123000000 + extract(epoch from g)::bigint, 2, 0, 0, 3000, 2990, 0, 300, false
               FROM devices_ipsecsa sa, generate_series(%s::timestamptz - interval '2 days', %s::timestamptz,
                                                         interval '300 seconds') g""",
            [now, now],
        )
        cursor.execute(
            """INSERT INTO devices_counterrollup (ipsec_sa_id, period, bucket, samples, d_encaps, d_decaps,
                   d_errors, seconds)
               SELECT sa.id, 'hour', g, 12, 36000, 35900, 0, 3600
               FROM devices_ipsecsa sa, generate_series(date_trunc('hour', %s::timestamptz) - interval '90 days',
                                                         date_trunc('hour', %s::timestamptz), interval '1 hour') g""",
            [now, now],
        )
        cursor.execute(
            """INSERT INTO devices_counterrollup (ipsec_sa_id, period, bucket, samples, d_encaps, d_decaps,
                   d_errors, seconds)
               SELECT sa.id, 'day', g, 288, 864000, 860000, 0, 86400
               FROM devices_ipsecsa sa, generate_series(date_trunc('day', %s::timestamptz) - interval '364 days',
                                                         date_trunc('day', %s::timestamptz), interval '1 day') g""",
            [now, now],
        )
        cursor.execute("VACUUM ANALYZE devices_countersample")
        cursor.execute("VACUUM ANALYZE devices_counterrollup")
        samples = _count(cursor, "devices_countersample")
        hourly = _count(cursor, "devices_counterrollup", "WHERE period = 'hour'")
        daily = _count(cursor, "devices_counterrollup", "WHERE period = 'day'")
        sample_bytes = _relation_bytes(cursor, "devices_countersample") / samples
        # Hourly and daily rows share a table: split its size by row count (same row shape).
        rollup_bytes = _relation_bytes(cursor, "devices_counterrollup") / (hourly + daily)
    return {
        "rows": {"raw_samples": samples, "hourly": hourly, "daily": daily},
        "bytes_per_raw_sample": round(sample_bytes, 1),
        "bytes_per_rollup": round(rollup_bytes, 1),
    }


def _poll_record_bytes() -> dict[str, Any]:
    """Bytes added per steady poll of one device (Poll, PollOutput, RawOutput), via the real pipeline."""
    from django.conf import settings
    from django.db import connection

    from devices.collect import run_poll_cycle
    from devices.inventory import import_inventory
    from devices.simulator import Simulator
    from devices.simulator.process import run_in_subprocess

    tables = ("devices_poll", "devices_polloutput", "devices_rawoutput")
    scenario = {"clock": {"start": "now"}, "fleet": {"pairs": FLEET_PAIRS, "personas": ["ios15", "asa9"]}}
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp:
        state = Path(tmp) / "sim"
        settings.VPNPORTAL_KNOWN_HOSTS = Path(tmp) / "known_hosts"
        sim = run_in_subprocess(scenario, state_dir=state)
        try:
            doc = Simulator(scenario, base_port=0, state_dir=state).inventory()
            for d in doc["devices"]:
                d["port"] = sim.port(d["name"])
            import_inventory(yaml.safe_dump(doc))
            devices = len(doc["devices"])
            run_poll_cycle(alerts=False)  # first contact: certificates, configuration, pins
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"VACUUM ANALYZE {table}")
                before = {t: _relation_bytes(cursor, t) for t in tables}
                rows_before = {t: _count(cursor, t) for t in tables}
                cursor.execute(
                    "SELECT coalesce(sum(r.size), 0) FROM devices_polloutput o JOIN devices_rawoutput r ON r.id = o.raw_id"
                )
                text_before = int(cursor.fetchone()[0])
            failed = 0
            for _ in range(STEADY_CYCLES):
                time.sleep(1.0)  # counters move on between polls, as they would in 5 minutes
                failed += len(run_poll_cycle(alerts=False).failed)
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"VACUUM ANALYZE {table}")
                after = {t: _relation_bytes(cursor, t) for t in tables}
                rows_after = {t: _count(cursor, t) for t in tables}
                cursor.execute(
                    "SELECT coalesce(sum(r.size), 0) FROM devices_polloutput o JOIN devices_rawoutput r ON r.id = o.raw_id"
                )
                text_after = int(cursor.fetchone()[0])
        finally:
            sim.stop()
    polls = devices * STEADY_CYCLES
    per_table = {t: round((after[t] - before[t]) / polls, 1) for t in tables}
    return {
        "devices": devices,
        "steady_polls": polls,
        "failed_polls": failed,
        "rows_added": {t: rows_after[t] - rows_before[t] for t in tables},
        "bytes_per_poll": per_table,
        "bytes_per_poll_total": round(sum(per_table.values()), 1),
        # The naive baseline: every output of every poll kept as plain text.
        "plain_text_bytes_per_poll": round((text_after - text_before) / polls, 1),
    }


def project(history: dict[str, Any], polls: dict[str, Any]) -> dict[str, Any]:
    """Per tunnel-day written, and the standing size for PROJECT_TUNNELS tunnels after PROJECT_DAYS days."""
    from django.conf import settings

    pairs_per_tunnel = 2  # one ident pair per end
    raw, roll = history["bytes_per_raw_sample"], history["bytes_per_rollup"]
    per_pair_day = POLLS_PER_DAY * raw + (24 + 1) * roll
    raw_days = min(PROJECT_DAYS, settings.HISTORY_RAW_DAYS)
    hourly_days = min(PROJECT_DAYS, settings.HISTORY_HOURLY_DAYS)
    daily_days = min(PROJECT_DAYS, settings.HISTORY_DAILY_DAYS)
    standing_pair = raw_days * POLLS_PER_DAY * raw + (hourly_days * 24 + daily_days) * roll
    # Without rollups and pruning: every raw sample kept for the year.
    unpruned_pair = PROJECT_DAYS * POLLS_PER_DAY * raw
    history_year = PROJECT_TUNNELS * pairs_per_tunnel * standing_pair
    devices = PROJECT_TUNNELS * 2  # worst case: every tunnel between two devices of its own
    poll_day = polls["bytes_per_poll_total"] * POLLS_PER_DAY
    polls_year = devices * PROJECT_DAYS * poll_day
    plain_year = devices * PROJECT_DAYS * POLLS_PER_DAY * polls["plain_text_bytes_per_poll"]
    return {
        "history_bytes_per_tunnel_day": round(pairs_per_tunnel * per_pair_day),
        "history_gb_1000_tunnels_year": round(history_year / 1e9, 2),
        "history_unpruned_gb_1000_tunnels_year": round(
            PROJECT_TUNNELS * pairs_per_tunnel * unpruned_pair / 1e9, 2
        ),
        "history_ratio_vs_unpruned": round(unpruned_pair / standing_pair, 1),
        "poll_records_bytes_per_device_day": round(poll_day),
        "poll_records_gb_2000_devices_year": round(polls_year / 1e9, 1),
        "plain_text_gb_2000_devices_year": round(plain_year / 1e9, 1),
        "poll_records_ratio_vs_plain_text": round(plain_year / polls_year, 1) if polls_year else None,
        "assumptions": (
            f"{POLLS_PER_DAY} polls/day, 2 ident pairs per tunnel, {devices} devices, retention raw "
            f"{settings.HISTORY_RAW_DAYS} d / hourly {settings.HISTORY_HOURLY_DAYS} d / daily "
            f"{settings.HISTORY_DAILY_DAYS} d; poll records are never pruned"
        ),
    }


def run() -> dict[str, Any]:
    """Measure row sizes and poll records in a scratch database, project a year of 1,000 tunnels, drop it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpnportal.test_settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = "bench_storage"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        history = _history_row_bytes()
        from devices.models import Device

        Device.objects.all().delete()  # the history's pairs are not devices to poll
        polls = _poll_record_bytes()
        results = {"history": history, "polls": polls, "projection": project(history, polls)}
        for name, value in results.items():
            print(f"  {name:10s} {value}", flush=True)
        return results
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        connection.settings_dict["NAME"] = old_name
        teardown_test_environment()


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
