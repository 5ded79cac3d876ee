"""`make demo` runs on keys of its own: made once under var/ (0600), reused, handed to every process."""

from __future__ import annotations

import signal
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.foundation.test_safe_by_default import ROOT, production_env
from tests.services import free_port
from vpnportal.management.commands.demo import DEMO_KEYS_FILE, demo_keys


def test_the_demo_makes_its_keys_once_private_and_reuses_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    monkeypatch.delenv("VPNPORTAL_FERNET_KEYS", raising=False)
    first = demo_keys(tmp_path / "var")
    path = tmp_path / "var" / DEMO_KEYS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first["DJANGO_SECRET_KEY"]) >= 50
    Fernet(first["VPNPORTAL_FERNET_KEYS"].encode())  # a real Fernet key
    path.chmod(0o644)
    assert demo_keys(tmp_path / "var") == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("VPNPORTAL_FERNET_KEYS", "from-the-environment")
    assert demo_keys(tmp_path / "var")["VPNPORTAL_FERNET_KEYS"] == "from-the-environment"


@pytest.mark.django_db(transaction=True)
def test_the_demo_starts_web_worker_and_beat_without_any_key_in_the_environment(tmp_path: Path) -> None:
    port = free_port()
    env = production_env(VPNPORTAL_VAR_DIR=str(tmp_path / "var"))
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
            deadline = time.monotonic() + 120
            while True:
                assert proc.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as r:
                        assert r.status == 200
                        break
                except OSError:
                    time.sleep(0.5)
            worker_log = tmp_path / "var" / "demo-worker.log"
            while "ready." not in (worker_log.read_text() if worker_log.exists() else ""):
                assert proc.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, worker_log.read_text()[-3000:]
                time.sleep(0.5)
            time.sleep(2)  # beat has started too: the demo stops when any of its processes exits
            assert proc.poll() is None, log.read_text()[-3000:]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    assert stat.S_IMODE((tmp_path / "var" / DEMO_KEYS_FILE).stat().st_mode) == 0o600
    for name in ("web", "worker", "beat"):
        assert "refuses to start" not in (tmp_path / "var" / f"demo-{name}.log").read_text()
