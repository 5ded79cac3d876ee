"""What a poll stores of its outputs: RawOutput rows (whole, once per sha256) and one PollOutput per command.

An output seen before (same sha256) points to its RawOutput. A new output of a command the device's
previous poll also printed is stored as a delta (devices/rawcodec.py) in PollOutput.delta against that
poll's RawOutput for the command, when the delta is under DELTA_RATIO of the output deflated whole
(plus what a row of its own would cost);
otherwise it becomes a RawOutput of its own, the base of the next deltas. A delta's base is the row its
PollOutput.raw points to (PROTECT), so retention, which deletes only raw outputs no PollOutput uses, can
never delete the base of a delta it keeps: there are no chains, each delta needs its base only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from devices import commands as cmds
from devices import rawcodec
from devices.models import Poll, PollOutput, RawOutput
from devices.outputs import ParsedOutput
from devices.redact import redact_config, redact_output

DELTA_RATIO = 0.5
# What a RawOutput row of its own costs beyond its content (tuple, sha256, two index entries), measured
# with bench/bench_storage.py: a delta up to this much longer than DELTA_RATIO x whole is still cheaper.
RAW_ROW_BYTES = 160
# How many earlier polls of the device are searched for the previous output of each command.
PREVIOUS_POLLS = 4


@dataclass
class Stored:
    """Where one output went: the RawOutput and, when it is a delta against it, the delta."""

    raw: RawOutput
    delta: bytes = b""


def redacted(item: ParsedOutput, platform: str) -> bytes:
    """The bytes stored of an output: the configuration's secrets and URL credentials anywhere removed."""
    if item.out.command.kind == cmds.CONFIG:
        text = redact_config(item.out.output, platform)
    else:
        text = redact_output(item.out.output, platform)
    return text.encode("utf-8", "replace")


def previous_raws(poll: Poll, commands: set[str]) -> dict[str, RawOutput]:
    """The RawOutput each of these commands' output pointed to in the device's latest earlier polls."""
    earlier = list(
        Poll.objects.filter(device_id=poll.device_id, started_at__lte=poll.started_at)
        .exclude(pk=poll.pk)
        .order_by("-started_at")
        .values_list("pk", flat=True)[:PREVIOUS_POLLS]
    )
    found: dict[str, RawOutput] = {}
    rows = (
        PollOutput.objects.filter(poll_id__in=earlier, command__in=commands, raw__isnull=False)
        .select_related("raw")
        .order_by("-poll__started_at", "-id")
    )
    for row in rows:
        if row.raw is not None:
            found.setdefault(row.command, row.raw)
    return found


def store_raw(poll: Poll, parsed: list[ParsedOutput], platform: str) -> dict[int, Stored]:
    """Store a poll's outputs as whole RawOutputs or deltas (see the module docstring), by position."""
    blobs = {i: redacted(item, platform) for i, item in enumerate(parsed)}
    digests = {i: hashlib.sha256(data).hexdigest() for i, data in blobs.items()}
    known = {
        r.sha256: r for r in RawOutput.objects.filter(sha256__in=set(digests.values())).only("id", "sha256")
    }
    changed = {parsed[i].out.text[:128] for i, digest in digests.items() if digest not in known}
    previous = previous_raws(poll, changed) if changed else {}
    stored: dict[int, Stored] = {}
    new: dict[str, RawOutput] = {}
    for i, data in blobs.items():
        digest = digests[i]
        if digest in known:
            stored[i] = Stored(known[digest])
            continue
        whole = rawcodec.deflate(data)
        base = previous.get(parsed[i].out.text[:128])
        if base is not None:
            delta = rawcodec.delta_encode(data, base.data())
            if len(delta) < DELTA_RATIO * len(whole) + RAW_ROW_BYTES:
                stored[i] = Stored(base, delta)
                continue
        if digest not in new:
            new[digest] = RawOutput(sha256=digest, size=len(data), content=whole)
    if new:
        RawOutput.objects.bulk_create(list(new.values()), ignore_conflicts=True)
        rows = {r.sha256: r for r in RawOutput.objects.filter(sha256__in=new).only("id", "sha256")}
        for i, digest in digests.items():
            if i not in stored:
                stored[i] = Stored(rows[digest])
    return stored
