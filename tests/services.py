"""Starting real background processes for integration tests: a Celery worker on Redis, bound to the test DB."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _test_redis_url() -> str:
    """Redis for the integration tests: one database per pytest-xdist worker (gw0 the given one, gw1 the
    one below it, ...), so that one worker's Celery worker never takes the tasks another worker queued."""
    url = os.environ.get("VPNPORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    base, _, db = url.rpartition("/")
    if not db.isdigit() or not worker.removeprefix("gw").isdigit():
        return url
    return f"{base}/{(int(db) - int(worker.removeprefix('gw'))) % 16}"


TEST_REDIS_URL = _test_redis_url()


def test_database_url() -> str:
    """The URL of the database the current test runs in (pytest-django's test_... database)."""
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or "5432"
    return f"postgres://{user}@{host}:{port}/{s['NAME']}"


def worker_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a worker that shares the test's database and a test Redis database."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "vpnportal.test_settings",
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": TEST_REDIS_URL,
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now (nothing answers there until a server starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def celery_worker(
    queue: str | None = None, concurrency: int = 1, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run `celery worker` in a subprocess consuming a private queue; yields the queue name."""
    with celery_worker_process(queue, concurrency, extra_env) as (_, name):
        yield name


@contextmanager
def celery_worker_process(
    queue: str | None = None,
    concurrency: int = 1,
    extra_env: dict[str, str] | None = None,
    log: Path | None = None,
    pool: str = "prefork",
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`celery worker` (prefork, or `pool`) consuming a private queue, ready; yields (process, queue name)."""
    queue = queue or f"test-{uuid.uuid4().hex[:10]}"
    log = log or ROOT / "var" / f"worker-{queue}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "vpnportal",
                "worker",
                "-Q",
                queue,
                "--concurrency",
                str(concurrency),
                "--pool",
                pool,
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{queue}@%h",
            ],
            cwd=ROOT,
            env=worker_env(extra_env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while b"ready." not in log.read_bytes():
                if proc.poll() is not None:
                    raise RuntimeError(f"celery worker exited: {log.read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"celery worker not ready: {log.read_text()[-3000:]}")
                time.sleep(0.2)
            yield proc, queue
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):  # type: ignore[no-untyped-def]
    """Poll `predicate` until it returns something truthy or the timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not met in time")


def simulator_state_dir(key_cache: Path, tmp_path: Path) -> Path:
    """A simulator state folder for one test whose key folders are the session's shared key cache."""
    state = tmp_path / "sim-state"
    state.mkdir()
    for sub in ("hostkeys", "ca", "keys"):
        (key_cache / sub).mkdir(exist_ok=True)
        (state / sub).symlink_to(key_cache / sub)
    return state


# One device per platform dialogue: IOS 12.2, PIX 6 (the seed pair), IOS-XE and ASA 9 (a modern pair).
FOUR_PERSONAS = {"1720-1": "seed-router", "pix520-1": "seed-pix", "csr-1": "ios15", "asa-1": "asa9"}


def four_personas_scenario(
    credentials: dict[str, tuple[str, str]] | None = None, **defaults: Any
) -> dict[str, Any]:
    """The seed pair and a modern pair, each device with its (password, enable) when given; the clock
    runs in real time so CA answers come by themselves."""
    credentials = credentials or {}
    return {
        "clock": {"start": "2026-03-01T12:00:00+00:00", "speed": 1.0},
        "defaults": {"enroll_delay": 2, **defaults},
        "devices": [
            {
                "name": name,
                "persona": persona,
                **(
                    {"password": credentials[name][0], "enable": credentials[name][1]}
                    if name in credentials
                    else {}
                ),
            }
            for name, persona in FOUR_PERSONAS.items()
        ],
        "tunnels": [
            {"name": "hq-branch", "ends": ["1720-1", "pix520-1"], "seed_state": False},
            {"name": "csr1-asa1", "ends": ["csr-1", "asa-1"]},
        ],
    }


def run_python(
    *args: str, env: dict[str, str], check: bool = False, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run this interpreter (`-c CODE`, `manage.py ...`) in the checkout with that environment."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
    )


def run_coroutine(coro: Any, timeout: float = 60) -> Any:
    """asyncio.run in a thread of its own: the browser tests' Playwright keeps an event loop running in
    the main thread for the whole session, and asyncio.run refuses to start inside it."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result(timeout)
