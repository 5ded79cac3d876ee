"""Certificates: the router's IOS 12.2 listing (available, CA only, pending) and the PIX's labelless names."""

from __future__ import annotations

from typing import Any

from pki.parsers.certificates import parse_certificates
from tests.parsers.helpers import fixture

DN = "OU=sjvpn, O=cisco, C=us"
CDP = "CN=CRL1, OU=sjvpn, O=cisco, C=us"
FIRST_OFFICER = "CN=First Officer, OU=sjvpn, O=cisco, C=us"


def by_serial(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Records keyed by serial (pending ones under their subject name)."""
    return {c["serial"] or c["subject_name"]: c for c in result["certificates"]}


def test_it_reads_every_value_of_the_routers_certificates() -> None:
    result = parse_certificates(fixture("cisco_ios", "show_crypto_ca_certificates"), platform="cisco_ios")
    assert result["warnings"] == []
    certs = by_serial(result)
    assert list(certs) == ["3B2FD652", "3B2FD319", "3B2FD318", "3B2FD307"]
    router = certs["3B2FD652"]
    assert {
        k: router[k]
        for k in (
            "role",
            "status",
            "key_usage",
            "issuer",
            "subject",
            "subject_name",
            "crl_distribution_point",
            "valid_from",
            "valid_to",
            "trustpoint",
            "fingerprint",
        )
    } == {
        "role": "identity",
        "status": "Available",
        "key_usage": "General Purpose",
        "issuer": DN,
        "subject": None,
        "subject_name": "1720-1.cisco.com",
        "crl_distribution_point": CDP,
        "valid_from": "2002-01-10T19:06:14-08:00",
        "valid_to": "2003-01-10T19:36:14-08:00",
        "trustpoint": "vpn",
        "fingerprint": None,
    }
    ra_sign, ra_encrypt, ca = certs["3B2FD319"], certs["3B2FD318"], certs["3B2FD307"]
    assert (ra_sign["role"], ra_sign["key_usage"], ra_sign["subject"]) == (
        "ra_signature",
        "Signature",
        FIRST_OFFICER,
    )
    assert (ra_encrypt["role"], ra_encrypt["key_usage"]) == ("ra_encryption", "Encryption")
    assert ra_sign["valid_from"] == ra_encrypt["valid_from"] == "2001-06-19T14:03:31-08:00"
    assert ra_sign["valid_to"] == "2004-06-19T14:33:31-08:00"
    assert (ca["role"], ca["subject"], ca["issuer"]) == ("ca", DN, DN)
    assert (ca["valid_from"], ca["valid_to"]) == ("2001-06-19T14:02:40-08:00", "2021-06-19T14:32:40-08:00")


def test_it_reads_the_pending_request_with_its_fingerprint() -> None:
    result = parse_certificates(fixture("cisco_ios", "show_crypto_ca_certificates__pending"))
    assert result["warnings"] == []
    pending = result["certificates"][-1]
    assert pending["status"] == "Pending" and pending["role"] == "identity"
    assert pending["subject_name"] == "1720-1.cisco.com" and pending["serial"] is None
    assert pending["fingerprint"] == "A1D6C28B6575AD08F0B656D47161F76F"
    assert pending["valid_from"] is None and pending["trustpoint"] == "vpn"
    assert [c["role"] for c in result["certificates"]] == ["ra_signature", "ra_encryption", "ca", "identity"]


# IOS 15 / IOS-XE: the pending request's names sit under `Subject:` and it prints the request's
# fingerprints under their own labels (the 12.2 form above says `Subject Name Contains:`).
IOS_XE_PENDING = """Certificate
  Subject:
    Name: csr-1.example.net
  Status: Pending
  Key Usage: General Purpose
  Certificate Request Fingerprint MD5: 2D4B2A8C 8B2FD54F 4B47AE07 0A7BF5BC
  Certificate Request Fingerprint SHA1: 75A33C0C 6BFD49D4 04BEB70C 41F5B4F8 2A1E3A44
  Associated Trustpoint: vpn

CA Certificate
  Status: Available
  Certificate Serial Number (hex): 01
  Certificate Usage: Signature
  Issuer:
    cn=CA1
  Subject:
    cn=CA1
  Validity Date:
    start date: 00:00:00 UTC Jan 1 2025
    end   date: 00:00:00 UTC Jan 1 2030
  Associated Trustpoints: vpn
"""


def test_it_keeps_an_ios_xe_pending_request_apart_from_the_ca_certificate() -> None:
    result = parse_certificates(IOS_XE_PENDING, platform="cisco_ios")
    assert result["warnings"] == []
    pending, ca = result["certificates"]
    assert (pending["role"], pending["status"], pending["subject_name"]) == (
        "identity",
        "Pending",
        "csr-1.example.net",
    )
    assert pending["fingerprint_md5"] == "2D4B2A8C8B2FD54F4B47AE070A7BF5BC"
    assert pending["fingerprint_sha1"] == "75A33C0C6BFD49D404BEB70C41F5B4F82A1E3A44"
    assert (ca["role"], ca["status"], ca["serial"], ca["subject"]) == ("ca", "Available", "01", "CN=CA1")


def test_it_reads_the_ca_only_state_before_enrollment() -> None:
    result = parse_certificates(fixture("cisco_ios", "show_crypto_ca_certificates__ca_only"))
    assert [c["role"] for c in result["certificates"]] == ["ra_signature", "ra_encryption", "ca"]


def test_it_reads_the_pix_listing_whose_names_follow_key_usage() -> None:
    result = parse_certificates(fixture("cisco_pix", "show_ca_certificate"), platform="cisco_pix")
    assert result["warnings"] == []
    certs = by_serial(result)
    assert list(certs) == ["3B2FD653", "3B2FD307", "3B2FD319", "3B2FD318"]
    pix = certs["3B2FD653"]
    assert pix["subject_name"] == "pix520-1.vpn.com" and pix["role"] == "identity"
    assert (pix["valid_from"], pix["valid_to"]) == ("2002-01-11T04:13:45+00:00", "2003-01-11T04:43:45+00:00")
    assert certs["3B2FD307"]["subject"] == DN and certs["3B2FD307"]["issuer"] is None
    assert certs["3B2FD319"]["subject"] == FIRST_OFFICER and certs["3B2FD318"]["role"] == "ra_encryption"


def test_it_gives_the_same_instants_on_the_router_in_pst_and_the_pix_in_utc() -> None:
    from datetime import datetime

    router = by_serial(parse_certificates(fixture("cisco_ios", "show_crypto_ca_certificates")))
    pix = by_serial(parse_certificates(fixture("cisco_pix", "show_ca_certificate"), platform="cisco_pix"))
    for serial in ("3B2FD307", "3B2FD319", "3B2FD318"):
        for key in ("valid_from", "valid_to"):
            assert datetime.fromisoformat(router[serial][key]) == datetime.fromisoformat(pix[serial][key])
    assert pix["3B2FD319"]["valid_from"] == "2001-06-19T22:03:31+00:00"


def test_it_reads_the_modern_pki_form_with_associated_trustpoints() -> None:
    text = (
        "Certificate\n"
        "  Status: Available\n"
        "  Certificate Serial Number (hex): 03\n"
        "  Certificate Usage: General Purpose\n"
        "  Issuer:\n"
        "    cn=ca.example.com\n"
        "  Subject:\n"
        "    Name: R1.example.com\n"
        "    hostname=R1.example.com\n"
        "  CRL Distribution Points:\n"
        "    http://ca.example.com/ca.crl\n"
        "  Validity Date:\n"
        "    start date: 10:55:30 UTC Oct 19 2011\n"
        "    end   date: 10:55:30 UTC Oct 18 2012\n"
        "  Associated Trustpoints: CA other\n"
    )
    (cert,) = parse_certificates(text)["certificates"]
    assert cert["serial"] == "03" and cert["key_usage"] == "General Purpose"
    assert cert["issuer"] == "CN=ca.example.com" and cert["subject"] == "hostname=R1.example.com"
    assert cert["subject_name"] == "R1.example.com" and cert["trustpoint"] == "CA"
    assert cert["trustpoints"] == ["CA", "other"]
    assert cert["crl_distribution_point"] == "http://ca.example.com/ca.crl"
    assert cert["valid_to"] == "2012-10-18T10:55:30+00:00"


def test_it_reads_the_asa_form() -> None:
    text = (
        "CA Certificate\n"
        "  Status: Available\n"
        "  Certificate Serial Number: 6ff0c6e8b8e1c7a94a3f0fa0ba5a6d4e\n"
        "  Certificate Usage: Signature\n"
        "  Public Key Type: RSA (2048 bits)\n"
        "  Signature Algorithm: SHA256 with RSA Encryption\n"
        "  Issuer Name:\n"
        "    cn=root-ca\n"
        "    dc=example\n"
        "  Subject Name:\n"
        "    cn=root-ca\n"
        "    dc=example\n"
        "  CRL Distribution Points:\n"
        "    [1]  http://ca.example/root.crl\n"
        "  Validity Date:\n"
        "    start date: 16:14:49 UTC Jan 6 2015\n"
        "    end   date: 16:24:48 UTC Jan 6 2030\n"
        "  Storage:       config\n"
        "  Associated Trustpoints: ASDM_TrustPoint0\n"
    )
    result = parse_certificates(text, platform="cisco_asa")
    assert result["warnings"] == []
    (cert,) = result["certificates"]
    assert cert["role"] == "ca" and cert["serial"] == "6FF0C6E8B8E1C7A94A3F0FA0BA5A6D4E"
    assert cert["subject"] == cert["issuer"] == "CN=root-ca, DC=example"
    assert (
        cert["key_bits"] == 2048 and cert["storage"] == "config" and cert["trustpoint"] == "ASDM_TrustPoint0"
    )
    assert cert["crl_distribution_point"] == "http://ca.example/root.crl"


def test_it_gives_an_empty_list_for_empty_output() -> None:
    assert parse_certificates("") == {"certificates": [], "warnings": []}
