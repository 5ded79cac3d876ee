"""CRLs: IOS `show crypto ca|pki crls`, PIX `show ca crl`, ASA `show crypto ca crl`.

Read as a stream of labels, like the certificates, so flattened or re-wrapped copies give the same records.
"""

from __future__ import annotations

import re
from typing import Any

from devices.parsers.common import (
    TIME_RE,
    Context,
    clean_lines,
    detect_error,
    error_result,
    normalise_dn,
    result,
    squash,
    time_from_match,
)
from devices.parsers.wraps import rejoins_wrapped_lines

_COMMENT = re.compile(r"!---[^.:]{0,200}\.|!---[^\n]{0,300}")
_FENCE = re.compile(r"^(?:```|#{2,6} )", re.MULTILINE)
_LABELS: list[tuple[str, str]] = [
    ("CRL Issuer Name:", "issuer"),
    ("LastUpdate:", "last_update"),
    ("NextUpdate:", "next_update"),
    ("Retrieved from CRL Distribution Point:", "retrieved_from"),
    ("CRL downloaded at:", "downloaded_at"),
    ("Cached Until:", "cached_until"),
    ("Size (bytes):", "size_bytes"),
    ("Associated Trustpoints:", "trustpoints"),
    ("Associated Trustpoint:", "trustpoints"),
    ("Associated Identity:", "trustpoints"),
]
_TIMES = {"last_update", "next_update", "downloaded_at", "cached_until"}
_WS = r"\s+"
_KEY_OF_GROUP = {f"k{i}": key for i, (_, key) in enumerate(_LABELS)}
_LABEL_ALT = "|".join(
    f"(?P<k{i}>{_WS.join(re.escape(w) for w in label.split())})" for i, (label, _) in enumerate(_LABELS)
)
_TOKEN = re.compile(rf"(?<![\w-])(?:{_LABEL_ALT})|(?m:^(?P<pix>CRL:)(?=\s|$))")
_PROTOCOL = re.compile(r"^(LDAP|HTTP|SCEP|FILE|TFTP)\s*:\s*(?!//)(.*)$", re.IGNORECASE | re.DOTALL)
# Facts IOS-XE prints about its CRL cache: kept as numbers, not warnings.
_FACTS = [
    (re.compile(r"CRL DER is (\d+) bytes"), "der_bytes"),
    (re.compile(r"Parsed CRL cache current size is (\d+) bytes"), "cache_current_bytes"),
    (re.compile(r"Parsed CRL cache maximum size is (\d+) bytes"), "cache_maximum_bytes"),
]
_FLAGS = [
    (re.compile(r"CRL is stored in parsed CRL cache"), "stored_in_cache"),
    (re.compile(r"\*\* CDP Not Published - Retrieved via SCEP"), "cdp_not_published"),
]


def _record() -> dict[str, Any]:
    return {"issuer": None, "last_update": None, "next_update": None, "retrieved_from": None}


@rejoins_wrapped_lines
def parse_crls(
    text: str, *, platform: str = "cisco_ios", tz_offset_minutes: int | None = None
) -> dict[str, Any]:
    """Parse CRL listings of every dialect into {crls: [{issuer, last_update, next_update, retrieved_from}]}."""
    ctx = Context(platform=platform, tz_offset_minutes=tz_offset_minutes)
    lines = clean_lines(text)
    error = detect_error(lines)
    if error:
        return error_result(error, ctx, crls=[])
    stream = "\n".join(line.strip() for line in lines)
    if "`" in stream or "#" in stream:
        stream = _FENCE.sub("", stream)
    if "!---" in stream:
        stream = _COMMENT.sub(" ", stream)
    tokens = list(_TOKEN.finditer(stream))
    crls: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    _rest(stream[: tokens[0].start()] if tokens else stream, None, ctx)
    for index, token in enumerate(tokens):
        end = tokens[index + 1].start() if index + 1 < len(tokens) else len(stream)
        value = stream[token.end() : end]
        if token.group("pix"):
            _rest(value, current, ctx)
            continue
        key = _KEY_OF_GROUP[token.lastgroup or ""]
        if key == "issuer":
            if current is not None:
                _finish(current, crls, ctx)
            current = _record()
            head, _, rest = value.strip().partition("\n")
            current["issuer"] = normalise_dn(head)
            _rest(rest, current, ctx)
            continue
        if current is None:
            ctx.warn(squash(stream[token.start() : end]))
            continue
        if key in _TIMES:
            flat = squash(value)
            moment = TIME_RE.search(flat)
            current[key] = time_from_match(moment, ctx) if moment else None
            _rest(flat[moment.end() :] if moment else flat, current, ctx)
        elif key == "retrieved_from":
            head, _, rest = value.strip().partition("\n")
            head = squash(head)
            protocol = _PROTOCOL.match(head)
            if protocol:
                current["retrieved_protocol"] = protocol.group(1).upper()
                head = protocol.group(2)
            current["retrieved_from"] = head if ("://" in head or "=" not in head) else normalise_dn(head)
            if head.startswith("** CDP Not Published"):
                current["retrieved_from"] = None
                current["cdp_not_published"] = True
            _rest(rest, current, ctx)
        elif key == "size_bytes":
            flat = squash(value)
            head, _, rest = flat.partition(" ")
            current["size_bytes"] = int(head) if head.isdecimal() else None
            _rest(rest, current, ctx)
        else:
            head, _, rest = value.strip().partition("\n")
            current[key] = squash(head).split()
            _rest(rest, current, ctx)
    if current is not None:
        _finish(current, crls, ctx)
    return result(ctx, crls=crls)


def _rest(text: str, current: dict[str, Any] | None, ctx: Context) -> None:
    """Facts between labels (cache sizes, flags) are kept; anything else becomes a warning."""
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        for pattern, key in _FACTS:
            match = pattern.search(line)
            if match and current is not None:
                current[key] = int(match.group(1))
                line = (line[: match.start()] + line[match.end() :]).strip()
        for pattern, key in _FLAGS:
            match = pattern.search(line)
            if match and current is not None:
                current[key] = True
                line = (line[: match.start()] + line[match.end() :]).strip()
        if line:
            ctx.warn(line)


def _finish(current: dict[str, Any], crls: list[dict[str, Any]], ctx: Context) -> None:
    """Keep a CRL record, warning when the output stopped before its update times."""
    if current.get("next_update") is None and current.get("last_update") is None:
        ctx.warn(f"output truncated: incomplete CRL record (issuer {current.get('issuer')}) dropped")
        return
    if current.get("next_update") is None:
        ctx.warn(f"CRL from {current.get('issuer')} has no NextUpdate (output truncated?)")
    crls.append(current)
