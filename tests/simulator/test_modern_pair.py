"""The modern scenario's IOS-XE router and ASA 9 firewalls propose what each other accepts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from devices.choices import PkiForm, TunnelStatus
from devices.commands import poll_commands
from devices.diagnosis.model import Code, DeviceOutputs
from devices.diagnosis.outputs import build_outputs
from devices.diagnosis.pair import diagnose_pair
from devices.fleet import run_poll_cycle
from devices.inventory import import_inventory
from devices.models import Finding, Tunnel
from simulator import SimulatorHandle, run_in_thread
from tests.services import simulator_state_dir

from .helpers import ROOT, connect

MODERN_YAML = ROOT / "simulator" / "scenarios" / "modern.yaml"
# What makes the two ends of a tunnel disagree: none of these may be found on the modern pairs.
PAIR_CODES = {
    Code.PEER_ADDRESS_MISMATCH,
    Code.ACL_NOT_MIRRORED,
    Code.NO_COMMON_TRANSFORM,
    Code.NO_COMMON_IKE_POLICY,
    Code.LIFETIME_MISMATCH,
}


@pytest.fixture
def modern_yaml(key_cache: Path, tmp_path: Path) -> Iterator[SimulatorHandle]:
    """scenarios/modern.yaml as shipped: csr-1 -- asa-1 -- asa-2."""
    handle = run_in_thread(MODERN_YAML, state_dir=simulator_state_dir(key_cache, tmp_path))
    try:
        yield handle
    finally:
        handle.stop()


def _outputs(handle: SimulatorHandle, name: str) -> DeviceOutputs:
    """The device's poll outputs, parsed the way a poll parses them."""
    platform = handle.device(name).platform
    conn = connect(handle, name)
    try:
        texts = {c.kind: (c.text, conn.send_command(c.text)) for c in poll_commands(platform, PkiForm.PKI)}
    finally:
        conn.disconnect()
    return build_outputs(name, platform, texts)


def test_it_gives_each_modern_tunnel_matching_ends(modern_yaml: SimulatorHandle) -> None:
    outputs = {name: _outputs(modern_yaml, name) for name in ("csr-1", "asa-1", "asa-2")}
    for tunnel in modern_yaml.sim.tunnels:
        a, b = outputs[tunnel.a], outputs[tunnel.b]
        assert diagnose_pair(a, b) == [], tunnel.name
        assert diagnose_pair(b, a) == [], tunnel.name


def test_it_keeps_sha256_between_two_ios_xe_routers(modern_sim: SimulatorHandle, tmp_path: Path) -> None:
    # Only an ASA peer (IKEv1: SHA-1 at best) gets the router's SHA-1 proposal.
    config = _outputs(modern_sim, "csr-1").get("config")
    assert {p["hash"] for p in config["ike_policies"]} == {"sha256", "sha"}
    scenario: dict[str, Any] = {
        "clock": {"start": "2026-03-01T12:00:00+00:00", "speed": 0},
        "devices": [{"name": "csr-1", "persona": "ios15"}, {"name": "csr-2", "persona": "ios15"}],
        "tunnels": [{"name": "csr1-csr2", "ends": ["csr-1", "csr-2"]}],
    }
    handle = run_in_thread(scenario, state_dir=tmp_path / "ios-pair")
    try:
        a, b = _outputs(handle, "csr-1"), _outputs(handle, "csr-2")
    finally:
        handle.stop()
    assert [(p["hash"], p["group"]) for p in a.get("config")["ike_policies"]] == [("sha256", 14)]
    assert [t["transforms"] for t in a.get("config")["transform_sets"]] == [
        ["esp-aes", "256", "esp-sha256-hmac"]  # as IOS writes it
    ]
    assert diagnose_pair(a, b) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.integration
def test_it_polls_the_modern_tunnels_up_with_no_pair_finding(
    modern_yaml: SimulatorHandle, settings: Any, tmp_path: Path
) -> None:
    settings.VPNPORTAL_KNOWN_HOSTS = tmp_path / "known_hosts"
    import_inventory(yaml.safe_dump(modern_yaml.inventory(), sort_keys=False))
    result = run_poll_cycle()
    assert result.failed == []
    tunnels = {t.name: t for t in Tunnel.objects.all()}
    assert set(tunnels) == {"csr1-asa1", "asa1-asa2"}
    for tunnel in tunnels.values():
        assert tunnel.status == TunnelStatus.UP, (tunnel.name, tunnel.status_reason)
        codes = set(Finding.objects.filter(tunnel=tunnel, active=True).values_list("code", flat=True))
        assert codes & PAIR_CODES == set(), tunnel.name
