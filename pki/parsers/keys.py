"""`show crypto key mypubkey rsa` (IOS, ASA) and `show ca mypubkey rsa` (PIX 6)."""

from __future__ import annotations

import re
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from devices.parsers.common import (
    TIME_RE,
    Context,
    clean_lines,
    detect_error,
    error_result,
    result,
    time_from_match,
)
from devices.parsers.wraps import rejoins_wrapped_lines
from pki.x509 import hex_to_der, key_bits

# IOS and PIX print `% Key pair was generated at: ...`, ASA the same without the `%`.
_GENERATED = re.compile(r"^\s*(?:%\s*)?Key pair was generated at:\s*(.*)$")
_FIELD = re.compile(
    r"^\s*(Key name|Usage|Key Data|Key is|Storage Device|Storage|Redundancy|Key type|Modulus Size \(bits\))"
    r"\s*:\s*(.*)$",
    re.IGNORECASE,
)
# IOS 15: ` Key is not exportable.` or ` Key is exportable. Redundancy enabled.`
_EXPORTABLE = re.compile(r"^\s*Key is (not )?exportable\.?(?:\s+Redundancy (enabled|disabled)\.?)?\s*$")
# Words separated by spaces (`(?:[hex]{1,8}\s*){1,16}` backtracks exponentially on a long run of hex).
_HEX_LINE = re.compile(r"^\s*[0-9A-Fa-f]{1,8}(?:\s+[0-9A-Fa-f]{1,8}){0,15}\s*$")


def _key(generated_at: str | None) -> dict[str, Any]:
    return {
        "name": None,
        "usage": None,
        "generated_at": generated_at,
        "key_data": None,
        "key_bits": None,
        "decodable": False,
    }


@rejoins_wrapped_lines
def parse_mypubkey_rsa(
    text: str, *, platform: str = "cisco_ios", tz_offset_minutes: int | None = None
) -> dict[str, Any]:
    """Parse the device's RSA public keys; key_data is the SubjectPublicKeyInfo hex, checked by decoding it."""
    ctx = Context(platform=platform, tz_offset_minutes=tz_offset_minutes)
    lines = clean_lines(text)
    error = detect_error(lines)
    if error:
        return error_result(error, ctx, keys=[])
    keys: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    hex_words: list[str] = []
    pending_time: str | None = None

    def close() -> None:
        """Finish the key being read: decode its hex and keep it."""
        if current is None:
            return
        if hex_words:
            current["key_data"] = "".join(hex_words).upper()
            try:
                key = serialization.load_der_public_key(hex_to_der(" ".join(hex_words)))
                current["key_bits"] = key_bits(key)
                current["decodable"] = True
            except (ValueError, UnsupportedAlgorithm) as exc:
                # Read whole but not a key (the seed's PIX hex lost digits in print): a fact about the
                # data, on the record, not a line the parser did not understand.
                current["decode_error"] = f"key data does not decode ({exc})"
        keys.append(current)

    for line in lines:
        if not line.strip():
            continue
        match = _GENERATED.match(line)
        if match:
            moment = TIME_RE.search(match.group(1))
            pending_time = time_from_match(moment, ctx) if moment else None
            continue
        exportable = _EXPORTABLE.match(line)
        if exportable and current is not None:
            current["exportable"] = not exportable.group(1)
            if exportable.group(2):
                current["redundancy"] = exportable.group(2) == "enabled"
            continue
        match = _FIELD.match(line)
        if match:
            label, value = match.group(1).lower(), match.group(2).strip()
            if label == "key name":
                close()
                current, hex_words = _key(pending_time), []
                pending_time = None
                current["name"] = value
            elif current is None:
                ctx.warn(line)
            elif label == "usage":
                current["usage"] = value
            elif label == "modulus size (bits)":
                current["modulus_bits"] = int(value) if value.isdecimal() else value
            elif label != "key data":
                current[label.replace(" ", "_")] = value
            continue
        if current is not None and _HEX_LINE.match(line):
            hex_words.extend(line.split())
            continue
        ctx.warn(line)
    close()
    return result(ctx, keys=keys)
