"""`show crypto engine connections active` (IOS) and `show crypto engine` (PIX summary)."""

from __future__ import annotations

import re
from typing import Any

from devices.parsers.common import Context, clean_lines, detect_error, error_result, result
from devices.parsers.wraps import rejoins_wrapped_lines

# IOS 12.x: ID Interface IP-Address State Algorithm Encrypt Decrypt
_ROW_12 = re.compile(
    r"^\s*(?P<id>\d{1,10})\s+(?P<interface>\S{1,80})\s+(?P<ip>[0-9A-Fa-f:.]{2,45}|unassigned)\s+(?P<state>[a-z]\w{0,20})"
    r"\s+(?P<algorithm>\S{1,60})\s+(?P<encrypt>\d{1,20})\s+(?P<decrypt>\d{1,20})\s*$"
)
# IOS 12.4/15/XE: ID Type Algorithm Encrypt Decrypt LastSeqN IP-Address
_ROW_15 = re.compile(
    r"^\s*(?P<id>\d{1,10})\s+(?P<type>[A-Za-z][\w-]{0,20})\s+(?P<algorithm>\S{1,60})\s+(?P<encrypt>\d{1,20})"
    r"\s+(?P<decrypt>\d{1,20})(?:\s+(?P<last_seq>\d{1,20}))?(?:\s+(?P<ip>\S{1,45}))?\s*$"
)
_HEADER = re.compile(r"^\s*ID\s+(Interface|Type)\b")
_SUMMARY = re.compile(r"(size|free|used|active)\s*=\s*(\d{1,10})")
_NAME = re.compile(r"^\s*Crypto Engine Connection Map:?\s*$|^\s*crypto engine (?:name|type):", re.IGNORECASE)


@rejoins_wrapped_lines
def parse_crypto_engine(
    text: str, *, platform: str = "cisco_ios", tz_offset_minutes: int | None = None
) -> dict[str, Any]:
    """Parse the crypto engine's connection table (IOS) or connection map summary (PIX)."""
    ctx = Context(platform=platform, tz_offset_minutes=tz_offset_minutes)
    lines = clean_lines(text)
    error = detect_error(lines)
    if error:
        return error_result(error, ctx, connections=[], summary=None)
    connections: list[dict[str, Any]] = []
    summary: dict[str, Any] | None = None
    layout = "12"
    for line in lines:
        if not line.strip():
            continue
        header = _HEADER.match(line)
        if header:
            layout = "12" if header.group(1) == "Interface" else "15"
            continue
        match = _ROW_12.match(line) if layout == "12" else None
        if match:
            connections.append(
                {
                    "id": int(match["id"]),
                    "interface": match["interface"],
                    "ip_address": match["ip"],
                    "state": match["state"],
                    "algorithm": match["algorithm"],
                    "encrypt": int(match["encrypt"]),
                    "decrypt": int(match["decrypt"]),
                }
            )
            continue
        match = _ROW_15.match(line) if layout == "15" else None
        if match:
            connections.append(
                {
                    "id": int(match["id"]),
                    "interface": None,
                    "ip_address": match["ip"],
                    "state": None,
                    "algorithm": match["algorithm"],
                    "encrypt": int(match["encrypt"]),
                    "decrypt": int(match["decrypt"]),
                    "type": match["type"],
                    "last_seq": int(match["last_seq"]) if match["last_seq"] else None,
                }
            )
            continue
        pairs = _SUMMARY.findall(line)
        if pairs:
            summary = summary or {"size": None, "free": None, "used": None, "active": None}
            for key, value in pairs:
                summary[key] = int(value)
            continue
        if _NAME.match(line):
            continue
        ctx.warn(line)
    return result(ctx, connections=connections, summary=summary)
