"""What a poll stores of its outputs, and how a poll's outputs are read back.

Bytes: RawOutput rows (whole, zlib, once per sha256). A new output of a command the device's previous poll
also printed is stored as a delta (devices/rawcodec.py) in PollOutput.delta against that output's RawOutput,
when the delta is under DELTA_RATIO of the output deflated whole (plus what a row of its own would cost);
otherwise it becomes a RawOutput of its own, the base of the next deltas. A delta's base is the row its
PollOutput.raw points to (PROTECT): there are no chains of deltas, each needs its base only.

Rows: a poll stores a PollOutput only for an output that differs (bytes, error or warnings) from the same
command's output in the device's previous poll; most polls print 5 of their 8 outputs unchanged. Such a
poll is not `outputs_complete`: its outputs are, per command, the latest row of the device's polls from the
latest complete poll up to it (its chain; `poll_outputs` reads them in one query). A poll stores a row for
every output (complete) when its chain would grow past KEYFRAME_POLLS polls, when it did not run a command
the previous poll ran (pki form learned), when it ran a command twice, or when an earlier poll of the
device is still running (its rows would land inside this poll's chain later). A poll that failed before
any output is complete with no rows: the next one compares with nothing and stores every output.

Retention (devices/history.py:prune_polls) deletes polls older than a cutoff; first `complete_polls` gives
each poll it keeps that reads rows of older polls copies of them, so no kept poll depends on a deleted
row, however long an output stayed unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import cast

from django.db import transaction
from django.db.models import F, Subquery

from devices import commands as cmds
from devices import plainsql, rawcodec, rawmemo
from devices.choices import PollStatus
from devices.models import Poll, PollOutput, RawOutput
from devices.outputs import ParsedOutput
from devices.rawmemo import Before
from devices.redact import redact_config, redact_output

DELTA_RATIO = 0.5
# What a RawOutput row of its own costs beyond its content (tuple, sha256, two index entries), measured
# with bench/bench_storage.py: a delta up to this much longer than DELTA_RATIO x whole is still cheaper.
RAW_ROW_BYTES = 160
# The longest chain of polls a poll's outputs are read from: every KEYFRAME_POLLS-th poll at most stores
# every output (5 unchanged rows, ~40 bytes a poll at 12), and a read looks at no more polls than this.
KEYFRAME_POLLS = 12
MAX_ERROR = 2000
MAX_WARNINGS = 100


def redacted(item: ParsedOutput, platform: str) -> bytes:
    """The bytes stored of an output: the configuration's secrets and URL credentials anywhere removed."""
    if item.out.command.kind == cmds.CONFIG:
        text = redact_config(item.out.output, platform)
    else:
        text = redact_output(item.out.output, platform)
    return text.encode("utf-8", "replace")


def _at(row: PollOutput) -> datetime:
    """When the poll that stored the row started (annotated by the queries below)."""
    return cast(datetime, row.__dict__["at"])


def poll_outputs(poll: Poll, *, raw: bool = True) -> list[PollOutput]:
    """The poll's outputs in the order it ran them, in one query: its own rows and, for a poll that is not
    outputs_complete, the latest earlier row of each command it did not store. A row with `poll_id` not
    the poll's is an output unchanged since that (earlier) poll; `raw` loads the RawOutput with each row."""
    rows = PollOutput.objects.annotate(at=F("poll__started_at"))
    if raw:
        rows = rows.select_related("raw")
    if poll.outputs_complete:
        return list(rows.filter(poll=poll).order_by("id"))
    start = (
        Poll.objects.filter(device_id=poll.device_id, started_at__lte=poll.started_at, outputs_complete=True)
        .order_by("-started_at")
        .values("started_at")[:1]
    )
    found = rows.filter(
        poll__device_id=poll.device_id,
        poll__started_at__gte=Subquery(start),
        poll__started_at__lte=poll.started_at,
    ).order_by("id")
    return _latest(found, (poll.started_at, poll.pk))


def poll_warnings(poll: Poll) -> list[str]:
    """The poll's parse warnings, `command: warning`: its own column in rows written before 0007, which
    held every output's too, else each output's (PollOutput.warnings, stored once there)."""
    if poll.warnings:
        return list(poll.warnings)
    return [f"{o.command}: {w}" for o in poll_outputs(poll, raw=False) for w in o.warnings][:200]


def _latest(rows: Iterable[PollOutput], upto: tuple[datetime, int]) -> list[PollOutput]:
    """Per command, the row of the latest poll up to `upto` (started_at, id), in the order the commands
    first appear (the complete poll's order, commands added later after)."""
    first: dict[str, int] = {}
    latest: dict[str, PollOutput] = {}
    for row in rows:
        key = (_at(row), row.poll_id)
        if key > upto:
            continue
        first.setdefault(row.command, row.pk)
        current = latest.get(row.command)
        if current is None or key >= (_at(current), current.poll_id):
            latest[row.command] = row
    return sorted(latest.values(), key=lambda r: first[r.command])


def _chain(poll: Poll) -> tuple[list[tuple[int, datetime]], bool, bool, bool]:
    """The polls (id, start) the device's previous outputs are read from (newest first, back to a complete one),
    whether a poll of the device is running, whether every poll of the chain finished ok, and whether a
    complete poll was within reach (False: nothing known for sure, the first poll or older polls only)."""
    earlier = plainsql.earlier_polls(poll.device_id, poll.started_at, poll.pk, KEYFRAME_POLLS)
    if earlier is None:
        earlier = list(
            Poll.objects.filter(device_id=poll.device_id, started_at__lte=poll.started_at)
            .exclude(pk=poll.pk)
            .order_by("-started_at", "-id")
            .values_list("pk", "outputs_complete", "status", "started_at")[:KEYFRAME_POLLS]
        )
    chain: list[tuple[int, datetime]] = []
    running = False
    all_ok = True
    for pk, complete, status, started_at in earlier:
        if status == PollStatus.RUNNING:
            running = True  # no rows yet: they would land inside this poll's chain
            continue
        chain.append((pk, started_at))
        all_ok = all_ok and status == PollStatus.OK
        if complete:
            return chain, running, all_ok, True
    return chain, running, all_ok, False


def _read_previous(poll: Poll, chain: list[tuple[int, datetime]]) -> dict[str, Before]:
    """The previous outputs by command as the rows of the chain say (RawOutput content loaded)."""
    rows = (
        PollOutput.objects.filter(poll_id__in=[pk for pk, _ in chain])
        .annotate(at=F("poll__started_at"))
        .select_related("raw")
        .order_by("id")
    )
    return {
        r.command: Before(
            r.raw_id,
            bytes(r.delta),
            r.error,
            r.warnings,
            content=bytes(r.raw.content) if r.raw is not None else None,
        )
        for r in _latest(rows, (poll.started_at, poll.pk))
    }


def _previous(poll: Poll, platform: str) -> tuple[dict[str, Before], bool, bool]:
    """The device's previous poll's outputs by command, whether `poll` must store every output (see the
    module docstring), and whether every poll those outputs were read from finished ok with no other poll
    of the device running (each of them applied every output it printed). The outputs come from this
    process's memo (devices/rawmemo.py) when it is the latest earlier poll, nothing runs and this poll is
    no keyframe; else from the rows."""
    chain, running, all_ok, reached = _chain(poll)
    if not reached:
        return {}, True, False
    keyframe = running or len(chain) >= KEYFRAME_POLLS
    memo = rawmemo.get(poll.device_id)
    if (
        not keyframe
        and memo is not None
        and (memo.poll_id, memo.started_at) == chain[0]
        and memo.platform == platform
    ):
        previous = memo.outputs
    else:
        previous = _read_previous(poll, chain)
    return previous, keyframe, all_ok and not running


class _Bases:
    """RawOutput bytes, inflated once per poll."""

    def __init__(self) -> None:
        self._data: dict[int, bytes] = {}

    def of(self, raw_id: int, content: bytes) -> bytes:
        if raw_id not in self._data:
            self._data[raw_id] = rawcodec.inflate(content)
        return self._data[raw_id]

    def output(self, before: Before) -> bytes:
        """What the command printed (PollOutput.data, sharing the inflated base)."""
        assert before.raw_id is not None and before.content is not None
        base = self.of(before.raw_id, before.content)
        return rawcodec.delta_decode(before.delta, base) if before.delta else base


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Blobs:
    """The stored bytes of each output and their sha256, made when first needed: an output whose text
    is the memo's is not redacted again (devices/rawmemo.py)."""

    def __init__(self, parsed: list[ParsedOutput], platform: str) -> None:
        self._parsed, self._platform = parsed, platform
        self._blobs: dict[int, bytes] = {}
        self._digests: dict[int, str] = {}

    def blob(self, i: int) -> bytes:
        if i not in self._blobs:
            self._blobs[i] = redacted(self._parsed[i], self._platform)
        return self._blobs[i]

    def digest(self, i: int) -> str:
        if i not in self._digests:
            self._digests[i] = _sha256(self.blob(i))
        return self._digests[i]


def _unchanged(
    row: PollOutput, before: Before | None, text: bytes, blobs: _Blobs, i: int, bases: _Bases
) -> bool:
    if (
        before is None
        or before.raw_id is None
        or before.error != row.error
        or before.warnings != row.warnings
    ):
        return False
    if before.text_digest is not None and before.text_digest == text:
        return True
    if before.blob_digest is not None:
        return before.blob_digest == blobs.digest(i)
    return bases.output(before) == blobs.blob(i)


@dataclass(frozen=True)
class Stored:
    """What store() wrote, and the kinds of command (devices/commands.py) whose output the state need not
    apply again: unchanged (bytes, error, warnings) since the device's previous poll, every poll since it
    was stored finished ok (so applied it), and this poll no keyframe (those apply everything)."""

    rows: list[PollOutput]
    unchanged: frozenset[str]


def store_outputs(
    poll: Poll, parsed: list[ParsedOutput], platform: str, clean: Callable[[str], str]
) -> list[PollOutput]:
    """Store a poll's outputs (see `store`) and return the rows written."""
    return store(poll, parsed, platform, clean).rows


def store(poll: Poll, parsed: list[ParsedOutput], platform: str, clean: Callable[[str], str]) -> Stored:
    """Store a poll's outputs (see the module docstring). `clean` makes an error or warning storable
    (redacted, no control characters). Sets `poll.outputs_complete`: the caller saves it with the poll's
    outcome (devices/poll.py:_finish). Once the caller's transaction commits, what was stored is this
    process's memo of the device (devices/rawmemo.py)."""
    previous, complete, applied = _previous(poll, platform)
    texts = [rawmemo.text_digest(p.out.command.kind, platform, p.out.output) for p in parsed]
    blobs = _Blobs(parsed, platform)
    rows = [
        PollOutput(
            poll=poll,
            command=p.out.text[:128],
            error=clean(p.error)[:MAX_ERROR],
            warnings=[clean(w) for w in p.warnings[:MAX_WARNINGS]],
            duration_ms=int(p.out.seconds * 1000),
        )
        for p in parsed
    ]
    commands = [r.command for r in rows]
    complete = complete or len(set(commands)) < len(commands) or not previous.keys() <= set(commands)
    bases = _Bases()
    same: set[int] = set()
    content: dict[int, bytes | None] = {}
    for i, row in enumerate(rows):
        before = previous.get(row.command)
        if before is not None and _unchanged(row, before, texts[i], blobs, i, bases):
            same.add(i)
            row.raw_id, row.delta = before.raw_id, before.delta
            content[i] = before.content
    todo = [i for i in range(len(rows)) if i not in same]
    for i, (raw_id, delta, base) in _store_raw(todo, rows, blobs, previous, bases).items():
        rows[i].raw_id, rows[i].delta = raw_id, delta
        content[i] = base
    kept = rows if complete else [r for i, r in enumerate(rows) if i not in same]
    plainsql.insert_rows(PollOutput, kept)
    poll.outputs_complete = complete
    unchanged = {parsed[i].out.command.kind for i in same} if applied and not complete else set()
    memo = rawmemo.Memo(
        poll.pk,
        poll.started_at,
        platform,
        {
            row.command: Before(
                row.raw_id,
                bytes(row.delta),
                row.error,
                row.warnings,
                texts[i],
                _known_digest(previous.get(row.command), blobs, i) if i in same else blobs.digest(i),
                content[i],
            )
            for i, row in enumerate(rows)
        },
    )
    transaction.on_commit(lambda: rawmemo.remember(poll.device_id, memo))
    return Stored(kept, frozenset(unchanged))


def _known_digest(before: Before | None, blobs: _Blobs, i: int) -> str:
    # An unchanged output's stored bytes are the previous ones: their digest when known, else computed.
    if before is not None and before.blob_digest is not None:
        return before.blob_digest
    return blobs.digest(i)


def _store_raw(
    todo: list[int], rows: list[PollOutput], blobs: _Blobs, previous: dict[str, Before], bases: _Bases
) -> dict[int, tuple[int, bytes, bytes | None]]:
    """Each changed output (by position) as a RawOutput seen before (same sha256), a delta against the
    previous output's RawOutput, or a new RawOutput: (raw id, delta, the RawOutput's content when at
    hand)."""
    if not todo:
        return {}
    digests = {i: blobs.digest(i) for i in todo}
    known = _raw_ids(set(digests.values()))
    base_of = {
        i: b for i in todo if (b := previous.get(rows[i].command)) is not None and b.raw_id is not None
    }
    missing = {b.raw_id for i, b in base_of.items() if b.content is None and digests[i] not in known}
    if missing:
        # A base the memo holds no content of (it was a RawOutput seen before): read it.
        loaded = dict(RawOutput.objects.filter(pk__in=missing).values_list("pk", "content"))
        base_of = {
            i: replace(b, content=bytes(loaded[b.raw_id])) if b.raw_id in loaded else b
            for i, b in base_of.items()
        }
    stored: dict[int, tuple[int, bytes, bytes | None]] = {}
    new: dict[str, RawOutput] = {}
    for i in todo:
        digest = digests[i]
        if digest in known:
            stored[i] = (known[digest], b"", None)
            continue
        data = blobs.blob(i)
        whole = rawcodec.deflate(data)
        base = base_of.get(i)
        if base is not None and base.raw_id is not None and base.content is not None:
            delta = rawcodec.delta_encode(data, bases.of(base.raw_id, base.content))
            if len(delta) < DELTA_RATIO * len(whole) + RAW_ROW_BYTES:
                stored[i] = (base.raw_id, delta, base.content)
                continue
        if digest not in new:
            new[digest] = RawOutput(sha256=digest, size=len(data), content=whole)
    if new:
        RawOutput.objects.bulk_create(list(new.values()), ignore_conflicts=True)
        ids = _raw_ids(set(new))
        for i, digest in digests.items():
            if i not in stored:
                stored[i] = (ids[digest], b"", new[digest].content)
    return stored


def _raw_ids(digests: set[str]) -> dict[str, int]:
    """RawOutput id by sha256, of those that exist."""
    found = plainsql.raw_ids(digests)
    if found is None:
        found = dict(RawOutput.objects.filter(sha256__in=digests).values_list("sha256", "id"))
    return found


def complete_polls(polls: Iterable[Poll]) -> int:
    """Make each of these polls that is not outputs_complete complete: its outputs rewritten as rows of its
    own, in order (retention may then delete the earlier polls it read from). Returns the polls changed."""
    done: list[int] = []
    rows: list[PollOutput] = []
    for poll in polls:
        if poll.outputs_complete:
            continue
        done.append(poll.pk)
        for row in poll_outputs(poll, raw=False):
            rows.append(
                PollOutput(
                    poll_id=poll.pk,
                    command=row.command,
                    raw_id=row.raw_id,
                    delta=bytes(row.delta),
                    error=row.error,
                    warnings=row.warnings,
                    duration_ms=row.duration_ms,
                )
            )
    if done:
        PollOutput.objects.filter(poll_id__in=done).delete()
        PollOutput.objects.bulk_create(rows)
        Poll.objects.filter(pk__in=done).update(outputs_complete=True)
    return len(done)
