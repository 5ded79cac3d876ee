"""Configurations full of secrets, polled from the simulator: no secret reaches a row, a page, the API or a log.

Every secret value of the fixture configurations carries the marker `qZjx` (not a base64 run: encrypted columns never match it); the fixtures are served
verbatim by the simulator (`running_config_file`) to the seed router, the seed PIX and an ASA 9.
"""

from __future__ import annotations

import contextlib
import io
import logging
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client

from devices import rawstore
from devices.inventory import import_inventory
from devices.models import Device, DeviceState, Finding, Poll, PollOutput, RawOutput, Tunnel
from pki.models import Trustpoint
from simulator import SimulatorHandle, run_in_thread
from tests.parsers.helpers import FIXTURES
from tests.polling.conftest import inventory_text

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

MARKER = "qZjx"
CONFIGS = {
    "1720-1": FIXTURES / "cisco_ios" / "show_running-config__secrets.txt",
    "pix520-1": FIXTURES / "cisco_pix" / "write_terminal__secrets.txt",
    "asa-1": FIXTURES / "cisco_asa" / "show_running-config__secrets.txt",
}


def _scenario() -> dict[str, Any]:
    return {
        "clock": {"start": "seed", "speed": 1.0},
        "devices": [
            {
                "name": "1720-1",
                "persona": "seed-router",
                "set": {"running_config_file": str(CONFIGS["1720-1"])},
            },
            {
                "name": "pix520-1",
                "persona": "seed-pix",
                "set": {"running_config_file": str(CONFIGS["pix520-1"])},
            },
            {"name": "asa-1", "persona": "asa9", "set": {"running_config_file": str(CONFIGS["asa-1"])}},
        ],
        "tunnels": [{"name": "hq-branch", "ends": ["1720-1", "pix520-1"]}],
    }


@pytest.fixture
def secret_sim(tmp_path: Path) -> Iterator[SimulatorHandle]:
    handle = run_in_thread(_scenario(), base_port=0, state_dir=tmp_path / "sim")
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def polled(
    secret_sim: SimulatorHandle, settings: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> tuple[str, str]:
    """Every device polled twice through `manage.py poll` (diagnosis and alerts included)."""
    settings.VPNPORTAL_KNOWN_HOSTS = tmp_path / "known_hosts"
    import_inventory(inventory_text(secret_sim))
    caplog.set_level(logging.DEBUG)
    out, err = io.StringIO(), io.StringIO()
    for _ in range(2):
        call_command("poll", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _database_text() -> str:
    """Every column of every table of the test database as text, compressed raw outputs inflated."""
    parts: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the introspection
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        data = bytes(value)
                        with contextlib.suppress(zlib.error):
                            data = zlib.decompress(data)
                        parts.append(data.decode("utf-8", "replace"))
                    else:
                        parts.append(str(value))
    # Outputs stored as deltas (PollOutput.delta) read only against their base: inflate them too.
    parts += [
        o.data().decode("utf-8", "replace")
        for o in PollOutput.objects.exclude(delta=b"").select_related("raw")
    ]
    return "\n".join(parts)


def _leaks(text: str) -> list[str]:
    return [line.strip()[:200] for line in text.splitlines() if MARKER in line]


def test_the_fixtures_are_served_and_parsed(polled: tuple[str, str]) -> None:
    for name in CONFIGS:
        state = DeviceState.objects.get(device__name=name)
        assert state.last_ok_poll is not None, name
    assert Poll.objects.filter(status__in=["ok", "partial"]).count() == 6
    # The stored configuration is the served one with its secrets masked: keywords kept.
    stored = "\n".join(
        [r.data().decode() for r in RawOutput.objects.all()]
        + [o.data().decode() for o in PollOutput.objects.exclude(delta=b"").select_related("raw")]
    )
    for line in (
        "tacacs-server key <removed>",
        " ikev1 pre-shared-key <removed>",
        "isakmp key <removed> address",
    ):
        assert line in stored
    assert Trustpoint.objects.filter(enrollment_url__contains="<removed>@").count() == 2
    # A line the parser does not know is kept as a warning, with its secret masked.
    warnings = [w for poll in Poll.objects.all() for w in rawstore.poll_warnings(poll)]
    assert any("ocsp url http://ocsp:<removed>@ocsp.example.com/" in w for w in warnings), warnings
    assert Tunnel.objects.filter(name="hq-branch").exists()


def test_no_secret_in_any_column(polled: tuple[str, str]) -> None:
    assert _leaks(_database_text()) == []


def test_no_secret_in_any_page_or_api_response(polled: tuple[str, str], admin_user: User) -> None:
    client = Client()
    client.force_login(admin_user)
    urls = ["/", "/devices/", "/tunnels/", "/alerts/", "/certificates/", "/crls/", "/api/"]
    urls += [f"/devices/{pk}/" for pk in Device.objects.values_list("pk", flat=True)]
    urls += [f"/tunnels/{pk}/" for pk in Tunnel.objects.values_list("pk", flat=True)]
    urls += [f"/api/devices/{pk}/" for pk in Device.objects.values_list("pk", flat=True)]
    urls += [f"/api/tunnels/{pk}/" for pk in Tunnel.objects.values_list("pk", flat=True)]
    urls += list(client.get("/api/").json().values())
    assert Finding.objects.exists()  # the diagnosis ran over the redacted outputs
    seen = 0
    for url in dict.fromkeys(urls):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _leaks(response.content.decode()) == [], url
        seen += 1
    assert seen >= 15


def test_no_secret_in_any_log_record_or_command_output(
    polled: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    out, err = polled
    assert "1720-1" in out
    assert _leaks(out + err) == []
    records = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert _leaks(records) == []
