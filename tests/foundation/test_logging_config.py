"""Every process logs through settings.LOGGING: secrets masked on every handler, JSON lines on request."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.services import ROOT, TEST_REDIS_URL, run_python, worker_env
from vpnportal.celery import app
from vpnportal.logging import ContextFilter, JsonFormatter, RedactSecretsFilter, log_context

SECRET = "Hunter2-Sekrit-4Kq"

# What a worker does at start-up: Django's set-up (Celery's Django fix-up), then Celery's logging set-up,
# which used to replace the root handlers with its own, unfiltered ones.
WORKER_START = f"""
import logging, sys
import django
django.setup()
from vpnportal.celery import app
from vpnportal.logging import RedactSecretsFilter
app.log.setup(loglevel="INFO", redirect_stdouts=True)
logging.getLogger("devices.poll").warning("login refused for password {SECRET}")
try:
    raise RuntimeError("enable secret {SECRET} rejected")
except RuntimeError:
    logging.getLogger("celery.app.trace").exception("task failed")
loggers = [logging.getLogger()] + [
    lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)
]
bare = [
    (lg.name, type(h).__name__)
    for lg in loggers
    for h in lg.handlers
    if not isinstance(h, logging.NullHandler)  # writes nothing
    and not any(isinstance(f, RedactSecretsFilter) for f in h.filters)
]
print("unfiltered handlers:", bare, file=sys.__stderr__)
"""


def run(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_python("-c", script, env=env)


def test_celery_logging_keeps_the_redaction_on_every_handler() -> None:
    result = run(WORKER_START, worker_env({"DATABASE_URL": "sqlite:///var/unused.sqlite3"}))
    written = result.stdout + result.stderr
    assert result.returncode == 0, written
    assert "login refused for password ********" in written
    assert "enable secret ******** rejected" in written  # the traceback too
    assert SECRET not in written
    assert "unfiltered handlers: []" in written


def test_a_celery_log_file_gets_the_same_filters(tmp_path: Path) -> None:
    logfile = tmp_path / "worker.log"
    script = WORKER_START.replace("redirect_stdouts=True", f'redirect_stdouts=True, logfile="{logfile}"')
    result = run(script, worker_env({"DATABASE_URL": "sqlite:///var/unused.sqlite3", "LOG_FORMAT": "json"}))
    assert result.returncode == 0, result.stderr
    written = logfile.read_text()
    assert "login refused for password ********" in written and SECRET not in written
    assert all(json.loads(line) for line in written.splitlines() if line.startswith("{"))
    assert "unfiltered handlers: []" in result.stderr


def test_worker_start_writes_json_lines_with_log_format_json() -> None:
    env = worker_env({"DATABASE_URL": "sqlite:///var/unused.sqlite3", "LOG_FORMAT": "json"})
    result = run(WORKER_START, env)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines if not line.startswith("unfiltered handlers")]
    assert {e["logger"] for e in entries} >= {"devices.poll", "celery.app.trace"}
    failed = next(e for e in entries if e["message"] == "task failed")
    assert "RuntimeError: enable secret ******** rejected" in failed["exception"]


def test_beat_writes_json_lines(tmp_path: Path) -> None:
    env = worker_env({"DATABASE_URL": "sqlite:///var/unused.sqlite3", "LOG_FORMAT": "json"})
    log = tmp_path / "beat.log"
    with open(log, "wb") as out:
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "vpnportal", "beat", "-s", str(tmp_path / "schedule")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while b"beat: Starting" not in log.read_bytes():
                assert beat.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        finally:
            beat.terminate()
            beat.wait(timeout=20)
            # What beat sent meanwhile waits for no worker of this test.
            redis.Redis.from_url(TEST_REDIS_URL).delete(app.conf.task_default_queue)
    # Beat prints its banner to stdout before logging starts; every log line after it is JSON.
    lines = log.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if "beat: Starting" in line)
    entry = json.loads(lines[start])
    assert entry["logger"] == "celery.beat" and entry["level"] == "INFO"
    assert all(json.loads(line) for line in lines[start:] if line.strip())


@pytest.mark.parametrize("ids", [{"device_id": 7, "poll_id": 42, "task_id": "t-1"}, {}])
def test_json_lines_carry_the_ids_of_the_context(ids: dict[str, object]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecretsFilter())
    handler.addFilter(ContextFilter())
    records: list[str] = []
    handler.emit = lambda record: records.append(handler.format(record))  # type: ignore[method-assign]
    logger = logging.getLogger("tests.json_lines")
    logger.addHandler(handler)
    try:
        with log_context(**ids):
            logger.warning("challenge %s refused", SECRET)
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    inside, outside = (json.loads(r) for r in records)
    assert inside["message"] == "challenge ******** refused"
    assert {k: inside[k] for k in ids} == ids
    assert not {"device_id", "poll_id", "task_id"} & set(outside)
