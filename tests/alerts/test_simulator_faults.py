"""End to end: a simulator fault fires its alert kind through `manage.py poll`, and resolves when undone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core import mail
from django.core.management import call_command

from devices.inventory import import_inventory
from simulator import SimulatorHandle, run_in_thread
from tests.alerts.helpers import open_alerts
from vpnportal.choices import AlertKind, AlertState
from vpnportal.models import Alert

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Two modern devices on a clock that starts now: certificates and the CRL are valid, nothing alerts.
SCENARIO: dict[str, Any] = {
    "clock": {"start": "now", "speed": 1.0},
    "validity": {"cert_age_days": 30, "cert_days_left": 335, "crl_age_hours": 1, "crl_hours_left": 200},
    "devices": [{"name": "csr-1", "persona": "ios15"}, {"name": "asa-1", "persona": "asa9"}],
    "tunnels": [{"name": "csr1-asa1", "ends": ["csr-1", "asa-1"], "traffic": {"a_to_b": 20, "b_to_a": 20}}],
}


@pytest.fixture
def network(settings: Any, tmp_path: Path) -> Iterator[SimulatorHandle]:
    """The two devices served on free ports, imported into the inventory."""
    settings.VPNPORTAL_KNOWN_HOSTS = tmp_path / "known_hosts"
    settings.SSH_CONNECT_TIMEOUT = 3
    settings.SSH_COMMAND_TIMEOUT = 5
    handle = run_in_thread(SCENARIO, base_port=0, state_dir=tmp_path / "sim")
    try:
        import_inventory(yaml.safe_dump(handle.inventory()))
        yield handle
    finally:
        handle.stop()


def poll() -> None:
    """One whole cycle through the command: poll, correlate, evaluate, notify."""
    call_command("poll", stdout=open("/dev/null", "w"))  # noqa: SIM115 - the command closes nothing


def kinds() -> dict[str, str]:
    return {a.kind: a.state for a in open_alerts()}


@pytest.mark.parametrize(
    ("device", "fault", "params", "kind", "polls"),
    [
        ("csr-1", "tunnel_down", {}, AlertKind.TUNNEL_DOWN, 2),
        ("csr-1", "clock_1993", {}, AlertKind.CLOCK_OUTSIDE_VALIDITY, 2),
        ("asa-1", "crl_expired", {}, AlertKind.CRL_EXPIRED, 2),
        ("csr-1", "crl_missing", {}, AlertKind.CRL_EXPIRED, 2),
        ("csr-1", "refuse", {}, AlertKind.POLL_FAILED, 2),
        # Counter faults: the first poll's deltas still include the time before the fault (or its end).
        ("asa-1", "errors", {"rate": 50}, AlertKind.SA_ERRORS, 3),
        ("csr-1", "one_way", {}, AlertKind.TUNNEL_ONE_WAY, 3),
        ("csr-1", "host_key_changed", {}, AlertKind.HOST_KEY_CHANGED, 2),
    ],
)
def test_it_fires_the_faults_kind_and_resolves_it_when_undone(
    network: SimulatorHandle, device: str, fault: str, params: dict[str, Any], kind: str, polls: int
) -> None:
    """It fires after ALERT_PENDING_POLLS (2) polls that see the fault, and resolves on the next clean one."""
    poll()
    assert kinds() == {}, [a.summary for a in open_alerts()]  # a healthy network is quiet
    network.set_fault(device, fault, **params)
    for _ in range(polls):
        poll()
    assert kinds().get(kind) == AlertState.FIRING, [a.summary for a in open_alerts()]
    if kind == AlertKind.POLL_FAILED:  # an unreachable device raises poll_failed and nothing else
        assert set(kinds()) == {AlertKind.POLL_FAILED}
    fired = Alert.objects.get(kind=kind, state=AlertState.FIRING)
    # Announced (the summary itself moves on with each poll: errors counted, time left).
    assert any(str(AlertKind(kind).label) in m.body and fired.subject in m.body for m in mail.outbox)
    network.clear_fault(device, fault)
    for _ in range(polls - 1):
        poll()
    fired.refresh_from_db()
    assert fired.state == AlertState.RESOLVED, [a.summary for a in open_alerts()]
    assert kinds() == {}, [a.summary for a in open_alerts()]
    assert "resolved" in mail.outbox[-1].subject
