"""IKE SA tables: IOS 12.2, IOS 15/XE, PIX 6, ASA IKEv1/IKEv2 blocks, IOS-XE/ASA `show crypto ikev2 sa`."""

from __future__ import annotations

from devices.parsers.isakmp import parse_isakmp_sa
from tests.parsers.helpers import fixture


def test_it_reads_the_routers_ios_12_2_table() -> None:
    result = parse_isakmp_sa(fixture("cisco_ios", "show_crypto_isakmp_sa"), platform="cisco_ios")
    assert result["warnings"] == []
    assert result["ike_sas"] == [
        {
            "dst": "172.16.172.39",
            "src": "172.16.172.34",
            "state": "QM_IDLE",
            "conn_id": 110,
            "slot": 0,
            "status": None,
            "pending": None,
            "created": None,
            "version": "IKEv1",
            "role": None,
            "peer": None,
        }
    ]
    assert result["total"] is None and result["embryonic"] is None


def test_it_reads_the_pix_table_with_totals() -> None:
    result = parse_isakmp_sa(fixture("cisco_pix", "show_crypto_isakmp_sa"), platform="cisco_pix")
    assert result["warnings"] == []
    assert result["total"] == 1 and result["embryonic"] == 0
    (sa,) = result["ike_sas"]
    assert (sa["dst"], sa["src"], sa["state"], sa["pending"], sa["created"]) == (
        "172.16.172.39",
        "172.16.172.34",
        "QM_IDLE",
        0,
        1,
    )
    assert sa["conn_id"] is None


def test_it_reads_the_ios_15_layout_with_address_families() -> None:
    text = (
        "IPv4 Crypto ISAKMP SA\n"
        "dst             src             state          conn-id status\n"
        "10.0.0.2        10.0.0.1        QM_IDLE           1001 ACTIVE\n"
        "10.0.0.2        10.0.0.9        MM_NO_STATE       1002 ACTIVE (deleted)\n"
        "\n"
        "IPv6 Crypto ISAKMP SA\n"
    )
    result = parse_isakmp_sa(text)
    assert result["warnings"] == []
    first, second = result["ike_sas"]
    assert first["status"] == "ACTIVE" and first["conn_id"] == 1001 and first["slot"] is None
    assert first["address_family"] == "IPv4"
    assert second["deleted"] is True and second["state"] == "MM_NO_STATE"


def test_it_reads_asa_ikev1_blocks() -> None:
    text = (
        "IKEv1 SAs:\n\n"
        "   Active SA: 1\n"
        "    Rekey SA: 0 (A tunnel will report 1 Active and 1 Rekey SA during rekey)\n"
        "Total IKE SA: 1\n\n"
        "1   IKE Peer: 172.16.172.39\n"
        "    Type    : L2L             Role    : initiator\n"
        "    Rekey   : no              State   : MM_ACTIVE\n\n"
        "There are no IKEv2 SAs\n"
    )
    result = parse_isakmp_sa(text, platform="cisco_asa")
    assert result["warnings"] == []
    assert result["total"] == 1
    (sa,) = result["ike_sas"]
    assert sa["peer"] == "172.16.172.39" and sa["role"] == "initiator" and sa["state"] == "MM_ACTIVE"
    assert sa["version"] == "IKEv1" and sa["type"] == "L2L" and sa["rekey"] == "no"


def test_it_reads_ios_xe_ikev2_sas() -> None:
    text = (
        "IPv4 Crypto IKEv2 SA\n\n"
        "Tunnel-id Local                 Remote                fvrf/ivrf            Status\n"
        "1         66.66.66.1/500        66.66.66.2/500        none/none            READY\n"
        "      Encr: AES-CBC, keysize: 128, PRF: SHA1, Hash: SHA96, DH Grp:16, Auth sign: PSK, Auth verify: PSK\n"
        "      Life/Active Time: 86400/735 sec\n"
    )
    result = parse_isakmp_sa(text)
    assert result["warnings"] == []
    (sa,) = result["ike_sas"]
    assert sa["version"] == "IKEv2" and sa["status"] == "READY" and sa["conn_id"] == 1
    assert (sa["src"], sa["dst"], sa["peer"]) == ("66.66.66.1", "66.66.66.2", "66.66.66.2")
    assert sa["dh_group"] == 16 and sa["lifetime"] == 86400 and sa["active_time"] == 735


def test_it_gives_an_empty_list_for_empty_output() -> None:
    assert parse_isakmp_sa("") == {"ike_sas": [], "total": None, "embryonic": None, "warnings": []}


def test_it_keeps_unknown_lines_as_warnings() -> None:
    result = parse_isakmp_sa(fixture("cisco_ios", "show_crypto_isakmp_sa") + "something new here\n")
    assert len(result["ike_sas"]) == 1
    assert result["warnings"] == ["something new here"]
