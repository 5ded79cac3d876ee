"""`python -m bench`: run every benchmark module present, print one table, write bench/results.json."""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

# Order matters only for reading: cheap, independent measurements first.
MODULES = [
    "bench_parsers",
    "bench_simulator",
    "bench_poll",
    "bench_celery_poll",
    "bench_pages",
    "bench_concurrent_pages",
    "bench_storage",
    "bench_syslog",
]
RESULTS = Path(__file__).with_name("results.json")
# The bench never touches the test databases: each module makes and drops its own bench_* database,
# and anything queued goes to Redis database 14 (VPNPORTAL_BENCH_REDIS_URL chooses another).
BENCH_REDIS_URL = os.environ.get("VPNPORTAL_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def _reset_django_test_state() -> None:
    """A module that left Django's test environment set up must not break the next one's setup."""
    try:
        from django.test.utils import teardown_test_environment

        teardown_test_environment()
    except (ImportError, AttributeError):
        pass  # never set up


def main(argv: list[str]) -> int:
    """Run the selected (default: all) benchmarks, write their results and print the table."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpnportal.test_settings")
    os.environ.setdefault("REDIS_URL", BENCH_REDIS_URL)
    from bench.report import render

    wanted = argv or MODULES
    results: dict[str, Any] = {
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "memory": _memory(),
            "load_at_start": round(os.getloadavg()[0], 2),
        },
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    started_all = time.monotonic()
    failed = 0
    for name in wanted:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                continue
            raise
        print(f"== {name}", flush=True)
        started = time.monotonic()
        try:
            results[name] = module.run()
        except Exception as exc:
            # One broken module must not cost the others' figures: record it, go on, exit non-zero.
            traceback.print_exc()
            results[name] = {"_error": f"{type(exc).__name__}: {exc}"}
            failed += 1
        results[name]["_seconds"] = round(time.monotonic() - started, 1)
        _reset_django_test_state()
    results["total_seconds"] = round(time.monotonic() - started_all, 1)
    RESULTS.write_text(json.dumps(results, indent=2, default=str))
    print()
    print(render(results))
    print(f"\nwrote {RESULTS} in {results['total_seconds']:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
