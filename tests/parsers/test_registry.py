"""The registry: full commands, the abbreviations devices accept, and errors for unsupported ones."""

from __future__ import annotations

import pytest

from devices.parsers.registry import (
    COMMANDS,
    UnknownCommand,
    UnknownPlatform,
    parse,
    resolve,
    supported_commands,
)
from tests.parsers.helpers import fixture


@pytest.mark.parametrize(
    ("platform", "typed", "full"),
    [
        ("cisco_ios", "sh cr isa sa", "show crypto isakmp sa"),
        ("cisco_ios", "sh cr ipsec sa", "show crypto ipsec sa"),
        ("cisco_ios", "sh cr ipsec sa detail", "show crypto ipsec sa"),
        ("cisco_ios", "sh cr en conn ac", "show crypto engine connections active"),
        ("cisco_ios", "sh cr ca cert", "show crypto ca certificates"),
        ("cisco_ios", "sh crypto ca crls", "show crypto ca crls"),
        ("cisco_ios", "show crypto pki certificates", "show crypto pki certificates"),
        ("cisco_ios", "wr t", "write terminal"),
        ("cisco_ios", "sh run", "show running-config"),
        ("cisco_ios", "SH CLO", "show clock"),
        ("cisco_pix", "sh ca cert", "show ca certificate"),
        ("cisco_pix", "show ca certificates", "show ca certificate"),
        ("cisco_pix", "sh ca crl", "show ca crl"),
        ("cisco_pix", "sh cr en", "show crypto engine"),
        ("cisco_pix", "wr t", "write terminal"),
        ("cisco_asa", "sh cry ca crl", "show crypto ca crl"),
        ("cisco_asa", "sh cry ikev2 sa", "show crypto ikev2 sa"),
    ],
)
def test_it_accepts_the_abbreviations_devices_accept(platform: str, typed: str, full: str) -> None:
    assert resolve(platform, typed).text == full


def test_it_refuses_an_unknown_platform() -> None:
    with pytest.raises(UnknownPlatform):
        parse("juniper", "show clock", "")


@pytest.mark.parametrize("typed", ["show version", "sh cr ca c", "", "show crypto ca certificates a b c"])
def test_it_refuses_unknown_or_ambiguous_commands(typed: str) -> None:
    with pytest.raises(UnknownCommand):
        resolve("cisco_ios", typed)


def test_it_lists_the_supported_commands_per_platform() -> None:
    assert "show crypto isakmp sa" in supported_commands("cisco_ios")
    assert "show ca certificate" in supported_commands("cisco_pix")
    assert set(COMMANDS) == {"cisco_ios", "cisco_asa", "cisco_pix"}


def test_it_parses_through_the_single_entry_point() -> None:
    result = parse("cisco_pix", "sh ca crl", fixture("cisco_pix", "show_ca_crl"))
    assert result["crls"][0]["next_update"] == "2002-01-12T01:17:34+00:00"


def test_it_parses_every_seed_fixture_without_warnings() -> None:
    commands = {
        "show_clock": "show clock",
        "show_crypto_ca_certificates": "show crypto ca certificates",
        "show_crypto_ca_crls": "show crypto ca crls",
        "show_crypto_engine_connections_active": "show crypto engine connections active",
        "show_crypto_ipsec_sa": "show crypto ipsec sa",
        "show_crypto_isakmp_sa": "show crypto isakmp sa",
        "show_crypto_key_mypubkey_rsa": "show crypto key mypubkey rsa",
        "show_running-config": "show running-config",
        "show_ca_certificate": "show ca certificate",
        "show_ca_crl": "show ca crl",
        "show_crypto_engine": "show crypto engine",
        "write_terminal": "write terminal",
        "show_ca_mypubkey_rsa": "show ca mypubkey rsa",
    }
    from tests.parsers.helpers import FIXTURES

    seen = 0
    for platform in ("cisco_ios", "cisco_pix"):
        for path in sorted((FIXTURES / platform).glob("*.txt")):
            stem = path.stem.split("__")[0]
            if stem not in commands:
                continue  # isakmp policy / crypto map: shown in the seed, not polled
            result = parse(platform, commands[stem], path.read_text())
            seen += 1
            assert "error" not in result
            if path.stem != "show_running-config__secrets":  # its `ocsp url` line is unknown on purpose
                assert result["warnings"] == [], path.name
    # the seed fixtures, the two configurations full of secrets, the two SA outputs of the wrap goldens
    assert seen == 23
