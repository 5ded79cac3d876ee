"""The receiver's own logic without sockets or a database: matching, rate limit, bounded queue, retries."""

from __future__ import annotations

import asyncio
from typing import Any

from events.receiver import Receiver, ReceiverConfig
from events.sources import DeviceIndex
from tests.services import run_coroutine

run = run_coroutine


MSG = b"<189>1: r1: *Mar  1 00:00:00.000 UTC: %SYS-5-RESTART: System restarted --"


def _receiver(store: Any = lambda batch: None, **config: Any) -> Receiver:
    index = DeviceIndex(
        by_address={"10.0.0.1": [1], "127.0.0.1": [2, 3]},
        names={1: {"r1"}, 2: {"r1"}, 3: {"fw1"}},
    )
    defaults: dict[str, Any] = {
        "queue_size": 10,
        "rate_per_device": 1000,
        "index_seconds": 60,
        "stats_seconds": 60,
        "load_index": lambda: index,
        "store": store,
    }
    receiver = Receiver(ReceiverConfig(**{**defaults, **config}))
    receiver.index = index
    return receiver


def test_it_matches_by_address_then_by_hostname_among_those_sharing_it() -> None:
    async def go() -> list[int]:
        rx = _receiver()
        rx.handle(MSG, "10.0.0.1")  # one device at that address: its hostname does not matter
        rx.handle(MSG.replace(b"r1:", b"anything:"), "10.0.0.1")
        rx.handle(MSG, "127.0.0.1")  # shared: r1 among 2 and 3 is device 2
        rx.handle(MSG.replace(b"r1:", b"nobody:"), "127.0.0.1")  # shared, unknown hostname
        rx.handle(MSG, "192.0.2.1")  # nobody's address, known hostname: dropped
        assert rx.counters["unknown_source"] == 2
        return [rx.queue.get_nowait().device_id for _ in range(rx.queue.qsize())]

    assert run(go()) == [1, 1, 2]


def test_it_rate_limits_per_device_and_bounds_the_queue() -> None:
    async def go() -> dict[str, int]:
        rx = _receiver(rate_per_device=1, queue_size=5)
        for _ in range(50):
            rx.handle(MSG, "10.0.0.1")  # bucket of 10, then refused
        for _ in range(50):
            rx.handle(MSG, "127.0.0.1")
        assert rx.queue.qsize() == 5
        return rx.counters

    counters = run(go())
    assert counters["rate_limited"] == 80 and counters["queue_full"] == 15 and counters["queue_max"] == 5


def test_it_retries_a_connection_error_and_drops_a_refused_batch() -> None:
    calls: list[int] = []

    class Gone(OSError):
        pass

    def store(batch: list[Any]) -> None:
        calls.append(len(batch))
        if len(calls) <= 2:
            raise Gone("server closed the connection")
        if len(calls) <= 4:
            raise ValueError("a row the database refuses")

    async def go() -> dict[str, int]:
        rx = _receiver(store=store)
        rx.handle(MSG, "10.0.0.1")
        writer = asyncio.create_task(rx.writer())
        for _ in range(100):
            await asyncio.sleep(0.1)
            if rx.counters["store_dropped"]:
                break
        rx.handle(MSG, "10.0.0.1")
        for _ in range(50):
            await asyncio.sleep(0.1)
            if rx.counters["stored"]:
                break
        writer.cancel()
        return rx.counters

    counters = run(go())
    assert counters["store_dropped"] == 1 and counters["stored"] == 1
    assert calls == [1, 1, 1, 1, 1]
