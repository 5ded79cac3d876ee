"""The SSH ciphers a session offers: paramiko's own set, AES-GCM first (devices/sessions.py). A device that
speaks GCM gets it; a legacy one (IOS 12.2, PIX 6: CBC only) negotiates what it did before; the host key
is checked all the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import paramiko  # type: ignore[import-untyped]
import pytest
import yaml

from devices.inventory import import_inventory
from devices.models import Device
from devices.sessions import PREFERRED_CIPHERS, DeviceSession
from simulator import run_in_thread
from tests.services import simulator_state_dir

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def test_the_offered_ciphers_are_paramikos_own_in_another_order() -> None:
    assert sorted(PREFERRED_CIPHERS) == sorted(paramiko.Transport._preferred_ciphers)
    assert PREFERRED_CIPHERS[0] == "aes128-gcm@openssh.com"
    assert not any(c == "none" for c in PREFERRED_CIPHERS)


def _cipher(session: DeviceSession) -> tuple[str, str]:
    assert session.conn is not None and session.conn.remote_conn_pre is not None
    transport = session.conn.remote_conn_pre.get_transport()
    return transport.local_cipher, transport.remote_cipher


def test_a_modern_device_negotiates_gcm_and_a_legacy_one_cbc(
    key_cache: Path, tmp_path: Path, settings: Any
) -> None:
    settings.VPNPORTAL_KNOWN_HOSTS = tmp_path / "known_hosts"
    scenario = {
        "clock": {"start": "2026-03-01T12:00:00+00:00", "speed": 0},
        "devices": [{"name": "csr-1", "persona": "ios15"}, {"name": "old-1", "persona": "ios122"}],
    }
    handle = run_in_thread(scenario, state_dir=simulator_state_dir(key_cache, tmp_path))
    try:
        import_inventory(yaml.safe_dump(handle.inventory(), sort_keys=False))
        with DeviceSession(Device.objects.get(name="csr-1")) as session:
            assert _cipher(session) == ("aes128-gcm@openssh.com", "aes128-gcm@openssh.com")
            output, error = session.run("show clock")
            assert error == "" and output.strip()
        with DeviceSession(Device.objects.get(name="old-1")) as session:
            assert _cipher(session) == ("aes128-cbc", "aes128-cbc")
            output, error = session.run("show clock")
            assert error == "" and output.strip()
    finally:
        handle.stop()
    # Both pinned on first contact: the host key check is not bypassed by the transport's class.
    assert all(d.host_key for d in Device.objects.all())
