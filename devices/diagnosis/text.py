"""Small readers of raw outputs the parsers do not expose: config blocks, chain hex, ACL entries, key headers."""

from __future__ import annotations

import ipaddress
import re

IOS = "cisco_ios"
PIX = "cisco_pix"
ASA = "cisco_asa"

_IPV4_RE = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_CHAIN_CERT_RE = re.compile(r"^\s*certificate\s+(?:(?P<word>[a-z-]+)\s+)?(?P<serial>[0-9A-Fa-f]+)\s*$")
_HEX_LINE_RE = re.compile(r"^\s*(?:[0-9A-Fa-f]{2,8}\s*)+$")
_CHAIN_WORDS_NOT_IDENTITY = {"ca", "ra-sign", "ra-encrypt", "ra-general", "self-signed", "rollover"}


def has_ipv4(text: str) -> bool:
    """Whether a text names an IPv4 address."""
    return bool(_IPV4_RE.search(text))


def config_block(lines: list[str], head: re.Pattern[str]) -> list[str]:
    """The line matching head and the indented lines under it (IOS block form)."""
    out: list[str] = []
    inside = False
    for line in lines:
        if head.match(line):
            out.append(line)
            inside = True
            continue
        if inside and line.startswith((" ", "\t")) and line.strip():
            out.append(line)
            continue
        inside = False
    return out


def identity_certificate_hex(config_text: str) -> dict[str, str]:
    """Hex of the identity certificates in a config's `certificate chain` blocks, by upper-case serial."""
    out: dict[str, str] = {}
    serial: str | None = None
    parts: list[str] = []
    for line in config_text.replace("\r\n", "\n").split("\n"):
        match = _CHAIN_CERT_RE.match(line)
        if match:
            word = (match.group("word") or "").lower()
            serial = None if word in _CHAIN_WORDS_NOT_IDENTITY else match.group("serial").upper()
            parts = []
            continue
        if serial is None:
            continue
        if line.strip().lower() == "quit":
            out[serial] = "".join(parts)
            serial = None
        elif _HEX_LINE_RE.match(line):
            parts.append("".join(line.split()))
    return out


def _der_length(data: bytes, pos: int) -> tuple[int, int]:
    """(length, position after the length octets) of the DER element whose length starts at pos."""
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    return int.from_bytes(data[pos + 1 : pos + 1 + count], "big"), pos + 1 + count


def declared_modulus_bits(key_hex: str) -> int | None:
    """The RSA modulus size a SubjectPublicKeyInfo's headers declare, even when later bytes are damaged.

    The seed's PIX key lost digits in transcription, so it does not decode; its headers still say 512 bits.
    1. Outer SEQUENCE, then skip the AlgorithmIdentifier SEQUENCE.
    2. BIT STRING and its unused-bits octet, then the RSAPublicKey SEQUENCE.
    3. The first INTEGER is the modulus: its length without the sign octet, in bits.
    """
    try:
        data = bytes.fromhex(key_hex[: len(key_hex) // 2 * 2])
        if data[0] != 0x30:
            return None
        _, pos = _der_length(data, 1)
        if data[pos] != 0x30:
            return None
        length, after = _der_length(data, pos + 1)
        pos = after + length
        if data[pos] != 0x03:
            return None
        _, pos = _der_length(data, pos + 1)
        pos += 1  # unused-bits octet
        if data[pos] != 0x30:
            return None
        _, pos = _der_length(data, pos + 1)
        if data[pos] != 0x02:
            return None
        length, pos = _der_length(data, pos + 1)
        if data[pos] == 0x00:
            length -= 1
        return length * 8 if length > 0 else None
    except (ValueError, IndexError):
        return None


AclEntry = tuple[str, str, str, str]  # action, protocol, source network, destination network


def _network(platform: str, address: str, mask: str) -> str:
    # IOS ACLs carry wildcards, PIX/ASA netmasks; only the all-zero/all-one masks are ambiguous.
    if platform == IOS:
        if mask == "0.0.0.0":
            return f"{address}/32"
        return str(ipaddress.ip_network(f"{address}/{mask}", strict=False))
    if mask == "0.0.0.0":
        return "0.0.0.0/0"
    return str(ipaddress.ip_network(f"{address}/{mask}", strict=False))


def _spec(
    platform: str, words: list[str], i: int, objects: dict[str, list[str] | None]
) -> tuple[list[str] | None, int]:
    """The networks an address specification starting at words[i] stands for, and where it ends."""
    if i >= len(words):
        return None, i
    word = words[i].lower()
    if word in ("any", "any4"):
        return ["0.0.0.0/0"], i + 1
    if word == "host" and i + 1 < len(words):
        return [f"{words[i + 1]}/32"], i + 2
    if word in ("object", "object-group") and i + 1 < len(words):
        return objects.get(words[i + 1]), i + 2
    if has_ipv4(word) and i + 1 < len(words) and has_ipv4(words[i + 1]):
        try:
            return [_network(platform, words[i], words[i + 1])], i + 2
        except ValueError:
            return None, i
    return None, i


def acl_entries(
    platform: str,
    lines: list[str],
    names: dict[str, str] | None = None,
    objects: dict[str, list[str] | None] | None = None,
) -> list[AclEntry] | None:
    """The (action, protocol, source, destination) of ACL lines; None when a line uses what we cannot read.

    `names` (PIX/ASA `name ADDRESS NAME`) turns the names a device prints in place of addresses back
    into addresses; `objects` (the configuration's `network_objects`) expands `object` and
    `object-group` into one entry per network pair."""
    out: list[AclEntry] = []
    for line in lines:
        words = [names.get(word, word) for word in line.split()] if names else line.split()
        try:
            start = next(i for i, w in enumerate(words) if w.lower() in ("permit", "deny"))
        except StopIteration:
            continue
        if start + 1 >= len(words):
            return None
        action, proto = words[start].lower(), words[start + 1].lower()
        sources, pos = _spec(platform, words, start + 2, objects or {})
        destinations, _ = _spec(platform, words, pos, objects or {})
        if sources is None or destinations is None:
            return None
        out += [(action, proto, src, dst) for src in sources for dst in destinations]
    return out
