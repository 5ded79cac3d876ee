"""Syslog framing and Cisco headers, and what each recognised message means: golden cases (pure functions)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from events.classify import classify
from events.syslog_format import MAX_MESSAGE, FramingError, TcpFramer, parse_message

GOLDEN = json.loads((Path(__file__).parent / "golden" / "messages.json").read_text())
RECEIVED = datetime.fromisoformat(GOLDEN["received"])


def _shape(raw: str) -> dict[str, object] | None:
    msg = parse_message(raw.encode(), RECEIVED)
    if msg is None:
        return None
    out = asdict(msg)
    out["device_time"] = msg.device_time.isoformat() if msg.device_time else None
    kind = classify(msg)
    out.update(kind=kind.kind, peers=list(kind.peers), spis=list(kind.spis))
    return out


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: c["raw"][:48])
def test_it_parses_and_classifies_each_golden_message(case: dict[str, object]) -> None:
    assert _shape(str(case["raw"])) == case["parsed"]


def test_it_knows_every_documented_kind() -> None:
    from events.choices import EventKind

    seen = {c["parsed"]["kind"] for c in GOLDEN["cases"] if c["parsed"]}
    assert seen <= set(EventKind.values)
    assert {
        "tunnel_down",
        "tunnel_up",
        "sa_created",
        "sa_deleted",
        "cert_expired",
        "crl_fetch_failed",
    } <= seen
    assert {"restart", "unclassified"} <= set(EventKind.values)
    doc = (Path(__file__).resolve().parents[2] / "docs" / "syslog.md").read_text()
    for kind in EventKind.values:
        assert f"`{kind}`" in doc


def test_it_puts_a_yearless_timestamp_in_the_nearest_year() -> None:
    new_year = datetime(2025, 1, 1, 0, 0, 5, tzinfo=UTC)
    msg = parse_message(b"<189>Dec 31 23:59:58: %SYS-5-RESTART: System restarted --", new_year)
    assert msg is not None and msg.device_time == datetime(2024, 12, 31, 23, 59, 58, tzinfo=UTC)


def test_it_reads_an_explicit_offset() -> None:
    msg = parse_message(b"<189>1: r1: Mar  1 01:00:00 CET+1: %SYS-5-RESTART: x", RECEIVED)
    assert msg is not None and msg.device_time == datetime(2024, 3, 1, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x01\x02\xff" * 100,
        b"<",
        b"<12",
        b"<12>",
        b"<1234567>x",
        "<13>\u00e9t\u00e9".encode(),
        b"<13>\x1b[31mred",
    ],
)
def test_it_never_fails_on_garbage(data: bytes) -> None:
    msg = parse_message(data, RECEIVED)
    if msg is not None:
        assert "\x1b" not in msg.text and "\x00" not in msg.text


def test_it_cuts_an_oversized_message() -> None:
    msg = parse_message(b"<189>%SYS-5-RESTART: " + b"x" * (MAX_MESSAGE * 4), RECEIVED)
    assert msg is not None and len(msg.text) <= MAX_MESSAGE


def test_it_splits_octet_counted_and_newline_framing_fed_byte_by_byte() -> None:
    one, two = b"<189>%SYS-5-RESTART: a", b"<189>%SYS-5-RESTART: b"
    stream = b"%d %s" % (len(one), one) + two + b"\n" + b"%d %s" % (len(two), two) + b"\r\n\n"
    framer = TcpFramer()
    frames: list[bytes] = []
    for i in range(len(stream)):
        frames += framer.feed(stream[i : i + 1])
    assert frames == [one, two, two]


def test_it_cuts_an_endless_line_and_resynchronises_at_the_next_newline() -> None:
    framer = TcpFramer(limit=100)
    frames = framer.feed(b"<13>" + b"a" * 500)
    frames += framer.feed(b"b" * 500 + b"\n<13>next\n")
    assert [len(f) for f in frames] == [100, 8] and frames[1] == b"<13>next"
    assert framer.oversized == 1


def test_it_refuses_a_bad_octet_count() -> None:
    with pytest.raises(FramingError):
        TcpFramer().feed(b"12345678901234 x")
    with pytest.raises(FramingError):
        TcpFramer(limit=10).feed(b"99999 x")
