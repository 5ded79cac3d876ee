"""`show running-config` (IOS, ASA) and `write terminal` (PIX 6): the VPN-relevant parts of a configuration."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from devices.parsers.common import Context, clean_lines, detect_error, error_result, result, to_int
from devices.parsers.config_lines import lifetimes, unused
from devices.parsers.wraps import rejoins_wrapped_lines
from pki.x509 import decode_chain

# What IOS, PIX and ASA assume when `crypto isakmp policy N` leaves a parameter out.
IKE_DEFAULTS = {
    "cisco_ios": {
        "encryption": "des",
        "hash": "sha",
        "authentication": "rsa-sig",
        "group": 1,
        "lifetime": 86400,
    },
    "cisco_pix": {
        "encryption": "des",
        "hash": "sha",
        "authentication": "rsa-sig",
        "group": 1,
        "lifetime": 86400,
    },
    "cisco_asa": {
        "encryption": "3des",
        "hash": "sha",
        "authentication": "rsa-sig",
        "group": 2,
        "lifetime": 86400,
    },
}
_IKE_KEYS = {
    "encr": "encryption",
    "encryption": "encryption",
    "hash": "hash",
    "authentication": "authentication",
    "group": "group",
    "lifetime": "lifetime",
}

_EMPTY: dict[str, Any] = {
    "hostname": None,
    "domain_name": None,
    "version": None,
    "clock_timezone": None,
    "isakmp_identity": None,
    "trustpoints": [],
    "crypto_maps": [],
    "transform_sets": [],
    "ike_policies": [],
    "crypto_acls": {},
    "interfaces": [],
    "certificate_chains": [],
    "names": {},
    "network_objects": {},
}
_MASK_RE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


def _empty() -> dict[str, Any]:
    return {key: (value.copy() if isinstance(value, list | dict) else value) for key, value in _EMPTY.items()}


class _Config:
    """Accumulates what the configuration says, block by block."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.out = _empty()
        self.maps: dict[str, dict[str, Any]] = {}
        self.trustpoints: dict[str, dict[str, Any]] = {}
        self.policies: dict[int, dict[str, Any]] = {}
        self.interfaces: dict[str, dict[str, Any]] = {}
        self.acls: dict[str, list[str]] = {}
        self.chains: list[tuple[str, list[tuple[str, str, str]]]] = []
        self.names: dict[str, str] = {}  # PIX/ASA `name ADDRESS NAME`: NAME -> ADDRESS
        # PIX/ASA `object network` / `object-group network`: NAME -> members as written
        # (("net", address, mask), ("host", address), ("object", name), ("other", words)).
        self.objects: dict[str, list[tuple[str, ...]]] = {}
        self.ignored = 0

    # -- helpers -------------------------------------------------------------------------------
    def crypto_map_entry(self, name: str, seq: int) -> dict[str, Any]:
        """The entry `seq` of crypto map `name`, created empty on first mention."""
        crypto_map = self.maps.setdefault(name, {"name": name, "interfaces": [], "entries": {}})
        entries: dict[int, dict[str, Any]] = crypto_map["entries"]
        return entries.setdefault(
            seq,
            {
                "seq": seq,
                "type": None,
                "peer": None,
                "peers": [],
                "transform_set": None,
                "transform_sets": [],
                "match_address": None,
                "pfs": None,
                "lifetime_seconds": None,
                "lifetime_kilobytes": None,
            },
        )

    def trustpoint(self, name: str, kind: str) -> dict[str, Any]:
        """The trustpoint `name`, created with the contract's keys on first mention."""
        return self.trustpoints.setdefault(
            name,
            {
                "name": name,
                "kind": kind,
                "enrollment_url": None,
                "crl_optional": False,
                "enrollment_mode": None,
                "query_url": None,
                "revocation_check": None,
            },
        )

    def interface(self, name: str) -> dict[str, Any]:
        """The interface `name`, created on first mention."""
        return self.interfaces.setdefault(
            name,
            {
                "name": name,
                "nameif": None,
                "ip_address": None,
                "mask": None,
                "crypto_map": None,
                "shutdown": False,
                "security_level": None,
            },
        )

    def policy(self, number: int) -> dict[str, Any]:
        """The IKE policy of priority `number`, created on first mention."""
        return self.policies.setdefault(number, {"priority": number})

    # -- crypto map sub-commands, shared by the IOS block and the PIX/ASA one-line forms ----------
    def map_setting(self, entry: dict[str, Any], words: list[str], line: str) -> None:
        """Apply one crypto map sub-command (`set peer`, `match address`...) to entry, or warn."""
        if words[:1] == ["set"] and len(words) >= 3:
            what = words[1]
            if what == "peer":
                # ASA lists backup peers on the same line; IOS may add `default` (the first peer tried).
                entry["peers"].extend(w for w in words[2:] if w not in {"default", "dynamic"})
                entry["peer"] = entry["peers"][0] if entry["peers"] else None
                return
            # `set transform-set A B`, ASA `set ikev1 transform-set A B` / `set ikev2 ipsec-proposal P Q`
            if what == "transform-set" or (
                what in {"ikev1", "ikev2"} and words[2] in {"transform-set", "ipsec-proposal"}
            ):
                names = words[2:] if what == "transform-set" else words[3:]
                if not names:
                    self.ctx.warn(line)
                    return
                entry["transform_sets"].extend(names)
                entry["transform_set"] = entry["transform_sets"][0] if entry["transform_sets"] else None
                return
            if what in {"ikev1", "ikev2"}:  # `set ikev1 phase1-mode aggressive group2`, `set ikev2 ...`
                entry.setdefault(what, []).append(" ".join(words[2:]))
                return
            if what == "pfs":
                entry["pfs"] = words[2] if len(words) > 2 else "group1"
                return
            if what == "security-association" and len(words) >= 5 and words[2] == "lifetime":
                if not lifetimes(entry, words[3:]):
                    self.ctx.warn(line)
                return
        if words[:2] == ["match", "address"] and len(words) >= 3:
            entry["match_address"] = words[2]
            return
        if words[:1] == ["set"] or words[:1] == ["description"]:
            entry.setdefault("other", []).append(" ".join(words))
            return
        self.ctx.warn(line)


@rejoins_wrapped_lines
def parse_running_config(
    text: str, *, platform: str = "cisco_ios", tz_offset_minutes: int | None = None
) -> dict[str, Any]:
    """Parse a configuration into hostname, domain, clock zone, IKE/IPsec settings, trustpoints and chains."""
    ctx = Context(platform=platform, tz_offset_minutes=tz_offset_minutes)
    lines = clean_lines(text)
    error = detect_error(lines)
    if error:
        return error_result(error, ctx, **_empty())
    conf = _Config(ctx)
    block: tuple[str, Any] | None = None  # (kind, key) of the indented block being read
    chain: tuple[str, list[tuple[str, str, str]]] | None = None
    cert: list[str] | None = None  # [keyword, serial, hex...]
    for line in lines:
        if not line.strip() or line.startswith("!") or line.startswith(":"):
            if line.startswith("!"):
                block = None
            continue
        indented = line[:1] == " "
        words = line.split()
        # -- certificate chain: `certificate [ca|ra-sign|ra-encrypt] SERIAL`, hex lines, `quit`.
        if chain is not None and indented:
            if words[0] == "certificate" and len(words) >= 2:
                if cert is not None:
                    chain[1].append((cert[0], cert[1], " ".join(cert[2:])))
                cert = [words[1], words[2]] if len(words) >= 3 else ["", words[1]]
                continue
            if words[0] == "quit":
                if cert is not None:
                    chain[1].append((cert[0], cert[1], " ".join(cert[2:])))
                cert = None
                continue
            if cert is not None:
                cert.extend(words)
                continue
            ctx.warn(line)
            continue
        if chain is not None:
            if cert is not None:
                chain[1].append((cert[0], cert[1], " ".join(cert[2:])))
                ctx.warn(f"certificate {cert[1]} in chain {chain[0]} ends without quit (truncated?)")
                cert = None
            conf.chains.append(chain)
            chain = None
        if indented and block is not None:
            _block_line(conf, block, words, line)
            continue
        block = None
        block, chain = _top_line(conf, words, line, platform)
    if chain is not None:
        if cert is not None:
            chain[1].append((cert[0], cert[1], " ".join(cert[2:])))
            ctx.warn(f"certificate {cert[1]} in chain {chain[0]} ends without quit (truncated?)")
        conf.chains.append(chain)
    return _assemble(conf, platform)


def _top_line(
    conf: _Config, words: list[str], line: str, platform: str
) -> tuple[tuple[str, Any] | None, Any]:
    """Handle an unindented line; return the block it opens (if any) and a chain being read (if any)."""
    out, ctx = conf.out, conf.ctx
    first = words[0]
    if first == "hostname" and len(words) >= 2:
        out["hostname"] = words[1]
    elif words[:2] in (["ip", "domain-name"], ["ip", "domain"]) and len(words) >= 3:
        out["domain_name"] = words[-1]
    elif first == "domain-name" and len(words) >= 2:
        out["domain_name"] = words[1]
    elif first == "version" and len(words) >= 2:
        out["version"] = words[1]
    elif words[1:2] == ["Version"] and first in {"PIX", "ASA", "FWSM"} and len(words) >= 3:
        out["version"] = words[2]
    elif words[:2] == ["clock", "timezone"] and len(words) >= 4:
        hours = to_int(words[3].lstrip("+-"))
        minutes = to_int(words[4]) if len(words) >= 5 else 0
        if hours is None or minutes is None:
            ctx.warn(line)
        else:
            total = hours * 60 + minutes
            out["clock_timezone"] = {
                "name": words[2],
                "offset_minutes": -total if words[3].startswith("-") else total,
            }
    elif words[:3] in (["crypto", "isakmp", "identity"], ["crypto", "ikev1", "identity"]) and len(words) >= 4:
        out["isakmp_identity"] = words[3]
    elif words[:2] == ["isakmp", "identity"] and len(words) >= 3:
        out["isakmp_identity"] = words[2]
    elif (
        words[:3]
        in (["crypto", "ca", "identity"], ["crypto", "ca", "trustpoint"], ["crypto", "pki", "trustpoint"])
        and len(words) >= 4
    ):
        conf.trustpoint(words[3], "identity" if words[2] == "identity" else "trustpoint")
        return ("trustpoint", words[3]), None
    elif (
        words[:3] in (["crypto", "ca", "certificate"], ["crypto", "pki", "certificate"])
        and len(words) >= 5
        and words[3] == "chain"
    ):
        return None, (words[4], [])
    elif words[:2] == ["ca", "identity"] and len(words) >= 3:
        _pix_ca_identity(conf, words)
    elif words[:2] == ["ca", "configure"] and len(words) >= 4:
        point = conf.trustpoint(words[2], "identity")
        point["enrollment_mode"] = words[3]
        numbers = [to_int(w) for w in words[4:6]]
        if len(numbers) == 2 and None not in numbers:
            point["enrollment_retry_period"], point["enrollment_retry_count"] = numbers
        point["crl_optional"] = "crloptional" in words
    elif (
        words[:3] == ["crypto", "isakmp", "policy"]
        or words[:3] == ["crypto", "ikev1", "policy"]
        or words[:2] == ["isakmp", "policy"]
    ):
        offset = 3 if first == "crypto" else 2
        number = to_int(words[offset]) if len(words) > offset else None
        if number is None:
            ctx.warn(line)
            return None, None
        policy = conf.policy(number)
        if len(words) > offset + 1:  # PIX/ASA one-line form
            _ike_setting(conf, policy, words[offset + 1 :], line)
            return None, None
        return ("policy", number), None
    elif words[:3] in (["crypto", "ipsec", "transform-set"],) and len(words) >= 4:
        out["transform_sets"].append({"name": words[3], "transforms": words[4:], "mode": None})
        return ("transform_set", len(out["transform_sets"]) - 1), None
    elif (
        words[:4]
        in (["crypto", "ipsec", "ikev1", "transform-set"], ["crypto", "ipsec", "ikev2", "ipsec-proposal"])
        and len(words) >= 5
    ):
        out["transform_sets"].append(
            {"name": words[4], "transforms": words[5:], "mode": None, "version": words[2]}
        )
        return ("transform_set", len(out["transform_sets"]) - 1), None
    elif words[:2] == ["crypto", "map"] and len(words) >= 3:
        return _crypto_map_line(conf, words, line), None
    elif first == "name" and len(words) >= 3 and platform in {"cisco_pix", "cisco_asa"}:
        # `name 10.1.1.1 hq-router [description ...]`: with `names` on, the device prints the name in
        # place of the address in its configuration (crypto map peers, access lists).
        if _MASK_RE.match(words[1]) or ":" in words[1]:
            conf.names[words[2]] = words[1]
        else:
            ctx.warn(line)
    elif words[:2] in (["object", "network"], ["object-group", "network"]) and len(words) >= 3:
        conf.objects.setdefault(words[2], [])
        return ("object", words[2]), None
    elif first == "access-list" and len(words) >= 3:
        conf.acls.setdefault(words[1], []).append(line.strip())
    elif words[:3] == ["ip", "access-list", "extended"] and len(words) >= 4:
        conf.acls.setdefault(words[3], [])
        return ("acl", words[3]), None
    elif first == "interface" and len(words) >= 2:
        if platform == "cisco_pix" and len(words) >= 3 and not line.startswith(" "):
            conf.interface(words[1])["speed"] = words[2]
            return None, None
        conf.interface(words[1])
        return ("interface", words[1]), None
    elif first == "nameif" and len(words) >= 3:  # PIX: nameif ethernet0 outside security0
        iface = conf.interface(words[1])
        iface["nameif"] = words[2]
        if len(words) >= 4 and words[3].startswith("security"):
            iface["security_level"] = to_int(words[3][len("security") :])
    elif words[:2] == ["ip", "address"] and len(words) >= 5 and platform in {"cisco_pix", "cisco_asa"}:
        iface = _by_nameif(conf, words[2])
        iface["ip_address"], iface["mask"] = words[3], words[4]
    else:
        conf.ignored += 1
        unused(line, words)
    return None, None


def _pix_ca_identity(conf: _Config, words: list[str]) -> None:
    """PIX 6: `ca identity NAME CA_ADDR[:SCRIPT] [LDAP_ADDR]`."""
    point = conf.trustpoint(words[2], "identity")
    if len(words) >= 4:
        address, _, script = words[3].partition(":")
        point["ca_address"] = address
        point["ca_script_location"] = script or "/cgi-bin/pkiclient.exe"
        point["enrollment_url"] = f"http://{address}{script or '/cgi-bin/pkiclient.exe'}"
    if len(words) >= 5:
        point["ldap_address"] = words[4]
        point["query_url"] = f"ldap://{words[4]}"


def _by_nameif(conf: _Config, nameif: str) -> dict[str, Any]:
    for iface in conf.interfaces.values():
        if iface["nameif"] == nameif:
            return iface
    iface = conf.interface(nameif)
    iface["nameif"] = nameif
    return iface


def _crypto_map_line(conf: _Config, words: list[str], line: str) -> tuple[str, Any] | None:
    """`crypto map NAME SEQ ipsec-isakmp` (IOS block opener) or the PIX/ASA one-line forms."""
    name = words[2]
    if len(words) >= 5 and words[3] == "interface":
        conf.maps.setdefault(name, {"name": name, "interfaces": [], "entries": {}})["interfaces"].append(
            words[4]
        )
        for iface in conf.interfaces.values():
            if iface["nameif"] == words[4] or iface["name"] == words[4]:
                iface["crypto_map"] = name
        return None
    seq = to_int(words[3]) if len(words) >= 4 else None
    if seq is None:
        conf.maps.setdefault(name, {"name": name, "interfaces": [], "entries": {}})
        conf.maps[name].setdefault("other", []).append(" ".join(words[3:]))
        return None
    entry = conf.crypto_map_entry(name, seq)
    rest = words[4:]
    if not rest:
        return ("map", (name, seq))
    if rest[0] in {"ipsec-isakmp", "ipsec-manual", "gdoi", "ipsec-isakmp-dynamic"} or (
        rest[0] == "ipsec-isakmp" and len(rest) > 1
    ):
        entry["type"] = rest[0]
        if len(rest) >= 3 and rest[1] == "dynamic":
            entry["dynamic_map"] = rest[2]
        return ("map", (name, seq))
    conf.map_setting(entry, rest, line)
    return None


def _ike_setting(conf: _Config, policy: dict[str, Any], words: list[str], line: str) -> None:
    key = _IKE_KEYS.get(words[0])
    if key is None or len(words) < 2:
        conf.ctx.warn(line)
        return
    value: Any = " ".join(words[1:])
    if key in {"group", "lifetime"}:
        value = to_int(words[-1]) if key == "lifetime" else to_int(words[1])
    policy[key] = value


def _block_line(conf: _Config, block: tuple[str, Any], words: list[str], line: str) -> None:
    """An indented line under a block opened by `_top_line`."""
    kind, key = block
    ctx = conf.ctx
    if kind == "trustpoint":
        point = conf.trustpoints[key]
        if words[:2] == ["enrollment", "url"] and len(words) >= 3:
            point["enrollment_url"] = words[2]
        elif words[:2] == ["enrollment", "mode"] and len(words) >= 3:
            point["enrollment_mode"] = words[2]
        elif words[:3] == ["enrollment", "retry", "count"] and len(words) >= 4:
            point["enrollment_retry_count"] = to_int(words[3])
        elif words[:3] == ["enrollment", "retry", "period"] and len(words) >= 4:
            point["enrollment_retry_period"] = to_int(words[3])
        elif words[:2] == ["query", "url"] and len(words) >= 3:
            point["query_url"] = words[2]
        elif words[:2] == ["crl", "optional"]:
            point["crl_optional"] = True
        elif words[:2] == ["crl", "nocheck"]:
            point["crl_optional"] = True
            point["revocation_check"] = ["none"]
        elif words[:1] == ["revocation-check"]:
            point["revocation_check"] = words[1:]
            point["crl_optional"] = "none" in words[1:]
        elif words[:1] in (
            ["subject-name"],
            ["fqdn"],
            ["rsakeypair"],
            ["keypair"],
            ["serial-number"],
            ["ip-address"],
            ["auto-enroll"],
            ["password"],
            ["enrollment"],
            ["crl"],
            ["usage"],
        ):
            point.setdefault("other", []).append(" ".join(words))
        else:
            ctx.warn(line)
    elif kind == "policy":
        _ike_setting(conf, conf.policies[key], words, line)
    elif kind == "transform_set":
        if words[:1] == ["mode"] and len(words) >= 2:
            conf.out["transform_sets"][key]["mode"] = words[1]
        elif words[:1] == ["protocol"]:
            conf.out["transform_sets"][key]["transforms"].extend(words[1:])
        else:
            ctx.warn(line)
    elif kind == "map":
        name, seq = key
        conf.map_setting(conf.crypto_map_entry(name, seq), words, line)
    elif kind == "acl":
        conf.acls[key].append(" ".join(words))
    elif kind == "object":
        _object_member(conf.objects[key], words)
    elif kind == "interface":
        iface = conf.interfaces[key]
        if words[:2] == ["ip", "address"] and len(words) >= 4 and _MASK_RE.match(words[3]):
            if len(words) >= 5 and words[4] == "secondary":
                iface.setdefault("secondary", []).append({"ip_address": words[2], "mask": words[3]})
            else:
                iface["ip_address"], iface["mask"] = words[2], words[3]
        elif words[:2] == ["crypto", "map"] and len(words) >= 3:
            iface["crypto_map"] = words[2]
            crypto_map = conf.maps.setdefault(words[2], {"name": words[2], "interfaces": [], "entries": {}})
            crypto_map["interfaces"].append(key)
        elif words[:1] == ["nameif"] and len(words) >= 2:
            iface["nameif"] = words[1]
        elif words[:1] == ["security-level"] and len(words) >= 2:
            iface["security_level"] = to_int(words[1])
        elif words == ["shutdown"]:
            iface["shutdown"] = True
        else:
            conf.ignored += 1
            unused(line, words)


def _object_member(members: list[tuple[str, ...]], words: list[str]) -> None:
    """One line of an `object network` or `object-group network` block."""
    if words[0] == "network-object":
        words = words[1:]
    if words[:1] in (["description"], ["nat"]):  # ASA repeats `object network X` for its NAT rule
        return
    if len(words) == 2 and words[0] in {"host", "object"}:
        members.append((words[0], words[1]))
    elif len(words) == 2 and words[0] == "group-object":
        members.append(("object", words[1]))
    elif len(words) == 3 and words[0] == "subnet":
        members.append(("net", words[1], words[2]))
    elif len(words) == 2:  # `network-object 10.1.0.0 255.255.0.0`
        members.append(("net", words[0], words[1]))
    else:  # range, fqdn, nat...: kept, and the object cannot be resolved to networks
        members.append(("other", " ".join(words)))


def _networks(name: str, conf: _Config, seen: frozenset[str] = frozenset()) -> list[str] | None:
    """The networks (CIDR) an object or object group stands for; None when a member is not a plain
    host or network (a range, an FQDN) or the object is unknown or nests itself."""
    members = conf.objects.get(name)
    if members is None or name in seen:
        return None
    out: list[str] = []
    for member in members:
        if member[0] == "object":
            nested = _networks(member[1], conf, seen | {name})
            if nested is None:
                return None
            out += nested
            continue
        if member[0] not in {"host", "net"}:
            return None
        address = conf.names.get(member[1], member[1])
        mask = member[2] if member[0] == "net" else "255.255.255.255"
        try:
            out.append(str(ipaddress.ip_network(f"{address}/{mask}", strict=False)))
        except ValueError:
            return None
    return list(dict.fromkeys(out))


def _assemble(conf: _Config, platform: str) -> dict[str, Any]:
    """Turn the accumulated dicts into the contract's lists, with IKE defaults and crypto ACLs."""
    out, ctx = conf.out, conf.ctx
    out["trustpoints"] = list(conf.trustpoints.values())
    maps = []
    for crypto_map in conf.maps.values():
        entries = [crypto_map["entries"][seq] for seq in sorted(crypto_map["entries"])]
        maps.append({**crypto_map, "entries": entries})
    out["crypto_maps"] = maps
    out["names"] = conf.names
    out["network_objects"] = {name: _networks(name, conf) for name in conf.objects}
    if conf.names:
        # Peers as addresses, whichever way the device printed them; the names it printed are kept.
        for crypto_map in maps:
            for entry in crypto_map["entries"]:
                if any(peer in conf.names for peer in entry["peers"]):
                    entry["peer_names"] = list(entry["peers"])
                    entry["peers"] = [conf.names.get(peer, peer) for peer in entry["peers"]]
                    entry["peer"] = entry["peers"][0]
    defaults = IKE_DEFAULTS.get(platform, IKE_DEFAULTS["cisco_ios"])
    policies = []
    for number in sorted(conf.policies):
        policy = conf.policies[number]
        policy["defaulted"] = sorted(key for key in defaults if key not in policy)
        policies.append({**defaults, **policy})
    out["ike_policies"] = policies
    referenced = {entry["match_address"] for m in maps for entry in m["entries"] if entry["match_address"]}
    out["crypto_acls"] = {name: conf.acls.get(name, []) for name in sorted(referenced)}
    for name in sorted(referenced - set(conf.acls)):
        ctx.warn(f"crypto map references access-list {name}, which the configuration does not define")
    out["interfaces"] = list(conf.interfaces.values())
    chains = []
    for trustpoint, entries in conf.chains:
        chain, chain_warnings = decode_chain(trustpoint, entries)
        chains.append(chain)
        for warning in chain_warnings:
            ctx.warn(warning)
    out["certificate_chains"] = chains
    out["ignored_line_count"] = conf.ignored
    return result(ctx, **out)
