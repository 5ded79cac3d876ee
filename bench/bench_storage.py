"""Storage per tunnel-day with rollups and pruning, projected to 1,000 tunnels x 1 year.

Measured in a scratch PostgreSQL database (table + index bytes from pg_total_relation_size):
1. Polls, poll outputs and raw outputs: the seed pair (simulator in this process) polled CYCLES times
   with the simulated clock moving POLL_INTERVAL_SECONDS between polls; bytes per device-poll.
2. Counter history: raw samples, hourly and daily rollup rows bulk-created for TUNNELS synthetic
   tunnels (two ends, one SA pair each); bytes per row.
Then: bytes one tunnel adds per day (target: TARGET_TUNNEL_DAY_BYTES in bench/report.py, issue 22), what a
device-poll's bytes are (poll rows, output rows, raw text, indexes), and the steady state under the HISTORY_* retention (raw 7 days,
hourly 90, daily 730; polls and raw outputs kept as long as raw samples).

`python -m bench bench_storage`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CYCLES = 40
COPIES = 40  # the measured polls copied: 3,200 more, so a page (8 KiB) of growth is 2.6 bytes per poll
TUNNELS = 100
SAMPLE_DAYS = 1
PROJECT_TUNNELS = 1000
PROJECT_DAYS = 365
HISTORY_TABLES = ("devices_countersample", "devices_counterrollup")
POLL_TABLES = ("devices_poll", "devices_polloutput", "devices_rawoutput")


def _sizes(tables: tuple[str, ...]) -> dict[str, int]:
    return {t: parts["total"] for t, parts in _split_sizes(tables).items()}


def _split_sizes(tables: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """Per table: heap (pg_relation_size), TOAST (what pg_total_relation_size adds beyond the heap and the
    indexes), each index (pg_relation_size of the index) and the total."""
    from django.db import connection

    out: dict[str, dict[str, int]] = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT pg_total_relation_size(%s), pg_relation_size(%s), pg_indexes_size(%s)",
                [table, table, table],
            )
            total, heap, indexes = (int(v) for v in cursor.fetchone())
            parts = {"heap": heap, "toast": total - heap - indexes}
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
                "WHERE indrelid = %s::regclass ORDER BY 1",
                [table],
            )
            parts |= {f"index {name}": int(size) for name, size in cursor.fetchall()}
            out[table] = parts | {"total": total}
    return out


def _column_bytes(table: str, after_id: int) -> dict[str, float]:
    """Mean bytes per row of each column (pg_column_size, compressed as stored) of the rows after `after_id`."""
    from django.db import connection

    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
        sums = ", ".join(f'avg(pg_column_size("{c}"))' for c in columns)
        cursor.execute(f'SELECT count(*), {sums} FROM "{table}" WHERE id > %s', [after_id])  # noqa: S608
        row = cursor.fetchone()
    return {"rows": int(row[0])} | {c: round(float(v or 0), 1) for c, v in zip(columns, row[1:], strict=True)}


def _max_ids(tables: tuple[str, ...]) -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        out = {}
        for table in tables:
            cursor.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"')  # noqa: S608
            out[table] = int(cursor.fetchone()[0])
    return out


def _fields(row: Any) -> dict[str, Any]:
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if not f.primary_key}


def _copy_polls(after_id: int, span_seconds: int) -> int:
    """The measured polls and their outputs copied COPIES times (later slots, same raw outputs), vacuumed
    between copies; returns the polls added. Rows of the same content, enough of them that every index
    grows by pages: 120 polls fit in the index pages the first cycle left."""
    from datetime import timedelta

    from django.db import connection

    from devices.models import Poll, PollOutput

    polls = list(Poll.objects.filter(pk__gt=after_id).order_by("pk"))
    outputs: dict[int, list[PollOutput]] = {}
    for out in PollOutput.objects.filter(poll_id__gt=after_id).order_by("pk"):
        outputs.setdefault(out.poll_id, []).append(out)
    added = 0
    for k in range(1, COPIES + 1):
        shift = timedelta(seconds=2 * span_seconds * k)
        copies = []
        for poll in polls:
            copy = Poll(**_fields(poll))
            copy.slot = poll.slot + shift
            copy.started_at = poll.started_at + shift
            copies.append((poll.pk, copy))
        Poll.objects.bulk_create([c for _, c in copies])
        rows = []
        for old, copy in copies:
            for out in outputs.get(old, []):
                rows.append(PollOutput(**(_fields(out) | {"poll_id": copy.pk})))
        PollOutput.objects.bulk_create(rows)
        added += len(copies)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
    return added


def _poll_bytes() -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection

    from devices.fleet import run_poll_cycle
    from devices.inventory import import_inventory
    from devices.models import Poll, PollOutput, RawOutput
    from simulator import run_in_thread

    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp:
        settings.VPNPORTAL_KNOWN_HOSTS = Path(tmp) / "known_hosts"
        handle = run_in_thread(None, base_port=0, state_dir=Path(tmp) / "sim")
        try:
            doc = handle.inventory()
            for d in doc["devices"]:
                d.pop("host_key", None)
            import_inventory(yaml.safe_dump(doc))
            run_poll_cycle(alerts=False)  # first contact and the rows that never change
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            before = _split_sizes(POLL_TABLES)
            ids_before = _max_ids(POLL_TABLES)
            polls_before = Poll.objects.count()
            for _ in range(CYCLES):
                handle.advance(settings.POLL_INTERVAL_SECONDS)
                run_poll_cycle(alerts=False)
                # Autovacuum's part: a poll row is inserted, then updated when it ends; the dead
                # version's space is reused, not kept.
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM")
            after = _split_sizes(POLL_TABLES)
            polls = Poll.objects.count() - polls_before
            columns = {t: _column_bytes(t, ids_before[t]) for t in POLL_TABLES}
            ratios = {
                "raw_outputs_per_poll": round(RawOutput.objects.count() / max(1, Poll.objects.count()), 2),
                "outputs_per_poll": round(PollOutput.objects.count() / max(1, Poll.objects.count()), 2),
            }
            measured = Poll.objects.filter(pk__gt=ids_before["devices_poll"])
            complete_share = round(measured.filter(outputs_complete=True).count() / max(1, polls), 3)
            copied = _copy_polls(ids_before["devices_poll"], CYCLES * settings.POLL_INTERVAL_SECONDS)
            end = _split_sizes(POLL_TABLES)
        finally:
            handle.stop()
    split = {
        t: {part: round((size - before[t].get(part, 0)) / polls) for part, size in after[t].items()}
        for t in POLL_TABLES
    }
    # Poll and output rows from the copies (pages of growth over many rows: index entries show too);
    # raw outputs from the pipeline, since the copies point to the same ones.
    per_poll = {
        t: {part: round((size - after[t].get(part, 0)) / copied, 1) for part, size in end[t].items()}
        for t in POLL_TABLES
        if t != "devices_rawoutput"
    } | {"devices_rawoutput": split["devices_rawoutput"]}
    stored = columns["devices_polloutput"]["rows"] / max(1, polls)
    return {
        "device_polls": polls,
        "copied_device_polls": copied,
        "output_rows_per_device_poll": round(stored, 2),
        "complete_poll_share": complete_share,
        "bytes_per_device_poll_by_kind": _by_kind(per_poll, columns, stored),
        "bytes_per_device_poll": {t: round(parts["total"]) for t, parts in per_poll.items()},
        "bytes_per_device_poll_split": per_poll,
        "bytes_per_device_poll_pipeline_only": split,
        "column_bytes_per_row": columns,
        **ratios,
    }


def _by_kind(
    per_poll: Mapping[str, Mapping[str, float]], columns: dict[str, dict[str, float]], rows: float
) -> dict[str, float]:
    """Bytes per device-poll by what they are: poll rows, output rows, the raw text (deltas in the output
    rows, whole outputs in RawOutput) and the indexes of all three tables."""

    def part(table: str, *names: str) -> float:
        return sum(float(v) for k, v in per_poll[table].items() if k in names)

    def indexes(table: str) -> float:
        return sum(float(v) for k, v in per_poll[table].items() if k.startswith("index "))

    in_rows = columns["devices_polloutput"]["delta"] * rows  # pg_column_size: as stored, header included
    kinds = {
        "poll_rows": part("devices_poll", "heap", "toast"),
        "output_rows": part("devices_polloutput", "heap", "toast") - in_rows,
        "raw_text": in_rows + part("devices_rawoutput", "heap", "toast"),
        "indexes": sum(indexes(t) for t in POLL_TABLES),
    }
    return {k: round(v, 1) for k, v in kinds.items()}


def _history_bytes() -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from devices.choices import RollupPeriod
    from devices.models import CounterRollup, CounterSample, Device, IpsecSa, Tunnel

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    sas: list[IpsecSa] = []
    for i in range(TUNNELS):
        a = Device.objects.create(name=f"hist{i}a", host="127.0.0.1", platform="cisco_ios", username="u")
        b = Device.objects.create(name=f"hist{i}b", host="127.0.0.1", platform="cisco_asa", username="u")
        tunnel = Tunnel.objects.create(name=f"hist{i}", end_a=a, end_b=b)
        for dev, local, remote in ((a, "10.0.0.0/24", "10.1.0.0/24"), (b, "10.1.0.0/24", "10.0.0.0/24")):
            sas.append(
                IpsecSa.objects.create(device=dev, tunnel=tunnel, local_ident=local, remote_ident=remote)
            )
    interval = settings.POLL_INTERVAL_SECONDS
    per_day = 86400 // interval
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    base = _sizes(HISTORY_TABLES)
    samples = [
        CounterSample(
            ipsec_sa=sa,
            at=now - timedelta(seconds=interval * k),
            inbound_spi=0x1234ABCD,
            outbound_spi=0x4321DCBA,
            pkts_encaps=1_000_000 + k * 300,
            pkts_decaps=2_000_000 + k * 290,
            d_encaps=300,
            d_decaps=290,
            interval_seconds=float(interval),
        )
        for sa in sas
        for k in range(per_day * SAMPLE_DAYS)
    ]
    CounterSample.objects.bulk_create(samples, batch_size=5000)
    mid = _sizes(HISTORY_TABLES)
    hours = [
        CounterRollup(
            ipsec_sa=sa,
            period=RollupPeriod.HOUR,
            bucket=now - timedelta(hours=h),
            samples=12,
            d_encaps=3600,
            d_decaps=3480,
            seconds=3600.0,
        )
        for sa in sas
        for h in range(24 * SAMPLE_DAYS)
    ]
    days = [
        CounterRollup(
            ipsec_sa=sa,
            period=RollupPeriod.DAY,
            bucket=now - timedelta(days=d),
            samples=288,
            d_encaps=86400,
            d_decaps=83520,
            seconds=86400.0,
        )
        for sa in sas
        for d in range(30)
    ]
    CounterRollup.objects.bulk_create(hours, batch_size=5000)
    CounterRollup.objects.bulk_create(days, batch_size=5000)
    end = _sizes(HISTORY_TABLES)
    sample_row = (mid["devices_countersample"] - base["devices_countersample"]) / len(samples)
    rollup_row = (end["devices_counterrollup"] - mid["devices_counterrollup"]) / (len(hours) + len(days))
    return {
        "bytes_per_sample_row": round(sample_row, 1),
        "bytes_per_rollup_row": round(rollup_row, 1),
        "sample_rows_per_tunnel_day": 2 * per_day,
    }


def _project(polls: dict[str, Any], history: dict[str, Any]) -> dict[str, Any]:
    from django.conf import settings

    per_day = 86400 // settings.POLL_INTERVAL_SECONDS
    poll_bytes = sum(polls["bytes_per_device_poll"].values())
    # One tunnel = two ends = two devices polled, and one SA pair (a sample row per end per poll).
    day = {
        "polls_and_raw_outputs": 2 * per_day * poll_bytes,
        "raw_samples": 2 * per_day * history["bytes_per_sample_row"],
        "hourly_rollups": 2 * 24 * history["bytes_per_rollup_row"],
        "daily_rollups": 2 * history["bytes_per_rollup_row"],
    }
    raw_days = settings.HISTORY_RAW_DAYS
    hourly_days = min(settings.HISTORY_HOURLY_DAYS, PROJECT_DAYS)
    daily_days = min(settings.HISTORY_DAILY_DAYS, PROJECT_DAYS)
    steady = (
        raw_days * (day["polls_and_raw_outputs"] + day["raw_samples"])
        + hourly_days * day["hourly_rollups"]
        + daily_days * day["daily_rollups"]
    )
    unpruned = PROJECT_DAYS * sum(day.values())
    return {
        "bytes_per_tunnel_day": {k: round(v) for k, v in day.items()} | {"total": round(sum(day.values()))},
        "history_only_bytes_per_tunnel_day": round(
            day["raw_samples"] + day["hourly_rollups"] + day["daily_rollups"]
        ),
        "retention_days": {
            "raw_and_polls": raw_days,
            "hourly": settings.HISTORY_HOURLY_DAYS,
            "daily": settings.HISTORY_DAILY_DAYS,
        },
        "steady_bytes_per_tunnel_after_1_year": round(steady),
        f"projected_{PROJECT_TUNNELS}_tunnels_1_year_gb": round(PROJECT_TUNNELS * steady / 1e9, 2),
        f"projected_{PROJECT_TUNNELS}_tunnels_1_year_without_pruning_gb": round(
            PROJECT_TUNNELS * unpruned / 1e9, 1
        ),
    }


def run() -> dict[str, Any]:
    """Measure bytes per device-poll and per history row, and project the storage."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpnportal.test_settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_storage_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        polls = _poll_bytes()
        history = _history_bytes()
        result = {"polls": polls, "history": history, **_project(polls, history)}
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    day = result["bytes_per_tunnel_day"]
    kinds = result["polls"]["bytes_per_device_poll_by_kind"]
    print(
        f"  per device-poll: {sum(kinds.values()):.0f} B = "
        + ", ".join(f"{k.replace('_', ' ')} {v:.0f}" for k, v in kinds.items())
        + f" ({result['polls']['output_rows_per_device_poll']} output rows a poll)",
        flush=True,
    )
    print(
        f"  per tunnel-day: {day['total'] / 1024:.0f} KiB ({day['polls_and_raw_outputs'] / 1024:.0f} KiB polls+raw "
        f"outputs, {result['history_only_bytes_per_tunnel_day'] / 1024:.0f} KiB counter history); "
        f"{PROJECT_TUNNELS} tunnels x 1 year with retention: "
        f"{result[f'projected_{PROJECT_TUNNELS}_tunnels_1_year_gb']} GB "
        f"(without pruning {result[f'projected_{PROJECT_TUNNELS}_tunnels_1_year_without_pruning_gb']} GB)",
        flush=True,
    )
    return result


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps(run(), indent=2))
