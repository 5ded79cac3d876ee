"""Regressions of the old 80-column re-join, and values printed on the line after their label.

- An IOS SA whose `crypto map:` line is exactly 80 columns long is a whole line: the old re-join glued
  the `sa timing:` line to it (both lifetimes null, the map name polluted).
- An IKEv2 `Encr:` line of 83 columns cut by the terminal after column 83: the old re-join (80 only)
  left `, Auth verify: PSK` in warnings.
- `#pkts decompress failed:` / ` 0` and `(k/sec):` / ` (4607999/3150)`: the value on the next line.
"""

from __future__ import annotations

from devices.parsers.registry import parse
from tests.parsers.helpers import fixture


def test_a_crypto_map_line_of_exactly_80_columns_is_a_whole_line() -> None:
    text = fixture("cisco_ios", "show_crypto_ipsec_sa__crypto_map_80_columns")
    assert max(len(line) for line in text.split("\n")) == 80
    result = parse("cisco_ios", "show crypto ipsec sa", text)
    assert result["warnings"] == []
    (entry,) = result["ipsec_sas"]
    assert entry["crypto_map"] == "HQ-BRANCHES-LAN-TO-LAN-01"
    inbound, outbound = entry["inbound_esp"][0], entry["outbound_esp"][0]
    assert (inbound["crypto_map"], inbound["remaining_kb"], inbound["remaining_sec"]) == (
        "HQ-BRANCHES-LAN-TO-LAN-01",
        4607999,
        3150,
    )
    assert (outbound["crypto_map"], outbound["remaining_kb"], outbound["remaining_sec"]) == (
        "HQ-BRANCHES-LAN-TO-LAN-01",
        4607999,
        3141,
    )


def test_an_ikev2_encr_line_cut_at_83_columns_is_joined() -> None:
    text = fixture("cisco_ios", "show_crypto_ikev2_sa_detail__encr_wrapped_at_83")
    result = parse("cisco_ios", "show crypto ikev2 sa detail", text)
    assert result["warnings"] == []
    (sa,) = result["ike_sas"]
    assert {k: sa[k] for k in ("encryption", "key_size", "prf", "hash", "dh_group")} == {
        "encryption": "AES-CBC",
        "key_size": 256,
        "prf": "SHA1",
        "hash": "SHA1",
        "dh_group": 14,
    }
    assert (sa["auth_sign"], sa["auth_verify"]) == ("PSK", "PSK")
    assert (sa["lifetime"], sa["active_time"]) == (86400, 3600)
    assert (sa["local_spi"], sa["remote_spi"]) == ("1A2B3C4D5E6F7081", "8877665544332211")
    assert (sa["status"], sa["dst"], sa["src"]) == ("READY", "10.10.10.2", "10.10.10.1")


def test_counters_and_lifetimes_whose_value_is_on_the_next_line_are_read() -> None:
    text = fixture("cisco_ios", "show_crypto_ipsec_sa__values_on_next_line")
    assert "#pkts decompress failed:\n 0" in text and "(k/sec):\n (4607999/3150)" in text
    result = parse("cisco_ios", "show crypto ipsec sa", text)
    assert result["warnings"] == []
    (entry,) = result["ipsec_sas"]
    assert entry["counters"]["pkts_decompress_failed"] == 0
    assert entry["counters"]["send_errors"] == 0 and entry["counters"]["recv_errors"] == 0
    inbound = entry["inbound_esp"][0]
    assert (inbound["remaining_kb"], inbound["remaining_sec"]) == (4607999, 3150)
    assert parse("cisco_ios", "show crypto ipsec sa", fixture("cisco_ios", "show_crypto_ipsec_sa")) == result
