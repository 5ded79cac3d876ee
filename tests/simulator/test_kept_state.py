"""Kept device state (simulator/persist.py): a re-enrolled certificate and a fault survive a restart; reset forgets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth.models import User

from devices.inventory import import_inventory
from devices.models import Device
from devices.poll import poll_device
from pki.choices import CertificateRole, EnrollmentState
from pki.enrollment_requests import request_enrollment
from pki.enrollment_runs import run_enrollment
from pki.models import Certificate, Trustpoint
from simulator import persist, run_in_subprocess, run_in_thread
from tests.services import four_personas_scenario, simulator_state_dir

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def quick(settings: Any, tmp_path: Path) -> None:
    settings.VPNPORTAL_KNOWN_HOSTS = tmp_path / "known_hosts"
    settings.SSH_CONNECT_TIMEOUT = 5
    settings.SSH_COMMAND_TIMEOUT = 5
    settings.ENROLLMENT_CHECK_SECONDS = 1
    settings.ENROLLMENT_DEADLINE_SECONDS = 60


def identity_serial(handle: Any, name: str) -> int:
    ident = handle.device(name).identity()
    assert ident is not None and ident.status == "Available"
    return int(ident.serial)


def test_a_reenrolled_certificate_and_a_fault_survive_a_restart_and_reset_forgets_them(
    key_cache: Path,
    tmp_path: Path,
    quick: None,
    operator: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    monkeypatch.setattr("pki.enrollment_requests.enqueue_enrollment", lambda pk: None)
    monkeypatch.setattr("pki.enrollment_runs.queue_poll", lambda *a, **k: None, raising=False)
    state = simulator_state_dir(key_cache, tmp_path)
    scenario = four_personas_scenario()
    with run_in_thread(scenario, state_dir=state, keep_state=True) as sim:
        original = identity_serial(sim, "csr-1")
        import_inventory(yaml.safe_dump(sim.inventory(), sort_keys=False))
        device = Device.objects.get(name="csr-1")
        Trustpoint.objects.get_or_create(device=device, name="SIMCA")
        enrollment = request_enrollment(device, "SIMCA", "Ch4llenge-2002!x", operator)
        with django_capture_on_commit_callbacks(execute=True):
            run_enrollment(enrollment.pk)
        enrollment.refresh_from_db()
        assert enrollment.state == EnrollmentState.GRANTED, (enrollment.error, enrollment.transcript)
        granted = identity_serial(sim, "csr-1")
        assert granted != original
        sim.set_fault("asa-1", "tunnel_down")
    kept = persist.load(state)
    assert kept["asa-1"]["faults"] == {"tunnel_down": {}}

    # Restarted (new ports): the device still holds the granted certificate and the fault.
    with run_in_thread(scenario, state_dir=state, keep_state=True) as sim:
        assert identity_serial(sim, "csr-1") == granted
        assert sim.device("asa-1").has("tunnel_down")
        # What the portal sees after the restart: the new certificate.
        import_inventory(yaml.safe_dump(sim.inventory(), sort_keys=False))
        poll = poll_device(Device.objects.get(name="csr-1").pk)
        assert poll is not None and poll.status == "ok", poll.reason if poll else None
        serials = set(
            Certificate.objects.filter(
                device__name="csr-1", role=CertificateRole.IDENTITY, present=True
            ).values_list("serial", flat=True)
        )
        assert f"{granted:X}" in serials

    # Without keep_state the scenario wins (the kept file is left alone) ...
    with run_in_thread(scenario, state_dir=state) as sim:
        assert identity_serial(sim, "csr-1") == original
        assert not sim.device("asa-1").has("tunnel_down")
    assert persist.load(state)["csr-1"]
    # ... and reset starts over.
    assert persist.forget(state) and persist.load(state) == {}
    with run_in_thread(scenario, state_dir=state, keep_state=True) as sim:
        assert identity_serial(sim, "csr-1") == original


def test_the_command_line_keeps_state_and_resets(key_cache: Path, tmp_path: Path) -> None:
    state = simulator_state_dir(key_cache, tmp_path)
    scenario = four_personas_scenario()
    handle = run_in_subprocess(scenario, state_dir=state, keep_state=True)
    try:
        handle.set_fault("csr-1", "errors", rate=0.5)
    finally:
        handle.stop()
    assert persist.load(state)["csr-1"]["faults"] == {"errors": {"rate": 0.5}}
    handle = run_in_subprocess(scenario, state_dir=state, keep_state=True, reset=True)
    try:
        assert persist.load(state)["csr-1"]["faults"] == {}
    finally:
        handle.stop()
