"""The simulator: one asyncio loop serving every device, its control methods, and a thread handle."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import signal
import tempfile
import threading
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509

# Sibling modules by their own name: `from . import x` would go through the package's __init__,
# which imports this module.
import simulator.enroll as enroll
import simulator.persist as persist
import simulator.ssh_server as ssh_server
import simulator.telnet_server as telnet_server

from .ca import SEED_PROFILE, SimCA, modern_profile
from .clock import SimClock
from .device import CrlEntry, Device, TunnelEnd
from .faults import ONE_SHOT, PHASE1_BREAKERS, check
from .scenario import Scenario, load
from .syslog_sender import SyslogSender
from .tunnel_state import EndSeed, Tunnel

DEFAULT_BASE_PORT = 2201
HOST = "127.0.0.1"
# The seed's troubleshooting example: `Router time: 16:07:02 PST Feb 28 1993`.
CLOCK_1993 = datetime(1993, 3, 1, 0, 7, 2, tzinfo=UTC)
TICK_S = 0.25
# With keep_state, changed device state is written at most this often (in ticks).
SAVE_EVERY_TICKS = 4
HEALTH_EVERY_TICKS = 20


def raise_open_file_limit() -> int:
    """Lift RLIMIT_NOFILE to its hard limit: a listener and a connection per device add up."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Simulator:
    """Every simulated device of a scenario, served from one event loop."""

    def __init__(
        self,
        scenario: Scenario | str | Path | dict[str, Any] | None = None,
        *,
        base_port: int = DEFAULT_BASE_PORT,
        state_dir: str | Path | None = None,
        host: str = HOST,
        control_file: bool = False,
        keep_state: bool = False,
        syslog: str | None = None,
    ) -> None:
        # Given a collector HOST:PORT, the devices send their syslog there (simulator/syslog_sender.py).
        self.syslog = SyslogSender(syslog) if syslog else None
        self.scenario = scenario if isinstance(scenario, Scenario) else load(scenario)
        self.base_port = base_port
        self.host = host
        self.state_dir = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="vpnportal-sim-"))
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.clock = SimClock(self.scenario.start, self.scenario.speed)
        self._cas: dict[str, SimCA] = {}
        self.devices: dict[str, Device] = {}
        self.tunnels: list[Tunnel] = []
        self.ports: dict[str, int] = {}
        self.telnet_ports: dict[str, int] = {}
        self._ssh: dict[str, Any] = {}
        self._telnet: dict[str, asyncio.Server] = {}
        self._saved: dict[tuple[str, str], Any] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.control_file = self.state_dir / "control.yaml" if control_file else None
        self._control_text: str | None = None
        # simulator/persist.py: certificates and faults kept in the state folder across restarts.
        self.keep_state = keep_state
        self._kept_text: str | None = None
        self._build()

    # -- construction ----------------------------------------------------------------------------
    def _build(self) -> None:
        n = len(self.scenario.devices)
        telnet_offset = max(100, n)
        for i, spec in enumerate(self.scenario.devices):
            dev = Device(**spec.fields)
            dev.sim = self
            self.devices[dev.name] = dev
            if self.base_port:
                self.ports[dev.name] = spec.port or self.base_port + i
                if spec.telnet:
                    self.telnet_ports[dev.name] = spec.telnet_port or self.base_port + telnet_offset + i
            else:
                self.ports[dev.name] = 0
                if spec.telnet:
                    self.telnet_ports[dev.name] = 0
        for t in self.scenario.tunnels:
            tunnel = Tunnel(
                name=t.name,
                a=t.a,
                b=t.b,
                lifetime_s=t.lifetime,
                ike_version=t.ike_version,
                rate_ab=t.rate_ab,
                rate_ba=t.rate_ba,
                seed_a=t.seed_a or EndSeed(),
                seed_b=t.seed_b or EndSeed(),
            )
            self.tunnels.append(tunnel)
            a, b = self.devices[t.a], self.devices[t.b]
            a.tunnels.append(TunnelEnd(tunnel, b))
            b.tunnels.append(TunnelEnd(tunnel, a))

    def ca(self, profile: str) -> SimCA:
        """The simulator's CA for a profile (`seed` or `modern`), created on first use."""
        if profile not in self._cas:
            prof = SEED_PROFILE if profile == "seed" else modern_profile(self.scenario.start)
            self._cas[profile] = SimCA(self.state_dir, prof)
        return self._cas[profile]

    # -- lifecycle ------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Open every listener and apply the scenario's faults."""
        raise_open_file_limit()
        kept = persist.load(self.state_dir) if self.keep_state else {}
        for spec in self.scenario.devices:
            dev = self.devices[spec.name]
            faults = persist.restore(dev, kept[spec.name]) if spec.name in kept else spec.faults
            for fault, params in faults.items():
                self._apply(dev, fault, params, start=True)
        if self.keep_state:
            self._kept_text = persist.save(self)
        for name, dev in self.devices.items():
            if not dev.has("refuse"):
                await self._listen_ssh(dev)
            if name in self.telnet_ports and not dev.has("refuse"):
                await self._listen_telnet(dev)
        self._tasks.append(asyncio.get_running_loop().create_task(self._ticker()))
        self.observe()

    async def _listen_ssh(self, dev: Device) -> None:
        acceptor = await ssh_server.start(dev, self.host, self.ports[dev.name], self.state_dir)
        self.ports[dev.name] = acceptor.sockets[0].getsockname()[1]
        self._ssh[dev.name] = acceptor

    async def _unlisten_ssh(self, dev: Device) -> None:
        acceptor = self._ssh.pop(dev.name, None)
        if acceptor is not None:
            acceptor.close()
            with contextlib.suppress(Exception):
                await acceptor.wait_closed()

    async def _listen_telnet(self, dev: Device) -> None:
        server = await telnet_server.start(dev, self.host, self.telnet_ports[dev.name])
        self.telnet_ports[dev.name] = server.sockets[0].getsockname()[1]
        self._telnet[dev.name] = server

    async def _unlisten_telnet(self, dev: Device) -> None:
        server = self._telnet.pop(dev.name, None)
        if server is not None:
            server.close()

    async def stop(self) -> None:
        """Close listeners and sessions."""
        for task in self._tasks:
            task.cancel()
        if self.keep_state:
            self._kept_text = persist.save(self, self._kept_text)
        for dev in self.devices.values():
            for session in list(dev.sessions.values()):
                session.close()
        for name in list(self._ssh):
            await self._unlisten_ssh(self.devices[name])
        for server in self._telnet.values():
            server.close()
        if self.syslog is not None:
            self.syslog.close()
        self._telnet.clear()

    async def _ticker(self) -> None:
        n = 0
        while True:
            await asyncio.sleep(TICK_S)
            n += 1
            self.tick(health=n % HEALTH_EVERY_TICKS == 0)
            if self.keep_state and n % SAVE_EVERY_TICKS == 0:
                self._kept_text = persist.save(self, self._kept_text)
            if self.control_file is not None:
                await self._read_control_file()

    def tick(self, health: bool = True) -> None:
        """Complete due enrollments; re-evaluate phase-1 health (clock, CRL, identity)."""
        for dev in self.devices.values():
            if dev.enrollment is not None:
                enroll.complete_due(dev)
            if health:
                self.refresh_health(dev)
        if health:
            self.observe()

    def observe(self) -> None:
        """Send the syslog of whatever changed since the last look (when a collector is set)."""
        if self.syslog is not None:
            self.syslog.observe(self.devices, self.tunnels, self.clock.elapsed())

    # -- health ---------------------------------------------------------------------------------------
    def phase1_broken(self, dev: Device) -> bool:
        """Whether this end cannot complete IKE phase 1 now (the seed's troubleshooting causes)."""
        now = dev.now()
        if dev.isakmp_identity != "hostname":
            return True
        crl = dev.crl
        if crl is None or not (crl.last_update <= now <= crl.next_update):
            return True
        ident = dev.identity()
        return bool(
            ident is not None
            and ident.status == "Available"
            and ident.not_before
            and ident.not_after
            and not (ident.not_before <= now <= ident.not_after)
        )

    def refresh_health(self, dev: Device) -> None:
        """Mark the device's tunnels broken (SAs die at the next rekey) or healthy again."""
        t = self.clock.elapsed()
        for end in dev.tunnels:
            broken = self.phase1_broken(dev) or self.phase1_broken(end.peer)
            end.tunnel.set_broken(t, broken)

    # -- faults ---------------------------------------------------------------------------------------
    def _apply(self, dev: Device, fault: str, params: dict[str, Any], start: bool = False) -> None:
        check(fault)
        t = self.clock.elapsed()
        if fault == "reboot":
            # one-shot: not kept in the fault set
            dev.boot_at = t
            for end in dev.tunnels:
                end.tunnel.reboot(t, dev.name)
            for session in list(dev.sessions.values()):
                session.close()
            if self.syslog is not None:
                self.syslog.restarted(dev)
            return
        if fault == "drop_sessions":
            dev.extra["drop_sessions"] = set(dev.sessions)  # ssh_server drops them at their next input
            return
        if fault in dev.faults:
            dev.faults[fault] = params
            return
        dev.faults[fault] = params
        if fault == "tunnel_down":
            for end in dev.tunnels:
                end.tunnel.set_down(t, True)
        elif fault == "one_way":
            for end in dev.tunnels:
                end.tunnel.set_one_way(t, dev.name, True)
        elif fault == "errors":
            for end in dev.tunnels:
                end.tunnel.error_rate = float(params.get("rate", 0.2))
                end.tunnel.set_errors(t, dev.name, True)
        elif fault == "clock_1993":
            self._saved[(dev.name, fault)] = dev.clock_offset
            dev.clock_offset = (CLOCK_1993 - self.clock.now()).total_seconds()
        elif fault == "crl_missing":
            self._saved[(dev.name, fault)] = dev.crl
            dev.crl = None
        elif fault == "crl_expired":
            self._saved[(dev.name, fault)] = dev.crl
            if dev.crl is not None:
                now = dev.now().replace(microsecond=0)
                dev.crl = CrlEntry(
                    dev.crl.issuer, now - timedelta(days=2), now - timedelta(days=1), dev.crl.retrieved_from
                )
        elif fault == "identity_address":
            self._saved[(dev.name, fault)] = dev.isakmp_identity
            dev.isakmp_identity = "address"
        if fault in PHASE1_BREAKERS:
            self.refresh_health(dev)
        self.observe()

    async def _clear(self, dev: Device, fault: str) -> None:
        params = dev.faults.pop(fault, None)
        if params is None:
            return
        t = self.clock.elapsed()
        if fault == "tunnel_down":
            for end in dev.tunnels:
                if not end.peer.has("tunnel_down"):
                    end.tunnel.set_down(t, False)
        elif fault == "one_way":
            for end in dev.tunnels:
                end.tunnel.set_one_way(t, dev.name, False)
        elif fault == "errors":
            for end in dev.tunnels:
                end.tunnel.set_errors(t, dev.name, False)
        elif fault == "clock_1993":
            dev.clock_offset = self._saved.pop((dev.name, fault), 0.0)
        elif fault in ("crl_missing", "crl_expired"):
            dev.crl = self._saved.pop((dev.name, fault), dev.crl)
        elif fault == "identity_address":
            dev.isakmp_identity = self._saved.pop((dev.name, fault), "hostname")
        elif fault == "enroll_stuck" and dev.enrollment is not None and dev.enrollment.due_at is None:
            dev.enrollment.due_at = t + dev.enroll_delay
        elif fault == "refuse":
            await self._listen_ssh(dev)
            if dev.name in self.telnet_ports:
                await self._listen_telnet(dev)
        elif fault == "host_key_changed":
            await self._unlisten_ssh(dev)
            await self._listen_ssh(dev)
        self.refresh_health(dev)
        self.observe()

    async def set_fault(self, name: str, fault: str, **params: Any) -> None:
        """Switch a fault on for a device (see faults.py for the list and parameters)."""
        dev = self.devices[name]
        was_refused = dev.has("refuse")
        had_key_fault = dev.has("host_key_changed")
        self._apply(dev, fault, params)
        if fault == "refuse" and not was_refused:
            await self._unlisten_ssh(dev)
            await self._unlisten_telnet(dev)
        elif fault == "host_key_changed" and not had_key_fault:
            await self._unlisten_ssh(dev)
            await self._listen_ssh(dev)

    async def clear_fault(self, name: str, fault: str | None = None) -> None:
        """Switch one fault (or all of them) off."""
        dev = self.devices[name]
        for f in [fault] if fault else list(dev.faults):
            await self._clear(dev, f)

    async def _read_control_file(self) -> None:
        """Apply `control.yaml` when its text changes, then acknowledge its `seq` in `control.ack`.

        `{seq: 3, faults: {device: {fault: {params}}}, advance: 3600}`: each device listed gets
        exactly that fault set; `advance` moves the clock once per new `seq`.
        """
        assert self.control_file is not None
        try:
            text = self.control_file.read_text()
        except FileNotFoundError:
            return
        if text == self._control_text:
            return
        self._control_text = text
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            return  # a half-written file; the next poll sees the whole one
        for name, wanted in (data.get("faults") or {}).items():
            if name not in self.devices:
                continue
            wanted = {k: dict(v or {}) for k, v in (wanted or {}).items()}
            for f in list(self.devices[name].faults):
                if f not in wanted:
                    await self.clear_fault(name, f)
            for f, params in wanted.items():
                if f not in self.devices[name].faults or f in ONE_SHOT:
                    await self.set_fault(name, f, **params)
        if data.get("advance"):
            self.clock.advance(float(data["advance"]))
            self.tick()
        ack = self.control_file.with_name("control.ack")
        tmp = ack.with_suffix(".tmp")
        tmp.write_text(str(data.get("seq", 0)))
        tmp.replace(ack)

    # -- facts for tests and inventories ------------------------------------------------------------
    def inventory(self) -> dict[str, Any]:
        """The simulated network as a vpnportal inventory (docs/inventory.md), with the live ports."""
        devices = []
        for name, dev in self.devices.items():
            entry: dict[str, Any] = {
                "name": name,
                "host": self.host,
                "port": self.ports[name],
                "platform": dev.platform,
                "username": dev.username,
                "password": dev.password,
                "secret": dev.enable,
                "transport": "ssh",
                "host_key": ssh_server.public_host_key(dev, self.state_dir),
            }
            devices.append(entry)
        tunnels = [{"name": t.name, "ends": [t.a, t.b]} for t in self.tunnels]
        return {"devices": devices, "tunnels": tunnels}


class SimulatorHandle:
    """A simulator running in a background thread; its methods are safe to call from tests."""

    def __init__(self, sim: Simulator, loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
        self.sim = sim
        self.loop = loop
        self.thread = thread

    def _call(self, coro: Any, timeout: float = 30) -> Any:
        fut: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return fut.result(timeout)

    @property
    def state_dir(self) -> Path:
        """Where host keys, CA keys and received-line logs live."""
        return self.sim.state_dir

    def port(self, name: str) -> int:
        """The device's SSH port."""
        return self.sim.ports[name]

    def telnet_port(self, name: str) -> int:
        """The device's telnet port (KeyError when telnet is off for it)."""
        return self.sim.telnet_ports[name]

    def device(self, name: str) -> Device:
        """The live device object (read it; change it through the control methods)."""
        return self.sim.devices[name]

    def set_fault(self, name: str, fault: str, **params: Any) -> None:
        """Switch a fault on at run time."""
        self._call(self.sim.set_fault(name, fault, **params))

    def clear_fault(self, name: str, fault: str | None = None) -> None:
        """Switch a fault (or all) off."""
        self._call(self.sim.clear_fault(name, fault))

    def reboot(self, name: str) -> None:
        """Reboot a device: uptime, counters and SAs start again."""
        self._call(self.sim.set_fault(name, "reboot"))

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward (rekeys, expiries, enrollment delays)."""

        async def _advance() -> None:
            self.sim.clock.advance(seconds)
            self.sim.tick()

        self._call(_advance())

    def received_lines(self, name: str) -> list[str]:
        """Every line the device received, as logged (`<time> <transport>#<session> <kind>: <line>`)."""
        path = self.sim.devices[name].log_path()
        return path.read_text().splitlines() if path.exists() else []

    def log_path(self, name: str) -> Path:
        """The device's received-lines log."""
        return self.sim.devices[name].log_path()

    def ca_certificate(self, profile: str = "seed") -> x509.Certificate:
        """The simulator CA's certificate that granted certificates verify against."""
        return self._call(_value(self.sim.ca(profile).certificate))

    def host_key(self, name: str) -> str:
        """The public host key the device presents now (`ssh-rsa AAAA...`)."""
        return ssh_server.public_host_key(self.sim.devices[name], self.sim.state_dir)

    def inventory(self) -> dict[str, Any]:
        """An inventory document for these devices with their live ports."""
        return self.sim.inventory()

    def stop(self) -> None:
        """Close everything and end the thread."""
        if not self.loop.is_closed() and self.thread.is_alive():
            with contextlib.suppress(Exception):
                self._call(self.sim.stop(), timeout=10)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def _value(v: Any) -> Any:
    return v


def run_in_thread(
    scenario: Scenario | str | Path | dict[str, Any] | None = None,
    *,
    base_port: int = 0,
    state_dir: str | Path | None = None,
    host: str = HOST,
    control_file: bool = False,
    keep_state: bool = False,
    syslog: str | None = None,
) -> SimulatorHandle:
    """Start a simulator in a daemon thread (base_port 0: free ports) and return its handle."""
    sim = Simulator(
        scenario,
        base_port=base_port,
        state_dir=state_dir,
        host=host,
        control_file=control_file,
        keep_state=keep_state,
        syslog=syslog,
    )
    loop = asyncio.new_event_loop()
    started: Future[None] = Future()

    def _run() -> None:
        asyncio.set_event_loop(loop)

        async def _start() -> None:
            try:
                await sim.start()
                started.set_result(None)
            except Exception as exc:  # the caller sees the error, not a hung thread
                started.set_exception(exc)

        start_task = loop.create_task(_start())
        try:
            loop.run_forever()
        finally:
            start_task.cancel()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=_run, name="vpnportal-simulator", daemon=True)
    thread.start()
    try:
        started.result(120)
    except Exception:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        raise
    return SimulatorHandle(sim, loop, thread)


def run_forever(
    scenario: Scenario | str | Path | dict[str, Any] | None = None,
    *,
    base_port: int = DEFAULT_BASE_PORT,
    state_dir: str | Path | None = None,
    host: str = HOST,
    ready: Any = None,
    keep_state: bool = False,
    syslog: str | None = None,
) -> None:
    """Serve in the foreground until interrupted (`manage.py simulate`); `ready(sim)` once listening."""
    sim = Simulator(
        scenario,
        base_port=base_port,
        state_dir=state_dir,
        host=host,
        control_file=True,
        keep_state=keep_state,
        syslog=syslog,
    )

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        # `make demo` stops its children with SIGTERM: close the listeners cleanly then too
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        await sim.start()
        if ready is not None:
            ready(sim)
        try:
            await stop.wait()
        finally:
            await sim.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main())
