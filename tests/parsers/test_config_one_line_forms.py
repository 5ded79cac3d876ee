"""PIX/ASA crypto map one-line forms: both lifetime units on one line (either order), `kilobytes
unlimited`, `set ikev1 transform-set` / `set ikev2 ipsec-proposal` and the other `set ikev1|ikev2` options."""

from __future__ import annotations

from typing import Any

import pytest

from devices.parsers.registry import parse


def _entry(platform: str, text: str) -> dict[str, Any]:
    command = "write terminal" if platform == "cisco_pix" else "show running-config"
    result = parse(platform, command, text)
    assert result["warnings"] == []
    (crypto_map,) = result["crypto_maps"]
    (entry,) = crypto_map["entries"]
    return entry


@pytest.mark.parametrize("platform", ["cisco_asa", "cisco_pix"])
@pytest.mark.parametrize(
    "tail",
    ["kilobytes 100000 seconds 3600", "seconds 3600 kilobytes 100000"],
    ids=["kilobytes-first", "seconds-first"],
)
def test_both_lifetime_units_on_one_line_are_read(platform: str, tail: str) -> None:
    entry = _entry(
        platform,
        "crypto map M 10 ipsec-isakmp\n"
        "crypto map M 10 set peer 192.0.2.1\n"
        f"crypto map M 10 set security-association lifetime {tail}\n",
    )
    assert (entry["lifetime_seconds"], entry["lifetime_kilobytes"]) == (3600, 100000)


def test_one_unit_a_line_and_unlimited_kilobytes_are_read() -> None:
    entry = _entry(
        "cisco_asa",
        "crypto map M 10 set security-association lifetime seconds 28800\n"
        "crypto map M 10 set security-association lifetime kilobytes unlimited\n",
    )
    assert entry["lifetime_seconds"] == 28800
    assert entry["lifetime_kilobytes"] is None and entry["lifetime_kilobytes_unlimited"] is True


def test_a_lifetime_the_grammar_does_not_allow_is_a_warning_and_stores_nothing() -> None:
    result = parse(
        "cisco_asa",
        "show running-config",
        "crypto map M 10 set security-association lifetime seconds 3600 kilobytes\n",
    )
    assert result["warnings"] == ["crypto map M 10 set security-association lifetime seconds 3600 kilobytes"]
    entry = result["crypto_maps"][0]["entries"][0]
    assert entry["lifetime_seconds"] is None and entry["lifetime_kilobytes"] is None


def test_asa_ikev1_and_ikev2_options_are_read() -> None:
    entry = _entry(
        "cisco_asa",
        "crypto map M 10 set ikev1 transform-set ESP-AES-SHA ESP-3DES-SHA\n"
        "crypto map M 10 set ikev2 ipsec-proposal AES256 AES128\n"
        "crypto map M 10 set ikev1 phase1-mode aggressive group2\n"
        "crypto map M 10 set pfs group14\n",
    )
    assert entry["transform_sets"] == ["ESP-AES-SHA", "ESP-3DES-SHA", "AES256", "AES128"]
    assert entry["transform_set"] == "ESP-AES-SHA"
    assert entry["ikev1"] == ["phase1-mode aggressive group2"]
    assert entry["pfs"] == "group14"


def test_ios_block_lifetimes_are_read_as_before() -> None:
    result = parse(
        "cisco_ios",
        "show running-config",
        "crypto map vpn 10 ipsec-isakmp\n"
        " set peer 192.0.2.1\n"
        " set security-association lifetime seconds 3600\n"
        " set security-association lifetime kilobytes 4608000\n"
        " set transform-set TS\n",
    )
    assert result["warnings"] == []
    entry = result["crypto_maps"][0]["entries"][0]
    assert (entry["lifetime_seconds"], entry["lifetime_kilobytes"], entry["transform_set"]) == (
        3600,
        4608000,
        "TS",
    )
