"""Every configuration form that carries a secret is masked, keyword kept, value `<removed>`."""

from __future__ import annotations

import re

import pytest

from devices.redact import MASK, redact_config, redact_line, redact_output, redact_text, redact_value
from tests.parsers.helpers import fixture

MARKER = "qZjx"

# (platform, block opener or "" at top level, line as the device prints it, line as stored)
FORMS = [
    # IOS: local users and enable
    ("cisco_ios", "", "enable secret 5 $1$6jAs$tNxI1a/2DYFAtPLyCDXjo/", "enable secret 5 <removed>"),
    ("cisco_ios", "", "enable password ww", "enable password <removed>"),
    ("cisco_ios", "", "enable password level 10 7 0822455D0A16", "enable password level 10 7 <removed>"),
    ("cisco_ios", "", "enable secret level 15 5 $1$ab$cd", "enable secret level 15 5 <removed>"),
    ("cisco_ios", "", "username cisco password 0 cisco", "username cisco password 0 <removed>"),
    (
        "cisco_ios",
        "",
        "username ops privilege 5 password 0 two words",
        "username ops privilege 5 password 0 <removed>",
    ),
    (
        "cisco_ios",
        "",
        "username a privilege 15 secret 9 $9$x$y",
        "username a privilege 15 secret 9 <removed>",
    ),
    (
        "cisco_ios",
        "",
        "username a algorithm-type scrypt secret s3",
        "username a algorithm-type scrypt secret <removed>",
    ),
    ("cisco_ios", "line vty 0 4", " password 7 0822455D0A16", " password 7 <removed>"),
    # IOS: AAA servers
    ("cisco_ios", "", "tacacs-server key s3", "tacacs-server key <removed>"),
    (
        "cisco_ios",
        "",
        "tacacs-server host 10.9.9.1 key 7 0458",
        "tacacs-server host 10.9.9.1 key 7 <removed>",
    ),
    ("cisco_ios", "", "radius-server key 7 0458", "radius-server key 7 <removed>"),
    (
        "cisco_ios",
        "",
        "radius-server host 10.9.9.2 auth-port 1645 acct-port 1646 key s3",
        "radius-server host 10.9.9.2 auth-port 1645 acct-port 1646 key <removed>",
    ),
    ("cisco_ios", "tacacs server TAC1", " key 7 0458", " key 7 <removed>"),
    ("cisco_ios", "tacacs server TAC2", " key 12345", " key <removed>"),
    ("cisco_ios", "radius server RAD1", " key s3", " key <removed>"),
    ("cisco_ios", "radius server RAD1", " pac key s3", " pac key <removed>"),
    (
        "cisco_ios",
        "aaa group server radius G",
        " server-private 10.9.9.5 auth-port 1812 key 7 0458",
        " server-private 10.9.9.5 auth-port 1812 key 7 <removed>",
    ),
    (
        "cisco_ios",
        "radius dynamic-author",
        " client 10.9.9.6 server-key 7 0458",
        " client 10.9.9.6 server-key 7 <removed>",
    ),
    (
        "cisco_ios",
        "ldap server L",
        " bind authenticate root-dn CN=s password s3",
        " bind authenticate root-dn CN=s password <removed>",
    ),
    # IOS: IKE and IPsec
    (
        "cisco_ios",
        "",
        "crypto isakmp key s3 address 10.8.8.1",
        "crypto isakmp key <removed> address 10.8.8.1",
    ),
    (
        "cisco_ios",
        "",
        "crypto isakmp key 6 s3 address 10.8.8.2 255.255.255.255 no-xauth",
        "crypto isakmp key 6 <removed> address 10.8.8.2 255.255.255.255 no-xauth",
    ),
    (
        "cisco_ios",
        "",
        "crypto isakmp key s3 hostname p.example.com",
        "crypto isakmp key <removed> hostname p.example.com",
    ),
    (
        "cisco_ios",
        "crypto keyring KR",
        " pre-shared-key address 10.8.8.3 key s3",
        " pre-shared-key address 10.8.8.3 key <removed>",
    ),
    (
        "cisco_ios",
        "crypto keyring KR",
        " pre-shared-key hostname p2.example.com key 6 s3",
        " pre-shared-key hostname p2.example.com key 6 <removed>",
    ),
    ("cisco_ios", "crypto isakmp client configuration group EZ", " key s3", " key <removed>"),
    ("cisco_ios", "crypto ikev2 keyring K", "  pre-shared-key local s3", "  pre-shared-key local <removed>"),
    (
        "cisco_ios",
        "crypto ikev2 keyring K",
        "  pre-shared-key remote 6 s3",
        "  pre-shared-key remote 6 <removed>",
    ),
    ("cisco_ios", "crypto ikev2 keyring K", "  pre-shared-key s3", "  pre-shared-key <removed>"),
    (
        "cisco_ios",
        "crypto ikev2 profile P",
        " authentication local pre-share key s3",
        " authentication local pre-share key <removed>",
    ),
    (
        "cisco_ios",
        "crypto ikev2 profile P",
        " authentication remote pre-share key 0 s3",
        " authentication remote pre-share key 0 <removed>",
    ),
    ("cisco_ios", "crypto ipsec client ezvpn E", " group EZC key s3", " group EZC key <removed>"),
    (
        "cisco_ios",
        "crypto isakmp peer address 1.1.1.1",
        " set aggressive-mode password s3",
        " set aggressive-mode password <removed>",
    ),
    (
        "cisco_ios",
        "crypto map M 10 ipsec-manual",
        " set session-key inbound esp 300 cipher s3 authenticator s4",
        " set session-key inbound esp 300 cipher <removed> authenticator <removed>",
    ),
    (
        "cisco_ios",
        "crypto map M 10 ipsec-manual",
        " set session-key inbound ah 302 s3",
        " set session-key inbound ah 302 <removed>",
    ),
    # IOS: PKI
    ("cisco_ios", "crypto pki trustpoint T", " password 0 s3", " password 0 <removed>"),
    (
        "cisco_ios",
        "crypto pki trustpoint T",
        " enrollment url http://enroller:s3@ca.example.com:80/cgi-bin/pkiclient.exe",
        " enrollment url http://enroller:<removed>@ca.example.com:80/cgi-bin/pkiclient.exe",
    ),
    # IOS: routing and first-hop redundancy
    (
        "cisco_ios",
        "router bgp 1",
        " neighbor 10.7.7.1 password 7 0458",
        " neighbor 10.7.7.1 password 7 <removed>",
    ),
    (
        "cisco_ios",
        "interface Tunnel0",
        " ip ospf authentication-key 7 0458",
        " ip ospf authentication-key 7 <removed>",
    ),
    (
        "cisco_ios",
        "interface Tunnel0",
        " ip ospf message-digest-key 1 md5 7 0458",
        " ip ospf message-digest-key 1 md5 7 <removed>",
    ),
    (
        "cisco_ios",
        "router ospf 1",
        " area 1 virtual-link 10.0.0.9 message-digest-key 2 md5 s3",
        " area 1 virtual-link 10.0.0.9 message-digest-key 2 md5 <removed>",
    ),
    (
        "cisco_ios",
        "interface T",
        " ipv6 ospf authentication ipsec spi 500 sha1 s3",
        " ipv6 ospf authentication ipsec spi 500 sha1 <removed>",
    ),
    ("cisco_ios", "key chain K", "  key-string 7 0458", "  key-string 7 <removed>"),
    ("cisco_ios", "router isis", " area-password s3", " area-password <removed>"),
    ("cisco_ios", "router isis", " domain-password s3", " domain-password <removed>"),
    (
        "cisco_ios",
        "interface T",
        " standby 1 authentication md5 key-string 7 0458 timeout 300",
        " standby 1 authentication md5 key-string 7 <removed> timeout 300",
    ),
    ("cisco_ios", "interface T", " standby 2 authentication s3", " standby 2 authentication <removed>"),
    (
        "cisco_ios",
        "interface T",
        " standby 3 authentication text s3",
        " standby 3 authentication text <removed>",
    ),
    ("cisco_ios", "interface T", " vrrp 4 authentication text s3", " vrrp 4 authentication text <removed>"),
    (
        "cisco_ios",
        "interface T",
        " vrrp 5 authentication md5 key-string s3",
        " vrrp 5 authentication md5 key-string <removed>",
    ),
    ("cisco_ios", "interface T", " glbp 6 authentication text s3", " glbp 6 authentication text <removed>"),
    ("cisco_ios", "interface T", " ip nhrp authentication s3", " ip nhrp authentication <removed>"),
    # IOS: PPP, wireless, management
    ("cisco_ios", "interface Dialer1", " ppp chap password 7 0458", " ppp chap password 7 <removed>"),
    (
        "cisco_ios",
        "interface Dialer1",
        " ppp pap sent-username b1 password 0 s3",
        " ppp pap sent-username b1 password 0 <removed>",
    ),
    ("cisco_ios", "dot11 ssid CORP", " wpa-psk ascii 0 s3", " wpa-psk ascii 0 <removed>"),
    ("cisco_ios", "dot11 ssid CORP", " wpa-psk hex 7 0458", " wpa-psk hex 7 <removed>"),
    ("cisco_ios", "", "ip ftp password 7 0458", "ip ftp password 7 <removed>"),
    ("cisco_ios", "", "ip http client password s3", "ip http client password <removed>"),
    (
        "cisco_ios",
        "archive",
        " path ftp://backup:s3@10.4.4.1/configs/$h",
        " path ftp://backup:<removed>@10.4.4.1/configs/$h",
    ),
    ("cisco_ios", "", "ntp authentication-key 1 md5 0458 7", "ntp authentication-key 1 md5 <removed>"),
    # IOS: SNMP
    ("cisco_ios", "", "snmp-server community s3 RO 10", "snmp-server community <removed> RO 10"),
    ("cisco_ios", "", "snmp-server community s3 view ALL RW", "snmp-server community <removed> view ALL RW"),
    (
        "cisco_ios",
        "",
        "snmp-server user u NMS v3 auth sha s3 priv aes 128 s4",
        "snmp-server user u NMS v3 auth sha <removed> priv aes 128 <removed>",
    ),
    (
        "cisco_ios",
        "",
        "snmp-server user u NMS v3 auth md5 s3 priv des s4 access 10",
        "snmp-server user u NMS v3 auth md5 <removed> priv des <removed> access 10",
    ),
    ("cisco_ios", "", "snmp-server host 10.6.6.1 s3", "snmp-server host 10.6.6.1 <removed>"),
    (
        "cisco_ios",
        "",
        "snmp-server host 10.6.6.2 version 2c s3 udp-port 1162",
        "snmp-server host 10.6.6.2 version 2c <removed> udp-port 1162",
    ),
    (
        "cisco_ios",
        "",
        "snmp-server host 10.6.6.3 informs version 2c s3 config",
        "snmp-server host 10.6.6.3 informs version 2c <removed> config",
    ),
    (
        "cisco_ios",
        "",
        "snmp-server host 10.6.6.4 vrf MGMT traps version 1 s3",
        "snmp-server host 10.6.6.4 vrf MGMT traps version 1 <removed>",
    ),
    # PIX 6
    ("cisco_pix", "", "enable password 2KFQnbNIdI.2KYOU encrypted", "enable password <removed> encrypted"),
    ("cisco_pix", "", "passwd 2KFQnbNIdI.2KYOU encrypted", "passwd <removed> encrypted"),
    (
        "cisco_pix",
        "",
        "username a password s3 encrypted privilege 15",
        "username a password <removed> encrypted privilege 15",
    ),
    (
        "cisco_pix",
        "",
        "isakmp key s3 address 172.16.172.39 netmask 255.255.255.255 no-xauth no-config-mode",
        "isakmp key <removed> address 172.16.172.39 netmask 255.255.255.255 no-xauth no-config-mode",
    ),
    (
        "cisco_pix",
        "",
        "aaa-server partner (inside) host 10.2.2.5 s3 timeout 5",
        "aaa-server partner (inside) host 10.2.2.5 <removed> timeout 5",
    ),
    ("cisco_pix", "", "snmp-server community s3", "snmp-server community <removed>"),
    ("cisco_pix", "", "vpdn username vpnuser password s3", "vpdn username vpnuser password <removed>"),
    ("cisco_pix", "", "vpngroup remote password s3", "vpngroup remote password <removed>"),
    ("cisco_pix", "", "ntp authentication-key 1 md5 s3", "ntp authentication-key 1 md5 <removed>"),
    ("cisco_pix", "", "failover lan key s3", "failover lan key <removed>"),
    # ASA
    ("cisco_asa", "", "enable password s3 pbkdf2", "enable password <removed> pbkdf2"),
    (
        "cisco_asa",
        "",
        "enable password s3 level 15 encrypted",
        "enable password <removed> level 15 encrypted",
    ),
    ("cisco_asa", "", "username ops password s3 pbkdf2", "username ops password <removed> pbkdf2"),
    (
        "cisco_asa",
        "",
        "username a password s3 encrypted privilege 15",
        "username a password <removed> encrypted privilege 15",
    ),
    (
        "cisco_asa",
        "tunnel-group 1.1.1.1 ipsec-attributes",
        " ikev1 pre-shared-key s3",
        " ikev1 pre-shared-key <removed>",
    ),
    ("cisco_asa", "tunnel-group 1.1.1.1 ipsec-attributes", " pre-shared-key s3", " pre-shared-key <removed>"),
    (
        "cisco_asa",
        "tunnel-group 1.1.1.1 ipsec-attributes",
        " ikev2 remote-authentication pre-shared-key s3",
        " ikev2 remote-authentication pre-shared-key <removed>",
    ),
    (
        "cisco_asa",
        "tunnel-group 1.1.1.1 ipsec-attributes",
        " ikev2 local-authentication pre-shared-key 0 s3",
        " ikev2 local-authentication pre-shared-key 0 <removed>",
    ),
    ("cisco_asa", "aaa-server RAD (outside) host 10.2.2.1", " key s3", " key <removed>"),
    (
        "cisco_asa",
        "aaa-server RAD (outside) host 10.2.2.1",
        " radius-common-pw s3",
        " radius-common-pw <removed>",
    ),
    (
        "cisco_asa",
        "aaa-server LDAP (outside) host 10.2.2.3",
        " ldap-login-password s3",
        " ldap-login-password <removed>",
    ),
    (
        "cisco_asa",
        "",
        "aaa-server TAC (outside) host 10.2.2.2 s3 timeout 5",
        "aaa-server TAC (outside) host 10.2.2.2 <removed> timeout 5",
    ),
    (
        "cisco_asa",
        "",
        "snmp-server host outside 10.6.6.9 community s3 version 2c",
        "snmp-server host outside 10.6.6.9 community <removed> version 2c",
    ),
    (
        "cisco_asa",
        "",
        "snmp-server host outside 10.6.6.10 poll community 0 s3",
        "snmp-server host outside 10.6.6.10 poll community 0 <removed>",
    ),
    ("cisco_asa", "", "snmp-server community s3", "snmp-server community <removed>"),
    (
        "cisco_asa",
        "",
        "snmp-server user nms NMS v3 auth sha s3 priv aes 256 s4",
        "snmp-server user nms NMS v3 auth sha <removed> priv aes 256 <removed>",
    ),
    ("cisco_asa", "", "failover key s3", "failover key <removed>"),
    ("cisco_asa", "", "failover ipsec pre-shared-key 0 s3", "failover ipsec pre-shared-key 0 <removed>"),
    ("cisco_asa", "", "ntp authentication-key 1 md5 s3", "ntp authentication-key 1 md5 <removed>"),
    ("cisco_asa", "crypto ca trustpoint T", " password s3", " password <removed>"),
    (
        "cisco_asa",
        "crypto ca trustpoint T",
        " enrollment url http://asa:s3@ca.example.com/certsrv/mscep/mscep.dll",
        " enrollment url http://asa:<removed>@ca.example.com/certsrv/mscep/mscep.dll",
    ),
    ("cisco_asa", "interface G1/1", " ospf authentication-key s3", " ospf authentication-key <removed>"),
    (
        "cisco_asa",
        "interface G1/1",
        " ospf message-digest-key 1 md5 s3",
        " ospf message-digest-key 1 md5 <removed>",
    ),
    (
        "cisco_asa",
        "interface G1/1",
        " authentication key eigrp 100 s3 key-id 1",
        " authentication key eigrp 100 <removed> key-id 1",
    ),
    (
        "cisco_asa",
        "interface G1/1",
        " rip authentication key s3 key_id 1",
        " rip authentication key <removed> key_id 1",
    ),
    (
        "cisco_asa",
        "router bgp 1",
        "  neighbor 198.51.100.5 password 0 s3",
        "  neighbor 198.51.100.5 password 0 <removed>",
    ),
]

# Lines that carry no secret and must come back byte for byte.
KEPT = [
    ("cisco_ios", "", "no service password-encryption"),
    ("cisco_ios", "", "key chain EIGRP-KEYS"),
    ("cisco_ios", "key chain EIGRP-KEYS", " key 1"),
    ("cisco_ios", "", "crypto key pubkey-chain rsa"),
    ("cisco_ios", "crypto key pubkey-chain rsa", "  key-string"),
    ("cisco_ios", "route-map R permit 10", " set community 65000:100 additive"),
    ("cisco_ios", "router bgp 1", " neighbor 10.1.1.1 send-community"),
    ("cisco_ios", "", "snmp-server host 10.6.6.5 version 3 priv nmsuser"),
    ("cisco_ios", "crypto isakmp policy 10", " authentication pre-share"),
    ("cisco_ios", "crypto ikev2 profile P", " authentication remote pre-share"),
    ("cisco_ios", "interface T", " standby 1 authentication md5 key-chain HSRP"),
    ("cisco_ios", "router ospf 1", " area 0 authentication message-digest"),
    ("cisco_ios", "", "ntp trusted-key 1"),
    ("cisco_ios", "", "ntp server 10.0.0.1 key 1 prefer"),
    ("cisco_ios", "", "ntp peer 10.0.0.2 key 2 source Loopback0"),
    ("cisco_ios", "crypto ikev2 profile P", " keyring local IKEV2-KR"),
    ("cisco_ios", "", "username cisco nopassword"),
    ("cisco_ios", "", "security passwords min-length 8"),
    ("cisco_asa", "group-policy G attributes", " password-storage disable"),
    ("cisco_asa", "", "crypto ikev1 policy 10"),
    ("cisco_pix", "", "isakmp keepalive 10"),
    ("cisco_ios", "crypto ca identity vpn", " enrollment url http://171.69.89.16:80"),
    ("cisco_ios", "crypto ca identity vpn", " query url ldap://171.69.89.16"),
    ("cisco_ios", "", "ip ssh authentication-retries 3"),
    ("cisco_ios", "", "password encryption aes"),
    ("cisco_asa", "", "snmp-server host outside 10.6.6.11 poll"),
    ("cisco_asa", "", "aaa-server RAD (outside) host 10.2.2.1"),
    ("cisco_asa", "", "ssh key-exchange group dh-group14-sha1"),
    ("cisco_asa", "tunnel-group 1.1.1.1 ipsec-attributes", " ikev1 trust-point ASA-TP"),
    ("cisco_pix", "", "snmp-server host outside 192.168.2.6"),
    ("cisco_pix", "", "isakmp policy 10 authentication rsa-sig"),
]


def _config(block: str, line: str) -> str:
    return f"hostname r1\n{block}\n{line}\nend\n" if block else f"hostname r1\n{line}\nend\n"


@pytest.mark.parametrize(("platform", "block", "line", "stored"), FORMS)
def test_it_masks_the_value_of_every_secret_form(platform: str, block: str, line: str, stored: str) -> None:
    redacted = redact_config(_config(block, line), platform)
    assert stored in redacted.splitlines(), redacted
    assert redact_config(redacted, platform) == redacted  # idempotent


@pytest.mark.parametrize(("platform", "block", "line", "stored"), FORMS)
def test_a_line_quoted_without_its_block_is_masked_too(
    platform: str, block: str, line: str, stored: str
) -> None:
    # A parser warning quotes the line stripped, without the block it came from.
    assert MASK in redact_text(line.strip()), line
    assert redact_text(f"unexpected line: {line.strip()}").count(MASK) >= (
        0 if line.startswith(" key") else 1
    )


@pytest.mark.parametrize(("platform", "block", "line"), KEPT)
def test_it_keeps_the_lines_without_a_secret(platform: str, block: str, line: str) -> None:
    assert line in redact_config(_config(block, line), platform).splitlines()


def test_a_show_output_keeps_its_own_words_and_loses_url_credentials() -> None:
    text = "  Key Usage: General Purpose\n  CRL Distribution Point:\n    http://u:pw1@ca.example.com/crl\n"
    assert redact_output(text) == text.replace("pw1", MASK)


@pytest.mark.parametrize(
    ("platform", "name"),
    [
        ("cisco_ios", "show_running-config__secrets"),
        ("cisco_pix", "write_terminal__secrets"),
        ("cisco_asa", "show_running-config__secrets"),
    ],
)
def test_no_secret_of_the_fixture_configurations_survives(platform: str, name: str) -> None:
    text = fixture(platform, name)
    assert MARKER in text  # every secret value of these fixtures carries the marker
    for given in (platform, ""):
        redacted = redact_config(text, given)
        assert MARKER not in redacted, [line for line in redacted.splitlines() if MARKER in line]
        assert redact_config(redacted, given) == redacted
        original, stored = text.splitlines(), redacted.splitlines()
        assert len(stored) == len(original)  # no line lost
        for before, after in zip(original, stored, strict=True):
            if MARKER not in before:
                assert after == before  # a line without a secret is untouched
            else:
                assert MASK in after and after.split()[0] == before.split()[0]  # keyword kept


def test_it_leaves_no_clear_password_in_the_seed_configurations() -> None:
    for platform, name in (("cisco_ios", "show_running-config"), ("cisco_pix", "write_terminal")):
        redacted = redact_config(fixture(platform, name), platform)
        for line in redacted.splitlines():
            if re.search(r"\b(password|secret|passwd)\b", line) and not line.startswith("no "):
                assert MASK in line, line
        assert "hostname" in redacted


def test_parsed_facts_are_redacted_string_by_string() -> None:
    facts = {
        "trustpoints": [{"name": "T", "other": ["password 0 qZtp"], "enrollment_url": "http://u:qZurl@ca/x"}],
        "crypto_maps": [{"entries": [{"other": ["set session-key inbound ah 302 qZah"]}]}],
        "ignored_line_count": 3,
        "names": {"hq": "10.0.0.1"},
    }
    redacted = redact_value(facts)
    assert "qZ" not in repr(redacted)
    assert redacted["trustpoints"][0]["other"] == ["password 0 <removed>"]
    assert redacted["ignored_line_count"] == 3 and redacted["names"] == {"hq": "10.0.0.1"}


def test_a_bare_key_line_keeps_a_key_chain_id_and_loses_a_server_key() -> None:
    assert redact_line(" key 1", "key chain K") == " key 1"
    assert redact_line(" key 12345", "tacacs server T") == " key <removed>"
    assert redact_line("key s3cret") == "key <removed>"  # a warning: block unknown
