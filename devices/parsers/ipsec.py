"""`show crypto ipsec sa` (and `... detail`) on IOS 12.2, IOS 15/XE, PIX 6 and ASA."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from devices.parsers.common import Context, clean_lines, detect_error, error_result, result, snake, to_int
from devices.parsers.wraps import rejoins_wrapped_lines

# docs/contracts.md §2 names for the counters every dialect prints under slightly different labels.
COUNTER_ALIASES: dict[str, str] = {
    "pkts_encaps": "pkts_encaps",
    "pkts_encrypt": "pkts_encrypt",
    "pkts_digest": "pkts_digest",
    "pkts_decaps": "pkts_decaps",
    "pkts_decrypt": "pkts_decrypt",
    "pkts_verify": "pkts_verify",
    "pkts_compressed": "pkts_compressed",
    "pkts_decompressed": "pkts_decompressed",
    "pkts_not_compressed": "pkts_not_compressed",
    "pkts_compr_failed": "pkts_compr_failed",
    "pkts_comp_failed": "pkts_compr_failed",
    "pkts_compress_failed": "pkts_compr_failed",
    "pkts_decompress_failed": "pkts_decompress_failed",
    "pkts_decomp_failed": "pkts_decompress_failed",
    "send_errors": "send_errors",
    "recv_errors": "recv_errors",
}
CONTRACT_COUNTERS = (
    "pkts_encaps",
    "pkts_encrypt",
    "pkts_digest",
    "pkts_decaps",
    "pkts_decrypt",
    "pkts_verify",
    "pkts_compressed",
    "pkts_decompressed",
    "pkts_not_compressed",
    "pkts_compr_failed",
    "pkts_decompress_failed",
    "send_errors",
    "recv_errors",
)

_SEQ = re.compile(r"seq num:\s*(\d+)")
_LOCAL_ADDR = re.compile(r"local addr\.?:?\s*(\S+)")
# Line kinds, picked by the first word.
(
    _OTHER,
    _COUNTERS,
    _SA_LINE,
    _INTERFACE_LINE,
    _MAP_TAG_LINE,
    _LOCAL_REMOTE,
    _PENDING,
    _CURRENT,
    _DYNAMIC,
    _FLAGS_LINE,
    _SECTION_LINE,
    _SPI_LINE,
) = range(12)
_KINDS: dict[str, int] = {
    "interface:": _INTERFACE_LINE,
    "Crypto": _MAP_TAG_LINE,
    "local": _LOCAL_REMOTE,
    "remote": _LOCAL_REMOTE,
    "protected": _PENDING,
    "access-list": _PENDING,
    "IPsecv6": _PENDING,
    "current_peer": _CURRENT,
    "current_peer:": _CURRENT,
    "current": _CURRENT,
    "dynamic": _DYNAMIC,
    "PERMIT,": _FLAGS_LINE,
    "DENY,": _FLAGS_LINE,
    "BYPASS,": _FLAGS_LINE,
    "DISCARD,": _FLAGS_LINE,
    "PERMIT": _FLAGS_LINE,
    "inbound": _SECTION_LINE,
    "outbound": _SECTION_LINE,
    "spi:": _SPI_LINE,
    "transform:": _SA_LINE,
    "in": _SA_LINE,
    "sa": _SA_LINE,
    "IV": _SA_LINE,
    "replay": _SA_LINE,
    "Status:": _SA_LINE,
    "SA": _SA_LINE,
    "Anti": _SA_LINE,
    "Kilobyte": _SA_LINE,
    "slot:": _SA_LINE,
    "conn": _SA_LINE,
    "conn_id:": _SA_LINE,
    "ecn": _SA_LINE,
}
_PARENS = re.compile(r"\([^)]{0,20}\)")
_CONTRACT_SET = frozenset(CONTRACT_COUNTERS)
_INTERFACE = re.compile(r"^\s*interface:\s*(\S+)\s*$")
_MAP_TAG = re.compile(r"^\s*Crypto map tag:\s*([^,\s]+)(.*)$")
_IDENT = re.compile(r"^\s*(local|remote)\s+ident\s*\(addr/mask/prot/port\):\s*\((.{1,120})\)\s*$")
_PEER = re.compile(r"^\s*current_peer:?\s+(\S+?)(?:\s+port\s+(\d+))?\s*$")
_FLAGS = re.compile(r"^\s*(PERMIT|DENY|BYPASS|DISCARD)\s*,\s*flags=\{(.{0,200})\}\s*$")
_ENDPT = re.compile(r"(local|remote) crypto endpt\.:\s*([^,\s]+)")
_SPI_CURRENT = re.compile(
    r"^\s*current (outbound|inbound) spi\s*:\s*(?:0x)?([0-9A-Fa-f]{1,16})(?:\((\d+)\))?\s*$"
)
_SECTION = re.compile(r"^\s*(inbound|outbound)\s+(esp|ah|pcp)\s+sas:\s*$")
_SPI = re.compile(r"^\s*spi:\s*(?:0x([0-9A-Fa-f]{1,16})\s*(?:\(\s*(\d+)\s*\))?|(\[Not Available\]|\S.*))\s*$")
# Transform names and their key sizes (`esp-gcm 256 ,`, `esp-aes-256 esp-sha-hmac no compression`).
_TRANSFORM = re.compile(r"^\s*transform:\s*([\w.-]{1,40}(?:[ ,]{1,3}[\w.-]{1,40}){0,7})?[ ,]{0,3}$")
_SETTINGS = re.compile(r"^\s*in use settings\s*=\s*\{(.{0,200})\}\s*$")
_TIMING_KS = re.compile(r"remaining key lifetime \((?:k|kB)/sec\):\s*\((\d+)/(\d+)\)")
_TIMING_S = re.compile(r"remaining key lifetime \(sec\):\s*(\d+)")
_TIMING_HM = re.compile(
    r"remaining key lifetime\s+(?:(\d+) hours?,?\s*)?(?:(\d+) mins?,?\s*)?(?:(\d+) secs?)?"
)
_IV = re.compile(r"^\s*IV size:\s*(\d+)\s*bytes?\s*$")
_REPLAY = re.compile(r"^\s*replay detection support:\s*(\S+)(?:\s+replay window size:\s*(\d+))?\s*$")
_HEX_WORDS = re.compile(r"^\s*(?:0x[0-9A-Fa-f]{1,16}\s*){1,16}$")


def _ident(text: str) -> dict[str, Any]:
    """`1.1.1.0/255.255.255.0/0/0` (or an IPv6 prefix) -> {addr, mask, prot, port}."""
    parts = text.rsplit("/", 3)
    if len(parts) != 4:
        return {"addr": text, "mask": None, "prot": None, "port": None}
    addr, mask, prot, port = parts
    return {"addr": addr, "mask": mask, "prot": to_int(prot), "port": to_int(port)}


_LEAD_NUMBER = re.compile(r"(\d{1,12})\(\d{1,12}\)$")  # `ipsec overhead 82(52)`


def _number(text: str) -> int | str:
    text = text.strip()
    if text.isdecimal() and len(text) < 20:
        return int(text)
    lead = _LEAD_NUMBER.match(text)
    return int(lead.group(1)) if lead else text


def _entry(interface: dict[str, Any]) -> dict[str, Any]:
    return {
        "interface": interface.get("interface"),
        "crypto_map": interface.get("crypto_map"),
        "local_addr": interface.get("local_addr"),
        "local_ident": None,
        "remote_ident": None,
        "current_peer": None,
        "counters": {},
        "local_endpoint": None,
        "remote_endpoint": None,
        "path_mtu": None,
        "media_mtu": None,
        "current_outbound_spi": None,
        "inbound_esp": [],
        "outbound_esp": [],
        "inbound_ah": [],
        "outbound_ah": [],
        "inbound_pcp": [],
        "outbound_pcp": [],
    }


def _sa_record(spi: int | None) -> dict[str, Any]:
    return {
        "spi": spi,
        "transform": None,
        "mode": None,
        "conn_id": None,
        "crypto_map": None,
        "remaining_kb": None,
        "remaining_sec": None,
    }


@lru_cache(maxsize=512)
def _counter_keys(label: str) -> tuple[str, str]:
    """(key without the direction in parentheses, key with it) for a counter label."""
    return snake(_PARENS.sub("", label)), snake(label)


# A counter's number: after `: ` or ` `, before `,` or the end of the line. Captured, so that one split
# gives the text around the numbers (even items) and the numbers (odd items).
_COUNTER_NUMBER = re.compile(r"(?<=[ :])(\d{1,20})(?=[ \t]*(?:,|$))")


@lru_cache(maxsize=512)
def _counter_line_keys(shape: str) -> tuple[tuple[str, str], ...] | None:
    """The (key, fallback key) of each counter in a line whose numbers were replaced by `N`; None if the
    line is not a counter line. Cached by shape: every SA entry repeats the same few lines."""
    found: list[tuple[str, str]] = []
    for piece in shape.split(","):
        piece = piece.strip()
        if not piece:
            continue
        head, _, number = piece.rpartition(" ")
        label = head.rstrip(":").lstrip("#").strip()
        # A label is words: no second `#`, `:` or number inside (`#pkts x: 0 #send errors` is two lines).
        if number != "N" or not label or not head.startswith("#") or "#" in label or ":" in label:
            return None
        found.append(_counter_keys(label))
    bases = [base for base, _ in found]
    keys = [
        (full if bases.count(base) > 1 else COUNTER_ALIASES.get(base, base), full) for base, full in found
    ]
    return tuple(keys) if keys else None


def _fold_counters(line: str, counters: dict[str, Any]) -> bool:
    """Read a `#pkts encaps: 3, #pkts encrypt: 3, #pkts digest 3` line; False if it is not one."""
    pieces = _COUNTER_NUMBER.split(line)
    numbers = pieces[1::2]
    # The line with its numbers replaced by `N` (what re.sub would give), the cache key of its labels.
    keys = _counter_line_keys("N".join(pieces[::2])) if numbers else None
    if keys is None or len(keys) != len(numbers):
        return False
    for (key, full), number in zip(keys, numbers, strict=True):
        if key in counters and key not in _CONTRACT_SET:
            key = full
        counters[key] = int(number)
    return True


ENTRY_PAIR_KEYS = frozenset(
    {
        "path_mtu",
        "media_mtu",
        "ipsec_overhead",
        "plaintext_mtu",
        "ip_mtu",
        "ip_mtu_idb",
        "ipv6_mtu",
        "ipv6_mtu_idb",
        "pfs",
        "dh_group",
        "pmtu_time_remaining_sec",
        "df_policy",
        "icmp_error_validation",
        "tfc_packets",
        "pqc_key_exchange",
        "ake_group",
    }
)
SA_PAIR_KEYS = frozenset(
    {"slot", "conn_id", "flow_id", "sibling_flags", "crypto_map", "ecn_bit_support", "status", "initiator"}
)


def _split_pair(piece: str) -> tuple[str, str]:
    """`crypto map: vpn` -> (crypto_map, vpn); `path mtu 1500` -> (path_mtu, 1500)."""
    key, sep, value = piece.partition(":")
    if not sep:
        key, _, value = piece.strip().rpartition(" ")
    key = snake(key)
    return _PAIR_RENAMES.get(key, key), value.strip()


_PAIR_RENAMES = {"pfs_y_n": "pfs", "crypto_map_": "crypto_map"}


def _fold_pairs(line: str, target: dict[str, Any], known: frozenset[str] = ENTRY_PAIR_KEYS) -> bool:
    """Read `path mtu 1500, media mtu 1500` / `PFS (Y/N): N, DH group: none` pairs into target."""
    parsed: list[tuple[str, str]] = []
    # A plain split at commas: _split_pair strips each piece's ends and snake() ignores the spaces around a
    # key, so this reads what splitting at `,\s*` read. Stops at the first unknown key (nothing is stored
    # before every key is known).
    for piece in line.split(","):
        if piece.strip():
            pair = _split_pair(piece)
            # A value is one word (two for `ake group: AKE1: MLKEM512`): more is the next line glued on.
            if pair[0] not in known or len(pair[1].split()) > 2 or "  " in pair[1]:
                return False
            parsed.append(pair)
    if not parsed:
        return False
    for key, value in parsed:
        if key == "conn_id":
            target[key] = to_int(value)
        elif key == "crypto_map":
            target[key] = value
        else:
            target[key] = _number(value) if value else None
    return True


def _timing(line: str, sa: dict[str, Any]) -> bool:
    match = _TIMING_KS.search(line)
    if match:
        sa["remaining_kb"], sa["remaining_sec"] = int(match[1]), int(match[2])
        return True
    match = _TIMING_S.search(line)
    if match:
        sa["remaining_sec"] = int(match[1])
        return True
    if "not applicable" in line:
        sa["remaining_lifetime_applicable"] = False
        return True
    match = _TIMING_HM.search(line)
    if match and any(match.groups()):
        hours, mins, secs = (int(g) if g else 0 for g in match.groups())
        sa["remaining_sec"] = hours * 3600 + mins * 60 + secs
        return True
    return False


@rejoins_wrapped_lines
def parse_ipsec_sa(
    text: str, *, platform: str = "cisco_ios", tz_offset_minutes: int | None = None
) -> dict[str, Any]:
    """Parse `show crypto ipsec sa [detail]`: every interface, ident pair, SA and counter."""
    ctx = Context(platform=platform, tz_offset_minutes=tz_offset_minutes)
    lines = clean_lines(text)
    error = detect_error(lines)
    if error:
        return error_result(error, ctx, ipsec_sas=[])
    entries: list[dict[str, Any]] = []
    interface: dict[str, Any] = {}
    pending: dict[str, Any] = {}  # lines printed before the ident pair they belong to
    entry: dict[str, Any] | None = None
    section: list[dict[str, Any]] | None = None
    sa: dict[str, Any] | None = None
    bitmap: list[str] | None = None
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        if bitmap is not None and _HEX_WORDS.match(stripped):
            bitmap.append(stripped)
            continue
        bitmap = None
        # One dictionary look-up on the first word picks the line's kind (no chain of regexes per line).
        first = stripped.split(" ", 1)[0]
        kind = _KINDS.get(first) or (_COUNTERS if first[0] == "#" else _OTHER)
        if kind == _COUNTERS and entry is not None:
            if not _fold_counters(stripped, entry["counters"]):
                ctx.warn(line)
            continue
        if kind == _SA_LINE and sa is not None and _sa_line(stripped, sa):
            if stripped.startswith("Anti replay bitmap"):
                bitmap = sa.setdefault("anti_replay_bitmap", [])
            continue
        if kind == _INTERFACE_LINE:
            match = _INTERFACE.match(stripped)
            if match:
                interface = {"interface": match[1]}
                entry, section, sa, pending = None, None, None, {}
                continue
        elif kind == _MAP_TAG_LINE:
            match = _MAP_TAG.match(stripped)
            if match:
                interface["crypto_map"] = match[1]
                rest = match[2]
                seq = _SEQ.search(rest)
                if seq:
                    pending["seq_num"] = int(seq[1])
                addr = _LOCAL_ADDR.search(rest)
                if addr:
                    interface["local_addr"] = addr[1]
                continue
        elif kind == _LOCAL_REMOTE:
            match = _IDENT.match(stripped)
            if match:
                if match[1] == "local" or entry is None or entry.get("remote_ident") is not None:
                    entry = _entry(interface)
                    entry.update(pending)
                    pending = {}
                    entries.append(entry)
                    section, sa = None, None
                entry[f"{match[1]}_ident"] = _ident(match[2])
                continue
            if entry is not None and "crypto endpt." in stripped:
                for which, addr in _ENDPT.findall(stripped):
                    addr, _, port = addr.partition("/")
                    entry[f"{which}_endpoint"] = addr
                    if port.isdecimal():
                        entry[f"{which}_endpoint_port"] = int(port)
                continue
        elif kind == _PENDING:  # these precede the ident pair they describe
            if stripped.startswith("protected vrf:"):
                pending["protected_vrf"] = stripped.split(":", 1)[1].strip()
                continue
            if stripped.startswith("access-list "):
                pending["access_list"] = stripped
                continue
            if stripped.startswith("IPsecv6 policy name:"):
                pending["ipsecv6_policy_name"] = stripped.split(":", 1)[1].strip()
                continue
        if entry is None:
            ctx.warn(line)
            continue
        if kind == _CURRENT:
            match = _PEER.match(stripped)
            if match:
                entry["current_peer"] = match[1]
                if match[2]:
                    entry["current_peer_port"] = int(match[2])
                continue
            match = _SPI_CURRENT.match(stripped)
            if match:
                entry[f"current_{match[1]}_spi"] = int(match[2], 16)
                if match[3]:  # the decimal the device prints beside the hex, kept as printed
                    entry[f"current_{match[1]}_spi_decimal"] = int(match[3])
                continue
        elif kind == _DYNAMIC and stripped.startswith("dynamic allocated peer ip:"):
            entry["dynamic_peer"] = stripped.split(":", 1)[1].strip()
            continue
        elif kind == _FLAGS_LINE:
            match = _FLAGS.match(stripped)
            if match:
                entry["action"] = match[1]
                entry["flags"] = [f.strip() for f in match[2].split(",") if f.strip()]
                continue
        elif kind == _SECTION_LINE:
            match = _SECTION.match(stripped)
            if match:
                section = entry[f"{match[1]}_{match[2]}"]
                sa = None
                continue
        elif kind == _SPI_LINE and section is not None:
            match = _SPI.match(stripped)
            if match:
                sa = _sa_record(int(match[1], 16) if match[1] else None)
                if match[2]:
                    sa["spi_decimal"] = int(match[2])
                if match[3]:
                    sa["spi_text"] = match[3].strip()
                section.append(sa)
                continue
        if sa is None and section is None and _fold_pairs(stripped, entry):
            continue
        ctx.warn(line)
    _normalise(entries)
    _check_truncation(entries, sa, ctx)
    return result(ctx, ipsec_sas=entries)


def _sa_line(stripped: str, sa: dict[str, Any]) -> bool:
    """Fold one line of an SA block into sa; False when not understood."""
    match = _TRANSFORM.match(stripped) if stripped.startswith("transform:") else None
    if match:
        transform = match[1].rstrip(" ,")
        if transform.endswith("no compression"):
            transform = transform[: -len("no compression")].strip()
            sa["compression"] = False
        sa["transform"] = transform
        return True
    match = _SETTINGS.match(stripped) if stripped.startswith("in use") else None
    if match:
        settings = [s.strip() for s in match[1].split(",") if s.strip()]
        sa["settings"] = settings
        for setting in settings:
            word = setting.split()[0] if setting.split() else ""
            if word in {"Tunnel", "Transport"}:
                sa["mode"] = word
                break
        return True
    if stripped.startswith("sa timing:"):
        return _timing(stripped, sa)
    match = _IV.match(stripped) if stripped.startswith("IV size") else None
    if match:
        sa["iv_size"] = int(match[1])
        return True
    match = _REPLAY.match(stripped) if stripped.startswith("replay") else None
    if match:
        sa["replay_detection"] = match[1]
        if match[2]:
            sa["replay_window_size"] = int(match[2])
        return True
    if stripped.startswith("Status:"):
        sa["status"] = stripped.split(":", 1)[1].strip()
        return True
    if stripped.startswith("SA State:"):
        sa["sa_state"] = stripped.split(":", 1)[1].strip()
        return True
    if stripped.startswith("Anti replay bitmap"):
        return True
    if stripped == "Kilobyte Volume Rekey has been disabled":
        sa["kilobyte_volume_rekey"] = False
        return True
    if (
        stripped.startswith(("slot:", "conn id:", "conn_id:", "ecn bit support:"))
        or "crypto map:" in stripped
        or "crypto-map:" in stripped
    ):
        return _sa_pairs(stripped, sa)
    return False


def _sa_pairs(stripped: str, sa: dict[str, Any]) -> bool:
    """`slot: 0, conn id: 200, flow_id: 1, crypto map: vpn` -> typed keys."""
    return _fold_pairs(stripped, sa, SA_PAIR_KEYS)


def _normalise(entries: list[dict[str, Any]]) -> None:
    """Fill the contract's counter keys (null when not printed) and SA map defaults."""
    for entry in entries:
        counters = entry["counters"]
        for key in CONTRACT_COUNTERS:
            counters.setdefault(key, None)


def _check_truncation(entries: list[dict[str, Any]], sa: dict[str, Any] | None, ctx: Context) -> None:
    """Warn when the output stops inside a record (the records before it are kept)."""
    if not entries:
        return
    last = entries[-1]
    if sa is not None and (
        sa.get("transform") is None or (sa.get("remaining_sec") is None and sa.get("spi") is not None)
    ):
        ctx.warn(f"output truncated inside an SA record (spi {sa.get('spi')})")
    elif last["remote_ident"] is None or all(
        v is None for k, v in last["counters"].items() if k in CONTRACT_COUNTERS
    ):
        ctx.warn("output truncated inside an ident record")
