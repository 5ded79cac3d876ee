"""Sessions kept open between polls: a per-process registry of idle DeviceSessions, by device id.

A device's login (TCP, key exchange, authentication, prompt detection, enable, paging off) costs more
CPU than its eight commands; a long-lived worker polls the same devices every interval. So a poll leases
the device's idle session when there is one, and gives it back afterwards (docs/polling.md).

1. A lease is exclusive: a session is in the registry only while no poll uses it, so two polls of one
   device at once each have their own (the second one opens a fresh session).
2. A session is reused only when what opened it still matches the device row now: host, port, platform,
   transport, pinned host key, and a keyed digest of the credentials resolved now (`{env:..}` and
   `{file:..}` references are read again, so a rotated secret opens a new session). The digest's key is
   random per process; no secret is kept here, logged or shown in a repr.
3. Only a session that answered every command is given back: never one that timed out, lost its
   connection or was left out of step (its late output would land in the next poll's first command).
4. Idle sessions close after SSH_SESSION_REUSE_SECONDS (a reaper thread, and every lease); at most
   SSH_SESSION_REUSE_MAX are kept per process, the least recently used closing first. 0 switches reuse
   off. Nothing is sent while a session is idle: no keepalive defeats the device's exec-timeout.
5. `run_commands` drains what the device printed while the session was idle; when the device closed it
   meanwhile (exec-timeout, reboot) or its first command fails, it opens a fresh session and runs the
   whole command set again: Poll.timings then has `reconnect` (and `reuse` instead of `connect` when
   the poll ran on a kept session).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import hmac
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from celery import signals
from django.conf import settings

from devices.credentials import CredentialError, resolve_credentials
from devices.models import Device
from devices.sessions import DeviceSession

T = TypeVar("T")

# A random key per process: a digest that leaked (it is never written anywhere) proves nothing elsewhere.
_DIGEST_KEY = os.urandom(32)


def signature(device: Device) -> tuple[str, ...] | None:
    """What a session of `device` opened now would be opened with; None when the credentials do not
    resolve (the fresh session then reports why)."""
    try:
        credentials = resolve_credentials(device)
    except CredentialError:
        return None
    mac = hmac.new(_DIGEST_KEY, digestmod=hashlib.sha256)
    for part in (credentials.username, credentials.password.reveal(), credentials.secret.reveal()):
        mac.update(part.encode("utf-8", "surrogatepass") + b"\0")
    host_key = " ".join((device.host_key or "").split()[:2])
    return (device.host, str(device.port), device.platform, device.transport, host_key, mac.hexdigest())


@dataclass(eq=False)
class Lease:
    """A session a poll holds alone; `reused` when it was kept from an earlier poll."""

    session: DeviceSession
    signature: tuple[str, ...] | None = field(repr=False)
    reused: bool = False
    reconnected: bool = False


@dataclass(eq=False)
class _Kept:
    session: DeviceSession
    signature: tuple[str, ...] = field(repr=False)
    idle_since: float = 0.0


class SessionPool:
    """The idle sessions of this process by device id, least recently given back first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: OrderedDict[int, _Kept] = OrderedDict()
        self._reaper: threading.Thread | None = None
        self._wake = threading.Event()
        self._pid = os.getpid()
        self._inherited: list[_Kept] = []

    def __repr__(self) -> str:
        return f"<SessionPool {len(self._idle)} idle>"

    def kept(self) -> list[int]:
        """The ids of the devices with an idle session (for tests and the bench)."""
        with self._lock:
            return list(self._idle)

    def lease(self, device: Device) -> Lease:
        """The device's idle session if it still fits the device row and lives, else a freshly opened
        one (SessionError when that fails)."""
        wanted = signature(device)
        with self._lock:
            kept = self._idle.pop(device.pk, None)
        if kept is not None:
            usable = (
                wanted is not None
                and kept.signature == wanted
                and time.monotonic() - kept.idle_since < settings.SSH_SESSION_REUSE_SECONDS
            )
            if usable:
                session = kept.session
                session.idle(False)
                # The row of this poll (fresh from the database) replaces the one the session was opened for.
                session.device = device
                if session.drain():
                    return Lease(session, wanted, reused=True)
                session.close()
                return Lease(_open(device), wanted, reconnected=True)
            kept.session.close()
        return Lease(_open(device), wanted)

    def give_back(self, lease: Lease) -> None:
        """Keep the session for the device's next poll when it is still usable, else close it."""
        session = lease.session
        seconds, most = settings.SSH_SESSION_REUSE_SECONDS, settings.SSH_SESSION_REUSE_MAX
        # Keyed by what the session was opened with, plus the host key it pinned on first contact.
        sig = signature(session.device) if lease.signature is None else lease.signature
        if sig is not None and session.pinned_now:
            sig = (*sig[:4], session.pinned_now, sig[5])
        if seconds <= 0 or most <= 0 or sig is None or not session.alive():
            session.close()
            return
        session.idle(True)
        closing: list[DeviceSession] = []
        with self._lock:
            if os.getpid() != self._pid:
                closing.append(session)  # a forked child's copy of a parent's session: not ours to keep
            else:
                older = self._idle.pop(session.device.pk, None)
                if older is not None:
                    closing.append(older.session)
                if not self._idle:
                    self._wake.set()  # the reaper's next expiry is this session's
                self._idle[session.device.pk] = _Kept(session, sig, time.monotonic())
                while len(self._idle) > most:
                    closing.append(self._idle.popitem(last=False)[1].session)
                self._start_reaper()
        for old in closing:
            old.close()

    def expire(self) -> int:
        """Close the sessions idle for SSH_SESSION_REUSE_SECONDS or more; returns how many."""
        limit = time.monotonic() - settings.SSH_SESSION_REUSE_SECONDS
        with self._lock:
            old = [pk for pk, kept in self._idle.items() if kept.idle_since <= limit]
            closing = [self._idle.pop(pk).session for pk in old]
        for session in closing:
            session.close()
        return len(closing)

    def close_all(self) -> int:
        """Close every idle session (worker shutdown, the end of `manage.py poll`); returns how many."""
        with self._lock:
            closing = [kept.session for kept in self._idle.values()]
            self._idle.clear()
        for session in closing:
            session.close()
        return len(closing)

    def _start_reaper(self) -> None:
        # Called with the lock held; one daemon thread per process, started with the first kept session.
        if self._reaper is None or not self._reaper.is_alive():
            self._reaper = threading.Thread(target=self._reap, name="ssh-session-reaper", daemon=True)
            self._reaper.start()

    def _reap(self) -> None:
        # The registry is in the order sessions were given back: the first one is the next to expire.
        while True:
            with self._lock:
                first = next(iter(self._idle.values()), None)
            wait = 30.0
            if first is not None:
                wait = first.idle_since + settings.SSH_SESSION_REUSE_SECONDS - time.monotonic()
            self._wake.wait(min(30.0, max(0.05, wait)))
            self._wake.clear()
            with contextlib.suppress(Exception):
                self.expire()

    def _after_fork(self) -> None:
        # A forked child must neither use nor close its parent's sessions (closing would send `exit` on
        # the parent's connection): forget them, and the reaper thread, which fork does not copy.
        self._lock = threading.Lock()
        self._inherited = list(self._idle.values())
        self._idle = OrderedDict()
        self._reaper = None
        self._pid = os.getpid()


def _open(device: Device) -> DeviceSession:
    session = DeviceSession(device)
    session.open()
    return session


POOL = SessionPool()
os.register_at_fork(after_in_child=POOL._after_fork)
atexit.register(POOL.close_all)


def close_all() -> int:
    """Close every idle session of this process."""
    return POOL.close_all()


@signals.worker_process_shutdown.connect
@signals.worker_shutdown.connect
def close_at_worker_shutdown(**_: object) -> None:
    """A prefork pool process (worker_process_shutdown) and a thread-pool worker (worker_shutdown) log out
    of the devices whose sessions they kept. Connected when a worker's first poll imports this module:
    before that there is nothing to close."""
    POOL.close_all()


def run_commands(device: Device, run: Callable[[DeviceSession], T], timings: dict[str, float]) -> T:
    """`run(session)` on the device's kept session or a fresh one, which is kept afterwards when usable.

    A kept session that the device closed while idle, or whose first command fails (the device's
    exec-timeout or a reboot ended it, a read timed out), is replaced by a fresh session and `run` starts
    again from the first command. Timings, in seconds like the poll's others: `connect` (a fresh session
    opened), `reuse` (a kept session leased and drained), `reconnect` (a dead kept session replaced),
    `commands`. SessionError when no session opens.
    """
    started = time.monotonic()
    lease = POOL.lease(device)
    key = "reuse" if lease.reused else "reconnect" if lease.reconnected else "connect"
    timings[key] = time.monotonic() - started
    kept = False
    try:
        started = time.monotonic()
        answered = lease.session.completed
        result = run(lease.session)
        if lease.reused and lease.session.broken and lease.session.completed == answered:
            lease.session.close()
            reopened = time.monotonic()
            lease = Lease(_open(device), lease.signature, reconnected=True)
            timings["reconnect"] = time.monotonic() - reopened
            result = run(lease.session)
        timings["commands"] = time.monotonic() - started - timings.get("reconnect", 0.0)
        kept = True
        return result
    finally:
        if kept:
            POOL.give_back(lease)
        else:
            lease.session.close()
