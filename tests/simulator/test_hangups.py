"""A client that hangs up while the device still answers leaves no asyncio noise behind."""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time

import pytest

from simulator import SimulatorHandle

from .helpers import raw_shell

SEND_FAILED = "socket.send() raised exception."


def _hang_up_while_device_is_busy(handle: SimulatorHandle, name: str, prompt: str, line: str) -> None:
    """Type `line` and reset the TCP connection before the device has read it.

    The device's event loop is held still meanwhile, so the line and the reset are both waiting when
    it wakes: it reads the line and answers into a dead socket, as happens under load when netmiko
    sends `exit` and closes at once.
    """
    shell = raw_shell(handle, name)
    shell.expect(prompt)
    transport = shell.client.get_transport()
    assert transport is not None
    sock = transport.sock
    busy = threading.Event()
    release = threading.Event()

    def hold_the_loop() -> None:
        busy.set()
        release.wait(5)

    handle.loop.call_soon_threadsafe(hold_the_loop)
    assert busy.wait(5)
    try:
        shell.send(line)
        # SO_LINGER 0: close() sends a reset instead of a FIN, as a client with unread data does
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.close()
        time.sleep(0.1)
    finally:
        release.set()
    time.sleep(0.5)  # let the device answer, fail and clean up


@pytest.mark.parametrize(
    ("name", "prompt", "line"),
    [
        ("asa-1", r"asa-1> $", "exit\r"),
        ("csr-1", r"csr-1>$", "show version\r"),
    ],
)
def test_it_stops_writing_once_the_client_reset_the_connection(
    modern_sim: SimulatorHandle, caplog: pytest.LogCaptureFixture, name: str, prompt: str, line: str
) -> None:
    caplog.set_level(logging.WARNING, logger="asyncio")
    for _ in range(3):
        _hang_up_while_device_is_busy(modern_sim, name, prompt, line)
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []
    assert modern_sim.device(name).sessions == {}


def test_it_still_serves_new_sessions_after_a_reset(modern_sim: SimulatorHandle) -> None:
    _hang_up_while_device_is_busy(modern_sim, "asa-1", r"asa-1> $", "exit\r")
    shell = raw_shell(modern_sim, "asa-1")
    try:
        shell.expect(r"asa-1> $")
        shell.send("show clock\r")
        assert "2026" in shell.expect(r"asa-1> $")
    finally:
        shell.close()
