"""Certificates: IOS `show crypto ca|pki certificates`, PIX `show ca certificate`, ASA `show crypto ca certificates`.

The parser reads a stream of labels rather than lines, so that the same records come out of the laid-out
output and of copies whose line breaks were lost (one paragraph) or moved (wrapped at odd places).
"""

from __future__ import annotations

import re
from typing import Any

from devices.parsers.common import (
    TIME_RE,
    Context,
    clean_lines,
    detect_error,
    dn_attributes,
    error_result,
    normalise_dn,
    normalise_serial,
    result,
    snake,
    squash,
    time_from_match,
)
from devices.parsers.wraps import doubt, rejoins_wrapped_lines

ROLES = {
    "": "identity",
    "ca": "ca",
    "trustpool ca": "ca",
    "trusted ca": "ca",
    "root ca": "ca",
    "subordinate ca": "ca",
    "ra signature": "ra_signature",
    "ra keyencipher": "ra_encryption",
    "ra encryption": "ra_encryption",
    "ra general purpose": "ra_signature",
    "router self-signed": "identity",
    "self-signed": "identity",
}

# Cisco's documentation comments (`!--- The enrollment was successful.`) end at the first full stop.
# In flattened copies the comment may wrap onto the next line; a colon means a label, so stop before one.
_COMMENT = re.compile(r"!---[^.:]{0,200}\.|!---[^\n]{0,300}")
_FENCE = re.compile(r"^(?:```|#{2,6} )", re.MULTILINE)


# (label, key). Longer labels first where one is a prefix of another.
_LABELS: list[tuple[str, str]] = [
    ("Certificate Serial Number (hex):", "serial"),
    ("Certificate Serial Number:", "serial"),
    ("Certificate Usage:", "key_usage"),
    ("X509v3 Key Usage:", "x509v3_key_usage"),
    ("Key Usage:", "key_usage"),
    ("Subject Name Contains:", "subject_name_contains"),
    ("Subject Name:", "subject"),
    ("Subject Key Info:", "subject_key_info"),
    ("Subject:", "subject"),
    ("Issuer Name:", "issuer"),
    ("Issuer:", "issuer"),
    ("Status:", "status"),
    ("Serial Number:", "subject_serial_number"),
    ("IP Address:", "subject_ip_address"),
    ("Name:", "subject_name"),
    ("CRL Distribution Points:", "crl_distribution_point"),
    ("CRL Distribution Point:", "crl_distribution_point"),
    ("Validity Date:", "validity"),
    ("start date:", "valid_from"),
    ("end date:", "valid_to"),
    ("renew date:", "renew_date"),
    ("Associated Identity:", "trustpoint"),
    ("Associated Trustpoints:", "trustpoints"),
    ("Associated Trustpoint:", "trustpoints"),
    # A pending request (IOS 15 / IOS-XE) prints its request's fingerprints under these labels.
    ("Certificate Request Fingerprint MD5:", "fingerprint_md5"),
    ("Certificate Request Fingerprint SHA1:", "fingerprint_sha1"),
    ("Fingerprint MD5:", "fingerprint_md5"),
    ("Fingerprint SHA1:", "fingerprint_sha1"),
    ("Fingerprint:", "fingerprint"),
    ("Storage:", "storage"),
    ("Public Key Type:", "public_key_type"),
    ("Signature Algorithm:", "signature_algorithm"),
]
# Values that end with their line (their continuation lines belong to the enclosing name).
_LINE_SCOPED = {
    "status",
    "serial",
    "key_usage",
    "subject_name",
    "subject_serial_number",
    "subject_ip_address",
    "trustpoint",
    "trustpoints",
    "storage",
    "public_key_type",
    "signature_algorithm",
    "valid_from",
    "valid_to",
    "renew_date",
}
_NAME_SECTIONS = {"subject", "issuer", "subject_name_contains"}

_HEADER_LOOKAHEAD = r"(?=\s+(?:Status\s*:|Subject\s*(?:Name|:)|Certificate\s+Serial|Version\s*:)|\s*$)"
# The words before `Certificate` that name its role (found by looking back from the match: cheaper
# than making the scanning regex try every prefix at every position).
_HEADER_PREFIXES = tuple(sorted((p for p in ROLES if p), key=lambda p: -len(p.split())))
_LABEL_KEYS = dict(_LABELS)


def _trie(phrases: list[tuple[str, str]]) -> str:
    r"""One regex for phrases [(words, suffix pattern)], factored as a trie of their characters.

    Words are joined by `\s+` (a wrap may put a line break between them) and phrases sharing a prefix
    share one branch (`S(?:ubject(?:\s+Name...|:)|tatus:|...)`): the engine tests one character where a
    flat alternation tried each phrase in turn at every position where a label could start (the scanner's
    main cost). It matches the same texts: at any
    position at most one phrase can match (each label ends at its only colon, and the two markers' look-
    aheads exclude the labels that share their words), so the order of the alternatives does not matter.
    """
    separator = ""  # stands for `\s+` between words (no label contains an empty string)
    root: dict[str | None, Any] = {}
    for phrase, suffix in phrases:
        node = root
        for index, word in enumerate(phrase.split()):
            for char in (separator, *word) if index else word:
                node = node.setdefault(char, {})
        node.setdefault(None, []).append(suffix)

    def emit(node: dict[str | None, Any]) -> str:
        branches = [
            (r"\s+" if char == separator else re.escape(char)) + emit(child)
            for char, child in node.items()
            if char is not None
        ]
        branches.extend(node.get(None, []))
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return emit(root)


_KNOWN_PLAIN = _trie([(label, "") for label, _ in _LABELS])
# No capturing groups and literal first characters: the regex engine then skips, at C speed, every
# position where no label can start. Which label matched is looked up afterwards (_LABEL_KEYS), and the
# "not inside a word" check is done in Python on the few matches.
_SCAN = re.compile(
    _trie(
        [(label, "") for label, _ in _LABELS]
        + [
            ("Certificate", _HEADER_LOOKAHEAD),
            # `Subject Name` without a colon (PIX 6) is only a marker before `Name:`.
            ("Subject Name", r"(?=\s+Name:)"),
        ]
    )
)
# An unknown `Label:` at a line start, unless a known label ends it (`Signature Issuer:` in a wrapped copy).
# Anchored on the newline itself (the stream is searched with one prepended) rather than on `^`: the engine
# then jumps from newline to newline instead of trying the pattern at every position.
_GENERIC = re.compile(
    rf"\n(?=[A-Z][^\n:]{{0,60}}:)(?![^\n:]{{0,60}}(?<![\w-])(?:{_KNOWN_PLAIN}))"
    r"([A-Z][A-Za-z0-9./()-]{0,30}(?: [A-Za-z0-9./()-]{1,30}){0,4}):(?=\s|$)",
    re.MULTILINE,
)
_HEADER, _LABEL, _PIXNAME, _GENERIC_LABEL = range(4)


def _header_prefix(stream: str, start: int) -> tuple[int, str]:
    """Extend a `Certificate` header back over its role words (`RA Signature`, `CA`); (start, prefix)."""
    before = stream[max(0, start - 40) : start]
    words = before.split()
    for prefix in _HEADER_PREFIXES:
        size = prefix.count(" ") + 1
        if len(words) >= size and " ".join(words[-size:]).lower() == prefix:
            # Move the start back over those words, whitespace included.
            cut = start
            for word in reversed(words[-size:]):
                cut = stream.rfind(word, 0, cut)
            if cut > 0 and (stream[cut - 1].isalnum() or stream[cut - 1] in "_-"):
                continue
            return cut, prefix
    return start, ""


def _tokenize(stream: str) -> list[tuple[int, int, int, str]]:
    """(start, end, kind, detail) for every header and label; detail is the header prefix or label key."""
    tokens: list[tuple[int, int, int, str]] = []
    for match in _SCAN.finditer(stream):
        start = match.start()
        if start and (stream[start - 1].isalnum() or stream[start - 1] in "_-"):
            continue  # inside a word
        text = match.group()
        key = _LABEL_KEYS.get(text)  # a label printed with single spaces (nearly all): no squash needed
        if key is not None:
            tokens.append((start, match.end(), _LABEL, key))
            continue
        text = squash(text)
        if text.endswith(":"):
            tokens.append((start, match.end(), _LABEL, _LABEL_KEYS[text]))
        elif text.endswith("Certificate"):
            start, prefix = _header_prefix(stream, start)
            tokens.append((start, match.end(), _HEADER, prefix))
        else:
            tokens.append((start, match.end(), _PIXNAME, ""))
    if ":" in stream:
        # In "\n" + stream a match's start (its newline) is the label's start in stream.
        generic = [
            (m.start(), m.end() - 1, _GENERIC_LABEL, m.group(1)) for m in _GENERIC.finditer("\n" + stream)
        ]
        if generic:
            merged: list[tuple[int, int, int, str]] = []
            for token in sorted(tokens + generic):
                if not merged or token[0] >= merged[-1][1]:
                    merged.append(token)
            tokens = merged
    return tokens


_USAGE = re.compile(
    r"^(General Purpose|General-Purpose|Signature|Encryption|Digital Signature|Key Encipherment|"
    r"Non Repudiation|Data Encipherment|Key Agreement)\b\s*(.*)$",
    re.IGNORECASE | re.DOTALL,
)
_KEY_BITS = re.compile(r"\((\d{3,5}) bits?\)")
_CDP_INDEX = re.compile(r"^\[\d+\]\s*")


def _record(role: str, header: str) -> dict[str, Any]:
    return {
        "role": role,
        "status": None,
        "serial": None,
        "key_usage": None,
        "issuer": None,
        "subject": None,
        "subject_name": None,
        "crl_distribution_point": None,
        "valid_from": None,
        "valid_to": None,
        "trustpoint": None,
        "fingerprint": None,
        "certificate_type": header,
    }


_INDENT = re.compile(r"\n[^\S\n]+")  # a newline and the whitespace after it (not further newlines)


def _prepare(text: str) -> tuple[str, str | None]:
    """Clean the terminal output and strip documentation comments; return (stream, device error)."""
    lines = clean_lines(text)
    error = detect_error(lines)
    if error:
        return "", error
    # Indentation carries no meaning here, and without it labels and generic labels start together. The
    # lines come right-stripped; one substitution after each newline removes their indentation (the same
    # text as stripping each line, without a Python step per line).
    stream = _INDENT.sub("\n", "\n" + "\n".join(lines))[1:]
    if "`" in stream or "#" in stream:
        stream = _FENCE.sub("", stream)
    if "!---" in stream:
        stream = _COMMENT.sub(" ", stream)
    return stream, None


@rejoins_wrapped_lines
def parse_certificates(
    text: str, *, platform: str = "cisco_ios", tz_offset_minutes: int | None = None
) -> dict[str, Any]:
    """Parse certificate listings of every dialect into docs/contracts.md §2 records."""
    ctx = Context(platform=platform, tz_offset_minutes=tz_offset_minutes)
    stream, error = _prepare(text)
    if error:
        return error_result(error, ctx, certificates=[])
    records: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    names: dict[str, list[str]] = {}
    section = "subject"  # where loose name lines go (PIX prints them right after Key Usage)
    tokens = _tokenize(stream)
    if tokens:
        _loose(stream[: tokens[0][0]], None, names, ctx)
    elif stream.strip():
        _loose(stream, None, names, ctx)
    for index, (start, stop, kind, detail) in enumerate(tokens):
        end = tokens[index + 1][0] if index + 1 < len(tokens) else len(stream)
        value = stream[stop:end]
        if kind == _HEADER:
            if current is not None:
                _finish(current, names, records, ctx, final=False)
            current = _record(ROLES.get(detail, "identity"), squash(stream[start:stop]))
            names = {}
            section = "subject"
            _loose(value, current, names, ctx, section)
            continue
        if current is None:
            ctx.warn(squash(stream[start:end]))
            continue
        if kind == _PIXNAME:
            section = "subject"
            _loose(value, current, names, ctx, section)
            continue
        if kind == _GENERIC_LABEL:
            current[snake(detail)] = squash(value) or None
            _doubt_tail(value)
            continue
        key = detail
        if key in {"valid_from", "valid_to", "renew_date"}:
            flat = squash(value)
            moment = TIME_RE.search(flat)
            if moment:
                current[key] = time_from_match(moment, ctx)
                _loose(flat[: moment.start()] + " " + flat[moment.end() :], current, names, ctx, None)
            else:
                current[key] = None
                _loose(flat, current, names, ctx, None)
            continue
        if key in _LINE_SCOPED:
            head, _, rest = value.lstrip().partition("\n")
            if key == "key_usage":
                usage = _USAGE.match(squash(value))
                if usage:
                    head, rest = usage.group(1), usage.group(2)
            _assign(current, key, squash(head), ctx)
            if key in {"subject_name", "subject_serial_number", "subject_ip_address", "key_usage"}:
                _loose(rest, current, names, ctx, section)
            else:
                _loose(rest, current, names, ctx, None)
            continue
        if key in _NAME_SECTIONS:
            section = "subject" if key == "subject_name_contains" else key
            names.setdefault(section, [])
            _loose(value, current, names, ctx, section)
            continue
        if key == "crl_distribution_point":
            if "://" in value:  # URLs, one a line (ASA numbers them `[1]`)
                points = [_CDP_INDEX.sub("", squash(p)) for p in value.strip().split("\n") if p.strip()]
                for point in points:
                    if "://" not in point:  # the tail of a wrapped URL
                        doubt(point)
            else:  # an X.500 name, possibly wrapped over several lines
                points = [normalise_dn(value) or ""] if value.strip() else []
                for line in value.strip().split("\n")[1:]:
                    if "=" not in line:
                        doubt(line)
            current["crl_distribution_point"] = points[0] if points else None
            current["crl_distribution_points"] = points
            continue
        if key in {"validity", "subject_key_info"}:
            _loose(value, current, names, ctx, None)
            continue
        _assign(current, key, squash(value), ctx)
        _doubt_tail(value)
    if current is not None:
        _finish(current, names, records, ctx, final=True)
    return result(ctx, certificates=records)


def _doubt_tail(value: str) -> None:
    """A one-line value printed over several lines: the lines after the first may be a wrap's tail."""
    lines = value.strip().split("\n")
    for line in lines[1:]:
        doubt(line)


def _loose(
    value: str,
    current: dict[str, Any] | None,
    names: dict[str, list[str]],
    ctx: Context,
    section: str | None = None,
) -> None:
    """Text between labels: name lines (`OU = sjvpn`) join the open name section, anything else warns."""
    text = value.strip()
    if not text:
        return
    if section is not None and current is not None and "=" in text:
        names.setdefault(section, []).append(text)
        for line in text.split("\n"):
            if "=" not in line:  # a name line is `type = value`: this may be the tail of a wrapped one
                doubt(line)
        return
    ctx.warn(squash(text))


def _assign(current: dict[str, Any], key: str, value: str, ctx: Context) -> None:
    """Store one labelled value with its type (times ISO, serials hex, fingerprints compact)."""
    if not value:
        current.setdefault(key, None)
        return
    if key == "serial":
        current["serial"] = normalise_serial(value)
    elif key in {"fingerprint", "fingerprint_md5", "fingerprint_sha1"}:
        current[key] = value.replace(" ", "").upper()
        if key != "fingerprint" and current.get("fingerprint") is None:
            current["fingerprint"] = current[key]
    elif key == "trustpoint":
        current["trustpoint"] = value
    elif key == "trustpoints":
        points = value.split()
        current["trustpoints"] = points
        current["trustpoint"] = points[0] if points else None
    elif key == "public_key_type":
        current["public_key_type"] = value
        bits = _KEY_BITS.search(value)
        if bits:
            current["key_bits"] = int(bits.group(1))
    else:
        current[key] = value


def _finish(
    current: dict[str, Any],
    names: dict[str, list[str]],
    records: list[dict[str, Any]],
    ctx: Context,
    *,
    final: bool,
) -> None:
    """Close a record: normalise its names and keep it, or warn that the output stopped inside it."""
    for section in ("subject", "issuer"):
        if names.get(section):
            current[section] = normalise_dn(" ".join(names[section]))
        # The same names split by attribute type, for whoever needs just the CN or the O.
        current[f"{section}_attributes"] = dn_attributes(current[section])
    status = (current.get("status") or "").lower()
    complete = bool(status) and (status != "available" or current.get("valid_to") is not None)
    if not complete:
        ctx.warn(
            f"output truncated: incomplete {current['certificate_type']} record"
            f" (serial {current.get('serial')}) {'at the end' if final else 'before the next one'} dropped"
        )
        return
    records.append(current)
