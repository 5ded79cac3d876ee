"""Real receivers for channel tests on 127.0.0.1: an HTTP server that checks signatures, and Alertmanager."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.services import free_port

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"


@dataclass
class Received:
    """One request the receiver accepted."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass
class Receiver:
    """What an HTTP receiver got; with a secret it refuses (401) any post whose signature is wrong."""

    secret: str | None = None
    # Answer this status to every post (recorded all the same), e.g. 500 or 400.
    answer: int = 200
    requests: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, path: str, headers: dict[str, str], body: bytes) -> int:
        """Check and record a request; returns the status to answer."""
        if self.secret is not None:
            expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            given = headers.get("x-vpnportal-signature", "")
            if not hmac.compare_digest(expected, given):
                with self.lock:
                    self.refused.append(given)
                return 401
        with self.lock:
            self.requests.append(Received(path, headers, body))
        return self.answer

    def bodies(self) -> list[Any]:
        """Every accepted body as JSON, in order."""
        with self.lock:
            return [r.json() for r in self.requests]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver.accept(self.path, headers, body)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def http_receiver(port: int | None = None, receiver: Receiver | None = None) -> Iterator[Receiver]:
    """Serve `receiver` on 127.0.0.1:`port` for the block."""
    receiver = receiver or Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", port or free_port()), _handler(receiver))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def url_of(port: int, path: str = "/hook") -> str:
    """The receiver's URL on 127.0.0.1."""
    return f"http://127.0.0.1:{port}{path}"


# -- Alertmanager --------------------------------------------------------------------------------------
AM_CONFIG = """\
route:
  receiver: "null"
  group_wait: 1h
receivers:
  - name: "null"
"""


@contextmanager
def alertmanager(port: int | None = None) -> Iterator[str]:
    """Debian's Alertmanager on `port` or a free one (no clustering, its own storage); yields its base URL."""
    binary = shutil.which("prometheus-alertmanager") or ALERTMANAGER
    if not Path(binary).exists():
        pytest.skip("prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)")
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="vpnportal-am-") as tmp:
        config = Path(tmp) / "alertmanager.yml"
        config.write_text(AM_CONFIG)
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.path={tmp}/data",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/-/ready", timeout=2) as response:  # noqa: S310 - http on 127.0.0.1
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    err = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"Alertmanager did not start: {err[-2000:]}")
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def am_alerts(base: str) -> list[dict[str, Any]]:
    """What Alertmanager's own API lists as its alerts now (resolved ones are no longer listed)."""
    with urllib.request.urlopen(f"{base}/api/v2/alerts", timeout=10) as response:  # noqa: S310 - http on 127.0.0.1
        return list(json.loads(response.read()))
