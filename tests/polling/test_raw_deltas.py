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


def _store(poll: Poll, parsed: list[ParsedOutput]) -> None:
    stored = rawstore.store_raw(poll, parsed, "cisco_ios")
    PollOutput.objects.bulk_create(
        PollOutput(poll=poll, command=p.out.text, raw=stored[i].raw, delta=stored[i].delta)
        for i, p in enumerate(parsed)
    )


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
