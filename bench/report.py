"""The one table `python -m bench` prints: every figure next to its same-run baseline and the ratio.

`python -m bench.report [results.json]` prints the table of a stored run again.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Row = tuple[str, str, str, str, str]  # area, measure, vpnportal, baseline, ratio
HEADER: Row = ("area", "measure", "vpnportal", "baseline (same run)", "ratio")


def _num(value: Any, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:,.0f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text}{unit}"


def _ratio(ours: Any, theirs: Any, higher_is_better: bool = True) -> str:
    """`x N` where N > 1 means vpnportal is better."""
    try:
        a, b = float(ours), float(theirs)
    except (TypeError, ValueError):
        return "—"
    if a <= 0 or b <= 0:
        return "—"
    value = a / b if higher_is_better else b / a
    return f"x{value:,.1f}"


def _parsers(section: dict[str, Any]) -> Iterator[Row]:
    for name, row in (section.get("commands") or {}).items():
        yield (
            "parsers",
            f"{name} µs/parse ({row.get('files')} files)",
            _num(row.get("ours_us_per_parse"), " µs", 1),
            _num(row.get("ntc_us_per_parse"), " µs ntc TextFSM", 1),
            _ratio(row.get("ours_us_per_parse"), row.get("ntc_us_per_parse"), higher_is_better=False),
        )
        yield (
            "parsers",
            f"{name} fields / values",
            f"{row.get('our_fields')} / {row.get('our_values')}",
            f"{row.get('ntc_fields')} / {row.get('ntc_values')}",
            _ratio(row.get("our_values"), row.get("ntc_values")),
        )
        if "floor_us_per_parse" in row:
            yield (
                "parsers",
                f"{name} CPython floor (one regex, groups, a dict)",
                _num(row.get("floor_us_per_parse"), " µs", 2),
                _num(row.get("ntc_us_per_parse"), " µs ntc TextFSM", 1),
                f"max x{row.get('max_speedup')}",
            )


def _simulator(section: dict[str, Any]) -> Iterator[Row]:
    for key, row in section.items():
        if not key.startswith("devices_") or not isinstance(row, dict):
            continue
        yield (
            "simulator",
            f"{row.get('devices')} sessions at once: connect+command p50/p95",
            f"{_num(row.get('p50_s'), ' s', 3)} / {_num(row.get('p95_s'), ' s', 3)}",
            "—",
            f"RSS {_num(row.get('server_rss_mb'), ' MB', 0)}",
        )


def _poll_rows(key: str, row: dict[str, Any]) -> Iterator[Row]:
    ours = row.get("vpnportal") or {}
    steady = ours.get("steady") or ours
    plain = row.get("plain_netmiko") or {}
    n = key.removeprefix("devices_")
    yield (
        "poll cycle",
        f"N={n}: devices/s ({steady.get('failed', 0)} failed)",
        _num(steady.get("devices_per_s"), "", 2),
        _num(plain.get("devices_per_s"), " plain netmiko", 2)
        + (f" ({plain.get('devices')} dev)" if plain.get("devices") else ""),
        _ratio(steady.get("devices_per_s"), plain.get("devices_per_s")),
    )
    yield (
        "poll cycle",
        f"N={n}: p50 / p95 s per device",
        f"{_num(steady.get('p50_s'), '', 2)} / {_num(steady.get('p95_s'), '', 2)}",
        f"{_num(plain.get('p50_s'), '', 2)} / {_num(plain.get('p95_s'), '', 2)}",
        _ratio(steady.get("p50_s"), plain.get("p50_s"), higher_is_better=False),
    )
    split = steady.get("split_mean_s") or {}
    if split:
        parts = ", ".join(f"{k} {v:.2f}" for k, v in split.items())
        pct = steady.get("split_pct") or {}
        share = ", ".join(f"{k} {v:.0f}%" for k, v in pct.items())
        yield ("poll cycle", f"N={n}: split s/device", parts, "—", share)
    if steady.get("wall_s"):
        yield (
            "poll cycle",
            f"N={n}: cycle wall time",
            _num(steady.get("wall_s"), " s", 1),
            _num(plain.get("projected_wall_s") or _plain_wall(n, plain), " s plain (projected)", 0),
            _ratio(_plain_wall(n, plain), steady.get("wall_s"), higher_is_better=True),
        )


def _plain_wall(n: str, plain: dict[str, Any]) -> float | None:
    try:
        return int(n) / float(plain["devices_per_s"])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None


def _poll(section: dict[str, Any]) -> Iterator[Row]:
    for key, row in section.items():
        if key.startswith("devices_") and isinstance(row, dict):
            yield from _poll_rows(key, row)


def _celery_rows(n: str, row: dict[str, Any]) -> Iterator[Row]:
    """One Celery cycle per worker concurrency beside `manage.py poll` and the netmiko script of that run."""
    threads = row.get("manage_py_poll") or {}
    plain = row.get("plain_netmiko") or {}
    yield (
        "celery poll",
        f"N={n}: manage.py poll (threads) devices/s, CPU ms/device-poll",
        f"{_num(threads.get('devices_per_s'))}, {_num(threads.get('poller_cpu_ms_per_device'), ' ms', 1)}",
        _num(plain.get("devices_per_s"), " plain netmiko", 2),
        f"load {row.get('load_at_start')} -> {row.get('load_at_end')}",
    )
    for key, c in (row.get("celery") or {}).items():
        conc = key.removeprefix("concurrency_")
        yield (
            "celery poll",
            f"N={n} C={conc}: CPU ms/device-poll worker / simulator",
            f"{_num(c.get('worker_cpu_ms_per_device'), '', 1)} / {_num(c.get('simulator_cpu_ms_per_device'), ' ms', 1)}",
            _num(threads.get("poller_cpu_ms_per_device"), " ms manage.py poll", 1),
            f"target 10 ms: {_ratio(c.get('worker_cpu_ms_per_device'), 10, higher_is_better=False)}",
        )
        yield (
            "celery poll",
            f"N={n} C={conc}: devices/s, wall, p50/p95 s ({c.get('failed', 0)} failed)",
            f"{_num(c.get('devices_per_s'))}, {_num(c.get('wall_s'), ' s', 1)}, "
            f"{_num(c.get('p50_s'))} / {_num(c.get('p95_s'))}",
            f"{_num(threads.get('devices_per_s'))} manage.py poll, {_num(plain.get('devices_per_s'))} netmiko",
            f"{_ratio(c.get('devices_per_s'), threads.get('devices_per_s'))} vs threads (target x0.8), "
            f"{_ratio(c.get('devices_per_s'), plain.get('devices_per_s'))} vs netmiko",
        )
        pool = c.get("rss_peak_mb_pool") or []
        yield (
            "celery poll",
            f"N={n} C={conc}: peak RSS per worker process",
            f"main {_num(c.get('rss_peak_mb_main'), ' MB', 0)}, pool {', '.join(f'{v:.0f}' for v in pool)} MB",
            "target < 250 MB",
            f"group {_num(c.get('rss_peak_mb_group'), ' MB', 0)}",
        )
        split = c.get("split_mean_s") or {}
        if split:
            yield (
                "celery poll",
                f"N={n} C={conc}: split s/device",
                ", ".join(f"{k} {v:.3f}" for k, v in split.items()),
                "—",
                f"load {c.get('load_at_start')} -> {c.get('load_at_end')}",
            )


def _celery(section: dict[str, Any]) -> Iterator[Row]:
    for key, row in section.items():
        if key.startswith("devices_") and isinstance(row, dict):
            yield from _celery_rows(key.removeprefix("devices_"), row)


def _pages(section: dict[str, Any]) -> Iterator[Row]:
    data = section.get("data") or {}
    if data:
        yield (
            "pages",
            "data set",
            f"{_num(data.get('devices'))} devices, {_num(data.get('tunnels'))} tunnels",
            f"{_num(data.get('rollups_daily'))} daily + {_num(data.get('rollups_hourly'))} hourly + "
            f"{_num(data.get('raw_samples'))} raw rows",
            "—",
        )
    for name, row in section.items():
        if not isinstance(row, dict) or "p95_ms" not in row:
            continue
        target = 100 if name.startswith("history") else 200 if name in {"overview", "tunnel_page"} else None
        yield (
            "pages",
            f"{name} p50/p95, SQL queries",
            f"{_num(row.get('p50_ms'), '', 0)} / {_num(row.get('p95_ms'), ' ms', 0)}, {row.get('queries')} q",
            f"target p95 {target} ms" if target else "—",
            _ratio(row.get("p95_ms"), target, higher_is_better=False) if target else "—",
        )


def _concurrent_pages(section: dict[str, Any]) -> Iterator[Row]:
    load = f"load {(section.get('load_at_start') or ['?'])[0]} -> {(section.get('load_at_end') or ['?'])[0]}"
    yield (
        "pages, concurrent",
        "run",
        f"{section.get('browsers')} browsers, {section.get('scrapers')} scrapers, "
        f"{section.get('gunicorn_workers')} gunicorn workers, {section.get('seconds')} s",
        f"{section.get('polls_during_run')} polls during the run, {load}",
        "—",
    )
    for name, row in (section.get("pages") or {}).items():
        target = row.get("target_p95_ms")
        yield (
            "pages, concurrent",
            f"{name} p50/p95/p99 ({row.get('requests')} requests)",
            f"{_num(row.get('p50_ms'), '', 0)} / {_num(row.get('p95_ms'), '', 0)} / "
            f"{_num(row.get('p99_ms'), ' ms', 0)}",
            f"target p95 {target} ms",
            _ratio(row.get("p95_ms"), target, higher_is_better=False),
        )
    yield ("pages, concurrent", "requests/s", _num(section.get("requests_per_s")), "—", "—")


def _storage(section: dict[str, Any]) -> Iterator[Row]:
    if "bytes_per_tunnel_day" in section:
        yield from _storage_per_tunnel_day(section)
        return
    p = section.get("projection") or {}
    h = section.get("history") or {}
    polls = section.get("polls") or {}
    if h:
        yield (
            "storage",
            "bytes per row: raw sample / rollup",
            f"{_num(h.get('bytes_per_raw_sample'), '', 0)} / {_num(h.get('bytes_per_rollup'), '', 0)}",
            "—",
            "—",
        )
    if p:
        yield (
            "storage",
            "counter history per tunnel-day (written)",
            _num(p.get("history_bytes_per_tunnel_day"), " B"),
            "—",
            "—",
        )
        yield (
            "storage",
            "history, 1,000 tunnels x 1 year (standing)",
            _num(p.get("history_gb_1000_tunnels_year"), " GB"),
            _num(p.get("history_unpruned_gb_1000_tunnels_year"), " GB raw samples kept"),
            f"x{p.get('history_ratio_vs_unpruned')}",
        )
    if polls:
        yield (
            "storage",
            "poll records per poll (Poll+outputs+raw)",
            _num(polls.get("bytes_per_poll_total"), " B", 0),
            _num(polls.get("plain_text_bytes_per_poll"), " B plain text", 0),
            _ratio(polls.get("bytes_per_poll_total"), polls.get("plain_text_bytes_per_poll"), False),
        )


_SHORT = {
    "polls_and_raw_outputs": "polls+outputs",
    "raw_samples": "samples",
    "hourly_rollups": "hourly",
    "daily_rollups": "daily",
}


TARGET_TUNNEL_DAY_BYTES = 1_000_000  # issue 22
_TABLE = {"devices_poll": "Poll", "devices_polloutput": "PollOutput", "devices_rawoutput": "RawOutput"}


def _storage_per_poll(polls: dict[str, Any]) -> Iterator[Row]:
    """Bytes one device-poll adds per table: heap, TOAST and each index (bench_storage's split)."""
    for table, parts in (polls.get("bytes_per_device_poll_split") or {}).items():
        pieces = ", ".join(
            f"{k.removeprefix('index ')} {float(v):,.0f}" for k, v in parts.items() if k != "total" and v
        )
        yield (
            "storage",
            f"{_TABLE.get(table, table)} bytes per device-poll",
            _num(parts.get("total"), " B", 0),
            "—",
            pieces or "—",
        )


def _storage_by_kind(section: dict[str, Any]) -> Iterator[Row]:
    """What a device-poll's bytes are (poll rows, output rows, raw text, indexes) and what polls+outputs
    take of the tunnel-day target."""
    polls = section.get("polls") or {}
    kinds = polls.get("bytes_per_device_poll_by_kind") or {}
    if not kinds:
        return
    day = section.get("bytes_per_tunnel_day") or {}
    total = sum(float(v) for v in kinds.values())
    yield (
        "storage",
        "bytes per device-poll, by kind",
        _num(total, " B", 0),
        f"polls+outputs {_num(day.get('polls_and_raw_outputs'), ' B')} a tunnel-day",
        ", ".join(f"{k.replace('_', ' ')} {float(v):,.0f}" for k, v in kinds.items())
        + f"; {polls.get('output_rows_per_device_poll')} output rows a poll",
    )


def _storage_per_tunnel_day(section: dict[str, Any]) -> Iterator[Row]:
    """bench_storage's per tunnel-day shape: polls and raw outputs plus counter history, with retention."""
    day = section.get("bytes_per_tunnel_day") or {}
    history = section.get("history") or {}
    retention = section.get("retention_days") or {}
    yield (
        "storage",
        "bytes per row: counter sample / rollup",
        f"{_num(history.get('bytes_per_sample_row'), '', 0)} / {_num(history.get('bytes_per_rollup_row'), '', 0)}",
        "—",
        "—",
    )
    total = float(day.get("total") or 0) or 1.0
    share = ", ".join(
        f"{_SHORT.get(k, k)} {100 * v / total:.0f}%" for k, v in day.items() if k != "total" and v
    )
    yield (
        "storage",
        "bytes per tunnel-day written",
        _num(day.get("total"), " B"),
        f"target {_num(TARGET_TUNNEL_DAY_BYTES, ' B')}",
        f"{_ratio(day.get('total'), TARGET_TUNNEL_DAY_BYTES, higher_is_better=False)}; {share}",
    )
    yield from _storage_by_kind(section)
    yield from _storage_per_poll(section.get("polls") or {})
    yield (
        "storage",
        "counter history alone per tunnel-day",
        _num(section.get("history_only_bytes_per_tunnel_day"), " B"),
        "—",
        "—",
    )
    yield (
        "storage",
        "1,000 tunnels x 1 year, with retention",
        _num(section.get("projected_1000_tunnels_1_year_gb"), " GB"),
        _num(section.get("projected_1000_tunnels_1_year_without_pruning_gb"), " GB kept without pruning"),
        _ratio(
            section.get("projected_1000_tunnels_1_year_gb"),
            section.get("projected_1000_tunnels_1_year_without_pruning_gb"),
            higher_is_better=False,
        ),
    )
    if retention:
        yield ("storage", "retention (days)", ", ".join(f"{k} {v}" for k, v in retention.items()), "—", "—")


def _syslog(section: dict[str, Any]) -> Iterator[Row]:
    syslog, polling = section.get("with_syslog") or {}, section.get("polling_only") or {}
    every = f"polls every {_num(section.get('poll_interval_s'), ' s', 0)}"
    for q in ("p50", "p95"):
        yield (
            "detection",
            f"fault -> alert mail {q} ({syslog.get('faults')} / {polling.get('faults')} faults)",
            _num(syslog.get(f"{q}_s"), " s with syslog", 1),
            _num(polling.get(f"{q}_s"), f" s polling alone, {every}", 1),
            _ratio(syslog.get(f"{q}_s"), polling.get(f"{q}_s"), higher_is_better=False),
        )
    yield (
        "detection",
        "alerts from a spurious 'down' the polls contradict",
        _num(section.get("spurious_down_alerts")),
        "0 expected",
        "—",
    )


SECTIONS = {
    "bench_parsers": _parsers,
    "bench_simulator": _simulator,
    "bench_poll": _poll,
    "bench_celery_poll": _celery,
    "bench_pages": _pages,
    "bench_concurrent_pages": _concurrent_pages,
    "bench_storage": _storage,
    "bench_syslog": _syslog,
}


def rows(results: dict[str, Any]) -> list[Row]:
    """The table's rows for every section present (a section that fails to read gives one note row)."""
    out: list[Row] = []
    for name, build in SECTIONS.items():
        section = results.get(name)
        if not isinstance(section, dict):
            continue
        if section.get("_error"):
            out.append((name.removeprefix("bench_"), "failed", str(section["_error"])[:80], "—", "—"))
            continue
        try:
            out.extend(build(section))
        except Exception as exc:  # a module changed its keys: say so rather than lose the table
            out.append(
                (name.removeprefix("bench_"), "unreadable result", f"{type(exc).__name__}: {exc}", "—", "—")
            )
    return out


def render(results: dict[str, Any]) -> str:
    """The table as text, columns sized to their content."""
    table = [HEADER, *rows(results)]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    lines = []
    for i, r in enumerate(table):
        lines.append("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(r)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    machine = results.get("machine") or {}
    if machine:
        lines.append("")
        lines.append(
            "machine: "
            + ", ".join(f"{k} {v}" for k, v in machine.items())
            + f"; started {results.get('started_at', '?')}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("results.json")
    print(render(json.loads(path.read_text())))
