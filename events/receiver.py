"""The syslog receiver behind `manage.py syslog`: asyncio UDP and TCP, a bounded queue, one writer thread.

1. A datagram or TCP frame is parsed at once (events/syslog_format.py), matched to a device from an
   in-memory index (events/sources.py, refreshed every SYSLOG_INDEX_SECONDS), rate-limited per device
   (token bucket) and classified; garbage, unknown sources and what is over the rate are counted, dropped.
2. What is left waits in one queue of at most SYSLOG_QUEUE_SIZE items; when full, new items are counted
   (`queue_full`) and dropped: never a backlog, memory stays bounded whatever the devices send.
3. One writer thread (the only one that touches the database, so one connection) stores batches through
   events/store.py. A batch that fails (database restarting) is retried with backoff after the
   connection is dropped; a poll that cannot be queued (Redis restarting) is logged by the trigger.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from events.classify import classify
from events.sources import DeviceIndex
from events.store import Received
from events.syslog_format import MAX_MESSAGE, FramingError, TcpFramer, parse_message

log = logging.getLogger(__name__)

BATCH = 500
MAX_TCP_CONNECTIONS = 256
TCP_IDLE_SECONDS = 600
COUNTERS = (
    "received",
    "garbage",
    "oversized",
    "unknown_source",
    "rate_limited",
    "queue_full",
    "stored",
    "store_errors",
    "store_dropped",
    "queue_max",
    "tcp_refused",
)


@dataclass
class TokenBucket:
    """`rate` tokens a second up to `burst`; each message takes one."""

    rate: float
    burst: float
    tokens: float
    last: float

    def take(self, now: float) -> bool:
        """Whether a message may pass now (and spend its token)."""
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class ReceiverConfig:
    """What the receiver needs from the settings, and the functions that reach the database."""

    queue_size: int
    rate_per_device: float
    index_seconds: float
    stats_seconds: float
    load_index: Callable[[], DeviceIndex]
    store: Callable[[list[Received]], Any]
    report: Callable[[dict[str, int]], None] = lambda counters: None
    reset_connection: Callable[[], None] = lambda: None
    # Errors of the connection (the database restarting): a batch that meets one is kept and retried.
    transient: tuple[type[BaseException], ...] = (OSError,)


@dataclass
class Receiver:
    """Counts, matches, rate-limits and queues messages; writes them in batches from one thread."""

    config: ReceiverConfig
    index: DeviceIndex = field(default_factory=DeviceIndex)
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    buckets: dict[int, TokenBucket] = field(default_factory=dict)
    queue: asyncio.Queue[Received] = field(init=False)
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, "syslog-db"))
    tcp_open: int = 0

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(maxsize=max(1, self.config.queue_size))

    # -- step 1 and 2: every message, in the event loop ------------------------------------------------
    def handle(self, data: bytes, source: str) -> None:
        """Take one message from `source`: parse, match, rate-limit, classify, queue (or count the drop)."""
        counters = self.counters
        counters["received"] += 1
        if len(data) > MAX_MESSAGE:
            counters["oversized"] += 1
        received_at = datetime.now(UTC)
        try:
            msg = parse_message(data, received_at)
        except Exception:  # a parser bug must not stop the receiver; the golden tests pin the parser
            log.exception("could not parse a message from %s", source)
            msg = None
        if msg is None:
            counters["garbage"] += 1
            return
        device_id = self.index.match(source, msg.hostname)
        if device_id is None:
            counters["unknown_source"] += 1
            return
        now = time.monotonic()
        bucket = self.buckets.get(device_id)
        if bucket is None:
            rate = max(0.001, float(self.config.rate_per_device))
            bucket = self.buckets[device_id] = TokenBucket(rate, rate * 10, rate * 10, now)
        if not bucket.take(now):
            counters["rate_limited"] += 1
            return
        item = Received(device_id, source, received_at, msg, classify(msg))
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            counters["queue_full"] += 1
            return
        counters["queue_max"] = max(counters["queue_max"], self.queue.qsize())

    # -- step 3: the writer ---------------------------------------------------------------------------
    async def _in_db_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def writer(self) -> None:
        """Store batches for ever. A batch that fails on the connection (`transient`: the database is
        restarting) is retried with backoff after the connection is dropped; one that fails otherwise
        (a row the database refuses) is retried once, then dropped and counted, so it never blocks the rest."""
        while True:
            batch = [await self.queue.get()]
            while len(batch) < BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            delay = 0.5
            while True:
                try:
                    await self._in_db_thread(self.config.store, batch)
                    self.counters["stored"] += len(batch)
                    break
                except Exception as exc:
                    self.counters["store_errors"] += 1
                    if not isinstance(exc, self.config.transient) and delay > 0.5:
                        self.counters["store_dropped"] += len(batch)
                        log.error("dropped %d syslog events the database refuses: %s", len(batch), exc)
                        break
                    log.warning(
                        "could not store %d syslog events (retrying in %.1f s): %s", len(batch), delay, exc
                    )
                    await self._in_db_thread(self.config.reset_connection)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10.0)

    async def refresher(self) -> None:
        """Rebuild the device index every index_seconds; keep the old one when the database is away."""
        while True:
            try:
                self.index = await self._in_db_thread(self.config.load_index)
            except Exception as exc:
                log.warning("could not refresh the syslog device index: %s", exc)
                await self._in_db_thread(self.config.reset_connection)
            await asyncio.sleep(self.config.index_seconds)

    async def reporter(self) -> None:
        """Log the counters (one JSON line) and hand them to `report` every stats_seconds."""
        while True:
            await asyncio.sleep(self.config.stats_seconds)
            self.log_counters("syslog counters")

    def log_counters(self, prefix: str) -> None:
        """Write the counters as one JSON line (the command's output) and report them (heartbeat)."""
        snapshot = {**self.counters, "queued": self.queue.qsize(), "devices": len(self.buckets)}
        print(f"{prefix}: {json.dumps(snapshot, sort_keys=True)}", flush=True)
        with contextlib.suppress(RuntimeError):  # the executor is shutting down
            self.executor.submit(self.config.report, snapshot)

    # -- the transports -------------------------------------------------------------------------------
    async def serve_tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One TCP sender: frames by octet count or newline until it closes, goes idle or breaks framing."""
        peer = writer.get_extra_info("peername")
        source = str(peer[0]) if peer else ""
        if self.tcp_open >= MAX_TCP_CONNECTIONS:
            self.counters["tcp_refused"] += 1
            writer.close()
            return
        self.tcp_open += 1
        framer = TcpFramer()
        try:
            while True:
                data = await asyncio.wait_for(reader.read(65536), TCP_IDLE_SECONDS)
                if not data:
                    break
                try:
                    frames = framer.feed(data)
                except FramingError:
                    self.counters["garbage"] += 1
                    break
                for frame in frames:
                    self.handle(frame, source)
                self.counters["oversized"] += framer.oversized
                framer.oversized = 0
        except (TimeoutError, ConnectionError, OSError):
            pass
        finally:
            self.tcp_open -= 1
            writer.close()


class UdpProtocol(asyncio.DatagramProtocol):
    """Hands every datagram to the receiver."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        """One datagram, one message (RFC 5426)."""
        self.receiver.handle(data, str(addr[0]))

    def error_received(self, exc: Exception) -> None:
        """ICMP errors and the like: nothing to do for a receiver."""
        log.debug("udp error: %s", exc)


def split_address(text: str) -> tuple[str, int]:
    """`HOST:PORT` (`[v6]:PORT` too) as (host, port)."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"not HOST:PORT: {text!r}")
    return host.strip("[]"), int(port)


async def serve(
    receiver: Receiver, udp: tuple[str, int] | None, tcp: tuple[str, int] | None, stop: asyncio.Event
) -> None:
    """Listen on the given addresses, run the writer, refresher and reporter, until `stop` is set."""
    loop = asyncio.get_running_loop()
    try:
        receiver.index = await receiver._in_db_thread(receiver.config.load_index)
    except Exception as exc:  # the database is away: the refresher keeps trying, messages wait for it
        log.warning("could not load the syslog device index: %s", exc)
    transports: list[Any] = []
    if udp:
        sock = socket.socket(socket.AF_INET6 if ":" in udp[0] else socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):  # a burst waits in the kernel while the loop works
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        sock.bind(udp)
        transport, _ = await loop.create_datagram_endpoint(lambda: UdpProtocol(receiver), sock=sock)
        transports.append(transport)
    server = None
    if tcp:
        server = await asyncio.start_server(receiver.serve_tcp_client, tcp[0], tcp[1], reuse_address=True)
    where = {name: f"{a[0]}:{a[1]}" if a else "off" for name, a in (("udp", udp), ("tcp", tcp))}
    print(f"syslog listening: udp={where['udp']} tcp={where['tcp']}", flush=True)
    tasks = [asyncio.create_task(t) for t in (receiver.writer(), receiver.refresher(), receiver.reporter())]
    try:
        await stop.wait()
    finally:
        for transport in transports:
            transport.close()
        if server is not None:
            server.close()
        for task in tasks:
            task.cancel()
        receiver.log_counters("syslog stopped")
        receiver.executor.shutdown(wait=True, cancel_futures=False)
