"""The storage bench's bytes by kind and its rows in the bench table (pure functions, no services)."""

from __future__ import annotations

from bench.bench_storage import _by_kind
from bench.report import render


def test_by_kind_splits_the_raw_text_out_of_the_output_rows() -> None:
    per_poll = {
        "devices_poll": {"heap": 200.0, "toast": 0.0, "index devices_poll_pkey": 23.0, "total": 223.0},
        "devices_polloutput": {
            "heap": 440.0,
            "toast": 0.0,
            "index devices_polloutput_pkey": 69.0,
            "total": 509.0,
        },
        "devices_rawoutput": {
            "heap": 10.0,
            "toast": 5.0,
            "index rawoutput_sha256_unique": 4.0,
            "total": 19.0,
        },
    }
    columns = {"devices_polloutput": {"rows": 240.0, "delta": 50.0}}
    kinds = _by_kind(per_poll, columns, rows=3.0)
    assert kinds == {"poll_rows": 200.0, "output_rows": 290.0, "raw_text": 165.0, "indexes": 96.0}
    assert sum(kinds.values()) == sum(p["total"] for p in per_poll.values())


def test_report_shows_the_tunnel_day_target_and_the_bytes_by_kind() -> None:
    section = {
        "bytes_per_tunnel_day": {"polls_and_raw_outputs": 523_584, "raw_samples": 133_229, "total": 666_638},
        "polls": {
            "bytes_per_device_poll_by_kind": {
                "poll_rows": 197,
                "output_rows": 266,
                "raw_text": 172,
                "indexes": 274,
            },
            "output_rows_per_device_poll": 3.01,
        },
    }
    table = render({"bench_storage": section})
    assert "666,638 B" in table and "target 1,000,000 B" in table
    row = next(line for line in table.splitlines() if "by kind" in line)
    assert "909 B" in row and "raw text 172" in row and "3.01 output rows a poll" in row
