"""End to end: a fleet imported with credential sets and {env: ...} / {file: ...} secrets polls the simulator.

The secrets carry the marker `%Wq7` (`%` is no base64 character, so no ciphertext can contain it): none
may reach a row, a log line, a command's output, an admin page or the API.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from devices.choices import PollStatus
from devices.models import CredentialSet, Device, Poll
from simulator import SimulatorHandle, run_in_thread
from tests.polling.test_secrets_never_stored import _database_text
from tests.services import run_python, worker_env
from vpnportal.choices import AlertKind, AlertState
from vpnportal.models import Alert

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

MARKER = "%Wq7"
BRANCH_PASSWORD = "Pw%Wq7!branch"
BRANCH_ENABLE = "En%Wq7!branch"
FW_PASSWORD = "Pw%Wq7!fw"
FW_ENABLE = "En%Wq7!fw"
SCENARIO: dict[str, Any] = {
    "clock": {"start": "now", "speed": 1.0},
    "validity": {"cert_age_days": 30, "cert_days_left": 335, "crl_age_hours": 1, "crl_hours_left": 200},
    "devices": [
        {
            "name": "csr-1",
            "persona": "ios15",
            "username": "netops",
            "password": BRANCH_PASSWORD,
            "enable": BRANCH_ENABLE,
        },
        {
            "name": "csr-2",
            "persona": "ios15",
            "username": "netops",
            "password": BRANCH_PASSWORD,
            "enable": BRANCH_ENABLE,
        },
        {
            "name": "asa-1",
            "persona": "asa9",
            "username": "fwops",
            "password": FW_PASSWORD,
            "enable": FW_ENABLE,
        },
    ],
    "tunnels": [{"name": "csr1-asa1", "ends": ["csr-1", "asa-1"], "traffic": {"a_to_b": 20, "b_to_a": 20}}],
}


@pytest.fixture
def fleet(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Iterator[SimulatorHandle]:
    """The three devices on free ports, imported through the command with two credential sets."""
    settings.VPNPORTAL_KNOWN_HOSTS = tmp_path / "known_hosts"
    settings.SSH_CONNECT_TIMEOUT = 3
    settings.SSH_COMMAND_TIMEOUT = 5
    caplog.set_level(logging.DEBUG)
    enable = tmp_path / "branch-enable"
    enable.write_text(BRANCH_ENABLE + "\n")  # as a mounted secret file: one trailing newline
    monkeypatch.setenv("VPNP_TEST_BRANCH_PASSWORD", BRANCH_PASSWORD)
    monkeypatch.setenv("VPNP_TEST_FW_ENABLE", FW_ENABLE)
    monkeypatch.delenv("VPNP_TEST_FW_PASSWORD", raising=False)
    handle = run_in_thread(SCENARIO, base_port=0, state_dir=tmp_path / "sim")
    try:
        devices = [
            {
                "name": d["name"],
                "host": d["host"],
                "port": d["port"],
                "platform": d["platform"],
                "credentials": "firewalls" if d["name"] == "asa-1" else "branch-routers",
            }
            for d in handle.inventory()["devices"]
        ]
        doc = {
            "credentials": [
                {
                    "name": "branch-routers",
                    "username": "netops",
                    "password": {"env": "VPNP_TEST_BRANCH_PASSWORD"},
                    "secret": {"file": str(enable)},
                },
                {
                    "name": "firewalls",
                    "username": "fwops",
                    "password": {"env": "VPNP_TEST_FW_PASSWORD"},
                    "secret": {"env": "VPNP_TEST_FW_ENABLE"},
                },
            ],
            "devices": devices,
            "tunnels": [{"name": "csr1-asa1", "ends": ["csr-1", "asa-1"]}],
        }
        path = tmp_path / "inventory.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        call_command("import_inventory", str(path), stdout=io.StringIO())
        yield handle
    finally:
        handle.stop()


def poll(outputs: list[str]) -> None:
    """One whole cycle through the command: poll, correlate, evaluate, notify."""
    out, err = io.StringIO(), io.StringIO()
    call_command("poll", stdout=out, stderr=err)
    outputs += [out.getvalue(), err.getvalue()]


def last_poll(name: str) -> Poll:
    return Poll.objects.filter(device__name=name).order_by("-started_at").first()  # type: ignore[return-value]


def leaks(text: str) -> list[str]:
    return [line.strip()[:200] for line in text.splitlines() if MARKER in line]


REASON = "credentials: {env: VPNP_TEST_FW_PASSWORD}: environment variable not set (credential set firewalls)"


def test_the_fleet_polls_and_a_missing_variable_fails_only_its_devices(
    fleet: SimulatorHandle,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    admin_user: User,
) -> None:
    outputs: list[str] = []
    assert not Device.objects.filter(username__gt="").exists()  # every login comes from a set
    poll(outputs)
    poll(outputs)
    for name in ("csr-1", "csr-2"):
        assert last_poll(name).status in (PollStatus.OK, PollStatus.PARTIAL), last_poll(name).reason
    failed = last_poll("asa-1")
    assert (failed.status, failed.reason) == (PollStatus.FAILED, REASON)
    assert [o for o in outputs if "VPNP_TEST_FW_PASSWORD" in o], outputs  # the command names the reference
    # poll_failed, raised the normal way (after ALERT_PENDING_POLLS polls), for that device only.
    alert = Alert.objects.get(kind=AlertKind.POLL_FAILED, state=AlertState.FIRING)
    assert alert.device is not None and alert.device.name == "asa-1"
    assert "{env: VPNP_TEST_FW_PASSWORD}" in alert.summary
    # Rotation: the variable appears (the file could change too); the next poll logs in, no re-import.
    monkeypatch.setenv("VPNP_TEST_FW_PASSWORD", FW_PASSWORD)
    poll(outputs)
    assert last_poll("asa-1").status in (PollStatus.OK, PollStatus.PARTIAL), last_poll("asa-1").reason
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED

    # No resolved value anywhere: rows, command output, log records (the simulator's own aside) ...
    assert leaks(_database_text()) == []
    assert leaks("\n".join(outputs)) == []
    records = [r for r in caplog.records if not r.name.startswith("simulator")]
    assert records and leaks("\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in records)) == []
    # ... the admin (pages of the sets and the devices) and the API.
    client = Client()
    client.force_login(admin_user)
    urls = ["/admin/devices/credentialset/", "/admin/devices/device/", "/api/devices/", "/devices/"]
    urls += [
        f"/admin/devices/credentialset/{pk}/change/"
        for pk in CredentialSet.objects.values_list("pk", flat=True)
    ]
    for pk in Device.objects.values_list("pk", flat=True):
        urls += [f"/admin/devices/device/{pk}/change/", f"/api/devices/{pk}/", f"/devices/{pk}/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert leaks(response.content.decode()) == [], url
    page = client.get(
        f"/admin/devices/credentialset/{CredentialSet.objects.get(name='firewalls').pk}/change/"
    )
    assert "env:VPNP_TEST_FW_PASSWORD" in page.content.decode()  # the reference is shown, it is no secret


def test_the_poll_command_in_its_own_process_logs_no_resolved_value(
    fleet: SimulatorHandle, tmp_path: Path
) -> None:
    """`manage.py poll` as an operator runs it, at DEBUG: the reference is named, the value never."""
    env = worker_env(
        {
            "VPNPORTAL_LOG_LEVEL": "DEBUG",
            "VPNPORTAL_KNOWN_HOSTS": str(tmp_path / "known_hosts_cli"),
            "SSH_CONNECT_TIMEOUT": "3",
            "SSH_COMMAND_TIMEOUT": "5",
        }
    )
    env.pop("VPNP_TEST_FW_PASSWORD", None)
    result = run_python("manage.py", "poll", env=env, timeout=180)
    text = result.stdout + result.stderr
    assert "csr-1" in text and "VPNP_TEST_FW_PASSWORD" in text, text[-3000:]
    assert last_poll("asa-1").reason == REASON
    assert last_poll("csr-2").status in (PollStatus.OK, PollStatus.PARTIAL), last_poll("csr-2").reason
    assert leaks(text) == []
