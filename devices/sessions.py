"""A CLI session to one device through netmiko: pinned host keys, enable, paging off, bounded waits.

Host keys: the product keeps its own known-hosts file (settings.VPNPORTAL_KNOWN_HOSTS). A device whose
`host_key` is set is only ever reached with that key; one without is pinned on first contact (the key is
written to the file and to the device row). A different key raises HostKeyChanged before anything is
sent; the absence of the file never turns into accepting whatever key is offered.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import logging
import os
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

import paramiko  # type: ignore[import-untyped]
from django.conf import settings
from django.utils import timezone
from netmiko import BaseConnection, NetmikoAuthenticationException, NetmikoTimeoutException, ReadTimeout
from netmiko.ssh_dispatcher import CLASS_MAPPER

from devices import command_loop
from devices.choices import Platform, Transport
from devices.commands import INVALID_INPUT_RE, Command, CommandOutput
from devices.credentials import CredentialError, resolve_credentials
from devices.models import Device
from devices.terminal import MORE_RE, own_output

log = logging.getLogger(__name__)

CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")

REASON_HOST_KEY_CHANGED = "host key changed"
REASON_AUTH_FAILED = "authentication failed"
REASON_PAGING = "paging not disabled"
# How often the transport thread of a session kept open between polls wakes up when nothing arrives.
IDLE_CHECK_SECONDS = 30.0


class SessionError(Exception):
    """The session could not be opened or used; `reason` is what the poll records."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HostKeyChanged(SessionError):
    """The device offered a host key other than the pinned one: nothing was sent to it."""

    def __init__(self, offered: str = "") -> None:
        super().__init__(REASON_HOST_KEY_CHANGED)
        self.offered = offered


class _KeyMismatch(Exception):
    """Raised inside paramiko's connect so netmiko cannot turn it into a timeout."""

    def __init__(self, offered: paramiko.PKey) -> None:
        super().__init__("host key mismatch")
        self.offered = offered


# -- known hosts -------------------------------------------------------------------------------------


def known_hosts_path() -> Path:
    """The product's known-hosts file."""
    return Path(settings.VPNPORTAL_KNOWN_HOSTS)


def host_entry_name(host: str, port: int) -> str:
    """How OpenSSH (and paramiko) name a host in known_hosts."""
    return host if port == 22 else f"[{host}]:{port}"


def key_line(key: paramiko.PKey) -> str:
    """`type base64` for a key, the form Device.host_key stores."""
    return f"{key.get_name()} {key.get_base64()}"


def parse_key_line(line: str) -> paramiko.PKey:
    """A PKey from `type base64`; ValueError when it is not a key."""
    parts = line.split()
    if len(parts) < 2:
        raise ValueError("host key must be '<type> <base64>'")
    try:
        entry = paramiko.hostkeys.HostKeyEntry.from_line(f"x {parts[0]} {parts[1]}")
    except (paramiko.SSHException, paramiko.hostkeys.InvalidHostKey, TypeError) as exc:
        raise ValueError(f"not a valid public key ({exc})") from None
    if entry is None or entry.key is None:
        raise ValueError(f"unsupported host key type {parts[0]!r}")
    return entry.key


_known_cache: dict[str, tuple[tuple[int, int, int], dict[str, str]]] = {}
_known_lock = threading.Lock()


def _known_entries(path: Path) -> dict[str, str]:
    """host name -> `type base64` of a known-hosts file, cached until the file changes."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return {}
    signature = (st.st_ino, st.st_mtime_ns, st.st_size)
    with _known_lock:
        cached = _known_cache.get(str(path))
        if cached and cached[0] == signature:
            return cached[1]
    entries: dict[str, str] = {}
    # Plain text parsing: a thousand-line file is read on every change, keys are checked when written.
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 3 and not line.startswith("#"):
            for name in parts[0].split(","):
                entries[name] = f"{parts[1]} {parts[2]}"
    with _known_lock:
        _known_cache[str(path)] = (signature, entries)
    return entries


def write_known_host(host: str, port: int, key_text: str, path: Path | None = None) -> None:
    """Record `key_text` as the only key for host:port in the known-hosts file (locked, atomic)."""
    path = path or known_hosts_path()
    name = host_entry_name(host, port)
    key = parse_key_line(key_text)
    line = key_line(key)
    if _known_entries(path).get(name) == line:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lines = path.read_text(errors="replace").splitlines() if path.exists() else []
        # Other hosts' lines stay; this host's keys are replaced by exactly the pinned one.
        kept = [ln for ln in lines if not ln.split() or name not in ln.split()[0].split(",")]
        kept.append(f"{name} {line}")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text("\n".join(kept) + "\n")
        os.replace(tmp, path)


def read_known_host(host: str, port: int, path: Path | None = None) -> str | None:
    """The key the known-hosts file holds for host:port, as `type base64`, or None."""
    return _known_entries(path or known_hosts_path()).get(host_entry_name(host, port))


# -- the netmiko classes ---------------------------------------------------------------------------


# paramiko's ciphers with AES-GCM first: an AEAD cipher costs the transport one call per packet where
# AES-CTR with a separate HMAC costs two, and GCM is at least as strong. paramiko offers the same set of
# ciphers as before, only in another order; a device without GCM (IOS 12.2, PIX 6) negotiates as before.
_GCM = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")
PREFERRED_CIPHERS = (*_GCM, *(c for c in paramiko.Transport._preferred_ciphers if c not in _GCM))


class _Transport(paramiko.Transport):
    """paramiko's Transport preferring the ciphers of PREFERRED_CIPHERS, in that order."""

    _preferred_ciphers = PREFERRED_CIPHERS


class _PinningClient(paramiko.SSHClient):
    """An SSHClient that reports a key mismatch as _KeyMismatch, which netmiko does not swallow."""

    def connect(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        kwargs.setdefault("transport_factory", _Transport)
        try:
            super().connect(*args, **kwargs)
        except paramiko.BadHostKeyException as exc:
            raise _KeyMismatch(exc.key) from None


class _FirstContact(paramiko.MissingHostKeyPolicy):
    """Accept an unknown key only for a device that has never been pinned, and remember it."""

    def __init__(self, allowed: bool) -> None:
        self.allowed = allowed
        self.accepted: paramiko.PKey | None = None

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        if not self.allowed:
            raise _KeyMismatch(key)
        self.accepted = key


class _PinnedMixin:
    """Overrides netmiko's SSH client construction with the pinned keys and our policy."""

    pinned_keys: paramiko.HostKeys
    first_contact: _FirstContact

    def _build_ssh_client(self) -> paramiko.SSHClient:
        client = _PinningClient()
        for name, keys in self.pinned_keys.items():
            for key_type, key in keys.items():
                client.get_host_keys().add(name, key_type, key)
        client.set_missing_host_key_policy(self.first_contact)
        return client

    def read_channel(self) -> str:
        """netmiko's read, except that a channel the device closed ends the read at once: netmiko would
        read nothing until the command's read timeout and report a timeout (telnet already raises)."""
        data: str = super().read_channel()  # type: ignore[misc]
        channel = getattr(self, "remote_conn", None)
        if data or channel is None:
            return data
        if (channel.closed or channel.eof_received) and not channel.recv_ready():
            raise EOFError("the device closed the session")
        return data


_PINNED_CLASSES: dict[type, type] = {}


def driver_class(platform: str, transport: str) -> tuple[type[BaseConnection], str]:
    """The netmiko connection class and device_type for a platform and transport (PIX 6: our driver)."""
    telnet = transport == Transport.TELNET
    cls: type[BaseConnection]
    if platform == Platform.CISCO_PIX:
        from devices.netmiko_pix import CiscoPixSSH, CiscoPixTelnet

        cls, device_type = (CiscoPixTelnet, "cisco_asa_telnet") if telnet else (CiscoPixSSH, "cisco_asa")
    elif platform == Platform.CISCO_IOS:
        device_type = "cisco_ios_telnet" if telnet else "cisco_ios"
        cls = CLASS_MAPPER[device_type]
    elif platform == Platform.CISCO_ASA:
        # Our ASA drivers: netmiko's would enter configuration mode to set the terminal width.
        from devices.netmiko_pix import CiscoAsaExec, _AsaTelnet

        cls, device_type = (_AsaTelnet, "cisco_asa_telnet") if telnet else (CiscoAsaExec, "cisco_asa")
    else:
        raise SessionError(f"unknown platform {platform!r}")
    if telnet:
        return cls, device_type
    pinned = _PINNED_CLASSES.get(cls)
    if pinned is None:
        pinned = type(f"Pinned{cls.__name__}", (_PinnedMixin, cls), {})
        _PINNED_CLASSES[cls] = pinned
    return pinned, device_type


# -- the session -----------------------------------------------------------------------------------


def _check(value: str, what: str) -> str:
    if CONTROL_RE.search(value):
        raise SessionError(f"{what} contains control characters; fix it in the inventory")
    return value


def _connect_reason(exc: BaseException, device: Device) -> str:
    cause = exc.__context__ or exc.__cause__
    where = f"{device.host}:{device.port}"
    if isinstance(cause, paramiko.ssh_exception.NoValidConnectionsError):
        # paramiko gathers the per-address socket errors; refused on every address is refused.
        errors = list(cause.errors.values())
        if errors and all(isinstance(e, ConnectionRefusedError) for e in errors):
            return f"connection refused by {where}"
    if isinstance(cause, ConnectionRefusedError):
        return f"connection refused by {where}"
    if isinstance(cause, socket.gaierror):
        return f"cannot resolve {device.host}"
    if isinstance(cause, OSError) and not isinstance(cause, socket.timeout | TimeoutError):
        text = cause.strerror or str(cause)
        if "refused" in text.lower():
            return f"connection refused by {where}"
    return f"timeout connecting to {where}"


class DeviceSession:
    """An open CLI session in privileged mode with paging off; use as a context manager."""

    def __init__(
        self,
        device: Device,
        *,
        connect_timeout: float | None = None,
        command_timeout: float | None = None,
        known_hosts: Path | None = None,
    ) -> None:
        self.device = device
        self.connect_timeout = float(connect_timeout or settings.SSH_CONNECT_TIMEOUT)
        self.command_timeout = float(command_timeout or settings.SSH_COMMAND_TIMEOUT)
        self.known_hosts = known_hosts or known_hosts_path()
        self.conn: BaseConnection | None = None
        self.pinned_now: str | None = None  # the key pinned by this session's first contact
        self.connect_seconds = 0.0
        self._prompt = ""
        self._prompt_re: re.Pattern[str] | None = None
        self._aborted = False
        # Commands answered in full so far: a kept session (devices/session_pool.py) that breaks before it
        # answers one more was ended by the device while idle, and the poll reconnects.
        self.completed = 0
        # False once the session may be out of step with the device (a pager left with `q`): never kept.
        self.in_step = True
        # Why no further command can be sent ('' while the session is usable): a timed-out command's
        # late output would land in the next one's, and a closed session answers nothing.
        self.broken = ""

    def __enter__(self) -> DeviceSession:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Step 1: the host key we expect, from the device row (authoritative) mirrored into the file.
    def _pinned(self) -> tuple[paramiko.HostKeys, bool]:
        device = self.device
        hostkeys = paramiko.HostKeys()
        name = host_entry_name(device.host, device.port)
        if device.host_key:
            try:
                key = parse_key_line(device.host_key)
            except ValueError as exc:
                raise SessionError(f"pinned host key is invalid: {exc}") from None
            write_known_host(device.host, device.port, device.host_key, self.known_hosts)
            hostkeys.add(name, key.get_name(), key)
            return hostkeys, False
        return hostkeys, True

    def open(self) -> None:
        """Connect, verify the host key, log in, enable, turn paging off."""
        device = self.device
        # References ({env: ...}, {file: ...}) are read now, so a rotated secret needs no re-import.
        try:
            credentials = resolve_credentials(device)
        except CredentialError as exc:
            raise SessionError(exc.reason) from None
        username = _check(credentials.username, "username")
        password = _check(credentials.password.reveal(), "password")
        secret = _check(credentials.secret.reveal(), "enable secret")
        telnet = device.transport == Transport.TELNET
        cls, device_type = driver_class(device.platform, device.transport)
        started = time.monotonic()
        params: dict[str, Any] = {
            "device_type": device_type,
            "host": device.host,
            "port": device.port,
            "username": username,
            "password": password,
            "secret": secret,
            "conn_timeout": self.connect_timeout,
            "auth_timeout": self.connect_timeout,
            "banner_timeout": self.connect_timeout,
            "blocking_timeout": self.command_timeout,
            "session_timeout": self.command_timeout,
            "fast_cli": True,
            "auto_connect": False,
        }
        if not telnet:
            params.update({"ssh_strict": True, "allow_agent": False, "use_keys": False})
        conn = cls(**params)
        first_contact: _FirstContact | None = None
        if not telnet:
            hostkeys, allowed = self._pinned()
            first_contact = _FirstContact(allowed)
            conn.pinned_keys = hostkeys  # type: ignore[attr-defined]
            conn.first_contact = first_contact  # type: ignore[attr-defined]
        self.conn = conn
        try:
            try:
                conn.establish_connection()
                if not telnet:
                    self._verify_key(conn, first_contact)
                # netmiko's prompt detection has its own, longer loops: bound the whole login here.
                watchdog = threading.Timer(self.connect_timeout + 2, self._abort)
                watchdog.daemon = True
                watchdog.start()
                try:
                    conn._try_session_preparation()
                    if secret and not conn.check_enable_mode():
                        conn.enable()
                finally:
                    watchdog.cancel()
                if self._aborted:
                    raise ReadTimeout("session setup aborted")
            except _KeyMismatch as exc:
                raise HostKeyChanged(key_line(exc.offered)) from None
            except NetmikoAuthenticationException:
                raise SessionError(REASON_AUTH_FAILED) from None
            except NetmikoTimeoutException as exc:
                text = str(exc)
                if "Login failed" in text or "authentication" in text.lower():
                    raise SessionError(REASON_AUTH_FAILED) from None
                raise SessionError(_connect_reason(exc, device)) from None
            except ReadTimeout:
                raise SessionError(f"timeout waiting for the prompt of {device.host}:{device.port}") from None
            except ValueError as exc:
                if "enable" in str(exc).lower():
                    raise SessionError("enable failed: check the enable secret") from None
                raise SessionError(f"session setup failed: {str(exc).strip()[:200]}") from None
            except (OSError, EOFError, paramiko.SSHException) as exc:
                if isinstance(exc, socket.timeout | TimeoutError):
                    raise SessionError(f"timeout connecting to {device.host}:{device.port}") from None
                if self._aborted:
                    raise SessionError(
                        f"timeout waiting for the prompt of {device.host}:{device.port}"
                    ) from None
                raise SessionError(f"connection to {device.host}:{device.port} lost: {exc}"[:300]) from None
        except BaseException:
            self.close()
            raise
        self._prompt = conn.base_prompt
        self._prompt_re = re.compile(rf"{re.escape(conn.base_prompt)}[^\n]{{0,40}}[>#]\s*$")
        self.connect_seconds = time.monotonic() - started

    # Step 2: check the key ourselves before any byte of a command leaves, and pin at first contact.
    def _verify_key(self, conn: BaseConnection, first_contact: _FirstContact | None) -> None:
        client = conn.remote_conn_pre
        transport = client.get_transport() if client is not None else None
        if transport is None:
            raise SessionError(f"timeout connecting to {self.device.host}:{self.device.port}")
        offered = transport.get_remote_server_key()
        device = self.device
        if device.host_key:
            if key_line(offered) != " ".join(device.host_key.split()[:2]):
                raise HostKeyChanged(key_line(offered))
            if device.host_key_pinned_at is None:
                Device.objects.filter(pk=device.pk).update(host_key_pinned_at=timezone.now())
            return
        line = key_line(offered)
        # Pin with a conditional UPDATE: of two first contacts racing, only the first key is kept.
        won = Device.objects.filter(pk=device.pk, host_key="").update(
            host_key=line, host_key_pinned_at=timezone.now()
        )
        if not won:
            stored = Device.objects.filter(pk=device.pk).values_list("host_key", flat=True).first() or ""
            if " ".join(stored.split()[:2]) != line:
                raise HostKeyChanged(line)
        write_known_host(device.host, device.port, line, self.known_hosts)
        device.host_key = line
        self.pinned_now = line
        log.info("pinned host key of %s (%s) on first contact", device.name, offered.get_name())

    def run(self, text: str) -> tuple[str, str]:
        """Send one command; return (output, error) where error is '' or why the output is unusable.

        After a timeout or a lost connection `broken` says why the session cannot take another command."""
        conn = self.conn
        if conn is None or self._prompt_re is None:
            raise SessionError("session not open")
        if self.broken:
            return "", f"not run: {self.broken}"
        _check(text, "command")
        # A log line printed after the prompt still ends the output; it is not part of it.
        pattern = self._end_pattern()
        try:
            raw: str | list[Any] | dict[str, Any]
            if "changeto" not in text and command_loop.channel_exchange_ok(conn):
                raw = self._exchange(conn, text, pattern)
            else:  # telnet, or a setting of netmiko's the channel loop does not reproduce
                raw = conn.send_command(
                    text,
                    expect_string=pattern.pattern,
                    read_timeout=self.command_timeout,
                    strip_prompt=False,
                    strip_command=False,
                )
        except ReadTimeout:
            self.broken = "the session timed out before it"
            return "", f"timeout after {self.command_timeout:g} s waiting for the output of {text!r}"
        except (OSError, EOFError, paramiko.SSHException) as exc:
            # What came before stays usable: the poll keeps the outputs it already has.
            self.broken = "the connection was lost before it"
            return "", f"connection lost during {text!r}: {exc or type(exc).__name__}"[:300]
        assert isinstance(raw, str)
        output = own_output(raw, text, self._prompt)
        if MORE_RE.search(output):
            self._leave_pager()
            return output, REASON_PAGING
        self.completed += 1
        return output, ""

    def _end_pattern(self) -> re.Pattern[str]:
        """The end of a command's output: the prompt (then at most log lines), or a pager prompt."""
        return command_loop.end_pattern(self._prompt)

    def _exchange(self, conn: BaseConnection, text: str, pattern: re.Pattern[str]) -> str:
        """The command on the channel itself (devices/command_loop.py), within the command timeout."""
        return command_loop.exchange(conn, text, pattern, self.command_timeout)

    def _abort(self) -> None:
        # Called by the login watchdog: closing the socket makes netmiko's read loop fail at once.
        self._aborted = True
        conn = self.conn
        if conn is None:
            return
        with contextlib.suppress(Exception):
            if conn.remote_conn_pre is not None:
                conn.remote_conn_pre.close()
        with contextlib.suppress(Exception):
            if conn.remote_conn is not None:
                conn.remote_conn.close()

    def _leave_pager(self) -> None:
        # `q` ends the pager on IOS, PIX and ASA; then wait for the prompt so the next command is clean.
        self.in_step = False
        conn = self.conn
        if conn is None or self._prompt_re is None:
            return
        with contextlib.suppress(Exception):
            conn.write_channel("q")
            conn.read_until_pattern(
                pattern=self._prompt_re.pattern, read_timeout=min(10.0, self.command_timeout)
            )

    def run_command(self, command: Command) -> CommandOutput:
        """Run a poll command, falling back to its `ca` form when the `pki` form is rejected."""
        started = time.monotonic()
        sent_at = timezone.now()
        output, error = self.run(command.text)
        text = command.text
        if command.fallback and not error and INVALID_INPUT_RE.search(output):
            text = command.fallback
            output, error = self.run(text)
        seconds = time.monotonic() - started
        # The instant the device read its clock is about halfway through the exchange.
        received_at = sent_at + (timezone.now() - sent_at) / 2
        return CommandOutput(command, text, output, error, seconds, received_at)

    # -- kept open between polls (devices/session_pool.py) ------------------------------------------

    def alive(self) -> bool:
        """Whether the session can take another command as far as this side knows (no byte is sent)."""
        conn = self.conn
        if conn is None or self.broken or not self.in_step:
            return False
        if self.device.transport == Transport.TELNET:
            return True
        client = getattr(conn, "remote_conn_pre", None)
        transport = client.get_transport() if client is not None else None
        channel = getattr(conn, "remote_conn", None)
        if channel is None or channel.closed or channel.eof_received:
            return False
        return bool(transport is not None and transport.is_active())

    def drain(self) -> bool:
        """Read and drop what the device printed while the session was idle (log lines, a banner before it
        hung up); False when the device closed the session meanwhile. Sends nothing."""
        conn = self.conn
        if conn is None:
            return False
        try:
            for _ in range(1000):  # a device that never stops printing is not drained: treat it as dead
                if not conn.read_channel():
                    return self.alive()
        except (OSError, EOFError, paramiko.SSHException):
            pass
        return False

    def idle(self, waiting: bool) -> None:
        """A kept session's transport thread checks for a close every IDLE_CHECK_SECONDS instead of 10 times
        a second (paramiko's default): a thousand idle sessions would otherwise cost a core's tenth. The
        device's data still wakes it at once; nothing is sent either way (no keepalive)."""
        client = getattr(self.conn, "remote_conn_pre", None)  # telnet has no transport thread
        transport = client.get_transport() if client is not None else None
        if transport is None:
            return
        with contextlib.suppress(OSError):
            transport.sock.settimeout(IDLE_CHECK_SECONDS if waiting else transport._active_check_timeout)

    def close(self) -> None:
        """Disconnect; never raises."""
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.disconnect()


def fingerprint(key_text: str) -> str:
    """The SHA256 fingerprint of a `type base64` key, as ssh-keygen prints it."""
    import hashlib

    blob = base64.b64decode(key_text.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
