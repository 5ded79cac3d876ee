"""The seed document as it is: its flattened and re-wrapped outputs give the same records as the laid-out files.

Each passage is cut out of the seed document (tests/fixtures/cli/seed_document/000_1aac59b383724b1f.txt)
by the text around it, so a reader can find it in the document.
"""

from __future__ import annotations

from typing import Any

from pki.parsers.certificates import parse_certificates
from pki.parsers.crls import parse_crls
from tests.parsers.helpers import fixture, seed_document

FIELDS = (
    "role",
    "status",
    "serial",
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


def passage(start: str, end: str, *, after: str = "") -> str:
    """The document's text from `start` (after the first `after`) up to and including `end`."""
    doc = seed_document()
    origin = doc.index(after) if after else 0
    begin = doc.index(start, origin)
    return doc[begin : doc.index(end, begin) + len(end)]


def records(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["serial"] or c["subject_name"]: {k: c[k] for k in FIELDS} for c in result["certificates"]}


def test_it_recovers_the_routers_ca_and_ra_certificates_from_the_flattened_paragraph() -> None:
    text = passage(
        "RA Signature Certificate\nStatus: Available", "14:32:40 PST Jun 19 2021 Associated Identity: vpn"
    )
    flat = parse_certificates(text)
    assert flat["warnings"] == []
    assert records(flat) == records(
        parse_certificates(fixture("cisco_ios", "show_crypto_ca_certificates__ca_only"))
    )


def test_it_recovers_the_pending_request_from_blocks_split_by_headings() -> None:
    text = passage(
        "RA Signature Certificate\n  Status: Available",
        "7161F76F Associated Identity: vpn",
        after="1720-1#sh crypto ca cert",
    )
    flat = parse_certificates(text)
    assert flat["warnings"] == []
    assert records(flat) == records(
        parse_certificates(fixture("cisco_ios", "show_crypto_ca_certificates__pending"))
    )


def test_it_recovers_all_four_router_certificates_from_one_paragraph() -> None:
    text = passage("#### Certificate", "PST Jun 19 2021 Associated Identity: vpn", after="%CRYPTO-6-CERTRET")
    flat = records(parse_certificates(text))
    laid_out = records(parse_certificates(fixture("cisco_ios", "show_crypto_ca_certificates")))
    assert list(flat) == list(laid_out) == ["3B2FD652", "3B2FD319", "3B2FD318", "3B2FD307"]
    # The document lost the CA certificate's `Subject:` lines in this copy; everything else is the same.
    assert flat["3B2FD307"]["subject"] is None
    flat["3B2FD307"]["subject"] = laid_out["3B2FD307"]["subject"]
    assert flat == laid_out
    assert flat["3B2FD652"]["valid_from"] == "2002-01-10T19:06:14-08:00"


def test_it_recovers_the_pix_ca_certificates_from_the_flattened_paragraph() -> None:
    text = passage("CA Certificate", "22:33:31 Jun 19 2004\n```", after="pix520-1(config)# sh ca cert")
    flat = parse_certificates(text, platform="cisco_pix")
    assert flat["warnings"] == []
    expected = parse_certificates(fixture("cisco_pix", "show_ca_certificate__ca_only"), platform="cisco_pix")
    assert records(flat) == records(expected)


def test_it_recovers_the_pix_certificates_after_enrollment_and_warns_about_the_trailing_prompts() -> None:
    text = passage(
        "Certificate\n  Status: Available", "ca crl request cisco", after="pix520-1(config)# show ca cert"
    )
    flat = parse_certificates(text, platform="cisco_pix")
    expected = records(parse_certificates(fixture("cisco_pix", "show_ca_certificate"), platform="cisco_pix"))
    assert records(flat) == expected
    assert flat["warnings"] and all("pix520-" in w for w in flat["warnings"])
    assert records(flat)["3B2FD653"]["valid_from"] == "2002-01-11T04:13:45+00:00"


def test_it_recovers_the_routers_crl_from_its_split_blocks() -> None:
    text = passage(
        "CRL Issuer Name:", "LDAP: CN = CRL1, OU = sjvpn, O = cisco, C = us", after="1720-1#sh crypto ca crls"
    )
    assert parse_crls(text) == parse_crls(fixture("cisco_ios", "show_crypto_ca_crls"))


def test_it_recovers_the_pix_crl_with_its_blank_lines() -> None:
    text = passage("CRL:", "NextUpdate: 01:17:34 Jan 12 2002", after="pix520-1(config)# sh ca crl")
    assert parse_crls(text, platform="cisco_pix") == parse_crls(
        fixture("cisco_pix", "show_ca_crl"), platform="cisco_pix"
    )
