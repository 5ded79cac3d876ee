"""Without DEBUG the web server, the worker and beat refuse to start unless both secrets are set.

Each process is started as a user starts it, with the production settings (vpnportal.settings) and an
environment holding none of the project's variables; commands that sign and decrypt nothing still run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.services import TEST_REDIS_URL, free_port
from tests.services import test_database_url as database_url  # not a test of this module

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "DJANGO_SECRET_KEY": "x7!Kq2@pL9#vR4$mT8%wZ1^bN6&cY3*dF5(gH0)jM-eU_sA+oI=tQ",
    "VPNPORTAL_FERNET_KEYS": Fernet.generate_key().decode(),
}
MANAGE = [sys.executable, "manage.py"]
CELERY = [sys.executable, "-m", "celery", "-A", "vpnportal"]

pytestmark = pytest.mark.django_db(transaction=True)


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a production process that was given only `extra` (and the test's services)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "VPNPORTAL_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="vpnportal.settings",
        DATABASE_URL=database_url(),
        REDIS_URL=TEST_REDIS_URL,
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def run(argv: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)


def commands(tmp_path: Path) -> dict[str, tuple[str, list[str]]]:
    """The serving processes, each as its operator starts it: (what it calls itself, argv)."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    gunicorn = [sys.executable, "-m", "gunicorn", "vpnportal.wsgi", "-b", f"127.0.0.1:{free_port()}"]
    return {
        "gunicorn": ("web server", gunicorn),
        "runserver": ("web server", [*manage, "runserver", "--noreload", f"127.0.0.1:{free_port()}"]),
        "worker": (
            "Celery worker",
            [*CELERY, "worker", "--pool", "solo", "-Q", "refused", "--without-mingle"],
        ),
        "beat": ("Celery beat", [*CELERY, "beat", "--schedule", str(tmp_path / "beat-schedule")]),
    }


@pytest.mark.parametrize("process", ["gunicorn", "runserver", "worker", "beat"])
@pytest.mark.parametrize(
    "given", [{}, {"DJANGO_SECRET_KEY": SECRETS["DJANGO_SECRET_KEY"]}], ids=["neither", "no-fernet"]
)
def test_it_refuses_to_start_without_the_secrets(tmp_path: Path, process: str, given: dict[str, str]) -> None:
    env = production_env(PYTHONPATH=str(ROOT), **given)
    label, argv = commands(tmp_path)[process]
    result = run(argv, env, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"vpnportal {label} refuses to start" in output
    assert "VPNPORTAL_FERNET_KEYS" in output.split("refuses to start", 1)[1].splitlines()[0]
    assert ("DJANGO_SECRET_KEY and" in output) == (not given)


def wait_for_output(proc: subprocess.Popen[str], log: Path, marker: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while marker not in log.read_text():
        assert proc.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)


@contextmanager
def running(argv: list[str], env: dict[str, str], tmp_path: Path, marker: str) -> Iterator[Path]:
    """A process started until `marker` is in its output; yields its log, stops it after."""
    log = tmp_path / "process.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        try:
            wait_for_output(proc, log, marker)
            yield log
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def started(argv: list[str], env: dict[str, str], tmp_path: Path, marker: str) -> str:
    """Start a process, wait for `marker` in its output, stop it; returns the output."""
    with running(argv, env, tmp_path, marker) as log:
        pass
    return log.read_text()


def healthz(port: int) -> int:
    """The status of GET /healthz over plain http, retried while the server binds."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                return int(response.status)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.mark.parametrize("server", ["runserver", "gunicorn"])
def test_the_web_server_serves_with_the_secrets(tmp_path: Path, server: str) -> None:
    port = free_port()
    argv = {
        "runserver": [*MANAGE, "runserver", "--noreload", f"127.0.0.1:{port}"],
        "gunicorn": [sys.executable, "-m", "gunicorn", "vpnportal.wsgi", "-b", f"127.0.0.1:{port}"],
    }[server]
    marker = {"runserver": "Quit the server with", "gunicorn": "Booting worker"}[server]
    with running(argv, production_env(**SECRETS), tmp_path, marker) as log:
        # Production settings over plain http: the health probe answers, exempt from the https redirect.
        assert healthz(port) == 200
    assert "refuses" not in log.read_text()


def test_the_worker_and_beat_start_with_the_secrets(tmp_path: Path) -> None:
    env = production_env(**SECRETS)
    worker = [*CELERY, "worker", "--pool", "solo", "-Q", f"started-{free_port()}", "--without-mingle"]
    assert "ready." in started([*worker, "--without-gossip", "--loglevel", "INFO"], env, tmp_path, "ready.")
    beat = [*CELERY, "beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")]
    assert "refuses" not in started(beat, env, tmp_path, "beat: Starting...")


def test_commands_that_need_no_secret_still_run_without_them(tmp_path: Path) -> None:
    env = production_env()
    fixture = ROOT / "tests" / "fixtures" / "cli" / "cisco_ios" / "show_clock.txt"
    parse = run(
        [*MANAGE, "parse", "--platform", "cisco_ios", "--command", "show clock", str(fixture)], env, ROOT
    )
    assert parse.returncode == 0, parse.stderr
    makemigrations = run([*MANAGE, "makemigrations", "--check", "--dry-run"], env, ROOT)
    assert makemigrations.returncode == 0, makemigrations.stdout + makemigrations.stderr
    static = dict(env, DJANGO_STATIC_ROOT=str(tmp_path / "static"))
    collect = run([*MANAGE, "collectstatic", "--noinput", "--dry-run"], static, ROOT)
    assert collect.returncode == 0, collect.stderr
