"""The process's memo of each device's latest stored poll (devices/rawmemo.py): the next poll compares with
it instead of reading the rows back, and stores exactly what reading them back would have stored; whenever
the memo may not be what the rows say (another process polled the device, the poll rolled back, a restart,
a running poll, a keyframe) the rows are read back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devices import commands as cmds
from devices import rawmemo, rawstore
from devices.choices import PollStatus
from devices.commands import Command, CommandOutput
from devices.models import Device, Poll, PollOutput
from devices.outputs import ParsedOutput
from devices.poll import poll_device
from simulator import SimulatorHandle

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cli" / "cisco_ios"
CONFIG = (FIXTURES / "show_running-config.txt").read_text()
IPSEC = (FIXTURES / "show_crypto_ipsec_sa.txt").read_text()

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_memo() -> Iterator[None]:
    rawmemo.forget()
    yield
    rawmemo.forget()


def _parsed(kind: str, text: str, output: str, error: str = "") -> ParsedOutput:
    return ParsedOutput(CommandOutput(Command(kind, text), text, output), {}, error, [], 0.0)


def _outputs(k: int, config: str = CONFIG, error: str = "") -> list[ParsedOutput]:
    return [
        _parsed(cmds.CLOCK, "show clock", f"*10:{k:02d}:00.123 PST Mon Mar 4 2002\n"),
        _parsed(cmds.CONFIG, "show running-config", config),
        _parsed(
            cmds.IPSEC, "show crypto ipsec sa", IPSEC.replace("#pkts encaps: ", f"#pkts encaps: {k}"), error
        ),
    ]


def _store(device: Device, at: datetime, parsed: list[ParsedOutput], status: str = PollStatus.OK) -> Poll:
    """As devices/poll.py does: the rows and the outcome in one transaction."""
    poll = Poll.objects.create(device=device, slot=at, started_at=at)
    with transaction.atomic():
        rawstore.store(poll, parsed, "cisco_ios", str)
        poll.status = status
        poll.save(update_fields=["outputs_complete", "status"])
    return poll


def _read_back(queries: CaptureQueriesContext) -> bool:
    return any(
        q["sql"].startswith("SELECT") and 'FROM "devices_polloutput"' in q["sql"]
        for q in queries.captured_queries
    )


def _expected(parsed: list[ParsedOutput]) -> dict[str, bytes]:
    return {p.out.text: rawstore.redacted(p, "cisco_ios") for p in parsed}


def _outputs_of(poll: Poll) -> dict[str, bytes]:
    return {o.command: o.data() for o in rawstore.poll_outputs(Poll.objects.get(pk=poll.pk))}


def _shape(poll: Poll) -> tuple[bool, list[tuple[str, bool]]]:
    rows = PollOutput.objects.filter(poll=poll).order_by("id")
    return Poll.objects.get(pk=poll.pk).outputs_complete, [(r.command, bool(r.delta)) for r in rows]


# A changed secret, a changed line, back to the first text, an error and a partial poll, and a keyframe.
SECRET = CONFIG.replace("hostname", "enable secret 5 $1$first\nhostname", 1)
SEQUENCE: list[tuple[str, str, PollStatus]] = [
    (SECRET, "", PollStatus.OK),
    (SECRET, "", PollStatus.OK),
    (SECRET.replace("$1$first", "$1$second"), "", PollStatus.OK),  # the same bytes once redacted
    (SECRET + "ntp server 10.0.0.9\n", "", PollStatus.OK),
    (SECRET, "", PollStatus.OK),
    (SECRET, "timeout after 3 s", PollStatus.PARTIAL),
    (SECRET, "timeout after 3 s", PollStatus.OK),
    (SECRET, "", PollStatus.OK),
] + [(SECRET, "", PollStatus.OK)] * (rawstore.KEYFRAME_POLLS - 2)


def test_a_poll_compared_with_the_memo_stores_exactly_what_reading_the_rows_back_stores() -> None:
    start = timezone.now() - timedelta(hours=6)
    shapes: dict[str, list[Any]] = {}
    for name, memo in (("with-memo", True), ("rows", False)):
        device = Device.objects.create(name=name, host="127.0.0.1", platform="cisco_ios", username="u")
        shapes[name] = []
        for k, (config, error, status) in enumerate(SEQUENCE):
            if not memo:
                rawmemo.forget()
            parsed = _outputs(k, config, error)
            with CaptureQueriesContext(connection) as queries:
                poll = _store(device, start + timedelta(minutes=5 * k), parsed, status)
            # The memo stands in for the rows from the second poll on, but at a keyframe (complete).
            keyframe = k == 0 or Poll.objects.get(pk=poll.pk).outputs_complete
            assert _read_back(queries) == (k > 0 and (not memo or keyframe)), (name, k)
            assert _outputs_of(poll) == _expected(parsed), (name, k)
            shapes[name].append(_shape(poll))
    assert shapes["with-memo"] == shapes["rows"]
    # The redacted secret did not count as a change; the changed line did, the line removed again too.
    assert [len(rows) for _, rows in shapes["rows"][1:6]] == [2, 2, 3, 3, 2]


def test_an_output_whose_text_is_the_memos_is_not_redacted_again(monkeypatch: pytest.MonkeyPatch) -> None:
    device = Device.objects.create(name="d", host="127.0.0.1", platform="cisco_ios", username="u")
    at = timezone.now() - timedelta(hours=1)
    _store(device, at, _outputs(0))
    redacted: list[str] = []
    real = rawstore.redacted

    def spy(item: ParsedOutput, platform: str) -> bytes:
        redacted.append(item.out.text)
        return real(item, platform)

    monkeypatch.setattr(rawstore, "redacted", spy)
    parsed = _outputs(1)
    poll = _store(device, at + timedelta(minutes=5), parsed)
    assert redacted == ["show clock", "show crypto ipsec sa"]
    monkeypatch.setattr(rawstore, "redacted", real)
    assert _outputs_of(poll) == _expected(parsed)


def test_after_another_process_polled_the_device_the_rows_are_read_back() -> None:
    device = Device.objects.create(name="d", host="127.0.0.1", platform="cisco_ios", username="u")
    at = timezone.now() - timedelta(hours=1)
    _store(device, at, _outputs(0))
    ours = rawmemo.get(device.pk)
    assert ours is not None
    # Another worker polls the device: the configuration changed. This process's memo is still its own.
    _store(device, at + timedelta(minutes=5), _outputs(1, CONFIG + "ntp server 10.0.0.9\n"))
    rawmemo.remember(device.pk, ours)
    # Back to the first configuration: unchanged against our memo, changed against the device's last poll.
    parsed = _outputs(2)
    with CaptureQueriesContext(connection) as queries:
        poll = _store(device, at + timedelta(minutes=10), parsed)
    assert _read_back(queries)
    assert "show running-config" in {c for c, _ in _shape(poll)[1]}
    assert _outputs_of(poll) == _expected(parsed)


def test_a_poll_that_rolled_back_leaves_the_memo_of_the_poll_before_and_the_next_reads_the_rows() -> None:
    device = Device.objects.create(name="d", host="127.0.0.1", platform="cisco_ios", username="u")
    at = timezone.now() - timedelta(hours=1)
    first = _store(device, at, _outputs(0))
    lost = Poll.objects.create(
        device=device, slot=at + timedelta(minutes=5), started_at=at + timedelta(minutes=5)
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        rawstore.store(lost, _outputs(1, CONFIG + "ntp server 10.0.0.9\n"), "cisco_ios", str)
        raise RuntimeError("the state could not be applied")
    # devices/poll.py records the failure outside the transaction: the poll has no rows.
    Poll.objects.filter(pk=lost.pk).update(status=PollStatus.FAILED)
    memo = rawmemo.get(device.pk)
    assert memo is not None and memo.poll_id == first.pk
    parsed = _outputs(2)
    with CaptureQueriesContext(connection) as queries:
        poll = _store(device, at + timedelta(minutes=10), parsed)
    assert _read_back(queries)
    # The failed poll is complete with no rows: the next one compares with nothing and stores every output.
    assert _shape(poll)[1] == [
        ("show clock", False),
        ("show running-config", False),
        ("show crypto ipsec sa", False),
    ]
    assert _outputs_of(poll) == _expected(parsed)


def test_a_restarted_process_or_a_running_poll_reads_the_rows_back() -> None:
    device = Device.objects.create(name="d", host="127.0.0.1", platform="cisco_ios", username="u")
    at = timezone.now() - timedelta(hours=1)
    _store(device, at, _outputs(0))
    rawmemo.forget()  # what a restart leaves
    with CaptureQueriesContext(connection) as queries:
        second = _store(device, at + timedelta(minutes=5), _outputs(1))
    assert _read_back(queries) and not Poll.objects.get(pk=second.pk).outputs_complete
    assert rawmemo.get(device.pk) is not None
    Poll.objects.create(device=device, slot=at + timedelta(minutes=7), started_at=at + timedelta(minutes=7))
    parsed = _outputs(2)
    with CaptureQueriesContext(connection) as queries:
        third = _store(device, at + timedelta(minutes=10), parsed)
    assert _read_back(queries) and Poll.objects.get(pk=third.pk).outputs_complete
    assert _outputs_of(third) == _expected(parsed)


@pytest.mark.integration
def test_a_kept_workers_polls_through_the_simulator_skip_the_read_back(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    router = seed["1720-1"]
    polls = []
    reads = []
    for _ in range(4):
        with CaptureQueriesContext(connection) as queries:
            poll = poll_device(router.pk)
        assert poll is not None and poll.status == PollStatus.OK, poll and poll.reason
        polls.append(Poll.objects.get(pk=poll.pk))
        reads.append(_read_back(queries))
        sim.advance(300)
    # The first poll compares with nothing; the second runs other commands (the pki form learned).
    assert reads[2:] == [False, False]
    last, before = (
        rawstore.poll_outputs(polls[3]),
        {o.command: o.data() for o in rawstore.poll_outputs(polls[2])},
    )
    assert [o.command for o in last] == list(before)
    for row in last:
        if row.poll_id != polls[3].pk:  # unchanged: the earlier poll's bytes
            assert row.data() == before[row.command]
    # What a restarted process stores from the rows is what the memo gave: the same commands unchanged.
    stored_with_memo = {o.command for o in PollOutput.objects.filter(poll=polls[3])}
    rawmemo.forget()
    sim.advance(300)
    poll = poll_device(router.pk)
    assert poll is not None and poll.status == PollStatus.OK
    assert {o.command for o in PollOutput.objects.filter(poll=poll)} == stored_with_memo
