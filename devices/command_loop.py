"""A command's exchange on the SSH channel itself: what netmiko's `send_command` returns, without its 25 ms
polls and its regex over the whole output at each of them (docs/polling.md, step 2).

`DeviceSession.run` (devices/sessions.py) calls `exchange` where `channel_exchange_ok` says the connection
is one it reproduces (SSH, netmiko's line ends, no ANSI stripping or session log); telnet and any other
setting keep netmiko's own loop. Byte-identical to netmiko's results: tests/polling/test_command_loop.py.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import re
import time

import paramiko  # type: ignore[import-untyped]
from netmiko import BaseConnection, ReadTimeout

from devices.terminal import MORE_RE, end_of_output

# How far before new data the end of an output is looked for again, and how long the device may say
# nothing before the whole text is searched (a match longer than _TAIL: a screenful of log lines).
_TAIL = 4096
_QUIET_S = 0.5
_MAX_READ = 65535
_LINE_ENDS = re.compile("(\r\r\r\n|\r\r\n|\r\n|\n\r)")


@functools.lru_cache(maxsize=4096)
def end_pattern(prompt: str) -> re.Pattern[str]:
    """A command's end for a base prompt, compiled once per prompt (compiling it costs some 4 ms: a fresh
    session of a device polled before compiles nothing)."""
    return re.compile(f"(?:{end_of_output(prompt)}|(?i:{MORE_RE.pattern}))")


def _normalize(text: str) -> str:
    """netmiko's normalize_linefeeds for RESPONSE_RETURN '\n'."""
    return _LINE_ENDS.sub("\n", text).replace("\r", "\n")


def channel_exchange_ok(conn: BaseConnection) -> bool:
    """Whether exchange() gives what netmiko's send_command would on this connection: SSH,
    linefeeds normalised to \n, no ANSI stripping, no session log, no read timeout override (telnet and
    any other setting keep netmiko's own loop)."""
    return bool(
        isinstance(getattr(conn, "remote_conn", None), paramiko.Channel)
        and conn.protocol == "ssh"
        and conn.RESPONSE_RETURN == "\n"
        and not conn.disable_lf_normalization
        and not conn.ansi_escape_codes
        and not conn.session_log
        and not conn.read_timeout_override
    )


class _ChannelReader:
    """What a paramiko channel has sent, decoded and with netmiko's line ends: `text` is settled, `pending`
    the trailing run of \r and \n whose meaning depends on what comes next (\r then \n is one end)."""

    def __init__(self, channel: paramiko.Channel, encoding: str, buffered: str = "") -> None:
        self.channel = channel
        # Incremental: a character a packet boundary splits is decoded whole (netmiko drops it).
        self.decoder = codecs.getincrementaldecoder(encoding)("ignore")
        self.text = buffered  # what netmiko read past an earlier pattern: already normalised
        self.pending = ""

    def _add(self, data: str) -> None:
        data = self.pending + data
        cut = len(data.rstrip("\r\n"))
        self.text += _normalize(data[:cut])
        self.pending = data[cut:]

    def settled(self) -> str:
        """The pending line ends as they read if nothing follows."""
        return _normalize(self.pending)

    def read(self, until: float) -> bool:
        """Wait until `until` (monotonic) for data and take all there is; False when none came. EOFError
        when the device closed the channel (after the data it sent before closing)."""
        channel = self.channel
        timeout = until - time.monotonic()
        if timeout <= 0 and not channel.recv_ready():
            if channel.closed or channel.eof_received:
                raise EOFError("the device closed the session")
            return False
        channel.settimeout(max(0.0, timeout))
        try:
            chunk = channel.recv(_MAX_READ)
        except TimeoutError:
            return False
        if not chunk:
            raise EOFError("the device closed the session")
        parts = [chunk]
        while channel.recv_ready():  # netmiko's read_channel takes all that is there
            more = channel.recv(_MAX_READ)
            if not more:
                break
            parts.append(more)
        self._add(self.decoder.decode(b"".join(parts)))
        return True


def exchange(conn: BaseConnection, text: str, pattern: re.Pattern[str], timeout: float) -> str:
    """netmiko's `send_command(text, expect_string=pattern, strip_prompt=False, strip_command=False)`
    on the paramiko channel itself: what it returns, without its 25 ms polls and its regex over the
    whole output at each of them.

    1. Write the command; with echo checks on (netmiko's `cmd_verify`, the default), read until its
       echo and drop what came before it (a prompt reprinted after a log line, `logging synchronous`):
       the output then starts with the command. Netmiko allows the echo 10 s.
    2. Read until `pattern` matches at the end of what was read (the prompt, then at most log lines)
       or anywhere in what came since the last read (a pager prompt). Only the last _TAIL characters
       before the new data are searched again; when the device has said nothing for _QUIET_S the whole
       text is searched, so a match longer than that is still found, later.
    3. Line ends are normalised as netmiko's read does (\r\n, \r\r\n, \n\r and a lone \r become
       \n), on the whole stream: a \r\n that a packet boundary splits stays one line end.
    A timeout raises ReadTimeout, a channel the device closed EOFError, as netmiko's read does here.
    """
    channel = conn.remote_conn
    assert isinstance(channel, paramiko.Channel)
    command = conn.normalize_cmd(text)
    cmd = command.strip()
    verify = conn.global_cmd_verify if conn.global_cmd_verify is not None else True
    started = time.monotonic()
    deadline = started + timeout
    reader = _ChannelReader(channel, conn.encoding, conn._read_buffer)
    conn._read_buffer = ""
    # netmiko's write_channel without its lock and its debug line: the session is this thread's alone.
    channel.sendall(command.encode(conn.encoding))
    previous_timeout = channel.gettimeout()
    try:
        if cmd and verify:
            # Step 1: netmiko's command_echo_read (read_until_pattern(re.escape(cmd)), 10 s).
            echo_deadline = started + 10.0
            while True:
                at = reader.text.find(cmd)
                if at >= 0:
                    break
                if not reader.read(echo_deadline):
                    raise ReadTimeout(f"the echo of {cmd!r} was not read")
            reader.text = reader.text[at:]
            if time.monotonic() >= deadline:
                raise ReadTimeout(f"no output of {cmd!r} within the read timeout")
        searched = 0  # where new data begins: a pager prompt before it was looked for already
        # netmiko's _first_line_handler is a no-op after an echo check (its first line is the command).
        first = not (cmd and verify)
        while True:
            if reader.text or reader.pending:
                if first:
                    # netmiko's _first_line_handler: a repainted first line (backspaces) is cleaned.
                    reader.text, _ = conn._first_line_handler(reader.text, pattern.pattern)
                    first = False
                whole = reader.text + reader.settled()
                if pattern.search(whole, max(0, searched - _TAIL)):
                    return whole
                searched = len(reader.text)
            quiet = time.monotonic() >= deadline or not reader.read(
                min(deadline, time.monotonic() + _QUIET_S)
            )
            if quiet:
                whole = reader.text + reader.settled()
                if whole and pattern.search(whole):
                    return whole
                if time.monotonic() >= deadline:
                    raise ReadTimeout(f"pattern not detected for {cmd!r}")
    finally:
        with contextlib.suppress(Exception):
            channel.settimeout(previous_timeout)
