"""Device public keys and their comparison with the certificate's key."""

from __future__ import annotations

from devices.parsers.config import parse_running_config
from pki.parsers.keys import parse_mypubkey_rsa
from pki.x509 import public_key_matches
from tests.parsers.helpers import fixture


def _router_cert_hex() -> str:
    text = fixture("cisco_ios", "show_running-config")
    block = text.split("certificate 3B2FD652", 1)[1].split("quit", 1)[0]
    return block


def test_it_reads_the_routers_two_keys() -> None:
    result = parse_mypubkey_rsa(fixture("cisco_ios", "show_crypto_key_mypubkey_rsa"))
    assert result["warnings"] == []
    general, encryption = result["keys"]
    assert general["name"] == "1720-1.cisco.com" and general["usage"] == "General Purpose Key"
    assert general["generated_at"] == "2002-01-10T19:26:22-08:00" and general["key_bits"] == 512
    assert encryption["name"] == "1720-1.cisco.com.server" and encryption["key_bits"] == 768


def test_it_reports_the_pix_keys_damaged_hex_without_failing() -> None:
    result = parse_mypubkey_rsa(fixture("cisco_pix", "show_ca_mypubkey_rsa"), platform="cisco_pix")
    (key,) = result["keys"]
    assert key["name"] == "pix520-1.vpn.com" and key["generated_at"] == "2002-01-11T04:54:34+00:00"
    assert key["decodable"] is False and key["key_bits"] is None
    # Every line was read: the damaged hex is a fact about the key, on its record, not a parse warning.
    assert "does not decode" in key["decode_error"]
    assert result["warnings"] == []


def test_it_reads_the_ios_15_and_asa_key_lines() -> None:
    ios15 = (
        "% Key pair was generated at: 10:00:00 UTC Jan 1 2026\n"
        "Key name: csr-1.example.net\n"
        "Key type: RSA KEYS\n"
        " Storage Device: not specified\n"
        " Usage: General Purpose Key\n"
        " Key is not exportable. Redundancy enabled.\n"
        " Key Data:\n"
    )
    result = parse_mypubkey_rsa(ios15)
    assert result["warnings"] == []
    (key,) = result["keys"]
    assert (key["key_type"], key["exportable"], key["redundancy"]) == ("RSA KEYS", False, True)
    asa = (
        "Key pair was generated at: 12:05:33 UTC Dec 3 2026\n"
        "Key name: <Default-RSA-Key>\n"
        " Usage: General Purpose Key\n"
        " Modulus Size (bits): 2048\n"
        " Storage: config\n"
        " Key Data:\n"
    )
    result = parse_mypubkey_rsa(asa, platform="cisco_asa")
    assert result["warnings"] == []
    (key,) = result["keys"]
    assert key["generated_at"] == "2026-12-03T12:05:33+00:00"
    assert (key["name"], key["modulus_bits"], key["storage"]) == ("<Default-RSA-Key>", 2048, "config")


def test_it_matches_the_routers_key_with_its_certificate() -> None:
    keys = parse_mypubkey_rsa(fixture("cisco_ios", "show_crypto_key_mypubkey_rsa"))["keys"]
    assert public_key_matches(keys[0]["key_data"], _router_cert_hex()) is True
    assert public_key_matches(keys[1]["key_data"], _router_cert_hex()) is False
    assert public_key_matches("zz", _router_cert_hex()) is None


def test_it_decodes_a_chain_even_without_a_ca_certificate() -> None:
    text = "crypto ca certificate chain tp\n certificate 01\n  3082\n quit\n"
    result = parse_running_config(text)
    cert = result["certificate_chains"][0]["certificates"][0]
    assert cert["signature_valid"] is None and "error" in cert and result["warnings"]
