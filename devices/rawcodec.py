"""How raw outputs are stored: whole (zlib) or as a delta against the previous output of the same command.

Successive outputs of one command on one device differ in a few counters and a timestamp. A delta is the
new output deflated with the previous stored output (a `RawOutput`, always whole) as zlib's preset
dictionary, so the bytes they share cost a back-reference. zlib looks back at most 32 KiB, so a long
output is cut into CHUNK-byte pieces, each deflated with the base's text around the same offset
(SLACK bytes either side) as its dictionary; lines that moved by less than SLACK still match.

Format of a delta: VERSION (one byte), then per chunk a 4-byte big-endian length and a zlib stream.
Pure functions of bytes: `devices/rawstore.py` decides what to store, `PollOutput.data()` reads it back.
"""

from __future__ import annotations

import struct
import zlib

VERSION = b"\x01"
CHUNK = 16 * 1024
SLACK = 8 * 1024
LEVEL = 9
_LEN = struct.Struct(">I")


def deflate(data: bytes) -> bytes:
    """A whole output as RawOutput.content stores it."""
    return zlib.compress(data, 6)


def inflate(content: bytes) -> bytes:
    """RawOutput.content back to the output."""
    return zlib.decompress(content)


def _dictionary(base: bytes, index: int) -> bytes:
    start = index * CHUNK
    return base[max(0, start - SLACK) : start + CHUNK + SLACK]


def delta_encode(data: bytes, base: bytes) -> bytes:
    """`data` deflated chunk by chunk against `base` (see the module docstring)."""
    parts = [VERSION]
    for index in range(max(1, -(-len(data) // CHUNK))):
        chunk = data[index * CHUNK : (index + 1) * CHUNK]
        zdict = _dictionary(base, index)
        comp = zlib.compressobj(LEVEL, zdict=zdict) if zdict else zlib.compressobj(LEVEL)
        stream = comp.compress(chunk) + comp.flush()
        parts.append(_LEN.pack(len(stream)) + stream)
    return b"".join(parts)


def delta_decode(delta: bytes, base: bytes) -> bytes:
    """The output `delta_encode(output, base)` was made from, byte for byte."""
    if delta[:1] != VERSION:
        raise ValueError(f"unknown raw output delta format {delta[:1]!r}")
    out: list[bytes] = []
    pos, index = 1, 0
    while pos < len(delta):
        (size,) = _LEN.unpack_from(delta, pos)
        pos += _LEN.size
        zdict = _dictionary(base, index)
        decomp = zlib.decompressobj(zdict=zdict) if zdict else zlib.decompressobj()
        out.append(decomp.decompress(delta[pos : pos + size]) + decomp.flush())
        pos += size
        index += 1
    return b"".join(out)
