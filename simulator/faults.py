"""The faults a simulated device can have, and the text mangling some of them need.

| fault              | effect                                                                          |
|--------------------|---------------------------------------------------------------------------------|
| refuse             | the listener is closed: connection refused                                      |
| wrong_password     | every login is rejected, the configured credentials too                         |
| no_prompt          | login succeeds, then nothing is ever printed (input is still logged)            |
| slow               | each command's output waits `seconds` (3) before it is printed                  |
| garbled            | `ratio` (0.08) of the output's characters are replaced with noise               |
| truncated          | output stops after `fraction` (0.5) of it; `close: true` also drops the session |
|                    | (`stall: true`: nothing more is printed, no prompt, the session stays open)     |
| tunnel_down        | the device's tunnels lose their IKE and IPsec SAs at once                       |
| one_way            | the device receives nothing: its decaps and its peers' encaps freeze            |
| errors             | its send/recv error counters climb (`rate` per second, 0.2)                     |
| reboot             | one-shot: uptime, counters and SAs start again (new SPIs on both ends)          |
| clock_1993         | the device clock reads 16:07:02 PST Feb 28 1993 (the seed's example)            |
| crl_missing        | no CRL held; phase 1 fails at the next rekey (no `crl optional`)                |
| crl_expired        | the CRL's NextUpdate is in the past; phase 1 fails at the next rekey            |
| enroll_stuck       | the CA is unreachable on TCP 80: enrollment stays Pending, CRYPTO_PKI errors    |
| identity_address   | `crypto isakmp identity address`: phase 1 fails at the next rekey               |
| host_key_changed   | the SSH listener presents a different host key                                  |
| log_after_prompt   | a log line (`message`) is printed right after the prompt that ends a command's  |
|                    | output (only after `action` when given), as `terminal monitor` prints syslog    |
|                    | (`reprint: true`: the prompt is printed again after it, `logging synchronous`;  |
|                    | `during_echo: true`: it cuts the next command's echo, then prompt and command   |
|                    | are printed again)                                                              |
| drop_sessions      | one-shot: the SSH sessions open now are dropped at the next bytes they receive, |
|                    | unanswered, as a device that rebooted or timed them out answers a stale one     |
| exec_timeout       | a session that waits for input `seconds` (600: IOS's default) is closed, as the |
|                    | line's `exec-timeout` (PIX/ASA: `ssh timeout`) does                             |
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .device import Device

FAULTS = (
    "refuse",
    "wrong_password",
    "no_prompt",
    "slow",
    "garbled",
    "truncated",
    "tunnel_down",
    "one_way",
    "errors",
    "reboot",
    "clock_1993",
    "crl_missing",
    "crl_expired",
    "enroll_stuck",
    "identity_address",
    "host_key_changed",
    "log_after_prompt",
    "exec_timeout",
    "drop_sessions",
)

# Faults that act once when set and are not kept in the device's fault set.
ONE_SHOT = ("reboot", "drop_sessions")

# Faults that stop phase 1 from completing: the SAs in place live until their next rekey.
PHASE1_BREAKERS = ("clock_1993", "crl_missing", "crl_expired", "identity_address")


class UnknownFault(ValueError):
    """A scenario or a test named a fault that does not exist."""


def check(name: str) -> str:
    """Return `name` if it is a known fault, else raise UnknownFault."""
    if name not in FAULTS:
        raise UnknownFault(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
    return name


def garble(text: str, ratio: float, seed: int = 0) -> str:
    """Replace a share of the non-space characters with line noise (line structure kept)."""
    rng = random.Random(seed)
    noise = "#$%&*@~^|}{][\x07"
    out = []
    for ch in text:
        if ch not in "\n " and rng.random() < ratio:
            out.append(rng.choice(noise))
        else:
            out.append(ch)
    return "".join(out)


def truncate(text: str, fraction: float) -> str:
    """Cut the output after `fraction` of its characters (mid-line, as a dropped link does)."""
    keep = max(1, int(len(text) * fraction))
    return text[:keep]


async def input_within(event: asyncio.Event, dev: Device, close: Callable[[], None]) -> None:
    """Wait for the client's next bytes; with `exec_timeout`, a session idle for its `seconds` is closed
    (`close`), as a line's exec-timeout logs an idle user out: the client sees its channel close."""
    if not dev.has("exec_timeout"):
        await event.wait()
        return
    try:
        await asyncio.wait_for(event.wait(), float(dev.fault_param("exec_timeout", "seconds", 600.0)))
    except TimeoutError:
        close()
