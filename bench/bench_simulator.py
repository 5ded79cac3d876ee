"""Simulator scale: connect + one command latency with 1, 100 and 1,000 devices served at once.

The simulator runs in its own process (`python -m simulator`, a generated fleet of IOS-XE /
ASA pairs); this process opens an SSH session to every device concurrently with asyncssh, waits for
the prompt, runs `show clock`, and keeps every session open until all have answered, so the
simulator really holds N sessions (plus N listeners) at once.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncssh

from bench.fleet import start_fleet_simulator

ROOT = Path(__file__).resolve().parent.parent
# A poller opens sessions a few dozen at a time; the simulator holds all of them open at once.
CONCURRENT_HANDSHAKES = 20
PASSWORD = "cisco123"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _one(port: int, gate: asyncio.Semaphore, answered: list[float], hold: asyncio.Event) -> None:
    async with gate:
        started = time.perf_counter()
        conn = await asyncssh.connect(
            "127.0.0.1", port, username="admin", password=PASSWORD, known_hosts=None, connect_timeout=60
        )
        proc = await conn.create_process(term_type="vt100")
        await proc.stdout.readuntil(">")
        proc.stdin.write("show clock\n")
        await proc.stdout.readuntil(">")
        answered.append(time.perf_counter() - started)
    # every session stays open until all devices have answered: N sessions at once
    await hold.wait()
    proc.close()
    conn.close()


async def _measure(ports: list[int]) -> list[float]:
    gate = asyncio.Semaphore(CONCURRENT_HANDSHAKES)
    hold = asyncio.Event()
    answered: list[float] = []
    tasks = [asyncio.create_task(_one(p, gate, answered, hold)) for p in ports]
    while len(answered) < len(ports):
        failed = [t for t in tasks if t.done() and t.exception() is not None]
        if failed:
            hold.set()
            raise RuntimeError(f"{len(failed)} sessions failed: {failed[0].exception()!r}")
        await asyncio.sleep(0.05)
    hold.set()
    await asyncio.gather(*tasks)
    return answered


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def run(sizes: tuple[int, ...] = (1, 100, 1000)) -> dict[str, Any]:
    """Connect + `show clock` latency (p50/p95, seconds) with N devices held open at once."""
    results: dict[str, Any] = {}
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-sim-") as tmp:
            started = time.monotonic()
            proc, all_ports, _ = start_fleet_simulator(n, Path(tmp))
            ports = dict(list(all_ports.items())[:n])
            startup = time.monotonic() - started
            try:
                wall = time.monotonic()
                latencies = asyncio.run(_measure(list(ports.values())))
                wall = time.monotonic() - wall
                rss = _rss_mb(proc.pid)
            finally:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        row = {
            "devices": n,
            "p50_s": round(statistics.median(latencies), 4),
            "p95_s": round(_percentile(latencies, 0.95), 4),
            "max_s": round(max(latencies), 4),
            "wall_s": round(wall, 2),
            "startup_s": round(startup, 2),
            "server_rss_mb": rss,
        }
        results[f"devices_{n}"] = row
        print(
            f"  {n:>5} devices: connect+command p50 {row['p50_s']:.3f}s p95 {row['p95_s']:.3f}s "
            f"(all at once in {row['wall_s']:.1f}s; simulator up in {row['startup_s']:.1f}s, RSS {rss} MB)",
            flush=True,
        )
    return results


if __name__ == "__main__":
    sizes = tuple(int(x) for x in sys.argv[1:]) or (1, 100, 1000)
    print(json.dumps(run(sizes), indent=2))
