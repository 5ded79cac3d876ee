"""SSH listeners (asyncssh): one per device on its own port, with the persona's algorithm profile."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncssh

from .personas import ALGORITHMS, KINDS
from .session import CliSession

if TYPE_CHECKING:
    from .device import Device

# The legacy personas speak diffie-hellman-group1-sha1 on purpose, as IOS 12.2 and PIX 6 do.
warnings.filterwarnings("ignore", message="Diffie-Hellman over finite fields", module="asyncssh")


def load_or_create_host_key(path: Path, kind: str) -> asyncssh.SSHKey:
    """The device's host key, generated once and kept so clients can pin it across restarts."""
    if path.exists():
        return asyncssh.read_private_key(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    # IOS 12.2 / PIX 6 generate RSA host keys of a modest size; modern devices get Ed25519.
    key = (
        asyncssh.generate_private_key("ssh-rsa", key_size=1024)
        if kind == "rsa"
        else asyncssh.generate_private_key("ssh-ed25519")
    )
    tmp = path.with_suffix(".tmp")
    key.write_private_key(str(tmp))
    tmp.chmod(0o600)
    tmp.replace(path)
    return key


def _socket_gone(conn: Any) -> bool:
    """Whether the TCP connection under an asyncssh connection has failed or been closed.

    When a send fails (the client reset the connection), asyncio marks its transport closing at once
    but tells asyncssh only on the next turn of the loop; every write until then lands on the dead
    transport and, from the fifth on, asyncio logs "socket.send() raised exception.". asyncssh keeps
    the transport private, so read it here, and write as before should a release rename it.
    """
    if not hasattr(conn, "_transport"):
        return False
    transport = conn._transport
    return transport is None or bool(transport.is_closing())


class _Session(asyncssh.SSHServerSession):  # type: ignore[misc]
    """Bridges an SSH channel to a CliSession."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.chan: Any = None
        self.cli: CliSession | None = None
        self.task: asyncio.Task[None] | None = None

    def connection_made(self, chan: Any) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: Any, term_modes: Any) -> bool:
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        # devices answer `ssh host command` like a one-line session; netmiko does not use it
        return True

    def session_started(self) -> None:
        self.cli = CliSession(self.device, "ssh", self._write, self._close)
        self.task = asyncio.get_running_loop().create_task(self.cli.run())

    def _write(self, text: str) -> None:
        if self._gone():
            return
        self.chan.write(text)

    def _close(self) -> None:
        # on a dead socket asyncssh closes the channel itself once it hears of the loss
        if not self._gone():
            self.chan.close()

    def _gone(self) -> bool:
        """Whether the client is gone; the session then stops at its next read instead of writing on."""
        if self.chan.is_closing() or _socket_gone(self.chan.get_extra_info("connection")):
            if self.cli is not None:
                self.cli.eof()
            return True
        return False

    def data_received(self, data: str, datatype: Any) -> None:
        if self.cli is None:
            return
        dropped = self.device.extra.get("drop_sessions", set())
        if self.cli.id in dropped:
            # The `drop_sessions` fault: this session is gone on the device's side; the input is not answered.
            dropped.discard(self.cli.id)
            self.cli.close()
            return
        self.cli.feed(data)

    def eof_received(self) -> bool:
        if self.cli is not None:
            self.cli.eof()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.cli is not None:
            self.cli.eof()

    def break_received(self, msec: int) -> bool:
        return True


class _Server(asyncssh.SSHServer):  # type: ignore[misc]
    """Password authentication against the device's credentials (and its faults)."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.peer = "?"

    def connection_made(self, conn: Any) -> None:
        peer = conn.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"

    def session_requested(self) -> _Session:
        return _Session(self.device)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return False

    def validate_password(self, username: str, password: str) -> bool:
        dev = self.device
        ok = username == dev.username and password == dev.password and not dev.has("wrong_password")
        dev.log_received(
            0, "ssh", f"user={username} from={self.peer} {'accepted' if ok else 'rejected'}", "auth"
        )
        return ok


async def start(device: Device, host: str, port: int, state_dir: Path) -> Any:
    """Listen for one device; returns the asyncssh acceptor (its port via `.sockets`)."""
    kind = KINDS[device.kind]
    suffix = ".alt" if device.has("host_key_changed") else ""
    key = load_or_create_host_key(state_dir / "hostkeys" / f"{device.name}{suffix}.key", kind.host_key)
    algs = dict(ALGORITHMS[kind.algorithms])
    keypair = asyncssh.load_keypairs([key])[0]
    if kind.algorithms == "legacy":
        # IOS 12.2 and PIX 6 sign with SHA-1 only: offer `ssh-rsa`, never rsa-sha2-256/512
        keypair.host_key_algorithms = [b"ssh-rsa"]
    return await asyncssh.create_server(
        lambda: _Server(device),
        host,
        port,
        server_host_keys=[keypair],
        server_version=kind.server_version,
        line_editor=False,
        allow_scp=False,
        agent_forwarding=False,
        x11_forwarding=False,
        login_timeout=60,
        reuse_address=True,
        **algs,
    )


def public_host_key(device: Device, state_dir: Path) -> str:
    """`ssh-ed25519 AAAA...` of the key the device currently presents (for inventories)."""
    suffix = ".alt" if device.has("host_key_changed") else ""
    key = load_or_create_host_key(
        state_dir / "hostkeys" / f"{device.name}{suffix}.key", KINDS[device.kind].host_key
    )
    return key.export_public_key().decode().strip()
