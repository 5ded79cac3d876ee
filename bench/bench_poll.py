"""Poll cycle speed: vpnportal's cycle vs a plain sequential netmiko script, same simulated fleet.

For each fleet size N the simulator runs in its own process (IOS-XE / ASA 9 pairs). vpnportal polls
every device with `run_poll_cycle` (threads, POLL_CONCURRENCY, the whole store/parse/correlate path,
in a scratch PostgreSQL database); the plain script logs into devices one after the other with
netmiko and runs the same commands, storing nothing. Reported: devices/s, p50/p95 seconds per device,
and where vpnportal's time goes (connect, commands, parse, store).

`python -m bench bench_poll` (or `python bench/bench_poll.py 10 100 1000`).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from bench.fleet import fleet_inventory as _inventory
from bench.fleet import start_fleet_simulator

ROOT = Path(__file__).resolve().parent.parent
SIZES = (10, 100, 1000)
# The plain script is sequential: its devices/s is measured on this many devices and is linear beyond.
PLAIN_SAMPLE = 20
# Polling processes (`poll --processes`; default as the command: one per core from 200 devices).
PROCESSES = int(os.environ["BENCH_POLL_PROCESSES"]) if os.environ.get("BENCH_POLL_PROCESSES") else None


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _plain_script(doc: dict[str, Any], sample: int) -> dict[str, Any]:
    """What engineers run today: netmiko, one device after the other, the same commands."""
    from devices.commands import poll_commands
    from devices.netmiko_pix import connect

    times: list[float] = []
    started = time.monotonic()
    for d in doc["devices"][:sample]:
        t0 = time.monotonic()
        conn = connect(
            d["platform"],
            host=d["host"],
            port=d["port"],
            username=d["username"],
            password=d["password"],
            secret=d["secret"],
            conn_timeout=15,
        )
        try:
            conn.enable()
            for command in poll_commands(d["platform"], "pki"):
                conn.send_command(command.text, read_timeout=60)
        finally:
            conn.disconnect()
        times.append(time.monotonic() - t0)
    wall = time.monotonic() - started
    return {
        "devices": len(times),
        "devices_per_s": round(len(times) / wall, 3),
        "p50_s": round(statistics.median(times), 3),
        "p95_s": round(_percentile(times, 0.95), 3),
        "wall_s": round(wall, 2),
    }


def _cpu_seconds(pid: int | None = None) -> float:
    """User+system CPU seconds of a process (this one by default) and of the children it has reaped.

    The children count: a cycle of 200 devices or more polls in spawned processes (`auto_processes`),
    reaped when the cycle ends."""
    stat = Path(f"/proc/{pid or os.getpid()}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in stat[11:15]) / os.sysconf("SC_CLK_TCK")


def _vpnportal_cycle(doc: dict[str, Any], sim_pid: int, processes: int | None) -> dict[str, Any]:
    from django.conf import settings

    from devices.fleet import auto_processes, run_poll_cycle
    from devices.inventory import import_inventory
    from devices.models import CounterSample, Poll, RawOutput, Tunnel

    import_inventory(yaml.safe_dump(doc))
    cycles = []
    for label in ("first_contact", "steady"):
        Poll.objects.all().delete()
        started = time.monotonic()
        cpu, sim_cpu = _cpu_seconds(), _cpu_seconds(sim_pid)
        result = run_poll_cycle(alerts=False, processes=processes)
        wall = time.monotonic() - started
        cpu, sim_cpu = _cpu_seconds() - cpu, _cpu_seconds(sim_pid) - sim_cpu
        per_device = [o.seconds for o in result.outcomes]
        split: dict[str, float] = {}
        for o in result.outcomes:
            for k, v in o.timings.items():
                split[k] = split.get(k, 0.0) + v
        total = sum(split.values()) or 1.0
        cycles.append(
            {
                "cycle": label,
                "devices": len(result.outcomes),
                "failed": len(result.failed),
                "devices_per_s": round(len(result.outcomes) / wall, 2),
                "wall_s": round(wall, 2),
                "p50_s": round(statistics.median(per_device), 3),
                "p95_s": round(_percentile(per_device, 0.95), 3),
                "split_pct": {k: round(100 * v / total, 1) for k, v in sorted(split.items())},
                "split_mean_s": {k: round(v / len(result.outcomes), 4) for k, v in sorted(split.items())},
                "threads_per_process": settings.POLL_CONCURRENCY,
                "processes": processes or auto_processes(len(result.outcomes)),
                "poller_cpu_s": round(cpu, 2),
                "simulator_cpu_s": round(sim_cpu, 2),
                "failure_reasons": dict(Counter(o.reason for o in result.failed).most_common(3)),
            }
        )
    cycles[-1]["tunnels_up"] = Tunnel.objects.filter(status="up").count()
    cycles[-1]["samples"] = CounterSample.objects.count()
    cycles[-1]["raw_outputs"] = RawOutput.objects.count()
    return {"first_contact": cycles[0], "steady": cycles[1]}


def run(sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    """vpnportal's poll cycle vs the plain sequential netmiko script at each fleet size."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpnportal.test_settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_poll_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    results: dict[str, Any] = {}
    try:
        for n in sizes:
            connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
            with tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp:
                settings.VPNPORTAL_KNOWN_HOSTS = Path(tmp) / "known_hosts"
                proc, ports, scenario = start_fleet_simulator(n, Path(tmp), stdout=subprocess.DEVNULL)
                try:
                    doc = _inventory(scenario, ports, n)
                    ours = _vpnportal_cycle(doc, proc.pid, PROCESSES)
                    plain = _plain_script(doc, min(n, PLAIN_SAMPLE))
                finally:
                    proc.terminate()
                    try:
                        proc.wait(30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
            steady = ours["steady"]
            row = {
                "vpnportal": ours,
                "plain_netmiko": plain,
                "speedup": round(steady["devices_per_s"] / plain["devices_per_s"], 1),
                "projected_1000_devices_s": round(1000 / steady["devices_per_s"], 1),
            }
            results[f"devices_{n}"] = row
            print(
                f"  {n:>5} devices: vpnportal {steady['devices_per_s']:.1f} dev/s (p50 {steady['p50_s']:.2f}s, "
                f"p95 {steady['p95_s']:.2f}s, {steady['failed']} failed, split {steady['split_pct']}) | plain "
                f"netmiko {plain['devices_per_s']:.2f} dev/s (p50 {plain['p50_s']:.2f}s) | x{row['speedup']}",
                flush=True,
            )
            connection.creation.destroy_test_db(old_name, verbosity=0)
    finally:
        connection.settings_dict["NAME"] = old_name
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    chosen = tuple(int(x) for x in sys.argv[1:]) or SIZES
    print(json.dumps(run(chosen), indent=2))
