"""The challenge password is nowhere at rest: not in any table, not in a log line, not in Redis."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from typing import Any

import pytest
import redis
from django.contrib.auth.models import User
from django.db import connection

from devices.models import Device
from devices.tasks import poll_device
from pki import enrollment_requests
from pki.choices import EnrollmentState
from pki.enrollment_requests import request_enrollment
from pki.enrollment_runs import run_enrollment
from pki.models import Enrollment
from pki.tasks import run_enrollment as run_enrollment_task
from simulator import SimulatorHandle
from simulator import enroll as sim_enroll
from tests.services import ROOT, TEST_REDIS_URL, celery_worker, wait_for
from vpnportal.celery import app

from .conftest import CHALLENGE

pytestmark = pytest.mark.integration


def database_text() -> str:
    """Every row of every table, as text."""
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names come from the schema
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def take_messages(client: redis.Redis, queue: str, task_name: str) -> list[Any]:
    """Remove the messages of `task_name` waiting in `queue`; returns their positional arguments."""
    taken: list[Any] = []
    waiting: list[Any] = client.lrange(queue, 0, -1)
    for raw in waiting:
        message = json.loads(raw)
        if message.get("headers", {}).get("task") == task_name:
            taken.append(json.loads(base64.b64decode(message["body"]))[0])
            client.lrem(queue, 1, raw)
    return taken


def redis_text(client: redis.Redis, keys: list[Any]) -> str:
    """Every value under `keys`, with Celery message bodies decoded from base64."""
    chunks: list[str] = []
    for key in keys:
        raw_kind: Any = client.type(key)
        kind = raw_kind.decode() if isinstance(raw_kind, bytes) else str(raw_kind)
        values: list[Any] = []
        if kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "hash":
            values = list(client.hgetall(key).values())
        elif kind == "zset":
            values = client.zrange(key, 0, -1)
        elif kind == "set":
            values = list(client.smembers(key))
        elif kind == "string":
            values = [client.get(key) or b""]
        for value in values:
            text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
            chunks.append(text)
            try:
                message = json.loads(text)
            except ValueError:
                continue
            if isinstance(message, list):  # unacked entries: [message, exchange, routing key]
                message = message[0]
            if isinstance(message, dict) and "body" in message:
                chunks.append(base64.b64decode(message["body"]).decode(errors="replace"))
    return "\n".join(chunks)


async def asks_something_else(session: Any, args: list[str]) -> None:
    """An enroll command answered by a question no dialogue table knows."""
    await sim_enroll.yes_no(session, "% Overwrite the saved keys? [yes/no]: ")


@pytest.mark.django_db
def test_it_keeps_the_challenge_out_of_every_table_and_log(
    sim: SimulatorHandle,
    devices: dict[str, Device],
    operator: User,
    enqueued: list[int],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Debug on for our code and the SSH stack (production keeps netmiko/paramiko at WARNING).
    for name in ("", "netmiko", "paramiko", "pki", "devices", "vpnportal"):
        caplog.set_level(logging.DEBUG, logger=name)
    granted = request_enrollment(devices["pix520-1"], "cisco", CHALLENGE, operator)
    queued_text = database_text()
    assert CHALLENGE not in queued_text
    # The hand-over exists while queued, as ciphertext only.
    assert Enrollment.objects.values_list("challenge", flat=True).get(pk=granted.pk) != ""
    run_enrollment(granted.pk)
    sim.set_fault("1720-1", "enroll_stuck")
    failed = request_enrollment(devices["1720-1"], "vpn", CHALLENGE, operator)
    run_enrollment(failed.pk)
    # A PIX that asks something unexpected right after echoing `ca enroll cisco PASSWORD`: the error
    # quotes the device's last lines, the echo among them.
    monkeypatch.setattr(sim_enroll, "run", asks_something_else)
    odd = request_enrollment(devices["pix520-1"], "cisco", CHALLENGE, operator)
    run_enrollment(odd.pk)
    odd.refresh_from_db()
    assert odd.state == EnrollmentState.FAILED and "ca enroll cisco ********" in odd.error
    states = dict(Enrollment.objects.values_list("pk", "state"))
    assert states == {
        granted.pk: EnrollmentState.GRANTED,
        failed.pk: EnrollmentState.FAILED,
        odd.pk: EnrollmentState.FAILED,
    }
    assert set(Enrollment.objects.values_list("challenge", flat=True)) == {""}  # wiped on use
    assert CHALLENGE not in database_text()
    # The PIX echoed the command line with the password in it: the transcript shows ******** instead.
    assert "ca enroll cisco ********" in Enrollment.objects.get(pk=granted.pk).transcript
    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("read_channel") for m in messages)  # channel reads were logged meanwhile
    assert not [m for m in messages if CHALLENGE in m]
    captured = capsys.readouterr()
    assert CHALLENGE not in captured.out + captured.err
    # The simulator did receive it: the test would notice if the dialogue had not sent it at all.
    assert any(CHALLENGE in line for line in sim.received_lines("pix520-1"))


@pytest.mark.django_db(transaction=True)
def test_it_sends_only_the_id_through_redis_and_the_worker(
    sim: SimulatorHandle,
    devices: dict[str, Device],
    operator: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = redis.Redis.from_url(TEST_REDIS_URL)
    # A queue of this run only: parallel test runs share the Redis database.
    queue = f"test-enroll-{uuid.uuid4().hex[:10]}"
    with app.connection_for_write(TEST_REDIS_URL) as conn:
        real_enqueue = enrollment_requests.enqueue_enrollment
        monkeypatch.setattr(
            enrollment_requests,
            "enqueue_enrollment",
            lambda pk: real_enqueue(pk, queue=queue, connection=conn),
        )
        enrollment = request_enrollment(devices["asa-1"], "SIMCA", CHALLENGE, operator)
    # Queued, no worker yet: the message waits in Redis.
    keys = client.keys("*")
    assert queue.encode() in keys
    waiting = redis_text(client, keys)
    assert f"[[{enrollment.pk}], {{}}" in waiting  # the task's arguments: the id alone
    assert run_enrollment_task.name in waiting
    assert CHALLENGE not in waiting
    with celery_worker(queue=queue, extra_env={"ENROLLMENT_CHECK_SECONDS": "1"}):
        wait_for(
            lambda: Enrollment.objects.filter(pk=enrollment.pk, state__in=["granted", "failed"]).exists(), 90
        )
        assert CHALLENGE not in redis_text(client, client.keys("*"))
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.GRANTED, (enrollment.error, enrollment.transcript)
    assert enrollment.new_serial
    log = (ROOT / "var" / f"worker-{queue}.log").read_text(errors="replace")
    assert "pki.tasks.run_enrollment" in log
    assert CHALLENGE not in log
    assert CHALLENGE not in database_text()
    # After the grant the worker queued a poll of the device, by id, for the poll workers (default queue).
    assert [devices["asa-1"].pk] in take_messages(client, app.conf.task_default_queue, poll_device.name)
    client.delete(queue)
