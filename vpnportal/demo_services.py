"""What `manage.py demo` brings along on a bare machine: a private Redis and a mail sink, both under var/.

- Redis: when nothing answers at REDIS_URL, a `redis-server` of the demo's own on a free port of
  127.0.0.1, its files in `var/redis/` (`make demo` installs Debian's package when it is absent).
- Mail: an SMTP server (aiosmtpd, a dev dependency) on a free port that accepts every alert email,
  keeps each message as `var/mail/<time>-<n>.eml` and reports one line per message.
"""

from __future__ import annotations

import email
import logging
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import redis

REDIS_START_TIMEOUT_S = 30
MAIL_DIR = "mail"
REDIS_DIR = "redis"


class DemoServiceError(RuntimeError):
    """A service the demo needs cannot be had (the message says what to install)."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_answers(url: str) -> bool:
    """Whether a Redis server answers PING at `url` (within a second)."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        return bool(client.ping())
    except (redis.RedisError, OSError, ValueError):
        return False


def start_private_redis(var: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start a redis-server of the demo's own (no persistence, files in var/redis/); its process and URL."""
    exe = shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if Path(p).exists()), None
    )
    if exe is None:
        raise DemoServiceError(
            "no Redis answers and redis-server is not installed: `make demo` installs Debian's "
            "redis-server, or run `apt-get install redis-server`, or set REDIS_URL"
        )
    folder = var / REDIS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [exe, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder), "--save", ""]
    argv += ["--appendonly", "no", "--daemonize", "no", "--logfile", str(folder / "redis.log")]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + REDIS_START_TIMEOUT_S
    while not redis_answers(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise DemoServiceError(f"the demo's redis-server did not start; see {folder / 'redis.log'}")
        time.sleep(0.2)
    return proc, url


class MailFolder:
    """An aiosmtpd handler: every message accepted is written to a file, then reported."""

    def __init__(self, folder: Path, report: Callable[[str], None]) -> None:
        self.folder = folder
        self.report = report
        self.count = 0
        self.lock = threading.Lock()
        folder.mkdir(parents=True, exist_ok=True)

    def keep(self, content: bytes, recipients: list[str]) -> Path:
        """Write one message as an .eml file and report it in one line; the file's path."""
        with self.lock:
            self.count += 1
            n = self.count
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = self.folder / f"{stamp}-{n:04d}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(content)
        tmp.replace(path)
        subject = str(email.message_from_bytes(content, policy=default_policy).get("Subject", ""))
        self.report(f"mail to {', '.join(recipients)}: {subject} -> {path}")
        return path

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd's hook: keep the message, accept it."""
        self.keep(bytes(envelope.content), list(envelope.rcpt_tos))
        return "250 Message kept"


def start_mail_sink(var: Path, report: Callable[[str], None], port: int = 0) -> tuple[Any, int]:
    """Run the demo's SMTP server (aiosmtpd, in a thread) on 127.0.0.1; its controller and port."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError as exc:  # a runtime-only install (requirements/base.txt) has no aiosmtpd
        raise DemoServiceError("the demo's mail sink needs aiosmtpd (`make install` installs it)") from exc
    # aiosmtpd logs every SMTP command at INFO on "mail.log"; the demo's console gets one line per message.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    port = port or free_port()
    controller = Controller(MailFolder(var / MAIL_DIR, report), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port
