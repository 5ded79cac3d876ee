"""Configuration line facts shared by the configuration parser: which first words start a command (so a
line the parser does not use is whole), and the crypto map lifetime forms of IOS, PIX and ASA."""

from __future__ import annotations

from typing import Any

from devices.parsers.common import to_int
from devices.parsers.wraps import doubt

# First words of configuration lines (IOS, PIX, ASA, top level and sub-modes). A line the parser does not
# use is a whole line when it starts with one of them; otherwise it may be the tail of a wrapped line.
COMMAND_WORDS = frozenset(
    "aaa aaa-server access-group access-list address address-family alias archive area area-password arp asdm authentication authorization banner bind boot ca call-home card certificate class class-map client clock console controller crl crypto default default-group-policy description dhcpd dns dns-guard domain-lookup domain-name domain-password dot11 duplex dynamic-access- policy-record enable encapsulation encryption end enrollment exec-timeout exit exit-address- family failover fips firewall fixup flash floodguard fqdn ftp global glbp group group-object group-policy hash host hostname http icmp ikev1 ikev2 inspect interface ip ipv4 ipv6 isakmp key key-string l2tp ldap ldap-base-dn ldap-login-dn ldap-login-password license lifetime line logging login mac-address management-access match memory-size monitor-interface mtu multicast name nameif names nat neighbor network network-object no ntp object object-group ocsp ospf pac pager parameters passwd password path pdm peer permit deny policy-map pool port-object ppp pre- shared-key prompt protocol query quit radius radius-common-pw radius-server redundancy remark revocation-check rip route route-map router scheduler security-level server-private server-type service service-policy service-object set shutdown snmp snmp-server speed spanning-tree ssh ssl standby subject-name subnet sysopt tacacs tacacs-server telnet terminal threat-detection timeout transport tunnel-group url-server user-identity username version vlan vpdn vpn-addr-assign vpn- tunnel-protocol vpnclient vpngroup vrrp webvpn wpa-psk ASA PIX FWSM Building Current Cryptochecksum [OK] end".split()  # noqa: SIM905
)


def unused(line: str, words: list[str]) -> None:
    """A line read as one the configuration does not use; a possible wrap tail unless it starts a command."""
    if words and words[0] not in COMMAND_WORDS and not words[0].startswith("Cryptochecksum:"):
        doubt(line)


def lifetimes(entry: dict[str, Any], words: list[str]) -> bool:
    """`seconds 3600`, `kilobytes 4608000`, both in either order (PIX, ASA), `kilobytes unlimited` (ASA),
    `kilobytes disable` or `days N` (IOS); False, with nothing stored, for anything else."""
    if len(words) % 2:
        return False
    found: dict[str, Any] = {}
    for unit, value in zip(words[::2], words[1::2], strict=True):
        number = to_int(value)
        if unit == "seconds" and number is not None:
            found["lifetime_seconds"] = number
        elif unit == "kilobytes" and number is not None:
            found["lifetime_kilobytes"] = number
        elif unit == "kilobytes" and value in {"unlimited", "disable"}:
            found["lifetime_kilobytes"] = None
            found["lifetime_kilobytes_unlimited"] = True
        elif unit == "days" and number is not None:
            found["lifetime_days"] = number
        else:
            return False
    entry.update(found)
    return True
