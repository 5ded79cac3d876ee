"""Our parsers against ntc-templates' TextFSM templates (precompiled once) on the outputs both can read.

`run()` returns, per command: files, median time per parse for each side, the median ratio of paired rounds
(TextFSM / ours), and what each extracts (non-empty values and distinct field names). Both sides parse the
same texts from scratch on every call: no result is cached by input (the poller's skipping of an output
identical to the previous poll's is a product feature, not part of this benchmark). `python -m bench.bench_parsers` prints a table.
"""

from __future__ import annotations

import gc
import io
import os
import re
import statistics
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import textfsm  # noqa: E402
from ntc_templates import __file__ as _ntc_init  # noqa: E402

from devices.parsers.registry import parse  # noqa: E402

CORPUS = Path(os.environ.get("VPNPORTAL_CORPUS", str(ROOT / "tests" / "fixtures" / "corpus")))
FIXTURES = ROOT / "tests" / "fixtures" / "cli"
TEMPLATES = Path(_ntc_init).parent / "templates"

# (platform, our command, ntc template, candidate files: corpus folders and seed fixtures)
COMMANDS: list[tuple[str, str, str, list[Path]]] = [
    (
        "cisco_ios",
        "show clock",
        "cisco_ios_show_clock",
        [
            CORPUS / "ntc-templates/cisco_ios/show_clock",
            CORPUS / "genieparser/ios/show_clock",
            CORPUS / "genieparser/iosxe/show_clock",
            FIXTURES / "cisco_ios/show_clock.txt",
        ],
    ),
    (
        "cisco_ios",
        "show crypto ipsec sa detail",
        "cisco_ios_show_crypto_ipsec_sa_detail",
        [
            CORPUS / "ntc-templates/cisco_ios/show_crypto_ipsec_sa_detail",
            CORPUS / "genieparser/iosxe/show_crypto_ipsec_sa_detail",
            CORPUS / "genieparser/iosxe/show_crypto_ipsec_sa",
            FIXTURES / "cisco_ios/show_crypto_ipsec_sa.txt",
        ],
    ),
    (
        "cisco_ios",
        "show crypto pki certificates",
        "cisco_ios_show_crypto_pki_certificates",
        [
            CORPUS / "ntc-templates/cisco_ios/show_crypto_pki_certificates",
            CORPUS / "genieparser/iosxe/show_crypto_pki_certificates",
            CORPUS / "genieparser/ios/show_crypto_pki_certificates",
            FIXTURES / "cisco_ios/show_crypto_ca_certificates.txt",
        ],
    ),
    (
        "cisco_asa",
        "show crypto ipsec sa",
        "cisco_asa_show_crypto_ipsec_sa",
        [CORPUS / "ntc-templates/cisco_asa/show_crypto_ipsec_sa"],
    ),
    (
        "cisco_asa",
        "show crypto ikev1 sa detail",
        "cisco_asa_show_crypto_ikev1_sa_detail",
        [CORPUS / "ntc-templates/cisco_asa/show_crypto_ikev1_sa_detail"],
    ),
]
# The least work any CPython parser of `show clock` does: find the clock line with one compiled regex, take
# its groups, return the six fields in a dict (no date or zone conversion at all). TextFSM's time divided
# by this one's is the highest speed-up a pure-Python parser can reach on this command.
_FLOOR_CLOCK = re.compile(
    r"^[*.]?(\d\d?):(\d\d):(\d\d)(?:\.(\d+))? (\S+) (\w+) (\w+) (\d+) (\d+)\s*$", re.MULTILINE
)


def _floor_clock(text: str) -> dict[str, Any] | None:
    match = _FLOOR_CLOCK.search(text)
    if match is None:
        return None
    hour, minute, second, frac, zone, dow, month, day, year = match.groups()
    return {
        "clock": (year, month, day, hour, minute, second, frac),
        "timezone": zone,
        "authoritative": text[0] != "*",
        "day_of_week": dow,
        "synchronized": None,
        "warnings": [],
    }


FLOORS = {"cisco_ios: show clock": _floor_clock}
ROUND_SECONDS = 0.05  # each side's timed round lasts at least this long
ROUNDS = 9  # paired rounds per command; the median is reported (the machine is shared and loaded)


def _files(candidates: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for candidate in candidates:
        if candidate.is_file():
            out.append(candidate)
        elif candidate.is_dir():
            out.extend(
                sorted(p for p in candidate.rglob("*") if p.suffix in {".raw", ".txt"} and p.is_file())
            )
    return out


def _leaves(value: Any, path: str = "") -> Iterable[tuple[str, Any]]:
    """Non-empty leaf values of a result with their field path (list indices dropped)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in {"warnings", "error"}:
                yield from _leaves(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        if value and all(not isinstance(v, dict | list) for v in value):
            yield path, value
        else:
            for item in value:
                yield from _leaves(item, path)
    elif value is not None and value != "":
        yield path, value


def _loops(function: Any, texts: list[str]) -> int:
    """How many passes over texts make one round last ROUND_SECONDS (as `timeit.autorange` does)."""
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            for text in texts:
                function(text)
        if time.perf_counter() - start >= ROUND_SECONDS:
            return loops
        loops *= 2


def _round(function: Any, texts: list[str], loops: int) -> float:
    """Seconds per parse of one file over one timed round (GC collected before, off during, as timeit)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(loops):
            for text in texts:
                function(text)
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    return elapsed / (loops * len(texts))


def _time_pair(theirs: Any, ours: Any, texts: list[str]) -> tuple[float, float, float]:
    """Median seconds per parse for each side and the median of the paired ratios (theirs / ours).

    Fair by construction: the same texts, both sides warmed up (the loop calibration runs each one), the
    same GC state, and the rounds interleaved (theirs, ours, theirs, ...) so that both see the same load
    on a shared machine; each round's ratio compares two neighbouring measurements, and the median of
    several rounds discards the ones another process disturbed.
    """
    their_loops, our_loops = _loops(theirs, texts), _loops(ours, texts)
    their_times: list[float] = []
    our_times: list[float] = []
    for _ in range(ROUNDS):
        their_times.append(_round(theirs, texts, their_loops))
        our_times.append(_round(ours, texts, our_loops))
    ratios = [t / o for t, o in zip(their_times, our_times, strict=True)]
    return statistics.median(their_times), statistics.median(our_times), statistics.median(ratios)


def run(only: str = "") -> dict[str, Any]:
    """Benchmark every command both sides parse (or those whose name contains `only`); return per-command
    figures and an overall verdict."""
    results: dict[str, Any] = {}
    for platform, command, template, candidates in COMMANDS:
        if only not in f"{platform}: {command}":
            continue
        template_text = (TEMPLATES / f"{template}.textfsm").read_text()
        fsm = textfsm.TextFSM(io.StringIO(template_text))  # compiled once, reused for every parse

        def theirs(text: str, fsm: textfsm.TextFSM = fsm) -> list[list[Any]]:
            """TextFSM with the template compiled once: reset the state, parse."""
            fsm.Reset()
            return fsm.ParseText(text)

        def ours(text: str, platform: str = platform, command: str = command) -> dict[str, Any]:
            """The registry's entry point, as the poller calls it."""
            return parse(platform, command, text)

        readable: list[tuple[Path, str]] = []
        ntc_values = ntc_fields = our_values = 0
        ntc_names: set[str] = set()
        our_names: set[str] = set()
        for path in _files(candidates):
            text = path.read_text(encoding="utf-8", errors="replace")
            if not text.strip():
                continue
            try:
                rows = theirs(text)
            except textfsm.TextFSMError:
                continue
            result = ours(text)
            leaves = list(_leaves(result))
            if not rows or not leaves:
                continue  # one side cannot read it
            readable.append((path, text))
            # Distinct (field, value) pairs per file: ntc repeats an IPsec entry's fields on every SA row,
            # counting pairs once keeps that flattening from inflating its count (the same rule for ours).
            theirs_pairs = {
                (name, str(value))
                for row in rows
                for name, value in zip(fsm.header, row, strict=False)
                if value not in ("", [])
            }
            ntc_values += len(theirs_pairs)
            ntc_names.update(name for name, _ in theirs_pairs)
            our_values += len({(name, repr(value)) for name, value in leaves})
            our_names.update(name for name, _ in leaves)
        ntc_fields, our_fields = len(ntc_names), len(our_names)
        if not readable:
            continue
        texts = [text for _, text in readable]
        ntc_seconds, our_seconds, speedup = _time_pair(theirs, ours, texts)
        floor: dict[str, Any] = {}
        if (floor_function := FLOORS.get(f"{platform}: {command}")) is not None:
            _, floor_seconds, ceiling = _time_pair(theirs, floor_function, texts)
            floor = {"floor_us_per_parse": round(floor_seconds * 1e6, 2), "max_speedup": round(ceiling, 1)}
        results[f"{platform}: {command}"] = {
            **floor,
            "files": len(readable),
            "ntc_us_per_parse": round(ntc_seconds * 1e6, 1),
            "ours_us_per_parse": round(our_seconds * 1e6, 1),
            "speedup": round(speedup, 1),
            "ntc_values": ntc_values,
            "our_values": our_values,
            "ntc_fields": ntc_fields,
            "our_fields": our_fields,
        }
    speedups = [r["speedup"] for r in results.values()]
    return {
        "commands": results,
        "min_speedup": min(speedups) if speedups else None,
        "target_met": bool(results)
        and all(
            r["speedup"] >= 10 and r["our_values"] >= r["ntc_values"] and r["our_fields"] >= r["ntc_fields"]
            for r in results.values()
        ),
    }


def main(argv: list[str]) -> int:
    """Print the table (`python -m bench.bench_parsers [part of a command name]`)."""
    figures = run(" ".join(argv))
    header = f"{'command':44} {'files':>5} {'ntc µs':>9} {'ours µs':>9} {'x':>6} {'ntc val':>8} {'our val':>8} {'ntc fld':>8} {'our fld':>8}"
    print(header)
    print("-" * len(header))
    for name, row in figures["commands"].items():
        print(
            f"{name:44} {row['files']:>5} {row['ntc_us_per_parse']:>9} {row['ours_us_per_parse']:>9} "
            f"{row['speedup']:>6} {row['ntc_values']:>8} {row['our_values']:>8} {row['ntc_fields']:>8} {row['our_fields']:>8}"
        )
    for name, row in figures["commands"].items():
        if "floor_us_per_parse" in row:
            print(
                f"{name}: the least work any CPython parser does (one regex, its groups, a dict) takes "
                f"{row['floor_us_per_parse']} µs: at most x{row['max_speedup']} over TextFSM"
            )
    print(
        f"\nmin speedup {figures['min_speedup']}x; target (>=10x, at least as many values and fields) met: "
        f"{figures['target_met']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
