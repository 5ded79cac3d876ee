"""Rules on both ends of a tunnel: peers, crypto ACL mirror, common proposals, lifetimes."""

from __future__ import annotations

import re
from typing import Any

from devices.diagnosis import fixes
from devices.diagnosis.model import CONFIG, Code, DeviceOutputs, Finding, Phrase, Severity
from devices.diagnosis.text import IOS, AclEntry, acl_entries
from vpnportal.translated_text import deferred

# IPsec SA lifetime when neither the map entry nor the global setting names one.
DEFAULT_LIFETIME_SECONDS = {"cisco_ios": 3600, "cisco_pix": 28800, "cisco_asa": 28800}
# IKE policy encryption defaults to DES and group 1 on the old platforms; the parsers fill them in.
_CIPHER_ALIASES = {"aes": "aes-128", "aes-128": "aes-128", "aes128": "aes-128", "aes256": "aes-256"}
_HASH_ALIASES = {"sha1": "sha", "sha-1": "sha"}
_GLOBAL_LIFETIME_RE = re.compile(r"^crypto ipsec security-association lifetime seconds (\d+)")


def _addresses(dev: DeviceOutputs) -> list[str]:
    """The device's crypto-map interface addresses (all interface addresses when no map is applied)."""
    interfaces = dev.get(CONFIG).get("interfaces") or []
    mapped = [str(i["ip_address"]) for i in interfaces if i.get("crypto_map") and i.get("ip_address")]
    return mapped or [str(i["ip_address"]) for i in interfaces if i.get("ip_address")]


def _entries(dev: DeviceOutputs) -> list[tuple[str, dict[str, Any]]]:
    return [
        (str(cmap.get("name") or "?"), entry)
        for cmap in dev.get(CONFIG).get("crypto_maps") or []
        for entry in cmap.get("entries") or []
    ]


def _entry_towards(dev: DeviceOutputs, other: DeviceOutputs) -> tuple[str, dict[str, Any]] | None:
    addresses = set(_addresses(other))
    for name, entry in _entries(dev):
        peers = set(entry.get("peers") or ([entry["peer"]] if entry.get("peer") else []))
        if peers & addresses:
            return name, entry
    return None


def _label(dev: DeviceOutputs, line: str) -> str:
    return f"{dev.name} {line}"


def _entry_lines(dev: DeviceOutputs, name: str, entry: dict[str, Any], *words: str) -> list[str]:
    seq = entry.get("seq")
    out = []
    inside = False
    for line in dev.lines(CONFIG):
        stripped = line.strip()
        if stripped.startswith(f"crypto map {name} {seq} "):
            inside = stripped.endswith(("ipsec-isakmp", "ipsec-manual")) and dev.platform == IOS
            if not words or any(w in stripped for w in words) or inside:
                out.append(_label(dev, dev.quote(CONFIG, line)))
            continue
        if inside and line.startswith(" ") and stripped:
            if not words or any(w in stripped for w in words):
                out.append(_label(dev, dev.quote(CONFIG, line)))
            continue
        inside = False
    return out


def _acl_lines(dev: DeviceOutputs, acl: str) -> list[str]:
    return list(dev.get(CONFIG).get("crypto_acls", {}).get(acl) or [])


def _acl_rules(dev: DeviceOutputs, lines: list[str]) -> list[AclEntry] | None:
    """ACL lines as (action, protocol, source, destination), through the device's names and objects."""
    config = dev.get(CONFIG)
    return acl_entries(dev.platform, lines, config.get("names"), config.get("network_objects"))


def _transform_sets(dev: DeviceOutputs, names: list[str]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for tset in dev.get(CONFIG).get("transform_sets") or []:
        if tset.get("name") in names:
            words = [str(w).lower() for w in tset.get("transforms") or []]
            joined: list[str] = []
            for word in words:
                # IOS writes `esp-aes 256`, PIX/ASA `esp-aes-256`: one proposal either way.
                if word.isdigit() and joined and joined[-1].startswith("esp-aes"):
                    joined[-1] = f"{joined[-1]}-{word}"
                else:
                    joined.append(word)
            out[str(tset["name"])] = frozenset("esp-aes-128" if w == "esp-aes" else w for w in joined)
    return out


def _policy_key(policy: dict[str, Any]) -> tuple[str, str, str, str]:
    cipher = str(policy.get("encryption") or "").lower().replace(" ", "-")
    hashing = str(policy.get("hash") or "").lower()
    return (
        _CIPHER_ALIASES.get(cipher, cipher),
        _HASH_ALIASES.get(hashing, hashing),
        str(policy.get("authentication") or "").lower(),
        str(policy.get("group") or ""),
    )


def _lifetime(dev: DeviceOutputs, entry: dict[str, Any], name: str) -> tuple[int | None, list[str]]:
    if isinstance(entry.get("lifetime_seconds"), int):
        return entry["lifetime_seconds"], _entry_lines(dev, name, entry, "lifetime")
    for line in dev.lines(CONFIG):
        match = _GLOBAL_LIFETIME_RE.match(line.strip())
        if match:
            return int(match.group(1)), [_label(dev, dev.quote(CONFIG, line))]
    default = DEFAULT_LIFETIME_SECONDS.get(dev.platform)
    note = deferred(
        "%(device)s %(command)s: (no IPsec lifetime configured: the platform default is %(seconds)s s)",
        device=dev.name,
        command=dev.command(CONFIG),
        seconds=default,
    )
    return default, [Phrase(note)]


def diagnose_pair(a: DeviceOutputs, b: DeviceOutputs) -> list[Finding]:
    """Both ends of a tunnel checked against each other."""
    if not a.get(CONFIG) or not b.get(CONFIG):
        return []
    out: list[Finding] = []
    towards = {a.name: _entry_towards(a, b), b.name: _entry_towards(b, a)}
    for dev, other in ((a, b), (b, a)):
        if towards[dev.name] is not None or not _entries(dev):
            continue
        evidence = [line for name, entry in _entries(dev) for line in _entry_lines(dev, name, entry, "peer")]
        evidence += [
            _label(other, other.quote(CONFIG, line))
            for line in other.lines(CONFIG)
            if "ip address" in line and any(addr in line for addr in _addresses(other))
        ]
        name, entry = _entries(dev)[0]
        address = (_addresses(other) or ["<peer-address>"])[0]
        out.append(
            Finding(
                Code.PEER_ADDRESS_MISMATCH,
                Severity.CRITICAL,
                Phrase(
                    deferred(
                        "%(device)s has no crypto map entry whose peer is %(other)s's address",
                        device=dev.name,
                        other=other.name,
                    )
                ),
                f"{dev.name} peer",
                tuple(evidence),
                tuple(fixes.set_peer(dev.platform, name, entry.get("seq"), address)),
                device=dev.name,
            )
        )
    found_a, found_b = towards[a.name], towards[b.name]
    if found_a is None or found_b is None:
        out.extend(_ike_policies(a, b))
        return out
    (map_a, entry_a), (map_b, entry_b) = found_a, found_b
    out.extend(_mirror(a, map_a, entry_a, b, map_b, entry_b))
    out.extend(_transforms(a, map_a, entry_a, b, map_b, entry_b))
    out.extend(_ike_policies(a, b))
    out.extend(_lifetimes(a, map_a, entry_a, b, map_b, entry_b))
    return out


def _mirror(
    a: DeviceOutputs,
    map_a: str,
    entry_a: dict[str, Any],
    b: DeviceOutputs,
    map_b: str,
    entry_b: dict[str, Any],
) -> list[Finding]:
    acl_a, acl_b = str(entry_a.get("match_address") or ""), str(entry_b.get("match_address") or "")
    lines_a, lines_b = _acl_lines(a, acl_a), _acl_lines(b, acl_b)
    rules_a, rules_b = _acl_rules(a, lines_a), _acl_rules(b, lines_b)
    if not lines_a or not lines_b or rules_a is None or rules_b is None:
        return []
    mirrored_b = {(action, proto, dst, src) for action, proto, src, dst in rules_b}
    if set(rules_a) == mirrored_b:
        return []
    evidence = [_label(a, a.quote(CONFIG, line)) for line in lines_a]
    evidence += [_label(b, b.quote(CONFIG, line)) for line in lines_b]
    fix: list[str] = [
        Phrase(
            deferred(
                "! on %(device)s, the mirror image of %(other)s's ACL %(acl)s:",
                device=b.name,
                other=a.name,
                acl=acl_a,
            )
        )
    ]
    for action, proto, src, dst in rules_a:
        fix.append(
            f"access-list {acl_b} {action} {proto} {_acl_spec(b.platform, dst)} {_acl_spec(b.platform, src)}"
        )
    return [
        Finding(
            Code.ACL_NOT_MIRRORED,
            Severity.CRITICAL,
            Phrase(
                deferred(
                    "Crypto ACLs %(a)s:%(acl_a)s and %(b)s:%(acl_b)s are not mirror images",
                    a=a.name,
                    acl_a=acl_a,
                    b=b.name,
                    acl_b=acl_b,
                )
            ),
            f"acl {acl_a}/{acl_b}",
            tuple(evidence),
            tuple(fix),
            device=b.name,
        )
    ]


def _acl_spec(platform: str, network: str) -> str:
    import ipaddress

    net = ipaddress.ip_network(network)
    if net.prefixlen == 0:
        return "any"
    if net.prefixlen == 32:
        return f"host {net.network_address}"
    mask = net.hostmask if platform == IOS else net.netmask
    return f"{net.network_address} {mask}"


def _transforms(
    a: DeviceOutputs,
    map_a: str,
    entry_a: dict[str, Any],
    b: DeviceOutputs,
    map_b: str,
    entry_b: dict[str, Any],
) -> list[Finding]:
    sets_a = _transform_sets(a, list(entry_a.get("transform_sets") or []))
    sets_b = _transform_sets(b, list(entry_b.get("transform_sets") or []))
    if not sets_a or not sets_b or set(sets_a.values()) & set(sets_b.values()):
        return []
    evidence = []
    for dev, names in ((a, sets_a), (b, sets_b)):
        for name in names:
            evidence += [
                _label(dev, line)
                for line in dev.find_lines(CONFIG, f"transform-set {name} ")
                if "set transform-set" not in line and "set ikev1 transform-set" not in line
            ]
    name_b = next(iter(sets_b))
    fix: list[str] = [
        Phrase(
            deferred(
                "! give %(device)s a transform set %(other)s also proposes, for example:",
                device=b.name,
                other=a.name,
            )
        )
    ]
    fix += [f"crypto ipsec transform-set {name_b} {' '.join(sorted(next(iter(sets_a.values()))))}"]
    return [
        Finding(
            Code.NO_COMMON_TRANSFORM,
            Severity.CRITICAL,
            Phrase(
                deferred(
                    "%(a)s and %(b)s share no transform set: phase 2 cannot complete", a=a.name, b=b.name
                )
            ),
            "transform sets",
            tuple(evidence),
            tuple(fix),
        )
    ]


def _ike_policies(a: DeviceOutputs, b: DeviceOutputs) -> list[Finding]:
    policies_a = a.get(CONFIG).get("ike_policies") or []
    policies_b = b.get(CONFIG).get("ike_policies") or []
    if not policies_a or not policies_b:
        return []
    if {_policy_key(p) for p in policies_a} & {_policy_key(p) for p in policies_b}:
        return []
    evidence = []
    for dev, policies in ((a, policies_a), (b, policies_b)):
        for policy in policies:
            enc, hashing, auth, group = _policy_key(policy)
            evidence.append(
                f"{dev.name} ike policy {policy.get('priority')}: encryption {enc}, hash {hashing}, "
                f"authentication {auth}, group {group}"
            )
    return [
        Finding(
            Code.NO_COMMON_IKE_POLICY,
            Severity.CRITICAL,
            Phrase(
                deferred("%(a)s and %(b)s share no IKE policy: phase 1 cannot complete", a=a.name, b=b.name)
            ),
            "ike policies",
            tuple(evidence),
            (
                Phrase(
                    deferred(
                        "! add, on one end, a policy with the other end's encryption, hash, authentication "
                        "and group"
                    )
                ),
            ),
        )
    ]


def _lifetimes(
    a: DeviceOutputs,
    map_a: str,
    entry_a: dict[str, Any],
    b: DeviceOutputs,
    map_b: str,
    entry_b: dict[str, Any],
) -> list[Finding]:
    life_a, lines_a = _lifetime(a, entry_a, map_a)
    life_b, lines_b = _lifetime(b, entry_b, map_b)
    if life_a is None or life_b is None or life_a == life_b:
        return []
    # The shorter proposal wins each negotiation, so rekeys come at the shorter interval on both sides.
    longer, shorter = (a, life_a), (b, life_b)
    if life_a < life_b:
        longer, shorter = (b, life_b), (a, life_a)
    return [
        Finding(
            Code.LIFETIME_MISMATCH,
            Severity.WARNING,
            Phrase(
                deferred(
                    "IPsec SA lifetimes differ: %(a)s %(life_a)s s, %(b)s %(life_b)s s",
                    a=a.name,
                    life_a=life_a,
                    b=b.name,
                    life_b=life_b,
                )
            ),
            "ipsec lifetime",
            tuple(lines_a + lines_b),
            (
                Phrase(
                    deferred(
                        "! on %(device)s, to match %(other)s:", device=shorter[0].name, other=longer[0].name
                    )
                ),
                *fixes.ipsec_lifetime(shorter[0].platform, longer[1]),
            ),
            device=shorter[0].name,
        )
    ]
