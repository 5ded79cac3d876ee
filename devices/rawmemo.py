"""What this process stored of each device's latest poll, so the next poll need not read it back.

devices/rawstore.py compares a poll's outputs with the previous poll's: per command its RawOutput, delta,
error and warnings. Reading them back costs a query and inflating every base; redacting every new output
to compare bytes costs more. A process that stored the previous poll itself knows all that already:
`Memo` keeps, per device, the poll's id and per command its row's values, a digest of the output as the
device printed it (before redaction) and of the bytes stored, and the base RawOutput's content when it
was at hand (a changed output is stored as a delta against it).

The memo stands in for the rows only when it is certainly what they say (rawstore._previous decides):
the device's latest earlier poll, as the database lists it, is the memo's poll, no poll of the device is
running, and this poll is no keyframe. Otherwise (a restart, another process polled the device meanwhile,
a poll running) the rows are read back as before. A memo is recorded only once the poll's transaction
commits (a rolled-back poll stored nothing); no secret is kept in it beyond what the rows hold (the
digest of the unredacted text is a sha256, the content is the stored, redacted bytes).

Redaction is a pure function of the text, the platform and the kind of output: an output whose text
digest (over all three) equals the memo's is stored as the same bytes, without redacting it again.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime

# How many devices' memos a process keeps (the least recently recorded go first): the bases of the
# outputs that change (the SAs' counters, the clock, the engine) are a few KB per device deflated.
MAX_DEVICES = 5000


@dataclass(frozen=True)
class Before:
    """One command's output in the previous poll: what its row holds, and what the memo knows besides."""

    raw_id: int | None
    delta: bytes
    error: str
    warnings: list[str]
    # sha256 of the kind, platform and text as printed (memo only): equal means the same stored bytes.
    text_digest: bytes | None = None
    # sha256 (hex) of the stored bytes (redacted), None when not known.
    blob_digest: str | None = None
    # The base RawOutput's content (deflated) when at hand, else None (read it by raw_id).
    content: bytes | None = None


@dataclass(frozen=True)
class Memo:
    """A device's latest poll stored by this process: its id and start (together, they name it even in
    a database restored from a backup, whose ids may be handed out again), platform and outputs by
    command."""

    poll_id: int
    started_at: datetime
    platform: str
    outputs: dict[str, Before]


def text_digest(kind: str, platform: str, text: str) -> bytes:
    """The digest an output's redacted bytes are a function of."""
    h = hashlib.sha256(f"{kind}\0{platform}\0".encode())
    h.update(text.encode("utf-8", "surrogatepass"))
    return h.digest()


_lock = threading.Lock()
_memos: dict[int, Memo] = {}


def get(device_id: int) -> Memo | None:
    """The device's memo, or None."""
    with _lock:
        return _memos.get(device_id)


def remember(device_id: int, memo: Memo) -> None:
    """Record the device's latest stored poll (call once its transaction committed)."""
    with _lock:
        _memos.pop(device_id, None)
        _memos[device_id] = memo
        while len(_memos) > MAX_DEVICES:
            del _memos[next(iter(_memos))]


def forget(device_id: int | None = None) -> None:
    """Drop one device's memo, or every memo (tests, a restart's equivalent)."""
    with _lock:
        if device_id is None:
            _memos.clear()
        else:
            _memos.pop(device_id, None)
