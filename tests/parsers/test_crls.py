"""CRLs: the router's (PST, retrieved over LDAP) and the PIX's (UTC) views of the same CRL."""

from __future__ import annotations

from pki.parsers.crls import parse_crls
from tests.parsers.helpers import fixture


def test_it_reads_the_routers_crl() -> None:
    result = parse_crls(fixture("cisco_ios", "show_crypto_ca_crls"))
    assert result == {
        "crls": [
            {
                "issuer": "OU=sjvpn, O=cisco, C=us",
                "last_update": "2002-01-10T16:17:34-08:00",
                "next_update": "2002-01-11T17:17:34-08:00",
                "retrieved_from": "CN=CRL1, OU=sjvpn, O=cisco, C=us",
                "retrieved_protocol": "LDAP",
            }
        ],
        "warnings": [],
    }


def test_it_reads_the_pix_crl_in_utc() -> None:
    result = parse_crls(fixture("cisco_pix", "show_ca_crl"), platform="cisco_pix")
    assert result == {
        "crls": [
            {
                "issuer": "OU=sjvpn, O=cisco, C=us",
                "last_update": "2002-01-11T00:17:34+00:00",
                "next_update": "2002-01-12T01:17:34+00:00",
                "retrieved_from": None,
            }
        ],
        "warnings": [],
    }


def test_it_reads_the_asa_form_with_size_and_trustpoints() -> None:
    text = (
        "CRL Issuer Name:\n"
        "    cn=root-ca,dc=example\n"
        "    LastUpdate: 19:45:53 UTC Jan 13 2020\n"
        "    NextUpdate: 08:05:53 UTC Jan 21 2020\n"
        "    Cached Until: 08:05:53 UTC Jan 21 2020\n"
        "    Retrieved from CRL Distribution Point:\n"
        "      http://ca.example/root.crl\n"
        "    Size (bytes): 540\n"
        "    Associated Trustpoints: ASDM_TrustPoint0\n"
    )
    result = parse_crls(text, platform="cisco_asa")
    assert result["warnings"] == []
    (crl,) = result["crls"]
    assert crl["issuer"] == "CN=root-ca, DC=example" and crl["next_update"] == "2020-01-21T08:05:53+00:00"
    assert crl["retrieved_from"] == "http://ca.example/root.crl" and crl["size_bytes"] == 540
    assert crl["trustpoints"] == ["ASDM_TrustPoint0"]


def test_it_gives_an_empty_list_for_empty_output() -> None:
    assert parse_crls("") == {"crls": [], "warnings": []}
