"""IPsec SAs: the seed's router and PIX ends, counters, SPIs as integers, and the SPI mirror."""

from __future__ import annotations

from devices.parsers.ipsec import CONTRACT_COUNTERS, parse_ipsec_sa
from tests.parsers.helpers import fixture


def test_it_reads_every_value_of_the_routers_sa() -> None:
    result = parse_ipsec_sa(fixture("cisco_ios", "show_crypto_ipsec_sa"), platform="cisco_ios")
    assert result["warnings"] == []
    (entry,) = result["ipsec_sas"]
    assert entry["interface"] == "FastEthernet0"
    assert entry["crypto_map"] == "vpn" and entry["local_addr"] == "172.16.172.39"
    assert entry["local_ident"] == {"addr": "1.1.1.0", "mask": "255.255.255.0", "prot": 0, "port": 0}
    assert entry["remote_ident"] == {"addr": "192.168.4.0", "mask": "255.255.255.0", "prot": 0, "port": 0}
    assert entry["current_peer"] == "172.16.172.34"
    assert entry["action"] == "PERMIT" and entry["flags"] == ["origin_is_acl"]
    assert entry["counters"] == {
        "pkts_encaps": 3,
        "pkts_encrypt": 3,
        "pkts_digest": 3,
        "pkts_decaps": 3,
        "pkts_decrypt": 3,
        "pkts_verify": 3,
        "pkts_compressed": 0,
        "pkts_decompressed": 0,
        "pkts_not_compressed": 0,
        "pkts_compr_failed": 0,
        "pkts_decompress_failed": 0,
        "send_errors": 0,
        "recv_errors": 0,
    }
    assert (entry["local_endpoint"], entry["remote_endpoint"]) == ("172.16.172.39", "172.16.172.34")
    assert (entry["path_mtu"], entry["media_mtu"]) == (1500, 1500)
    assert entry["current_outbound_spi"] == 0x3803A0C1
    (inbound,) = entry["inbound_esp"]
    assert inbound == {
        "spi": 0xD740971C,
        "spi_decimal": 3611334428,
        "transform": "esp-des esp-md5-hmac",
        "mode": "Tunnel",
        "conn_id": 200,
        "crypto_map": "vpn",
        "remaining_kb": 4607999,
        "remaining_sec": 3150,
        "settings": ["Tunnel"],
        "slot": 0,
        "flow_id": 1,
        "iv_size": 8,
        "replay_detection": "Y",
    }
    (outbound,) = entry["outbound_esp"]
    assert outbound["spi"] == 939761857 and outbound["conn_id"] == 201 and outbound["remaining_sec"] == 3141
    assert entry["inbound_ah"] == [] and entry["outbound_ah"] == []
    assert entry["inbound_pcp"] == [] and entry["outbound_pcp"] == []


def test_it_reads_the_pix_end_with_its_extra_overhead_and_lower_case_spi() -> None:
    result = parse_ipsec_sa(fixture("cisco_pix", "show_crypto_ipsec_sa"), platform="cisco_pix")
    assert result["warnings"] == []
    (entry,) = result["ipsec_sas"]
    assert entry["interface"] == "outside" and entry["crypto_map"] == "mymap"
    assert entry["counters"]["send_errors"] == 2 and entry["counters"]["recv_errors"] == 0
    assert entry["ipsec_overhead"] == 56
    assert entry["current_outbound_spi"] == 0xD740971C
    assert entry["inbound_esp"][0]["spi"] == 0x3803A0C1 and entry["inbound_esp"][0]["conn_id"] == 4
    assert entry["outbound_esp"][0]["remaining_sec"] == 2971


def test_it_shows_the_two_ends_mirror_their_spis() -> None:
    router = parse_ipsec_sa(fixture("cisco_ios", "show_crypto_ipsec_sa"))["ipsec_sas"][0]
    pix = parse_ipsec_sa(fixture("cisco_pix", "show_crypto_ipsec_sa"), platform="cisco_pix")["ipsec_sas"][0]
    assert router["inbound_esp"][0]["spi"] == pix["outbound_esp"][0]["spi"] == 3611334428
    assert router["outbound_esp"][0]["spi"] == pix["inbound_esp"][0]["spi"] == 939761857
    assert router["local_ident"] == pix["remote_ident"]


def test_it_keeps_extra_counters_under_their_own_names() -> None:
    text = (
        "interface: Tunnel1\n"
        "    Crypto map tag: Tunnel1-head-0, local addr 10.0.0.1\n"
        "   protected vrf: (none)\n"
        "   local  ident (addr/mask/prot/port): (10.0.0.1/255.255.255.255/47/0)\n"
        "   remote ident (addr/mask/prot/port): (10.0.0.2/255.255.255.255/47/0)\n"
        "   current_peer 10.0.0.2 port 500\n"
        "    #pkts encaps: 4, #pkts encrypt: 4, #pkts digest: 4\n"
        "    #pkts no sa (send) 0, #pkts invalid sa (rcv) 0\n"
        "    #pkts invalid identity (recv) 7, #pkts invalid len (rcv) 0\n"
        "    #pkts replay rollover (send): 0, #pkts replay rollover (rcv) 1\n"
        "    ##pkts replay failed (rcv): 5\n"
        "     current outbound spi: 0x397C36EE(964441838)\n"
        "     PFS (Y/N): N, DH group: none\n"
    )
    result = parse_ipsec_sa(text)
    assert result["warnings"] == []
    (entry,) = result["ipsec_sas"]
    counters = entry["counters"]
    assert counters["pkts_invalid_identity"] == 7 and counters["pkts_replay_failed"] == 5
    assert counters["pkts_replay_rollover_send"] == 0 and counters["pkts_replay_rollover_rcv"] == 1
    assert counters["pkts_no_sa"] == 0 and counters["pkts_decaps"] is None
    assert set(CONTRACT_COUNTERS) <= set(counters)
    assert entry["current_peer_port"] == 500 and entry["pfs"] == "N" and entry["protected_vrf"] == "(none)"
    assert entry["current_outbound_spi"] == 964441838


def test_it_gives_an_empty_list_for_empty_output() -> None:
    assert parse_ipsec_sa("") == {"ipsec_sas": [], "warnings": []}
