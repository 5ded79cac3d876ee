"""The CLI state machine both transports share: login, prompts, enable, modes, paging, errors."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from datetime import timedelta
from types import ModuleType
from typing import TYPE_CHECKING

# Sibling modules by their own name: `from . import x` would go through the package's __init__,
# which imports this module.
import simulator.enroll as enroll
import simulator.faults as faults
import simulator.render_asa as render_asa
import simulator.render_ios as render_ios
import simulator.render_pix as render_pix

from .clock import parse_clock_set
from .commands import COMMANDS, CONFIG, EXEC, Match, match
from .personas import KINDS

if TYPE_CHECKING:
    from .device import Device

_ids = itertools.count(1)
logger = logging.getLogger(__name__)

RENDERERS: dict[str, ModuleType] = {
    "ios122": render_ios,
    "ios15": render_ios,
    "pix60": render_pix,
    "asa9": render_asa,
}

IOS_MORE = " --More-- "
IOS_MORE_ERASE = "\b" * 9 + " " * 9 + "\b" * 9
ASA_MORE = "<--- More --->"
PIX_MORE = "<-- More -->"
MORE_ERASE_CR = "\r" + " " * 14 + "\r"
PIX_HELP = "Type help or '?' for a list of available commands."
# What the `log_after_prompt` fault prints by default: an ordinary link message a monitor terminal shows.
LOG_AFTER_PROMPT = "%LINK-3-UPDOWN: Interface Serial0, changed state to up"


class SessionClosed(Exception):
    """The peer went away while the session waited for input."""


class CliSession:
    """One terminal session on a device, fed bytes by SSH or telnet and writing text back."""

    def __init__(
        self,
        device: Device,
        transport: str,
        write: Callable[[str], None],
        close: Callable[[], None],
        needs_login: bool = False,
    ) -> None:
        self.id = next(_ids)
        self.device = device
        self.kind = KINDS[device.kind]
        self.transport = transport
        self._write = write
        self._close = close
        self.needs_login = needs_login
        self.mode = EXEC
        self.priv = 1
        self.monitor = False
        self.closed = False
        self.action = ""  # the command being answered (its action name, e.g. `show_ipsec_sa`)
        self._buf = ""
        self._event = asyncio.Event()
        self._skip_lf = False
        self._line = ""
        # A log line `log_after_prompt` holds for the echo of the next line (`during_echo`).
        self._log_in_echo = ""
        self.term_length = self._initial_length()
        self.render = RENDERERS[device.kind]

    # -- transport side --------------------------------------------------------------------------
    def feed(self, data: str) -> None:
        """Bytes from the client."""
        self._buf += data
        self._event.set()

    def eof(self) -> None:
        """The client closed its side."""
        self.closed = True
        self._event.set()

    def notify(self, message: str) -> None:
        """An asynchronous message (log line) printed on this terminal."""
        if not self.closed:
            self._write(f"\r\n{message}\r\n")

    def write(self, text: str) -> None:
        """Write text with CR LF line ends."""
        if not self.closed:
            self._write(text.replace("\r\n", "\n").replace("\n", "\r\n"))

    # -- input ------------------------------------------------------------------------------------
    async def _next_chars(self) -> str:
        while not self._buf:
            if self.closed:
                raise SessionClosed
            self._event.clear()
            await faults.input_within(self._event, self.device, self.close)
        chars, self._buf = self._buf, ""
        return chars

    async def read_key(self) -> str:
        """One key press (for --More--)."""
        while True:
            chars = await self._next_chars()
            if self._skip_lf and chars[0] in "\n\0":
                chars = chars[1:]
            self._skip_lf = False
            if not chars:
                continue
            key, rest = chars[0], chars[1:]
            if key == "\r":
                self._skip_lf = True
            self._buf = rest + self._buf
            if rest:
                self._event.set()
            return key

    async def readline(self, echo: bool = True, kind: str = "line", silent: bool = False) -> str:
        """A line as typed, echoed back unless it is a password; logged verbatim."""
        line = ""
        while True:
            chars = await self._next_chars()
            echoed = ""
            for i, ch in enumerate(chars):
                if self._skip_lf and ch in "\n\0":
                    self._skip_lf = False
                    continue
                self._skip_lf = False
                if ch in "\r\n":
                    self._skip_lf = ch == "\r"
                    rest = chars[i + 1 :]
                    if rest:
                        self._buf = rest + self._buf
                        self._event.set()
                    if echoed and self._log_in_echo:
                        # `logging synchronous`: the message cuts the echo, then the prompt and all that
                        # was typed so far are printed again on a line of their own.
                        message, self._log_in_echo = self._log_in_echo, ""
                        self.write(echoed[: len(echoed) // 2])
                        self.notify(message)
                        self.write(self.prompt() + line)
                    elif echoed:
                        self.write(echoed)
                    if not silent:
                        self.write("\n")
                    self.device.log_received(self.id, self.transport, line, kind)
                    return line
                if ch in "\x7f\x08":
                    if line:
                        line = line[:-1]
                        if echo:
                            echoed += "\b \b"
                    continue
                if ch == "\x1a":  # Ctrl-Z leaves configuration mode
                    self.device.log_received(self.id, self.transport, line + "^Z", kind)
                    self.write(echoed + "^Z\n")
                    return "\x1a"
                if ch < " " and ch != "\t":
                    continue
                line += ch
                if echo:
                    echoed += ch
            if echoed:
                self.write(echoed)

    async def ask(self, prompt: str, echo: bool = True, kind: str = "line") -> str:
        """Print a question and read the answer."""
        self.write(prompt)
        return await self.readline(echo=echo, kind=kind)

    # -- prompts and pager ------------------------------------------------------------------------
    def prompt(self) -> str:
        """`1720-1>` / `1720-1#` / `1720-1(config)#`; PIX and ASA add a space."""
        host = self.device.hostname
        p = f"{host}(config)#" if self.mode == CONFIG else f"{host}#" if self.priv >= 15 else f"{host}>"
        return p + (" " if self.kind.prompt_space else "")

    def _initial_length(self) -> int:
        if self.kind.pager == "none":
            return self.device.pager_lines
        return 24 if self.kind.pager == "ios" else self.device.pager_lines

    async def page(self, text: str) -> None:
        """Print command output, stopping every screen at --More-- until paging is off."""
        lines = text.split("\n")
        length = self.term_length
        if length <= 0 or len(lines) < length:
            self.write(text + "\n")
            return
        if self.kind.pager == "ios":
            more, erase = IOS_MORE, IOS_MORE_ERASE
        elif self.kind.pager == "asa":
            more, erase = ASA_MORE, MORE_ERASE_CR
        else:
            more, erase = PIX_MORE, MORE_ERASE_CR
        i = 0
        step = length - 1
        while i < len(lines):
            chunk = lines[i : i + step]
            i += len(chunk)
            self.write("\n".join(chunk) + "\n")
            if i >= len(lines):
                return
            self.write(more)
            key = await self.read_key()
            self.write(erase)
            if key == " ":
                step = length - 1
            elif key in "\r\n":
                step = 1
            else:
                return

    async def output(self, text: str) -> None:
        """Command output through the device's faults (slow, garbled, truncated) and the pager."""
        if text == "":
            return
        dev = self.device
        if dev.has("slow"):
            await asyncio.sleep(float(dev.fault_param("slow", "seconds", 3.0)))
        if dev.has("garbled"):
            text = faults.garble(text, float(dev.fault_param("garbled", "ratio", 0.08)), seed=self.id)
        only = dev.fault_param("truncated", "action", "")
        if dev.has("truncated") and (not only or only == self.action):
            text = faults.truncate(text, float(dev.fault_param("truncated", "fraction", 0.5)))
            if dev.fault_param("truncated", "close", False):
                self.write(text)
                self.close()
                raise SessionClosed
            if dev.fault_param("truncated", "stall", False):
                # A link that stops carrying data mid-output: no more bytes, no prompt, the session open.
                self.write(text)
                while not self.closed:
                    self._event.clear()
                    await self._event.wait()
                raise SessionClosed
        await self.page(text)

    # -- lifecycle ---------------------------------------------------------------------------------
    def close(self) -> None:
        """End the session (`exit`, a fault, or the server stopping)."""
        if not self.closed:
            self.closed = True
            self._event.set()
            self._close()

    async def run(self) -> None:
        """Serve the session until the client leaves."""
        dev = self.device
        dev.sessions[self.id] = self
        try:
            if dev.has("no_prompt"):
                # accept the connection, say nothing, but still record what the client sends
                while True:
                    await self.readline(echo=False, silent=True)
            if self.needs_login and not await self._telnet_login():
                self.close()
                return
            if self.kind.prompt_space:
                self.write(PIX_HELP + "\n")
            while not self.closed:
                self.write(self.prompt())
                self._log_after_prompt()
                line = await self.readline()
                await self.execute(line)
        except SessionClosed:
            return  # the client hung up or the device closed the session: nothing to report
        except Exception:
            # a simulator bug must not look like a device fault: log it with the device's name
            logger.exception("session %s on %s failed", self.id, dev.name)
        finally:
            dev.sessions.pop(self.id, None)
            self.close()

    def _log_after_prompt(self) -> None:
        # A monitor terminal prints syslog whenever it comes: here just after the prompt that ends an output.
        dev = self.device
        only = dev.fault_param("log_after_prompt", "action", "")
        if dev.has("log_after_prompt") and self.action and (not only or only == self.action):
            message = str(dev.fault_param("log_after_prompt", "message", LOG_AFTER_PROMPT))
            if dev.fault_param("log_after_prompt", "during_echo", False):
                self._log_in_echo = message
                return
            self.notify(message)
            if dev.fault_param("log_after_prompt", "reprint", False):
                # `logging synchronous`: the prompt the message pushed up is printed again below it.
                self.write(self.prompt())

    async def _telnet_login(self) -> bool:
        dev = self.device
        for _attempt in range(3):
            if dev.kind == "pix60":
                self.write("\n\n")
                user = dev.username
            else:
                self.write("\n\nUser Access Verification\n\n")
                user = await self.ask("Username: ", kind="username")
            password = await self.ask("Password: ", echo=False, kind="password")
            if user == dev.username and password == dev.password and not dev.has("wrong_password"):
                return True
            self.write("Invalid password\n" if dev.kind == "pix60" else "% Login invalid\n")
        self.write("% Bad passwords\n" if dev.kind != "pix60" else "")
        return False

    # -- commands ----------------------------------------------------------------------------------
    async def execute(self, line: str) -> None:
        """Run one typed line."""
        if line == "\x1a":
            if self.mode == CONFIG:
                self.mode = EXEC
            return
        if not line.strip():
            return
        self._line = line
        specs = COMMANDS[self.device.kind]
        m = match(specs, line, self.mode, self.priv)
        if m.error == "unknown" and self.mode == EXEC:
            deeper = match(specs, line, EXEC, 15)
            if deeper.error != "unknown":
                m = Match(error="invalid", position=m.position)
        if m.error:
            self.write(self._error_text(m, line))
            return
        assert m.action is not None
        await self.dispatch(m.action, m.args or [], m.rest, line)

    def _error_text(self, m: Match, line: str) -> str:
        kind = self.device.kind
        if kind == "pix60":
            return PIX_HELP + "\n"
        caret = " " * (len(self.prompt()) + m.position) + "^"
        if kind == "asa9":
            if m.error == "ambiguous":
                return f'ERROR: % Ambiguous command:  "{line.strip()}"\n'
            if m.error == "incomplete":
                return "ERROR: % Incomplete command\n"
            return f"{caret}\nERROR: % Invalid input detected at '^' marker.\n"
        if m.error == "ambiguous":
            return f'% Ambiguous command:  "{line.strip()}"\n'
        if m.error == "incomplete":
            return "% Incomplete command.\n\n"
        if m.error == "unknown":
            return "% Unknown command or computer name, or unable to find computer address\n"
        return f"{caret}\n% Invalid input detected at '^' marker.\n\n"

    async def dispatch(self, action: str, args: list[str], rest: str, line: str) -> None:
        """Carry out a matched command."""
        dev = self.device
        r = self.render
        self.action = action
        simple_renders = {
            "show_clock",
            "show_isakmp_sa",
            "show_ikev2_sa",
            "show_isakmp_policy",
            "show_ipsec_sa",
            "show_engine_active",
            "show_engine",
            "show_crypto_map",
            "show_certificates",
            "show_crls",
            "show_mypubkey",
            "show_running_config",
            "show_version",
        }
        if action == "show_running_config" and dev.running_config_file:
            with open(dev.running_config_file, encoding="utf-8") as handle:
                await self.output(handle.read().rstrip("\n"))
            return
        if action in simple_renders:
            with dev.lock:
                text = getattr(r, action)(dev)
            if action == "show_certificates":
                text = text.rstrip("\n")
            await self.output(text)
            return
        handler = getattr(self, f"do_{action}", None)
        if handler is None:
            return
        await handler(args, rest)

    # individual commands ------------------------------------------------------------------------
    async def do_noop(self, args: list[str], rest: str) -> None:
        """Accepted, no output."""

    async def do_empty(self, args: list[str], rest: str) -> None:
        """A real command this simulator prints nothing for."""

    async def do_enable(self, args: list[str], rest: str) -> None:
        """`enable`: ask for the enable password, three tries."""
        if self.priv >= 15:
            return
        dev = self.device
        for _ in range(3):
            secret = await self.ask("Password: ", echo=False, kind="enable-password")
            if secret == dev.enable:
                self.priv = 15
                return
            if dev.kind in ("pix60", "asa9"):
                self.write("Invalid password\n")
                return
        self.write("% Bad secrets\n\n")

    async def do_login(self, args: list[str], rest: str) -> None:
        """ASA `login`: local user at privilege 15."""
        user = await self.ask("Username: ", kind="username")
        password = await self.ask("Password: ", echo=False, kind="password")
        if user == self.device.username and password == self.device.password:
            self.priv = 15
        else:
            self.write("Invalid password\n")

    async def do_disable(self, args: list[str], rest: str) -> None:
        """`disable`."""
        self.priv, self.mode = 1, EXEC

    async def do_exit(self, args: list[str], rest: str) -> None:
        """`exit` / `logout` at the exec level ends the session."""
        if self.device.kind in ("pix60", "asa9"):
            self.write("\nLogoff\n\n")
        self.close()
        raise SessionClosed

    async def do_end(self, args: list[str], rest: str) -> None:
        """`end` / `exit` in configuration mode."""
        self.mode = EXEC

    async def do_configure(self, args: list[str], rest: str) -> None:
        """`configure terminal`."""
        if self.device.kind in ("ios122", "ios15"):
            self.write("Enter configuration commands, one per line.  End with CNTL/Z.\n")
        self.mode = CONFIG

    async def do_do(self, args: list[str], rest: str) -> None:
        """`do <exec command>` from configuration mode."""
        self.mode = EXEC
        try:
            await self.execute(rest)
        finally:
            if not self.closed:
                self.mode = CONFIG

    async def do_terminal_length(self, args: list[str], rest: str) -> None:
        """`terminal length N` (0: no paging)."""
        self.term_length = _int(args[0], 24)

    async def do_terminal_pager(self, args: list[str], rest: str) -> None:
        """ASA `terminal pager N`."""
        self.term_length = _int(args[-1], 24)

    async def do_pager_lines(self, args: list[str], rest: str) -> None:
        """PIX/ASA `pager lines N` (configuration, so it also lands in the running config)."""
        n = _int(args[-1], 24)
        self.device.pager_lines = n
        self.term_length = n

    async def do_no_pager(self, args: list[str], rest: str) -> None:
        """PIX/ASA `no pager`."""
        self.device.pager_lines = 0
        self.term_length = 0

    async def do_pager_default(self, args: list[str], rest: str) -> None:
        """PIX `pager` alone turns paging back on at 24 lines."""
        await self.do_pager_lines(["24"], rest)

    async def do_show_pager(self, args: list[str], rest: str) -> None:
        """PIX `show pager`."""
        n = self.device.pager_lines
        self.write(("no pager" if n == 0 else f"pager lines {n}") + "\n")

    async def do_terminal_width(self, args: list[str], rest: str) -> None:
        """`terminal width N`: accepted."""

    async def do_terminal_monitor(self, args: list[str], rest: str) -> None:
        """`terminal monitor`: log messages come to this session."""
        self.monitor = True

    async def do_terminal_no_monitor(self, args: list[str], rest: str) -> None:
        """`terminal no monitor`."""
        self.monitor = False

    async def do_show_curpriv(self, args: list[str], rest: str) -> None:
        """`show curpriv`."""
        await self.output(render_asa.show_curpriv(self.device, self.priv))

    async def do_show_privilege(self, args: list[str], rest: str) -> None:
        """IOS `show privilege`."""
        await self.output(f"Current privilege level is {self.priv}")

    async def do_show_users(self, args: list[str], rest: str) -> None:
        """IOS `show users`."""
        await self.output(
            "    Line       User       Host(s)              Idle       Location\n"
            f"*  2 vty 0     {self.device.username:<10} idle                 00:00:00 127.0.0.1"
        )

    async def do_show_logging(self, args: list[str], rest: str) -> None:
        """`show logging`: the buffered log messages."""
        head = "Syslog logging: enabled (0 messages dropped, 0 flushes, 0 overruns)\n\nLog Buffer (4096 bytes):\n"
        await self.output(head + "\n".join(self.device.log_buffer))

    async def do_write_memory(self, args: list[str], rest: str) -> None:
        """`write memory`, answered as each device does."""
        dev = self.device
        dev.saved_config = True
        if dev.kind == "pix60":
            await self.output(render_pix.write_memory(dev))
        elif dev.kind == "asa9":
            await self.output(render_asa.write_memory(dev))
        else:
            await self.output("Building configuration...\n[OK]")

    async def do_ca_save(self, args: list[str], rest: str) -> None:
        """PIX `ca save all`: silent."""
        self.device.saved_config = True

    async def do_clock_set(self, args: list[str], rest: str) -> None:
        """`clock set 01:05:01 january 11 2002` (either day/month order)."""
        target = parse_clock_set(rest)
        if target is None:
            await self.output(
                self._error_text(Match(error="invalid", position=len("clock set ")), "clock set " + rest)
            )
            return
        dev = self.device
        # the operator types local time; store the offset against world time
        utc = target - timedelta(minutes=dev.zone.offset_minutes)
        assert dev.sim is not None
        dev.clock_offset = (utc - dev.sim.clock.now().replace(tzinfo=None)).total_seconds()
        dev.sim.refresh_health(dev)

    async def do_clear_sa(self, args: list[str], rest: str) -> None:
        """`clear crypto sa`: both ends renegotiate with new SPIs."""
        t = self.device.elapsed()
        for end in self.device.tunnels:
            end.tunnel.clear_sa(t)

    async def do_ping(self, args: list[str], rest: str) -> None:
        """`ping`: always answers."""
        host = args[0] if args else ""
        if self.device.kind in ("pix60",):
            await self.output("\n".join(f"\t{host} response received -- 0ms" for _ in range(3)))
            return
        await self.output(
            "Type escape sequence to abort.\n"
            f"Sending 5, 100-byte ICMP Echos to {host}, timeout is 2 seconds:\n!!!!!\n"
            "Success rate is 100 percent (5/5), round-trip min/avg/max = 1/2/4 ms"
        )

    async def do_isakmp_identity(self, args: list[str], rest: str) -> None:
        """`crypto isakmp identity address|hostname` (a mismatch breaks phase 1, as in the seed)."""
        value = args[0].lower()
        if "address".startswith(value):
            value = "address"
        elif "hostname".startswith(value):
            value = "hostname"
        else:
            self.write(
                self._error_text(Match(error="invalid", position=self._line.rfind(args[0])), self._line)
            )
            return
        self.device.isakmp_identity = value
        self.device.saved_config = False
        assert self.device.sim is not None
        self.device.sim.refresh_health(self.device)

    async def do_hostname(self, args: list[str], rest: str) -> None:
        """`hostname NAME` changes the prompt."""
        self.device.hostname = args[0]

    async def do_enroll(self, args: list[str], rest: str) -> None:
        """Certificate enrollment dialogue of this platform."""
        await enroll.run(self, args)

    async def do_authenticate(self, args: list[str], rest: str) -> None:
        """`crypto ca authenticate`: the CA is already trusted here."""
        await enroll.authenticate(self, args)

    async def do_crl_request(self, args: list[str], rest: str) -> None:
        """`crypto ca crl request TP`: fetch a fresh CRL unless the CA cannot be reached."""
        await enroll.crl_request(self, args)


def _int(text: str, default: int) -> int:
    return int(text) if text.strip().isdigit() else default
