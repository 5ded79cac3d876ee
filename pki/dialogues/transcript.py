"""What an operator may read of a dialogue, and what keeps the challenge password out of it and the logs."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

REDACTED = "********"
# A transcript longer than this keeps its head and tail: a runaway device must not fill the database.
TRANSCRIPT_LIMIT = 200_000
# Anything outside printable ASCII could end a line or steer the CLI: no value sent may contain it.
UNSAFE_CHARS_RE = re.compile(r"[^\x20-\x7e]")


class UnsafeValue(ValueError):
    """A value would have reached the device with a line break or control character in it."""


def check_safe(value: str, what: str) -> str:
    """Return `value` if it is printable ASCII, else raise UnsafeValue (nothing is sent)."""
    if UNSAFE_CHARS_RE.search(value):
        raise UnsafeValue(f"{what} contains a newline, carriage return or other control character")
    return value


@dataclass
class Transcript:
    """What the operator may read: everything the device printed, every password replaced by ********."""

    secrets: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    muted: bool = False
    muted_parts: list[str] = field(default_factory=list)

    def redact(self, text: str) -> str:
        """Replace every secret in `text`."""
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, REDACTED)
        return text

    def received(self, data: str) -> None:
        """Data read from the device (kept aside while muted)."""
        (self.muted_parts if self.muted else self.parts).append(data)

    def note(self, text: str) -> None:
        """A line of our own (what we did, why we stopped)."""
        text = text if text.endswith("\n") else text + "\n"
        tail = "".join(self.parts[-1:])
        self.parts.append(("" if not tail or tail.endswith("\n") else "\n") + f"[vpnportal] {text}")

    def take_muted(self) -> str:
        """The data read while muted, and forget it."""
        data, self.muted_parts = "".join(self.muted_parts), []
        return data

    def text(self) -> str:
        """The redacted transcript."""
        whole = self.redact("".join(self.parts)).replace("\r", "")
        if len(whole) > TRANSCRIPT_LIMIT:
            half = TRANSCRIPT_LIMIT // 2
            whole = whole[:half] + "\n[... transcript shortened ...]\n" + whole[-half:]
        return whole


@contextmanager
def quiet_channel_logs(conn: Any, secret: str) -> Iterator[None]:
    """Keep the challenge out of netmiko's debug log of channel reads and writes."""
    nm_log = logging.getLogger("netmiko")
    secrets_filter = getattr(conn, "_secrets_filter", None)
    no_log = getattr(secrets_filter, "no_log", None)
    if isinstance(no_log, dict) and secret:
        no_log["enrollment_challenge"] = secret
    # A read split mid-password would slip past the replace above: drop channel records altogether.
    drop = _DropChannelRecords()
    nm_log.addFilter(drop)
    try:
        yield
    finally:
        nm_log.removeFilter(drop)
        if isinstance(no_log, dict):
            no_log.pop("enrollment_challenge", None)


class _DropChannelRecords(logging.Filter):
    """Drops netmiko's `read_channel:` / `write_channel:` debug records."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        return not (message.startswith("read_channel") or message.startswith("write_channel"))
