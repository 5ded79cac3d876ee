"""Readers of /proc for the benches: CPU seconds of a process tree, RSS, and what a process's RSS is made of."""

from __future__ import annotations

import os
from pathlib import Path


def proc_stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (index 0 is the state)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def tree_pids(root: int) -> list[int]:
    """`root` and every live descendant of it (from the ppid field of /proc/*/stat)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = proc_stat(int(entry))
            except OSError:
                continue
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def tree_cpu_seconds(root: int) -> float:
    """User+system CPU seconds of a process tree: every live member, plus the children `root` reaped."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in tree_pids(root):
        try:
            fields = proc_stat(pid)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
        if pid == root:
            total += int(fields[13]) + int(fields[14])
    return total / tick


def own_cpu_seconds(pid: int) -> float:
    """User+system CPU seconds of one process alone (its threads, not its children)."""
    fields = proc_stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_mb(pid: int, field: str) -> float:
    """A size line of /proc/<pid>/status (VmHWM, VmRSS, ...) in MB, 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size (VmHWM) of one process in MB, 0 when it is gone."""
    return status_mb(pid, "VmHWM")


def memory_composition(pid: int) -> dict[str, float]:
    """MB of one process's RSS by kind of mapping (/proc/<pid>/smaps), and its thread count.

    `heap` is the main malloc arena ([heap]); `thread_stacks` the anonymous mappings of a thread stack's
    size (RLIMIT_STACK, 8 MB by default: what glibc gives each thread; a floor, as the kernel merges some
    with an anonymous neighbour); `anon` every other anonymous mapping
    (the other glibc malloc arenas, pymalloc's 1 MB arenas, large buffers); `files` the mapped executables,
    libraries and data files. Empty when the process is gone.
    """
    import resource

    stack_kb = resource.getrlimit(resource.RLIMIT_STACK)[0] // 1024
    sizes = {"heap": 0, "anon": 0, "thread_stacks": 0, "files": 0, "stack": 0}
    kind = "anon"
    try:
        text = Path(f"/proc/{pid}/smaps").read_text()
        threads = status_mb(pid, "Threads") * 1024
    except OSError:
        return {}
    for line in text.splitlines():
        first = line.split(maxsplit=6)
        if not first:
            continue
        if "-" in first[0] and len(first) >= 5:  # a mapping's header: address perms offset dev inode [path]
            path = first[5] if len(first) > 5 else ""
            kind = (
                "heap"
                if path == "[heap]"
                else "stack"
                if path == "[stack]"
                else "files"
                if path.startswith("/")
                else "anon"
            )
        elif first[0] == "Size:" and kind == "anon" and int(first[1]) == stack_kb:
            kind = "thread_stacks"
        elif first[0] == "Rss:":
            sizes[kind] += int(first[1])
    composition = {k: round(v / 1024, 1) for k, v in sizes.items()}
    composition["threads"] = threads
    return composition
