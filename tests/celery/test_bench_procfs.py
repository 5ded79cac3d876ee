"""The bench's RSS composition: every resident KB of a process in one bucket, and its thread count."""

from __future__ import annotations

import os
import threading

from bench.procfs import memory_composition, status_mb


def test_it_splits_the_rss_and_counts_a_thread_stack() -> None:
    before = memory_composition(os.getpid())
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        during = memory_composition(os.getpid())
        rss = status_mb(os.getpid(), "VmRSS")
    finally:
        release.set()
        thread.join()
    assert during["threads"] == before["threads"] + 1
    # A stack mapping the kernel merged with an anonymous neighbour counts as anon: thread_stacks is a floor.
    assert during["thread_stacks"] >= 0
    parts = sum(v for k, v in during.items() if k != "threads")
    assert abs(parts - rss) < 0.05 * rss + 1  # smaps' mappings add up to VmRSS
    assert memory_composition(2**22 + 1) == {}  # no such process
