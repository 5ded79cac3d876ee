"""/readyz names the part that is down (Redis stopped, beat silent, database unreachable); /healthz stays 200.

Redis is a private redis-server the test starts and stops; the database outage is a gunicorn whose
DATABASE_URL points at a port nobody listens on.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from devices.models import Device
from tests.foundation.test_broker_restart import PrivateRedis, private_redis
from tests.services import ROOT, free_port, worker_env
from vpnportal.models import Heartbeat, Notification

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A private Redis, the broker of this test's settings."""
    with private_redis(tmp_path) as server, override_settings(CELERY_BROKER_URL=server.url):
        yield server


def alive(minutes_ago: float = 0.3) -> None:
    """Beat ticked and a worker ran the heartbeat task `minutes_ago`."""
    when = timezone.now() - timedelta(minutes=minutes_ago)
    for name in ("beat", "worker"):
        Heartbeat.objects.update_or_create(name=name, defaults={"last_seen": when, "detail": "test-host"})


def readyz(client: Client) -> tuple[int, dict[str, Any]]:
    """Status and JSON body of GET /readyz over plain http, without a session."""
    response = client.get("/readyz", secure=False)
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def failing(body: dict[str, Any]) -> set[str]:
    """The parts whose check is not ok."""
    return {name for name, check in body["checks"].items() if check["ok"] is not True}


def test_it_is_ready_when_every_part_answers(client: Client, broker: PrivateRedis) -> None:
    alive()
    status, body = readyz(client)
    assert status == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "beat", "workers", "notifications", "polls"}
    assert failing(body) == set()
    assert body["checks"]["redis"]["queued"] == 0
    assert body["checks"]["workers"]["fresh"] == 1


@override_settings(SECURE_SSL_REDIRECT=True)
def test_it_names_redis_when_the_broker_is_stopped(client: Client, broker: PrivateRedis) -> None:
    alive()
    assert readyz(client)[0] == 200
    broker.stop()
    status, body = readyz(client)
    assert status == 503
    assert body["status"] == "down"
    assert failing(body) == {"redis"}
    assert body["checks"]["redis"]["required"] is True
    assert "Redis" in body["checks"]["redis"]["problem"]
    # Liveness never looks at Redis, and neither probe is redirected to https.
    health = client.get("/healthz", secure=False)
    assert health.status_code == 200 and health.json() == {"status": "ok"}


def test_it_names_beat_when_beat_is_silent(client: Client, broker: PrivateRedis) -> None:
    alive()
    Heartbeat.objects.filter(name="beat").update(last_seen=timezone.now() - timedelta(minutes=12))
    status, body = readyz(client)
    assert status == 503
    assert failing(body) == {"beat"}
    assert body["checks"]["beat"]["age_seconds"] >= 12 * 60
    assert "Beat is silent" in body["checks"]["beat"]["problem"]
    assert client.get("/healthz").status_code == 200


def test_it_names_the_workers_when_no_worker_runs(client: Client, broker: PrivateRedis) -> None:
    alive()
    Heartbeat.objects.filter(name="worker").update(last_seen=timezone.now() - timedelta(minutes=20))
    status, body = readyz(client)
    assert status == 503
    assert failing(body) == {"workers"}
    assert body["checks"]["workers"]["problem"].startswith("Polling has stopped")


def test_a_backlog_degrades_without_failing_the_probe(client: Client, broker: PrivateRedis) -> None:
    alive()
    old = timezone.now() - timedelta(hours=3)
    Notification.objects.create(
        recipient="netops@example.com", subject="s", body_text="b", created_at=old, next_attempt_at=old
    )
    Device.objects.create(name="r1", host="192.0.2.1", platform="cisco_ios", username="u", next_poll_at=old)
    status, body = readyz(client)
    assert status == 200
    assert body["status"] == "degraded"
    assert failing(body) == {"notifications", "polls"}
    assert body["checks"]["notifications"]["backlog"] == 1
    assert body["checks"]["notifications"]["oldest_age_seconds"] >= 3 * 3600
    assert body["checks"]["polls"]["overdue"] == 1


def test_metrics_carry_the_same_figures(client: Client, broker: PrivateRedis, admin_user) -> None:
    alive()
    Heartbeat.objects.filter(name="beat").update(last_seen=timezone.now() - timedelta(minutes=12))
    client.force_login(admin_user)
    text = client.get("/metrics").content.decode()
    assert 'vpnportal_part_up{part="beat",required="true"} 0' in text
    assert 'vpnportal_part_up{part="redis",required="true"} 1' in text
    assert 'vpnportal_part_up{part="polls",required="false"} 1' in text
    assert "vpnportal_redis_queued 0" in text
    age = next(line for line in text.splitlines() if line.startswith("vpnportal_beat_age_seconds "))
    assert float(age.split()[1]) >= 12 * 60


def test_admins_see_a_banner_when_polling_has_stopped(
    client: Client, broker: PrivateRedis, admin_user, viewer
) -> None:
    alive()
    client.force_login(admin_user)
    assert b'class="messages readiness"' not in client.get("/").content
    Heartbeat.objects.filter(name="worker").update(last_seen=timezone.now() - timedelta(minutes=20))
    page = client.get("/").content.decode()
    assert 'data-part="workers"' in page
    assert "Polling has stopped: no worker heartbeat for 20 min." in page
    viewer_client = Client()
    viewer_client.force_login(viewer)
    assert b'class="messages readiness"' not in viewer_client.get("/").content


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 - http URL the test built
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_it_names_the_database_when_it_is_unreachable(tmp_path: Path, broker: PrivateRedis) -> None:
    port, dead = free_port(), free_port()
    env = worker_env(
        {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{dead}/vpnportal",
            "REDIS_URL": broker.url,
            "DJANGO_SECURE_SSL_REDIRECT": "1",
        }
    )
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "vpnportal.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, content = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        assert (status, json.loads(content)) == (200, {"status": "ok"})
        status, content = _get(f"http://127.0.0.1:{port}/readyz")
        body = json.loads(content)  # JSON, never Django's HTML error page
        assert status == 503, body
        assert body["status"] == "down"
        assert body["checks"]["database"]["ok"] is False
        assert body["checks"]["redis"]["ok"] is True
        assert {name for name, c in body["checks"].items() if c["ok"] is None} == {
            "beat",
            "workers",
            "notifications",
            "polls",
        }
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_beat_records_its_own_tick_when_it_sends_the_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    from vpnportal import tasks

    tasks.record_beat_tick(sender="vpnportal.tasks.heartbeat")
    assert not Heartbeat.objects.filter(name="beat").exists()  # not the beat process: nothing recorded
    monkeypatch.setattr(tasks, "_in_beat", True)
    tasks.record_beat_tick(sender="devices.tasks.dispatch_due_polls")
    assert not Heartbeat.objects.filter(name="beat").exists()  # only the minute's heartbeat task counts
    tasks.record_beat_tick(sender="vpnportal.tasks.heartbeat")
    beat = Heartbeat.objects.get(name="beat")
    assert (timezone.now() - beat.last_seen).total_seconds() < 60
