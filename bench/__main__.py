"""`python -m bench`: run every benchmark module present, print one table, write bench/results.json."""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

# Order matters only for reading: cheap, independent measurements first.
MODULES = ["bench_parsers", "bench_simulator", "bench_poll", "bench_pages", "bench_storage"]
RESULTS = Path(__file__).with_name("results.json")


def main(argv: list[str]) -> int:
    """Run the selected (default: all) benchmarks and write their results."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpnportal.test_settings")
    wanted = argv or MODULES
    results: dict[str, Any] = {
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    for name in wanted:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                continue
            raise
        print(f"== {name}", flush=True)
        started = time.monotonic()
        results[name] = module.run()
        results[name]["_seconds"] = round(time.monotonic() - started, 1)
    RESULTS.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
