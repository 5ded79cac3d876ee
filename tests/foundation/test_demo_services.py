"""`make demo` on a bare machine: no PostgreSQL, no system Redis (a private one under var/), and a mail sink."""

from __future__ import annotations

import re
import signal
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.foundation.test_safe_by_default import ROOT, production_env
from tests.services import free_port
from vpnportal.demo_services import redis_answers, start_mail_sink, start_private_redis


def message(subject: str, to: str = "noc@demo.localhost") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "vpnportal@localhost", to, subject
    msg.set_content("Identity certificate expires in 6 days")
    return msg


def test_the_mail_sink_keeps_each_message_as_a_file_and_reports_it(tmp_path: Path) -> None:
    lines: list[str] = []
    controller, port = start_mail_sink(tmp_path, lines.append)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(message("[vpnportal] 1 firing: cert_expiring asa-2"))
            smtp.send_message(message("[vpnportal] resolved", to="branch@example.net"))
    finally:
        controller.stop()
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    assert "Subject: [vpnportal] 1 firing: cert_expiring asa-2" in files[0].read_text()
    assert "expires in 6 days" in files[0].read_text()
    assert len(lines) == 2
    assert lines[0] == f"mail to noc@demo.localhost: [vpnportal] 1 firing: cert_expiring asa-2 -> {files[0]}"
    assert lines[1].startswith("mail to branch@example.net: [vpnportal] resolved -> ")


def test_a_private_redis_starts_under_var_and_stops(tmp_path: Path) -> None:
    proc, url = start_private_redis(tmp_path)
    try:
        assert redis_answers(url) and url.startswith("redis://127.0.0.1:")
        assert (tmp_path / "redis" / "redis.log").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert not redis_answers(url)


@pytest.mark.integration
def test_the_demo_runs_on_sqlite_with_its_own_redis_and_mail_sink(tmp_path: Path) -> None:
    var = tmp_path / "var"
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    env = production_env(VPNPORTAL_VAR_DIR=str(var))
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/demo.sqlite3"  # no PostgreSQL
    env["REDIS_URL"] = dead_redis  # no Redis answers there
    port = free_port()
    log = tmp_path / "demo.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "demo", "--no-simulator", "--addr", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 180
            worker_log = var / "demo-worker.log"
            while "ready." not in (worker_log.read_text() if worker_log.exists() else ""):
                assert proc.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.5)
            text = log.read_text()
            assert f"none answers at {dead_redis}; started the demo's own at redis://127.0.0.1:" in text
            redis_url = re.search(r"started the demo's own at (redis://\S+)", text).group(1)  # type: ignore[union-attr]
            assert redis_answers(redis_url)
            smtp_port = int(re.search(r"SMTP 127\.0\.0\.1:(\d+)", text).group(1))  # type: ignore[union-attr]
            assert "noc@demo.localhost" in text and str(var / "mail") in text
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
                smtp.send_message(message("[vpnportal] demo alert"))
            while "mail to noc@demo.localhost: [vpnportal] demo alert" not in log.read_text():
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
            assert len(list((var / "mail").glob("*.eml"))) == 1
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
    assert not redis_answers(redis_url)  # stopped with the demo
