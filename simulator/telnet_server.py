"""Telnet listeners: the same CLI session for devices only SSHv1 (or telnet) can reach."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from .session import CliSession

if TYPE_CHECKING:
    from .device import Device

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
ECHO, SGA = 1, 3

logger = logging.getLogger(__name__)


def strip_iac(data: bytes, state: dict[str, int]) -> bytes:
    """Remove telnet commands and option negotiation from the byte stream (kept across reads)."""
    out = bytearray()
    mode = state.get("mode", 0)  # 0 data, 1 after IAC, 2 option byte, 3 in SB, 4 IAC in SB
    for b in data:
        if mode == 0:
            if b == IAC:
                mode = 1
            else:
                out.append(b)
        elif mode == 1:
            if b == IAC:
                out.append(IAC)
                mode = 0
            elif b in (DO, DONT, WILL, WONT):
                mode = 2
            elif b == SB:
                mode = 3
            else:
                mode = 0
        elif mode == 2:
            mode = 0
        elif mode == 3:
            mode = 4 if b == IAC else 3
        elif mode == 4:
            mode = 0 if b == SE else 3
    state["mode"] = mode
    return bytes(out)


async def _handle(device: Device, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    if device.has("refuse"):
        writer.close()
        return

    def write(text: str) -> None:
        if not writer.is_closing():
            writer.write(text.encode("latin-1", "replace").replace(b"\xff", b"\xff\xff"))

    def close() -> None:
        if not writer.is_closing():
            writer.close()

    # the server echoes and suppresses go-ahead, as IOS does
    writer.write(bytes([IAC, WILL, ECHO, IAC, WILL, SGA, IAC, DO, SGA]))
    cli = CliSession(device, "telnet", write, close, needs_login=True)
    task = asyncio.get_running_loop().create_task(cli.run())
    state: dict[str, int] = {}
    try:
        while not cli.closed:
            data = await reader.read(4096)
            if not data:
                break
            cli.feed(strip_iac(data, state).decode("latin-1"))
    except (ConnectionError, asyncio.CancelledError):
        logger.debug("telnet client of %s went away", device.name)
    finally:
        cli.eof()
        try:
            await asyncio.wait_for(task, 2)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
        close()


async def start(device: Device, host: str, port: int) -> asyncio.Server:
    """Listen for telnet for one device."""
    return await asyncio.start_server(lambda r, w: _handle(device, r, w), host, port, reuse_address=True)
