"""A real Celery worker keeps a device's session between its polls and logs out when it stops."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from devices.choices import PollStatus
from devices.models import Device, Poll
from devices.tasks import poll_device
from simulator import SimulatorHandle
from tests.polling.test_session_reuse import IOS, logins
from tests.services import TEST_REDIS_URL, celery_worker_process, wait_for
from vpnportal.celery import app

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


@pytest.mark.parametrize(("pool", "concurrency"), [("threads", 4), ("prefork", 1)])
def test_a_worker_reuses_the_session_and_logs_out_at_shutdown(
    sim: SimulatorHandle,
    seed: dict[str, Device],
    known_hosts: Path,
    tmp_path: Path,
    pool: str,
    concurrency: int,
) -> None:
    env = {"VPNPORTAL_KNOWN_HOSTS": str(known_hosts), "SSH_CONNECT_TIMEOUT": "5", "SSH_COMMAND_TIMEOUT": "20"}
    with (
        celery_worker_process(
            concurrency=concurrency, extra_env=env, log=tmp_path / "worker.log", pool=pool
        ) as (
            _,
            queue,
        ),
        app.connection_for_write(TEST_REDIS_URL) as conn,
    ):
        for done in (1, 2):
            poll_device.apply_async(args=(seed[IOS].pk,), queue=queue, connection=conn)  # type: ignore[call-arg]
            wait_for(lambda n=done: Poll.objects.filter(finished_at__isnull=False).count() >= n, 60)
        assert len(sim.device(IOS).sessions) == 1  # kept by the worker between the polls
    # The worker stopped (warm shutdown): its kept session logged out.
    deadline = time.monotonic() + 10
    while sim.device(IOS).sessions and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not sim.device(IOS).sessions
    polls = list(Poll.objects.order_by("pk"))
    assert [p.status for p in polls] == [PollStatus.OK, PollStatus.OK], [p.reason for p in polls]
    assert "reuse" in polls[1].timings and logins(sim, IOS) == 1
