"""The Celery poll bench's /proc readings and its rows in the bench table (pure functions, no services)."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.bench_celery_poll import _split, peak_rss_mb, tree_cpu_seconds, tree_pids
from bench.report import render


def test_tree_pids_finds_a_child_and_cpu_counts_the_tree() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in tree_pids(os.getpid())
        assert tree_cpu_seconds(os.getpid()) > 0
        assert peak_rss_mb(os.getpid()) > 1
    finally:
        child.kill()
        child.wait()


def test_split_names_task_overhead_beside_the_poll_steps() -> None:
    polls = [{"in_task_s": 1.0, "timings": {"connect": 0.4, "commands": 0.3, "parse": 0.1, "store": 0.1}}]
    split = _split(polls, slot_s=1.5)
    assert split["claim_finish"] == 0.1
    assert split["task_overhead"] == 0.5


def test_report_shows_celery_rows_with_cpu_per_device_poll_and_rss() -> None:
    cycle = {
        "devices": 100,
        "failed": 0,
        "devices_per_s": 5.0,
        "wall_s": 20.0,
        "p50_s": 0.7,
        "p95_s": 0.9,
        "worker_cpu_ms_per_device": 80.0,
        "simulator_cpu_ms_per_device": 25.0,
        "rss_peak_mb_main": 117.0,
        "rss_peak_mb_pool": [108.0, 109.0],
        "rss_peak_mb_group": 334.0,
        "split_mean_s": {"connect": 0.35, "task_overhead": 0.06},
        "load_at_start": 0.5,
        "load_at_end": 1.5,
    }
    results = {
        "bench_celery_poll": {
            "devices_100": {
                "celery": {"concurrency_2": cycle},
                "manage_py_poll": {"devices_per_s": 10.0, "poller_cpu_ms_per_device": 50.0},
                "plain_netmiko": {"devices_per_s": 1.0},
                "load_at_start": 0.5,
                "load_at_end": 1.5,
            }
        }
    }
    table = render(results)
    assert "N=100 C=2: CPU ms/device-poll worker / simulator" in table
    assert "80 / 25 ms" in table
    assert "main 117 MB, pool 108, 109 MB" in table
    assert "x0.5 vs threads" in table
