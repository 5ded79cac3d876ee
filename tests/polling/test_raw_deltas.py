"""Raw outputs stored as deltas against the previous output of the same command: read back byte for byte,
also after retention pruned the poll whose output a delta was made against."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from devices import commands as cmds
from devices import rawcodec, rawstore
from devices.choices import PollStatus
from devices.commands import Command, CommandOutput
from devices.fleet import run_poll_cycle
from devices.history import prune_polls
from devices.models import Device, DeviceState, Poll, PollOutput, RawOutput
from devices.outputs import ParsedOutput
from simulator import SimulatorHandle

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cli" / "cisco_ios"
IPSEC = (FIXTURES / "show_crypto_ipsec_sa.txt").read_text()
CONFIG = (FIXTURES / "show_running-config.txt").read_text()


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=70_000), base=st.binary(max_size=70_000))
def test_a_delta_decodes_to_the_exact_bytes(data: bytes, base: bytes) -> None:
    assert rawcodec.delta_decode(rawcodec.delta_encode(data, base), base) == data


def _renumbered(text: str, i: int) -> str:
    def number(m: re.Match[str]) -> str:
        return str(int(m.group()) * (i + 3) + i)

    return re.sub(r"\d+", number, text)


def test_a_long_output_with_counters_changed_makes_a_small_delta() -> None:
    # A hub's output, longer than zlib's 32 KiB window: 60 SAs with numbers of their own.
    blocks = [_renumbered(IPSEC, i) for i in range(60)]
    base = "\n".join(blocks).encode()
    later = "\n".join(_counters(b, 1) for b in blocks).encode()
    assert len(base) > 64 * 1024 and later != base
    delta = rawcodec.delta_encode(later, base)
    assert rawcodec.delta_decode(delta, base) == later
    assert len(delta) < len(rawcodec.deflate(later)) / 3


def test_an_unknown_delta_format_is_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        rawcodec.delta_decode(b"\x07abc", b"")


def _counters(text: str, k: int) -> str:
    # A later poll: every packet counter moved on.
    return re.sub(r"(#pkts \w+: )(\d+)", lambda m: f"{m.group(1)}{int(m.group(2)) + 1000 * k}", text)


def _poll(device: Device, at: datetime, k: int) -> tuple[Poll, list[ParsedOutput]]:
    poll = Poll.objects.create(device=device, slot=at, started_at=at)
    outputs = [
        CommandOutput(
            Command(cmds.CLOCK, "show clock"), "show clock", f"*10:{k:02d}:00.123 PST Mon Mar 4 2002\n"
        ),
        CommandOutput(Command(cmds.CONFIG, "show running-config"), "show running-config", CONFIG),
        CommandOutput(
            Command(cmds.IPSEC, "show crypto ipsec sa"), "show crypto ipsec sa", _counters(IPSEC, k)
        ),
    ]
    return poll, [ParsedOutput(o, {}, "", [], 0.0) for o in outputs]


def _store(poll: Poll, parsed: list[ParsedOutput]) -> list[PollOutput]:
    # As devices/poll.py does: the rows, then the outcome (a running poll has stored nothing yet).
    rows = rawstore.store_outputs(poll, parsed, "cisco_ios", str)
    poll.status = PollStatus.OK
    poll.save(update_fields=["outputs_complete", "status"])
    return rows


@pytest.mark.django_db
def test_stored_outputs_read_back_exactly_also_after_their_base_poll_was_pruned() -> None:
    device = Device.objects.create(name="d1", host="127.0.0.1", platform="cisco_ios", username="u")
    start = timezone.now() - timedelta(days=10)
    expected: dict[int, dict[str, bytes]] = {}
    polls = []
    for k in range(12):
        poll, parsed = _poll(device, start + timedelta(days=k), k)
        _store(poll, parsed)
        polls.append(poll)
        expected[poll.pk] = {p.out.text: rawstore.redacted(p, "cisco_ios") for p in parsed}
    ipsec = PollOutput.objects.filter(command="show crypto ipsec sa").order_by("id")
    assert not ipsec[0].delta and all(o.delta for o in list(ipsec)[1:])
    # One whole output per command, the later ones as deltas against it (the configuration is the same).
    assert RawOutput.objects.count() == 3  # a clock reading is a delta too: a row costs more
    DeviceState.objects.create(device=device, last_poll=polls[-1], last_ok_poll=polls[-1])
    pruned, raws = prune_polls(timezone.now() - timedelta(days=7))
    assert pruned == 4 and raws == 0  # the first poll's outputs are the base of the later deltas
    assert not Poll.objects.filter(pk=polls[0].pk).exists()
    for row in PollOutput.objects.select_related("raw"):
        assert row.data() == expected[row.poll_id][row.command], row
    assert PollOutput.objects.exclude(delta=b"").count() >= 14
    for poll in Poll.objects.all():
        assert {o.command: o.data() for o in rawstore.poll_outputs(poll)} == expected[poll.pk]


@pytest.mark.django_db
def test_an_output_that_changed_too_much_starts_a_new_base() -> None:
    device = Device.objects.create(name="d2", host="127.0.0.1", platform="cisco_ios", username="u")
    at = timezone.now()
    first, parsed = _poll(device, at, 0)
    _store(first, parsed)
    second = Poll.objects.create(
        device=device, slot=at + timedelta(minutes=5), started_at=at + timedelta(minutes=5)
    )
    other = CommandOutput(Command(cmds.IPSEC, "show crypto ipsec sa"), "show crypto ipsec sa", CONFIG[::-1])
    _store(second, [ParsedOutput(other, {}, "", [], 0.0)])
    row = PollOutput.objects.get(poll=second)
    assert not row.delta and row.data() == CONFIG[::-1].encode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.integration
def test_polls_store_deltas_and_the_device_page_shows_them(
    sim: SimulatorHandle, seed: dict[str, Device], admin_client: object
) -> None:
    for _ in range(3):
        run_poll_cycle(["1720-1"], alerts=False)
        sim.advance(300)
    assert PollOutput.objects.exclude(delta=b"").exists()
    router = seed["1720-1"]
    last = Poll.objects.filter(device=router).order_by("-started_at").first()
    assert last is not None
    row = PollOutput.objects.filter(poll=last, command="show crypto ipsec sa").exclude(delta=b"").first()
    assert row is not None
    text = row.data().decode()
    assert "#pkts encaps" in text
    page = admin_client.get(f"/devices/{router.pk}/").content.decode()  # type: ignore[attr-defined]
    assert "#pkts encaps" in page and "could not be decompressed" not in page
    # The configuration did not change: the last poll stored no row for it, the page shows the first's.
    assert not PollOutput.objects.filter(poll=last, command="show running-config").exists()
    config = next(o for o in rawstore.poll_outputs(last) if o.command == "show running-config")
    assert config.poll_id != last.pk and "hostname" in config.data().decode()
    assert "unchanged since the poll of" in page and "hostname 1720-1" in page


def _output(kind: str, text: str, output: str, error: str = "") -> ParsedOutput:
    return ParsedOutput(CommandOutput(Command(kind, text), text, output), {}, error, [], 0.0)


def _redacted_config() -> bytes:
    return rawstore.redacted(_output(cmds.CONFIG, "show running-config", CONFIG), "cisco_ios")


def _outputs(poll: Poll) -> dict[str, bytes]:
    return {o.command: o.data() for o in rawstore.poll_outputs(poll)}


@pytest.mark.django_db
def test_an_unchanged_output_is_not_stored_again_and_an_old_poll_reads_it_back_byte_for_byte() -> None:
    device = Device.objects.create(name="d3", host="127.0.0.1", platform="cisco_ios", username="u")
    start = timezone.now() - timedelta(hours=2)
    polls, expected = [], {}
    for k in range(6):
        poll, parsed = _poll(device, start + timedelta(minutes=5 * k), k)
        rows = _store(poll, parsed)
        polls.append(poll)
        expected[poll.pk] = {p.out.text: rawstore.redacted(p, "cisco_ios") for p in parsed}
        # The configuration is the same every time: only the first poll stores a row for it.
        assert {r.command for r in rows} == (
            {"show clock", "show running-config", "show crypto ipsec sa"}
            if k == 0
            else {"show clock", "show crypto ipsec sa"}
        )
    assert PollOutput.objects.filter(command="show running-config").count() == 1
    assert [p.outputs_complete for p in Poll.objects.order_by("started_at")] == [True] + [False] * 5
    for poll in polls:
        got = _outputs(Poll.objects.get(pk=poll.pk))
        assert got == expected[poll.pk]
        assert got["show running-config"] == _redacted_config()  # the first poll's row
    # In the order the poll ran them, whichever poll stored each row.
    assert [o.command for o in rawstore.poll_outputs(polls[3])] == [
        "show clock",
        "show running-config",
        "show crypto ipsec sa",
    ]


@pytest.mark.django_db
def test_an_output_unchanged_for_8_days_still_reads_back_after_retention() -> None:
    device = Device.objects.create(name="d4", host="127.0.0.1", platform="cisco_ios", username="u")
    start = timezone.now() - timedelta(days=9)
    polls, expected = [], {}
    for k in range(10):  # one a day: the configuration never changes, so its only row is 9 days old
        poll, parsed = _poll(device, start + timedelta(days=k), k)
        _store(poll, parsed)
        polls.append(poll)
        expected[poll.pk] = {p.out.text: rawstore.redacted(p, "cisco_ios") for p in parsed}
    first_config = PollOutput.objects.get(command="show running-config")
    assert first_config.poll_id == polls[0].pk
    DeviceState.objects.create(device=device, last_poll=polls[-1], last_ok_poll=polls[-1])
    pruned, _ = prune_polls(timezone.now() - timedelta(days=7))
    assert pruned == 3
    assert not Poll.objects.filter(pk__in=[p.pk for p in polls[:3]]).exists()
    assert not PollOutput.objects.filter(pk=first_config.pk).exists()
    for poll in Poll.objects.all():
        assert _outputs(poll) == expected[poll.pk], poll
    # A later poll still finds its previous outputs: the configuration is still not stored again.
    poll, parsed = _poll(device, start + timedelta(days=10), 10)
    assert "show running-config" not in {r.command for r in _store(poll, parsed)}
    assert _outputs(poll)["show running-config"] == _redacted_config()
    # Pruning again (the poll made complete goes too) leaves every kept poll readable.
    prune_polls(timezone.now() - timedelta(days=3))
    for poll in Poll.objects.all():
        assert _outputs(poll) == expected.get(poll.pk, _outputs(poll))
    assert _outputs(Poll.objects.order_by("-started_at")[0])["show running-config"] == _redacted_config()


@pytest.mark.django_db
def test_a_kept_old_last_ok_poll_reads_back_after_the_polls_before_it_are_pruned() -> None:
    device = Device.objects.create(name="d5", host="127.0.0.1", platform="cisco_ios", username="u")
    start = timezone.now() - timedelta(days=12)
    polls, expected = [], {}
    for k in range(3):
        poll, parsed = _poll(device, start + timedelta(days=k), k)
        _store(poll, parsed)
        polls.append(poll)
        expected[poll.pk] = {p.out.text: rawstore.redacted(p, "cisco_ios") for p in parsed}
    failed = Poll.objects.create(
        device=device,
        slot=timezone.now(),
        started_at=timezone.now(),
        status=PollStatus.FAILED,
        reason="timeout",
    )
    DeviceState.objects.create(device=device, last_poll=failed, last_ok_poll=polls[-1])
    assert not polls[-1].outputs_complete
    assert prune_polls(timezone.now() - timedelta(days=7)) == (2, 0)
    assert _outputs(Poll.objects.get(pk=polls[-1].pk)) == expected[polls[-1].pk]
    assert Poll.objects.get(pk=failed.pk).reason == "timeout"


@pytest.mark.django_db
def test_errors_of_unchanged_outputs_and_failed_polls_read_back_as_recorded() -> None:
    device = Device.objects.create(name="d6", host="127.0.0.1", platform="cisco_ios", username="u")
    at = timezone.now() - timedelta(hours=1)
    polls = []
    for k in range(3):
        poll = Poll.objects.create(
            device=device, slot=at + timedelta(minutes=k), started_at=at + timedelta(minutes=k)
        )
        parsed = [
            _output(cmds.CONFIG, "show running-config", CONFIG),
            _output(cmds.IPSEC, "show crypto ipsec sa", "", "not run: session closed"),
        ]
        _store(poll, parsed)
        polls.append(poll)
    assert PollOutput.objects.filter(command="show crypto ipsec sa").count() == 1
    for poll in polls:
        rows = {o.command: o for o in rawstore.poll_outputs(Poll.objects.get(pk=poll.pk))}
        assert rows["show crypto ipsec sa"].error == "not run: session closed"
        assert rows["show crypto ipsec sa"].data() == b""
        assert rows["show running-config"].error == ""
    # A poll that failed before any output has none; the next one compares with nothing, stores all.
    failed = Poll.objects.create(
        device=device, slot=at + timedelta(minutes=5), started_at=at + timedelta(minutes=5)
    )
    failed.status = PollStatus.FAILED
    failed.save()
    assert rawstore.poll_outputs(failed) == []
    after = Poll.objects.create(
        device=device, slot=at + timedelta(minutes=6), started_at=at + timedelta(minutes=6)
    )
    stored = _store(after, [_output(cmds.CONFIG, "show running-config", CONFIG)])
    assert [r.command for r in stored] == ["show running-config"]
    assert _outputs(after) == {"show running-config": _redacted_config()}


@pytest.mark.django_db
def test_a_poll_stores_every_output_after_keyframe_polls_or_when_it_drops_a_command() -> None:
    device = Device.objects.create(name="d7", host="127.0.0.1", platform="cisco_ios", username="u")
    at = timezone.now() - timedelta(days=1)
    flags = []
    for k in range(rawstore.KEYFRAME_POLLS + 2):
        poll, parsed = _poll(device, at + timedelta(minutes=5 * k), k)
        _store(poll, parsed)
        flags.append(poll.outputs_complete)
    # Reads look back KEYFRAME_POLLS polls at most: the next one stores every output again.
    assert flags == [True] + [False] * (rawstore.KEYFRAME_POLLS - 1) + [True, False]
    last = Poll.objects.order_by("-started_at")[0]
    assert set(_outputs(last)) == {"show clock", "show running-config", "show crypto ipsec sa"}
    # The device answers another form of a command: the old one must not read as this poll's output.
    poll = Poll.objects.create(device=device, slot=timezone.now(), started_at=timezone.now())
    _store(
        poll, [_output(cmds.CONFIG, "show running-config", CONFIG), _output(cmds.CLOCK, "show clock", "x")]
    )
    assert poll.outputs_complete
    assert set(_outputs(poll)) == {"show running-config", "show clock"}


@pytest.mark.django_db
def test_a_poll_stores_every_output_while_an_earlier_poll_is_still_running() -> None:
    device = Device.objects.create(name="d8", host="127.0.0.1", platform="cisco_ios", username="u")
    at = timezone.now() - timedelta(hours=1)
    first, parsed = _poll(device, at, 0)
    _store(first, parsed)
    running = Poll.objects.create(
        device=device, slot=at + timedelta(minutes=5), started_at=at + timedelta(minutes=5)
    )
    third, parsed = _poll(device, at + timedelta(minutes=10), 2)
    _store(third, parsed)
    assert third.outputs_complete
    # The running poll stores later: the third poll's outputs stay its own.
    _store(running, [_output(cmds.CONFIG, "show running-config", CONFIG + "!")])
    assert _outputs(third) == {p.out.text: rawstore.redacted(p, "cisco_ios") for p in parsed}
