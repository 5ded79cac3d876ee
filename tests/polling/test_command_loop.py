"""DeviceSession's own command loop on the SSH channel (devices/command_loop.py `exchange`) against netmiko's
send_command, which it replaces on SSH: the same outputs byte for byte, the same reasons, the same end of
the output whatever the device prints around it (log lines, a reprinted prompt, a pager, a drop)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from devices import command_loop
from devices.command_loop import _ChannelReader, _normalize
from devices.commands import poll_commands
from devices.inventory import import_inventory
from devices.models import Device
from devices.sessions import REASON_PAGING, DeviceSession
from simulator import SimulatorHandle, run_in_thread
from tests.simulator.helpers import modern_scenario, seed_scenario

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

LINK = "%LINK-3-UPDOWN: Interface Serial0, changed state to up"


@pytest.fixture
def frozen(tmp_path: Path, known_hosts: Path) -> Iterator[SimulatorHandle]:
    """The seed pair and the modern trio on one frozen clock: the same command prints the same text."""
    scenario = seed_scenario()
    modern = modern_scenario()
    scenario["devices"] += modern["devices"]
    scenario["tunnels"] += modern["tunnels"]
    handle = run_in_thread(scenario, base_port=0, state_dir=tmp_path / "sim")
    try:
        doc = handle.inventory()
        for device in doc["devices"]:
            device.pop("host_key", None)
        import_inventory(yaml.safe_dump(doc, sort_keys=False))
        yield handle
    finally:
        handle.stop()


def _outputs(name: str, netmiko: bool, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> list[tuple[str, str]]:
    """(output, error) of every poll command of `name`, through netmiko's loop or the channel's."""
    device = Device.objects.get(name=name)
    with monkeypatch.context() as patch:
        if netmiko:
            patch.setattr(command_loop, "channel_exchange_ok", lambda conn: False)
        with DeviceSession(device, **kw) as session:
            got = []
            for command in poll_commands(device.platform, device.pki_form):
                got.append(session.run(command.text))
                if command.fallback:
                    got.append(session.run(command.fallback))
    return got


@pytest.mark.parametrize("name", ["1720-1", "pix520-1", "csr-1", "asa-1", "asa-2"])
def test_it_reads_every_command_byte_for_byte_as_netmiko_does(
    frozen: SimulatorHandle, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    ours = _outputs(name, False, monkeypatch)
    theirs = _outputs(name, True, monkeypatch)
    assert ours == theirs
    assert all(output for output, _ in ours)


@pytest.mark.parametrize(
    "params",
    [
        {"message": LINK},
        {"message": LINK, "reprint": True},
        {"message": LINK, "during_echo": True},
    ],
    ids=["after-prompt", "prompt-reprinted", "cuts-the-echo"],
)
@pytest.mark.parametrize("name", ["1720-1", "pix520-1", "asa-1"])
def test_a_log_line_and_a_reprinted_prompt_neither_end_nor_pollute_an_output(
    frozen: SimulatorHandle, monkeypatch: pytest.MonkeyPatch, name: str, params: dict[str, Any]
) -> None:
    clean = _outputs(name, False, monkeypatch)
    frozen.set_fault(name, "log_after_prompt", **params)
    # `logging synchronous` prints a prompt that is not the end of the output being read: each command
    # still gets its own output, whole, and none is cut at the reprinted prompt.
    assert _outputs(name, False, monkeypatch, command_timeout=5) == clean


def test_a_pager_left_on_is_reported_and_left(
    frozen: SimulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netmiko.cisco.cisco_ios import CiscoIosBase

    monkeypatch.setattr(CiscoIosBase, "disable_paging", lambda self, *a, **k: "")
    device = Device.objects.get(name="1720-1")
    with DeviceSession(device, command_timeout=5) as session:
        output, error = session.run("show running-config")
        assert error == REASON_PAGING and "--More--" in output
        assert session.in_step is False
        # `q` left the pager: the next command reads its own output, not the rest of the configuration.
        clock, error = session.run("show clock")
        assert error == "" and clock.strip().endswith("2002"), clock


def test_a_timeout_mid_output_is_a_reason_and_breaks_the_session(
    frozen: SimulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = Device.objects.get(name="1720-1")
    frozen.set_fault("1720-1", "truncated", fraction=0.5, stall=True, action="show_ipsec_sa")
    with DeviceSession(device, command_timeout=2) as session:
        assert session.run("show clock")[1] == ""
        started = time.monotonic()
        output, error = session.run("show crypto ipsec sa")
        assert 1.9 < time.monotonic() - started < 4
        assert (output, error) == ("", "timeout after 2 s waiting for the output of 'show crypto ipsec sa'")
        assert session.broken == "the session timed out before it"
        assert session.run("show clock") == ("", "not run: the session timed out before it")


def test_a_device_closing_mid_command_ends_the_read_at_once(
    frozen: SimulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = Device.objects.get(name="pix520-1")
    frozen.set_fault("pix520-1", "truncated", fraction=0.3, close=True, action="show_ipsec_sa")
    with DeviceSession(device, command_timeout=30) as session:
        assert session.run("show clock")[1] == ""
        started = time.monotonic()
        output, error = session.run("show crypto ipsec sa")
        assert time.monotonic() - started < 5
        assert output == ""
        assert error == "connection lost during 'show crypto ipsec sa': the device closed the session"
        assert session.broken == "the connection was lost before it"


def test_telnet_keeps_netmikos_loop(frozen: SimulatorHandle) -> None:
    device = Device.objects.get(name="1720-1")
    device.transport = "telnet"
    device.port = frozen.telnet_port("1720-1")
    with DeviceSession(device) as session:
        assert session.conn is not None and not command_loop.channel_exchange_ok(session.conn)
        assert session.run("show clock")[1] == ""


@pytest.mark.parametrize("text", ["a\r\r\nb\n\rc\r\nd\re\r\r\r\nf\n", "x\r", "\r\n\r\n", "é\r\nü"])
def test_line_ends_read_in_pieces_are_normalised_as_the_whole(text: str) -> None:
    data = text.encode()
    for cut in range(len(data) + 1):
        reader = _ChannelReader(None, "utf-8")
        for piece in (data[:cut], data[cut:]):
            reader._add(reader.decoder.decode(piece))
        assert reader.text + reader.settled() == _normalize(text), cut
