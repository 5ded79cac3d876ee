"""A worker survives Redis going away and coming back: it reconnects and runs new tasks, it does not exit.

The soak found a worker exiting with `AttributeError: 'NoneType' object has no attribute 'hostname'` when
its Redis restarted (see the guard in vpnportal/celery.py). The crash needs three things at the moment
Redis goes away: a message the worker holds unacknowledged (here a task with an ETA an hour away, like a
running late-ack task in production), a BRPOP sent and not yet answered (the worker has room for more),
and the pub/sub socket of the remote-control channel noticing the lost connection before the BRPOP socket
does. Which socket a dying Redis closes first varies, so each round drops Redis's pub/sub clients an
instant before stopping it (SIGTERM) — an order a real restart produces too — and the test repeats it.
Without the guard the worker exited in the first round in 16 runs of 16 (6 of them with SIGTERM alone).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
import redis

from tests.services import celery_worker_process, free_port, wait_for
from vpnportal.celery import RedisChannel, RedisTransport, app
from vpnportal.models import Heartbeat
from vpnportal.tasks import heartbeat

ROUNDS = int(os.environ.get("VPNPORTAL_BROKER_RESTART_ROUNDS", "4"))
DOWN_SECONDS = 0.5  # how long Redis stays away each round
RECOVER_SECONDS = 30.0  # bound for a new task to run after Redis is back (celery retries at 0, 2, 4 ... s)


class PrivateRedis:
    """A throwaway redis-server on a port of its own, without persistence (a restart empties it)."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        try:
            wait_for(lambda: self._pings(client), timeout=20, interval=0.05)
        finally:
            client.close()

    def _pings(self, client: redis.Redis) -> bool:
        assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-2000:]
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        """Drop the pub/sub clients, then SIGTERM the server and wait until it is gone."""
        assert self.proc is not None
        client = redis.Redis(port=self.port, socket_timeout=2)
        try:
            client.client_kill_filter(_type="pubsub")
        finally:
            client.close()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=20)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port(), tmp_path / "redis.log")
    server.start()
    try:
        yield server
    finally:
        server.close()


def worker_on(broker_url: str, log: Path) -> AbstractContextManager[tuple[subprocess.Popen[bytes], str]]:
    """`celery worker` (prefork, one process) consuming a private queue on the given broker."""
    return celery_worker_process(extra_env={"REDIS_URL": broker_url}, log=log)


def send(broker_url: str, queue: str, name: str, countdown: float = 0) -> str:
    """Publish the heartbeat task `name` to `queue`, to run `countdown` seconds from now."""
    with app.connection_for_write(broker_url) as conn:
        result = heartbeat.apply_async(  # type: ignore[call-arg]
            args=(name,), queue=queue, countdown=countdown, connection=conn
        )
    return str(result.id)


def test_redis_broker_urls_get_the_guarded_transport() -> None:
    with app.connection_for_write() as conn:
        assert isinstance(conn.transport, RedisTransport)
        assert conn.transport.Channel is RedisChannel
        assert conn.as_uri().startswith("redis://")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_running_tasks_across_redis_restarts(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    with private_redis(tmp_path) as server, worker_on(server.url, log) as (worker, queue):

        def worker_alive() -> None:
            assert worker.poll() is None, (
                f"round {round_no}: worker exited ({worker.returncode}) on a Redis restart:\n{log.read_text()[-6000:]}"
            )

        for round_no in range(ROUNDS):
            # A message the worker holds unacknowledged while Redis goes away.
            held = send(server.url, queue, f"held-{round_no}", countdown=3600)
            wait_for(lambda held=held: held.encode() in log.read_bytes(), timeout=30)
            time.sleep(0.3)  # the worker is back in its event loop, its next BRPOP sent

            server.stop()
            time.sleep(DOWN_SECONDS)
            worker_alive()
            server.start()

            name = f"after-restart-{round_no}"
            send(server.url, queue, name)
            deadline = time.monotonic() + RECOVER_SECONDS
            while not Heartbeat.objects.filter(name=name).exists():
                worker_alive()
                assert time.monotonic() < deadline, (
                    f"round {round_no}: no task ran within {RECOVER_SECONDS:.0f} s of Redis coming back:\n"
                    f"{log.read_text()[-6000:]}"
                )
                time.sleep(0.2)
            worker_alive()
        assert b"Unrecoverable error" not in log.read_bytes(), log.read_text()[-6000:]
