"""Configurations: the router's `show running-config` (with its certificate chain) and the PIX's `write terminal`."""

from __future__ import annotations

from devices.parsers.config import parse_running_config
from tests.parsers.helpers import fixture


def test_it_reads_the_routers_configuration() -> None:
    result = parse_running_config(fixture("cisco_ios", "show_running-config"), platform="cisco_ios")
    assert result["hostname"] == "1720-1" and result["domain_name"] == "cisco.com"
    assert result["version"] == "12.2"
    assert result["clock_timezone"] == {"name": "PST", "offset_minutes": -480}
    assert result["isakmp_identity"] == "hostname"
    (trustpoint,) = result["trustpoints"]
    assert trustpoint["name"] == "vpn" and trustpoint["enrollment_url"] == "http://171.69.89.16:80"
    assert trustpoint["crl_optional"] is False and trustpoint["enrollment_mode"] == "ra"
    assert trustpoint["query_url"] == "ldap://171.69.89.16" and trustpoint["enrollment_retry_count"] == 20
    (crypto_map,) = result["crypto_maps"]
    assert crypto_map["name"] == "vpn" and crypto_map["interfaces"] == ["FastEthernet0"]
    (entry,) = crypto_map["entries"]
    assert (
        entry["seq"],
        entry["type"],
        entry["peer"],
        entry["transform_set"],
        entry["match_address"],
        entry["pfs"],
    ) == (10, "ipsec-isakmp", "172.16.172.34", "myset", "130", None)
    assert result["transform_sets"] == [
        {"name": "myset", "transforms": ["esp-des", "esp-md5-hmac"], "mode": None}
    ]
    (policy,) = result["ike_policies"]
    assert {
        k: policy[k] for k in ("priority", "encryption", "hash", "authentication", "group", "lifetime")
    } == {
        "priority": 10,
        "encryption": "des",
        "hash": "md5",
        "authentication": "rsa-sig",
        "group": 1,
        "lifetime": 86400,
    }
    assert policy["defaulted"] == ["authentication", "encryption", "group", "lifetime"]
    assert result["crypto_acls"] == {
        "130": ["access-list 130 permit ip 1.1.1.0 0.0.0.255 192.168.4.0 0.0.0.255"]
    }
    interfaces = {i["name"]: i for i in result["interfaces"]}
    assert interfaces["FastEthernet0"]["ip_address"] == "172.16.172.39"
    assert interfaces["FastEthernet0"]["mask"] == "255.255.255.240"
    assert interfaces["FastEthernet0"]["crypto_map"] == "vpn"
    assert interfaces["Serial0"]["ip_address"] == "1.1.1.1"


def test_it_decodes_and_verifies_the_seed_chain_reporting_the_damaged_ra_certificates() -> None:
    result = parse_running_config(fixture("cisco_ios", "show_running-config"))
    (chain,) = result["certificate_chains"]
    assert chain["trustpoint"] == "vpn"
    certs = {c["serial"]: c for c in chain["certificates"]}
    assert list(certs) == ["3B2FD652", "3B2FD319", "3B2FD318", "3B2FD307"]
    ca, router = certs["3B2FD307"], certs["3B2FD652"]
    assert ca["role"] == "ca" and ca["signature_valid"] is True and ca["key_bits"] == 1024
    assert ca["signature_algorithm"] == "sha1WithRSAEncryption"
    assert ca["subject"] == ca["issuer"] == "OU=sjvpn, O=cisco, C=us"
    assert (ca["not_before"], ca["not_after"]) == ("2001-06-19T22:02:40+00:00", "2021-06-19T22:32:40+00:00")
    assert router["role"] == "identity" and router["signature_valid"] is True and router["key_bits"] == 512
    assert router["not_before"] == "2002-01-11T03:06:14+00:00"  # = 19:06:14 PST Jan 10
    assert router["subject_alt_names"] == ["1720-1.cisco.com"]
    for serial, role in (("3B2FD319", "ra_signature"), ("3B2FD318", "ra_encryption")):
        assert certs[serial]["role"] == role and certs[serial]["signature_valid"] is False
        assert "does not verify" in certs[serial]["signature_error"]
    # Decoded and read whole: a signature that does not verify is a fact on the record, not a warning.
    assert result["warnings"] == []


def test_it_reads_the_pix_write_terminal() -> None:
    result = parse_running_config(fixture("cisco_pix", "write_terminal"), platform="cisco_pix")
    assert result["warnings"] == []
    assert (
        result["hostname"] == "pix520-1"
        and result["domain_name"] == "vpn.com"
        and result["version"] == "6.0(1)"
    )
    assert result["clock_timezone"] is None and result["isakmp_identity"] is None
    (trustpoint,) = result["trustpoints"]
    assert trustpoint["name"] == "cisco" and trustpoint["enrollment_url"] == "http://171.69.89.16/cgi-bin"
    assert trustpoint["enrollment_mode"] == "ra" and trustpoint["crl_optional"] is False
    assert (trustpoint["enrollment_retry_period"], trustpoint["enrollment_retry_count"]) == (20, 5)
    (crypto_map,) = result["crypto_maps"]
    assert crypto_map["name"] == "mymap" and crypto_map["interfaces"] == ["outside"]
    (entry,) = crypto_map["entries"]
    assert (entry["seq"], entry["peer"], entry["transform_set"], entry["match_address"]) == (
        5,
        "172.16.172.39",
        "myset",
        "130",
    )
    (policy,) = result["ike_policies"]
    assert (
        policy["priority"],
        policy["authentication"],
        policy["encryption"],
        policy["hash"],
        policy["group"],
        policy["lifetime"],
        policy["defaulted"],
    ) == (10, "rsa-sig", "des", "md5", 1, 86400, [])
    assert result["crypto_acls"] == {
        "130": ["access-list 130 permit ip 192.168.4.0 255.255.255.0 1.1.1.0 255.255.255.0"]
    }
    interfaces = {i["nameif"]: i for i in result["interfaces"]}
    assert (
        interfaces["outside"]["ip_address"] == "172.16.172.34"
        and interfaces["outside"]["crypto_map"] == "mymap"
    )
    assert interfaces["inside"]["ip_address"] == "192.168.4.50"
    assert result["certificate_chains"] == []


def test_it_reads_modern_trustpoints_with_revocation_check_none_as_crl_optional() -> None:
    text = (
        "hostname R1\n"
        "clock timezone CET 1 0\n"
        "crypto pki trustpoint CA\n"
        " enrollment url http://10.0.0.5:80\n"
        " revocation-check none\n"
        "crypto isakmp policy 20\n"
        " encr aes 256\n"
        " authentication pre-share\n"
        " group 14\n"
        "crypto map CM 10 ipsec-isakmp\n"
        " set peer 10.0.0.2\n"
        " set transform-set TS\n"
        " set pfs group14\n"
        " set security-association lifetime seconds 3600\n"
        " match address VPN\n"
        "ip access-list extended VPN\n"
        " permit ip 10.1.0.0 0.0.255.255 10.2.0.0 0.0.255.255\n"
    )
    result = parse_running_config(text)
    assert result["warnings"] == []
    assert result["clock_timezone"] == {"name": "CET", "offset_minutes": 60}
    assert result["trustpoints"][0]["crl_optional"] is True
    entry = result["crypto_maps"][0]["entries"][0]
    assert entry["pfs"] == "group14" and entry["lifetime_seconds"] == 3600
    assert result["crypto_acls"] == {"VPN": ["permit ip 10.1.0.0 0.0.255.255 10.2.0.0 0.0.255.255"]}
    assert result["ike_policies"][0]["encryption"] == "aes 256" and result["ike_policies"][0]["group"] == 14


def test_it_reads_asa_names_and_every_peer_of_a_set_peer_line() -> None:
    config = """hostname asa-1
names
name 203.0.113.7 branch-router description the branch
name 10.20.0.0 branch-lan
name 10.10.0.0 hq-lan
access-list vpn extended permit ip hq-lan 255.255.0.0 branch-lan 255.255.0.0
crypto map outside_map 10 match address vpn
crypto map outside_map 10 set peer branch-router 198.51.100.9
crypto map outside_map 10 set ikev1 transform-set TS
crypto map outside_map interface outside
"""
    result = parse_running_config(config, platform="cisco_asa")
    assert result["warnings"] == []
    assert result["names"] == {
        "branch-router": "203.0.113.7",
        "branch-lan": "10.20.0.0",
        "hq-lan": "10.10.0.0",
    }
    (entry,) = result["crypto_maps"][0]["entries"]
    # Peers as addresses (what the tunnel is built to), the names the device printed kept beside them.
    assert (entry["peer"], entry["peers"]) == ("203.0.113.7", ["203.0.113.7", "198.51.100.9"])
    assert entry["peer_names"] == ["branch-router", "198.51.100.9"]
    # The ACL lines are the device's own words; the diagnosis reads them through `names`.
    assert result["crypto_acls"]["vpn"] == [
        "access-list vpn extended permit ip hq-lan 255.255.0.0 branch-lan 255.255.0.0"
    ]


def test_it_reads_an_ios_default_peer() -> None:
    config = "crypto map vpn 10 ipsec-isakmp\n set peer 192.0.2.1 default\n set peer 192.0.2.2\n"
    (entry,) = parse_running_config(config)["crypto_maps"][0]["entries"]
    assert entry["peers"] == ["192.0.2.1", "192.0.2.2"] and "peer_names" not in entry


def test_it_reads_asa_network_objects_and_groups_as_networks() -> None:
    config = """hostname asa-1
names
name 10.20.0.5 branch-server
object network HQ-LAN
 subnet 10.10.0.0 255.255.0.0
object network SERVER
 host branch-server
object network HQ-LAN
 nat (inside,outside) dynamic interface
object network WEB
 fqdn www.example.net
object-group network REMOTE
 description branch networks
 network-object 10.20.0.0 255.255.255.0
 network-object object SERVER
 group-object MORE
object-group network MORE
 network-object host 10.30.0.1
object-group network LOOP
 group-object LOOP
"""
    objects = parse_running_config(config, platform="cisco_asa")["network_objects"]
    assert objects == {
        "HQ-LAN": ["10.10.0.0/16"],  # the NAT block of the same object adds nothing
        "SERVER": ["10.20.0.5/32"],  # through `names`
        "WEB": None,  # an FQDN is not a network the mirror check can compare
        "REMOTE": ["10.20.0.0/24", "10.20.0.5/32", "10.30.0.1/32"],
        "MORE": ["10.30.0.1/32"],
        "LOOP": None,
    }
