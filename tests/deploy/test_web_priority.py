"""Pages before background polling when both want the CPU: what the units ship and the bench mirrors."""

from __future__ import annotations

import re
from pathlib import Path

from bench.bench_concurrent_pages import worker_nice

SYSTEMD = Path(__file__).resolve().parent.parent.parent / "deploy" / "systemd"


def _setting(unit: str, name: str) -> str | None:
    found = re.search(rf"^{name}=(.*)$", (SYSTEMD / unit).read_text(), re.M)
    return found.group(1).strip() if found else None


def test_the_web_unit_outweighs_the_workers_and_they_run_niced() -> None:
    # systemd gives each unit its own cgroup: CPUWeight= shares the CPU between units (default 100).
    assert int(_setting("vpnportal-web.service", "CPUWeight") or 100) >= 10 * int(
        _setting("vpnportal-worker@.service", "CPUWeight") or 100
    )
    assert int(_setting("vpnportal-worker@.service", "Nice") or 0) >= 10
    assert _setting("vpnportal-web.service", "Nice") is None
    assert _setting("vpnportal-beat.service", "CPUWeight") is None


def test_the_page_bench_polls_at_the_worker_unit_s_priority(tmp_path: Path) -> None:
    assert worker_nice() == int(_setting("vpnportal-worker@.service", "Nice") or 0)
    unit = tmp_path / "worker.service"
    unit.write_text("[Service]\nType=simple\n")
    assert worker_nice(unit) == 0
