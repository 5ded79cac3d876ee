"""`show crypto isakmp sa` (IOS 12.2, IOS 15/XE, PIX 6, ASA) and `show crypto ikev2 sa` (IOS-XE, ASA)."""

from __future__ import annotations

import re
from typing import Any

from devices.parsers.common import Context, clean_lines, detect_error, error_result, result, snake, to_int
from devices.parsers.wraps import rejoins_wrapped_lines

# Bounded on purpose: `[..]*X[..]*` would backtrack quadratically on long hex runs.
_ADDR = r"[0-9A-Fa-f:.]{2,45}"
# IOS 12.2 `dst src state conn-id slot`, IOS 15 `dst src state conn-id status`, with optional extras.
_IOS_ROW = re.compile(
    rf"^\s*(?P<dst>{_ADDR})\s+(?P<src>{_ADDR})\s+(?P<state>[A-Z][A-Z_0-9]*)\s+(?P<conn>-?\d+)"
    rf"(?:\s+(?P<slot>\d+))?(?:\s+(?P<status>[A-Z][A-Z_-]*(?:\s+\(deleted\))?))?\s*$"
)
# PIX 6 `dst src state pending created`.
_PIX_ROW = re.compile(
    rf"^\s*(?P<dst>{_ADDR})\s+(?P<src>{_ADDR})\s+(?P<state>[A-Z][A-Z_0-9]*)\s+(?P<pending>\d+)\s+(?P<created>\d+)\s*$"
)
# Table headers are read whole: a longer line is a header with a cut line glued on, a shorter one a cut.
_IOS_HEADER = re.compile(
    r"^\s*dst\s+src\s+state\s+(?:conn-id|pending)(?:\s+(?:slot|created|status|id)){0,3}\s*$", re.IGNORECASE
)
_IOS_DETAIL_HEADER = re.compile(
    r"^\s*C-id\s+Local\s+Remote(?:\s+(?:I-VRF|Status|Encr|Hash|Auth|DH|Lifetime|Cap\.)){0,8}\s*$"
)
_IOS_DETAIL_ROW = re.compile(
    rf"^\s*(?P<conn>\d+)\s+(?P<local>{_ADDR})\s+(?P<remote>{_ADDR})\s+(?:(?P<ivrf>\S+)\s+)?"
    r"(?P<status>ACTIVE|INACTIVE|[A-Z][A-Z_-]+)\s+(?P<encr>\S+)\s+(?P<hash>\S+)\s+(?P<auth>\S+)\s+"
    r"(?P<dh>\d+)\s+(?P<lifetime>[\d:]+)(?:\s+(?P<cap>\S.*?))?\s*$"
)
_ENGINE_CONN = re.compile(r"^\s*Engine-id:Conn-id\s*=\s*(?P<value>\S*)\s*$")
_AF_HEADER = re.compile(r"^\s*IPv[46] Crypto (?:ISAKMP|IKEv2)\s+SA\s*$", re.IGNORECASE)
_TOTAL = re.compile(r"^\s*(Total|Embryonic)\s*:\s*(\d+)\s*$")
_ASA_VERSION = re.compile(r"^\s*(IKEv1|IKEv2) SAs:\s*$")
_ASA_COUNTS = re.compile(r"^\s*(Active SA|Rekey SA|Total IKE SA)\s*:\s*(\d+)")
_ASA_PEER = re.compile(rf"^\s*(?P<index>\d+)\s+IKE Peer\s*:\s*(?P<peer>{_ADDR})\s*$")
_ASA_TABLE_HEADER = re.compile(
    r"^\s*IKE Peer\s+Type\s+Dir\s+Rky\s+State(?:\s+(?:Encrypt|Hash|Auth|Lifetime)){0,4}\s*$"
)
_ASA_TABLE_ROW = re.compile(
    rf"^\s*(?P<index>\d+)\s+(?P<peer>{_ADDR})\s+(?P<type>\S+)\s+(?P<dir>Init|Resp\w*)\s+(?P<rekey>\S+)\s+"
    r"(?P<state>\S+)(?:\s+(?P<encr>\S+)\s+(?P<hash>\S+)\s+(?P<auth>\S+)\s+(?P<lifetime>\d+))?\s*$"
)
_ADDRESS_START = frozenset("0123456789abcdefABCDEF:.")  # the characters _ADDR may start with
_KV = re.compile(r"([A-Za-z][\w/-]{0,30}(?: [\w/-]{1,30}){0,3}?)[ \t]{0,40}:[ \t]{0,40}(\S{1,100})")
_NO_SAS = re.compile(
    r"^\s*(?:There are no (?:IKEv[12] SAs|isakmp sas)|No SA found|% No active)", re.IGNORECASE
)
# The table headers IOS-XE and ASA print, whole (a longer line is a header with the next line glued on).
_V2_HEADER = re.compile(r"^\s*Tunnel-id(?:\s+Local\s+Remote)?(?:\s+fvrf/ivrf)?\s+Status(?:\s+Role)?\s*$")
_V2_ROW = re.compile(
    rf"^\s*(?P<id>\d+)\s+(?:(?P<local>{_ADDR})/(?P<lport>\d+)\s+(?P<remote>{_ADDR})/(?P<rport>\d+)\s+)?"
    r"(?:(?P<vrf>\S+/\S+)\s+)?(?P<status>[A-Z][A-Z_-]+)(?:\s+(?P<role>[A-Z]+))?\s*$"
)
_V2_SPLIT_ADDR = re.compile(rf"^\s*(?P<which>Local|Remote)\s+(?P<addr>{_ADDR})/(?P<port>\d+)\s*$")
_V2_SESSION = re.compile(
    r"^\s*Session-id:\s*(\d+),\s*Status:\s*([\w-]+),\s*IKE count:\s*(\d+),\s*CHILD count:\s*(\d+)"
)
_V2_LIFE = re.compile(r"^\s*Life/Active Time:\s*(\d+)/(\d+)\s*sec\s*$")
_V2_SPI = re.compile(r"^\s*Local spi:\s*([0-9A-Fa-f]{1,16})\s+Remote spi:\s*([0-9A-Fa-f]{1,16})\s*$")
_V2_CE = re.compile(r"^\s*CE id:\s*(\d+),\s*Session-id:\s*(\d+)\s*$")
_V2_CHILD = re.compile(r"^\s*Child sa:\s*local selector\s+(\S+)\s+-\s+(\S+)\s*$")
_V2_CHILD_REMOTE = re.compile(r"^\s*remote selector\s+(\S+)\s+-\s+(\S+)\s*$")
_V2_CHILD_SPI = re.compile(r"^\s*ESP spi in/out:\s*0x([0-9A-Fa-f]{1,16})/0x([0-9A-Fa-f]{1,16})\s*$")


def _sa(**values: Any) -> dict[str, Any]:
    """An IKE SA record with every contract key present."""
    record: dict[str, Any] = {
        "dst": None,
        "src": None,
        "state": None,
        "conn_id": None,
        "slot": None,
        "status": None,
        "pending": None,
        "created": None,
        "version": None,
        "role": None,
        "peer": None,
    }
    record.update(values)
    return record


def _role(value: str | None) -> str | None:
    if not value:
        return None
    # The words as printed (`INITIATOR`, `Responder`): a cut one (`INIT`) is kept as printed, not guessed.
    return value.lower()


def _parse_kv_line(line: str, target: dict[str, Any]) -> bool:
    """Read `Type    : L2L             Role    : initiator` style pairs into target."""
    pairs = _KV.findall(line)
    if not pairs:
        return False
    for key, value in pairs:
        name = key.strip().lower().replace(" ", "_")
        value = value.strip()
        if name == "role":
            target["role"] = _role(value)
        elif name == "state":
            target["state"] = value
        elif name == "type":
            target["type"] = value
        elif name == "rekey":
            target["rekey"] = value
        elif name in {"encrypt", "encryption"}:
            target["encryption"] = value
        elif name == "hash":
            target["hash"] = value
        elif name in {"auth", "authentication"}:
            target["authentication"] = value
        elif name == "lifetime":
            target["lifetime"] = to_int(value) if value.isdecimal() else value
        elif name == "lifetime_remaining":
            target["lifetime_remaining"] = to_int(value) if value.isdecimal() else value
        else:
            target[name] = value
    return True


@rejoins_wrapped_lines
def parse_isakmp_sa(
    text: str, *, platform: str = "cisco_ios", tz_offset_minutes: int | None = None
) -> dict[str, Any]:
    """Parse `show crypto isakmp sa` (and `show crypto ikev1|ikev2 sa`) of every dialect."""
    ctx = Context(platform=platform, tz_offset_minutes=tz_offset_minutes)
    lines = clean_lines(text)
    error = detect_error(lines)
    if error:
        return error_result(error, ctx, ike_sas=[], total=None, embryonic=None)
    sas: list[dict[str, Any]] = []
    total: int | None = None
    embryonic: int | None = None
    version: str | None = None
    family: str | None = None
    current: dict[str, Any] | None = None  # ASA block or IKEv2 tunnel receiving detail lines
    child: dict[str, Any] | None = None
    session: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        # Every pattern below starts, after `^\s*`, with a known character: testing the line's first one
        # skips the patterns that cannot match (most of them on every line) at the cost of a string test
        # instead of a regex call. Non-ASCII first characters are left to the case-insensitive patterns
        # (Unicode case folding). The order of the patterns, and so the result, is unchanged.
        first = stripped[0]
        other = not first.isascii()
        digit = first.isdecimal()
        if (first in "iI" or other) and _AF_HEADER.match(line):
            family = "IPv6" if "IPv6" in line else "IPv4"
            version = "IKEv2" if "IKEV2" in line.upper() else "IKEv1"
            current = None
            continue
        if (
            ((first in "dD" or other) and _IOS_HEADER.match(line))
            or (first == "C" and _IOS_DETAIL_HEADER.match(line))
            or (first == "I" and _ASA_TABLE_HEADER.match(line))
        ):
            version = version or "IKEv1"
            continue
        if first == "T" and _V2_HEADER.match(line):
            version = "IKEv2"
            continue
        match = _TOTAL.match(line) if first in "TE" else None
        if match:
            if match.group(1) == "Total":
                total = int(match.group(2))
            else:
                embryonic = int(match.group(2))
            continue
        match = _ASA_VERSION.match(line) if first == "I" else None
        if match:
            version = match.group(1)
            current = None
            continue
        match = _ASA_COUNTS.match(line) if first in "ART" else None
        if match:
            counts[match.group(1)] = int(match.group(2))
            if match.group(1) == "Total IKE SA":
                total = (total or 0) + int(match.group(2))
            continue
        if (first in "tTnN%" or other) and _NO_SAS.match(line):
            continue
        address = first in _ADDRESS_START
        match = _PIX_ROW.match(line) if address and (platform == "cisco_pix" or total is not None) else None
        if match:
            sas.append(
                _sa(
                    dst=match["dst"],
                    src=match["src"],
                    state=match["state"],
                    pending=int(match["pending"]),
                    created=int(match["created"]),
                    version="IKEv1",
                )
            )
            current = None
            continue
        match = _IOS_ROW.match(line) if address else None
        if match and version != "IKEv2":
            status = match["status"]
            record = _sa(
                dst=match["dst"],
                src=match["src"],
                state=match["state"],
                conn_id=int(match["conn"]),
                slot=to_int(match["slot"]),
                version="IKEv1",
            )
            if status:
                record["status"] = status.split()[0]
                record["deleted"] = "(deleted)" in status
            if family:
                record["address_family"] = family
            sas.append(record)
            current = None
            continue
        match = _IOS_DETAIL_ROW.match(line) if digit else None
        if match:
            current = _sa(
                dst=match["remote"],
                src=match["local"],
                conn_id=int(match["conn"]),
                status=match["status"],
                version="IKEv1",
                peer=match["remote"],
                local=match["local"],
                remote=match["remote"],
                ivrf=match["ivrf"],
                encryption=match["encr"],
                hash=match["hash"],
                authentication=match["auth"],
                dh_group=int(match["dh"]),
                lifetime_remaining=match["lifetime"],
                capabilities=match["cap"],
            )
            if family:
                current["address_family"] = family
            sas.append(current)
            continue
        match = _ENGINE_CONN.match(line) if first == "E" else None
        if match and current is not None:
            current["engine_conn_id"] = match["value"]
            continue
        match = _ASA_PEER.match(line) if digit else None
        if match:
            current = _sa(
                peer=match["peer"], dst=match["peer"], version=version or "IKEv1", index=int(match["index"])
            )
            sas.append(current)
            continue
        match = _ASA_TABLE_ROW.match(line) if digit else None
        if match:
            current = _sa(
                peer=match["peer"],
                dst=match["peer"],
                version="IKEv1",
                index=int(match["index"]),
                type=match["type"],
                direction=match["dir"],
                role=_role(match["dir"]),
                rekey=match["rekey"],
                state=match["state"],
                encryption=match["encr"],
                hash=match["hash"],
                authentication=match["auth"],
                lifetime=to_int(match["lifetime"]),
            )
            sas.append(current)
            continue
        match = _V2_SESSION.match(line) if first == "S" else None
        if match:
            session = {
                "session_id": int(match[1]),
                "session_status": match[2],
                "ike_count": int(match[3]),
                "child_count": int(match[4]),
            }
            continue
        match = _V2_ROW.match(line) if digit and version == "IKEv2" else None
        if match:
            current = _sa(
                conn_id=int(match["id"]),
                status=match["status"],
                version="IKEv2",
                role=_role(match["role"]),
                local=match["local"],
                remote=match["remote"],
                src=match["local"],
                dst=match["remote"],
                peer=match["remote"],
                local_port=to_int(match["lport"]),
                remote_port=to_int(match["rport"]),
                child_sas=[],
            )
            if match["vrf"]:
                fvrf, _, ivrf = match["vrf"].partition("/")
                current["fvrf"], current["ivrf"] = fvrf, ivrf
            if family:
                current["address_family"] = family
            current.update(session)
            sas.append(current)
            child = None
            continue
        if current is not None and current.get("version") == "IKEv2" and _v2_detail(line, current):
            if line.strip().startswith("Child sa:"):
                child = current["child_sas"][-1]
            elif child is not None:
                _v2_child_detail(line, child)
            continue
        if current is not None and child is not None and _v2_child_detail(line, child):
            continue
        if current is not None and current.get("version") == "IKEv2" and _v2_generic(line, current):
            continue
        if (
            current is not None
            and current.get("peer")
            and current.get("version") == "IKEv1"
            and ":" in line
            and _parse_kv_line(line, current)
        ):
            continue
        ctx.warn(line)
    return result(ctx, ike_sas=sas, total=total, embryonic=embryonic)


def _v2_detail(line: str, sa: dict[str, Any]) -> bool:
    """Fold one IKEv2 detail line into sa; False when the line is not one of them."""
    match = _V2_SPLIT_ADDR.match(line)
    if match:
        which = match["which"].lower()
        sa[which] = match["addr"]
        sa[f"{which}_port"] = int(match["port"])
        if which == "local":
            sa["src"] = match["addr"]
        else:
            sa["dst"] = sa["peer"] = match["addr"]
        return True
    match = _V2_LIFE.match(line)
    if match:
        sa["lifetime"], sa["active_time"] = int(match[1]), int(match[2])
        return True
    match = _V2_SPI.match(line)
    if match:
        sa["local_spi"], sa["remote_spi"] = match[1].upper(), match[2].upper()
        return True
    match = _V2_CE.match(line)
    if match:
        sa["ce_id"], sa["session_id"] = int(match[1]), int(match[2])
        return True
    match = _V2_CHILD.match(line)
    if match:
        sa["child_sas"].append(
            {
                "local_selector": f"{match[1]} - {match[2]}",
                "remote_selector": None,
                "spi_in": None,
                "spi_out": None,
            }
        )
        return True
    stripped = line.strip()
    if stripped.startswith(("Encr:", "PQC Key Exchange:")):
        # Every part is `Label: value` and the line ends with a value: a piece of a cut line is not read.
        parts = [part for part in stripped.split(",") if part.strip() != "QR"]  # `QR`: a flag, no value
        if stripped.endswith((",", ":")) or not all(_LABELLED.match(part) for part in parts):
            return False
        for part in parts:
            key, _, value = part.partition(":")
            name = key.strip().lower().replace(" ", "_")
            value = value.strip()
            if name == "encr":
                sa["encryption"] = value
            elif name == "dh_grp":
                sa["dh_group"] = to_int(value)
            elif name == "keysize":
                sa["key_size"] = to_int(value)
            else:
                sa[name] = value
        return True
    return False


_LABELLED = re.compile(r"^\s*[A-Za-z][\w /.-]{0,40}:\s*\S+(?: \S+){0,3}\s*$")
# A value holding another `, Label:` or ending with `:` is two fields of a cut line, not one value.
_NOT_ONE_VALUE = re.compile(r",\s*[A-Za-z][\w /.-]{0,40}:|:\s|:$")
_PAIR = re.compile(r"^\s*(Local [\w ]{1,30}?)\s*:\s*(\S+)\s+(Remote [\w ]{1,30}?)\s*:\s*(\S+)\s*$")
_ONE = re.compile(r"^\s*([A-Za-z][\w /.-]{0,40}?)\s*:\s*(\S.{0,200})?$")
_DPD = re.compile(r"^\s*DPD configured for (\d+) seconds, retry (\d+)\s*$")
_SUBNET = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,3}){3})\s+(\d{1,3}(?:\.\d{1,3}){3})\s*$")


# IKEv2 detail status sentences (IOS-XE): `Fragmentation not configured.`, `NAT-T is not detected`.
_V2_STATUS = re.compile(
    r"^(?P<key>Fragmentation|Extended Authentication)\s+(?P<not>not\s+)?configured\.$"
    r"|^(?P<natt>NAT-T) is (?P<where>not\s+detected|detected\s+inside|detected\s+outside)$"
    r"|^Cisco Trust Security SGT is (?P<sgt>enabled|disabled)$"
    r"|^Quantum Resistance (?P<qr>Enabled|Disabled)$"
    r"|^Quantum-Safe Encryption using PPK is (?P<ppk>enabled|disabled)$"
    r"|^Quantum-safe Encryption using (?P<qse>Manual PPK|Dynamic PPK|PPK)$",
    re.IGNORECASE,
)


def _v2_status(stripped: str, sa: dict[str, Any]) -> bool:
    """Fold an IKEv2 status sentence into a snake_case fact; False when the line is not one."""
    match = _V2_STATUS.match(stripped)
    if not match:
        return False
    if match["key"]:
        sa[f"{snake(match['key'])}_configured"] = not match["not"]
    elif match["natt"]:
        sa["nat_t"] = " ".join(match["where"].split())
    elif match["sgt"]:
        sa["cts_sgt_enabled"] = match["sgt"].lower() == "enabled"
    elif match["qr"]:
        sa["quantum_resistance"] = match["qr"].lower() == "enabled"
    elif match["ppk"]:
        sa["ppk_enabled"] = match["ppk"].lower() == "enabled"
    else:
        sa["quantum_safe_encryption"] = match["qse"]
    return True


def _v2_generic(line: str, sa: dict[str, Any]) -> bool:
    """Keep IKEv2 detail lines (`Local id: x`, `Local window: 5  Remote window: 5`) under snake_case keys."""
    if _v2_status(line.strip(), sa):
        return True
    match = _PAIR.match(line)
    if match:
        sa[snake(match[1])] = _value(match[2])
        sa[snake(match[3])] = _value(match[4])
        return True
    match = _DPD.match(line)
    if match:
        sa["dpd_seconds"], sa["dpd_retry"] = int(match[1]), int(match[2])
        return True
    match = _SUBNET.match(line)
    if match and "remote_subnets" in sa:
        sa["remote_subnets"].append(f"{match[1]} {match[2]}")
        return True
    match = _ONE.match(line)
    if match and not (match[2] and _NOT_ONE_VALUE.search(match[2])):
        key = snake(match[1])
        if key == "remote_subnets":
            sa[key] = []
        else:
            sa[key] = _value((match[2] or "").strip()) if match[2] else None
        return True
    return False


def _value(text: str) -> int | str:
    return int(text) if text.isdecimal() and len(text) < 19 else text


def _v2_child_detail(line: str, child: dict[str, Any]) -> bool:
    """Fold a child SA's `remote selector` / `ESP spi in/out` line into child."""
    match = _V2_CHILD_REMOTE.match(line)
    if match:
        child["remote_selector"] = f"{match[1]} - {match[2]}"
        return True
    match = _V2_CHILD_SPI.match(line)
    if match:
        child["spi_in"], child["spi_out"] = int(match[1], 16), int(match[2], 16)
        return True
    return False
