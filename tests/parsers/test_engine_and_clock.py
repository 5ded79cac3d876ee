"""Crypto engine connections (IOS table, PIX summary) and `show clock`."""

from __future__ import annotations

import pytest

from devices.parsers.clock import parse_clock
from devices.parsers.engine import parse_crypto_engine
from tests.parsers.helpers import fixture


def test_it_reads_the_routers_engine_connections() -> None:
    result = parse_crypto_engine(fixture("cisco_ios", "show_crypto_engine_connections_active"))
    assert result["warnings"] == [] and result["summary"] is None
    ids = [c["id"] for c in result["connections"]]
    assert ids == [110, 114, 115, 116, 117, 200, 201]
    assert result["connections"][0] == {
        "id": 110,
        "interface": "FastEthernet0",
        "ip_address": "172.16.172.39",
        "state": "set",
        "algorithm": "HMAC_MD5+DES_56_CB",
        "encrypt": 0,
        "decrypt": 0,
    }
    assert result["connections"][5]["decrypt"] == 3 and result["connections"][6]["encrypt"] == 3


def test_it_reads_the_pix_engine_summary() -> None:
    result = parse_crypto_engine(fixture("cisco_pix", "show_crypto_engine"), platform="cisco_pix")
    assert result == {
        "connections": [],
        "summary": {"size": 8, "free": 6, "used": 2, "active": 2},
        "warnings": [],
    }


def test_it_reads_the_ios_15_engine_layout() -> None:
    text = (
        "   ID  Type    Algorithm           Encrypt  Decrypt LastSeqN IP-Address\n"
        "    1  IPsec   AES+SHA                   0       11       11 10.1.1.1\n"
        " 1001  IKE     SHA+AES                   0        0        0 10.1.1.1\n"
    )
    result = parse_crypto_engine(text)
    assert result["warnings"] == []
    assert result["connections"][0]["type"] == "IPsec" and result["connections"][0]["decrypt"] == 11


def test_it_reads_the_routers_clock_in_pst() -> None:
    result = parse_clock(fixture("cisco_ios", "show_clock"))
    assert result["clock"] == "2002-01-11T01:06:41.786-08:00"
    assert result["timezone"] == "PST" and result["authoritative"] is True and result["warnings"] == []


def test_it_reads_the_pix_clock_as_utc() -> None:
    result = parse_clock(fixture("cisco_pix", "show_clock"), platform="cisco_pix")
    assert result["clock"] == "2002-01-11T09:27:54+00:00" and result["timezone"] is None


@pytest.mark.parametrize(
    ("text", "clock", "authoritative"),
    [
        ("*01:06:41.786 PST Fri Jan 11 2002", "2002-01-11T01:06:41.786-08:00", False),
        (".01:06:41.786 PDT Fri Jan 11 2002", "2002-01-11T01:06:41.786-07:00", True),
        ("01:06:41 UTC Fri Jan 11 2002", "2002-01-11T01:06:41+00:00", True),
        ("10:00:00.000 CET Mon Mar 1 2021", "2021-03-01T10:00:00.000+01:00", True),
        ("10:00:00.000 JST Mon Mar 1 2021", "2021-03-01T10:00:00.000+09:00", True),
        ("10:00:00.000 EDT Mon Mar 1 2021", "2021-03-01T10:00:00.000-04:00", True),
    ],
)
def test_it_reads_clock_variants(text: str, clock: str, authoritative: bool) -> None:
    result = parse_clock(text)
    assert result["clock"] == clock and result["authoritative"] is authoritative and result["warnings"] == []


def test_it_uses_the_callers_offset_for_an_unknown_zone() -> None:
    result = parse_clock("10:00:00 XYZ Mon Mar 1 2021", tz_offset_minutes=330)
    assert result["clock"] == "2021-03-01T10:00:00+05:30" and result["warnings"] == []


def test_it_keeps_an_unknown_zone_without_offset_and_says_so() -> None:
    result = parse_clock("10:00:00 XYZ Mon Mar 1 2021")
    assert result["clock"] == "2021-03-01T10:00:00"
    assert result["warnings"] and "XYZ" in result["warnings"][0]
