"""IKEv2 on IOS 15 / IOS-XE: its SAs are not in `show crypto isakmp sa`, so the poller also asks for
`show crypto ikev2 sa`; without them every IKEv2 tunnel would read `degraded: no IKE SA`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from devices import commands as cmds
from devices.choices import PkiForm, Platform, TunnelStatus
from devices.commands import CommandOutput
from devices.correlate import correlate_tunnels
from devices.fleet import run_poll_cycle
from devices.inventory import import_inventory
from devices.models import Device, DeviceState, IkeSa, Poll, Tunnel
from devices.outputs import applicable, parse_all
from devices.state import apply_state
from simulator import run_in_thread
from tests.alerts.factories import make_sa, make_tunnel, poll
from tests.services import simulator_state_dir

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "genieparser" / "iosxe"
IKEV2_SA = (CORPUS / "show_crypto_ikev2_sa" / "equal" / "golden_output_output.txt").read_text()
NO_ISAKMP_SA = "IPv4 Crypto ISAKMP SA\ndst             src             state          conn-id status\n\nIPv6 Crypto ISAKMP SA\n"
INVALID = "show crypto ikev2 sa\n              ^\n% Invalid input detected at '^' marker.\n"


def _outputs(*pairs: tuple[str, str, str]) -> list[CommandOutput]:
    by_kind = {c.kind: c for c in cmds.poll_commands(Platform.CISCO_IOS)}
    return [CommandOutput(by_kind[kind], by_kind[kind].text, text, error) for kind, text, error in pairs]


def test_ios_routers_are_asked_for_ikev2_sas_unless_known_to_be_12x() -> None:
    def kinds(form: str) -> list[str]:
        return [c.kind for c in cmds.poll_commands(Platform.CISCO_IOS, form)]

    assert cmds.IKEV2 in kinds(PkiForm.UNKNOWN) and cmds.IKEV2 in kinds(PkiForm.PKI)
    assert cmds.IKEV2 not in kinds(PkiForm.CA)  # IOS 12.x: IKEv2 came with 15.1
    assert cmds.IKEV2 not in [c.kind for c in cmds.poll_commands(Platform.CISCO_ASA)]  # isakmp lists both


def test_a_router_without_ikev2_answers_invalid_input_and_that_is_no_failure() -> None:
    device = Device(name="1720-1", platform=Platform.CISCO_IOS)
    (parsed,) = parse_all(device.platform, _outputs((cmds.IKEV2, INVALID, "")))
    assert (parsed.error, parsed.result) == ("", {})


def test_ikev2_sas_are_stored_with_the_isakmp_ones_and_the_tunnel_is_up() -> None:
    csr = Device.objects.create(name="csr-1", platform=Platform.CISCO_IOS, host="66.66.66.1")
    peer = Device.objects.create(name="csr-2", platform=Platform.CISCO_IOS, host="66.66.66.2")
    tunnel = make_tunnel(csr, peer)
    for device, local, remote in ((csr, "66.66.66.1", "66.66.66.2"), (peer, "66.66.66.2", "66.66.66.1")):
        p = poll(device)
        make_sa(device, tunnel, inbound=1 if device == csr else 2, outbound=2 if device == csr else 1)
        text = IKEV2_SA.replace("66.66.66.1/500", "LOCAL").replace("66.66.66.2/500", "REMOTE")
        text = text.replace("LOCAL", f"{local}/500").replace("REMOTE", f"{remote}/500")
        parsed = parse_all(device.platform, _outputs((cmds.IKE, NO_ISAKMP_SA, ""), (cmds.IKEV2, text, "")))
        apply_state(device, p, applicable(parsed))
    (ike,) = IkeSa.objects.filter(device=csr, active=True)
    assert (ike.version, ike.status, ike.shown_state, ike.established) == ("IKEv2", "READY", "READY", True)
    assert str(ike.peer) == "66.66.66.2"
    correlate_tunnels()
    tunnel.refresh_from_db()
    assert tunnel.status == TunnelStatus.UP, tunnel.status_reason


def test_when_the_ikev2_command_fails_the_last_known_ike_sas_stay() -> None:
    csr = Device.objects.create(name="csr-1", platform=Platform.CISCO_IOS, host="66.66.66.1")
    first = poll(csr)
    apply_state(
        csr,
        first,
        applicable(
            parse_all(csr.platform, _outputs((cmds.IKE, NO_ISAKMP_SA, ""), (cmds.IKEV2, IKEV2_SA, "")))
        ),
    )
    later = Poll.objects.create(
        device=csr, slot=first.slot + timedelta(minutes=5), status="running", started_at=first.started_at
    )
    timeout = "timeout after 60 s waiting for the output of 'show crypto ikev2 sa'"
    parsed = parse_all(csr.platform, _outputs((cmds.IKE, NO_ISAKMP_SA, ""), (cmds.IKEV2, "", timeout)))
    assert cmds.IKE not in applicable(parsed)
    apply_state(csr, later, applicable(parsed))
    assert IkeSa.objects.filter(device=csr, active=True, version="IKEv2").count() == 1
    assert DeviceState.objects.get(device=csr).last_poll == later


@pytest.mark.django_db(transaction=True)
@pytest.mark.integration
def test_an_ikev2_tunnel_between_ios_xe_routers_polls_up(
    key_cache: Path, tmp_path: Path, settings: Any
) -> None:
    settings.VPNPORTAL_KNOWN_HOSTS = tmp_path / "known_hosts"
    scenario = {
        "clock": {"start": "2026-03-01T12:00:00+00:00", "speed": 0},
        "devices": [{"name": "csr-1", "persona": "ios15"}, {"name": "csr-2", "persona": "ios15"}],
        "tunnels": [{"name": "csr1-csr2", "ends": ["csr-1", "csr-2"], "ike_version": 2}],
    }
    handle = run_in_thread(scenario, state_dir=simulator_state_dir(key_cache, tmp_path))
    try:
        import_inventory(yaml.safe_dump(handle.inventory(), sort_keys=False))
        result = run_poll_cycle(alerts=False)
    finally:
        handle.stop()
    assert result.failed == [] and all(o.status == "ok" for o in result.outcomes), result.outcomes
    assert not IkeSa.objects.filter(version="IKEv1").exists()
    assert IkeSa.objects.filter(version="IKEv2", status="READY", active=True).count() == 2
    tunnel = Tunnel.objects.get(name="csr1-csr2")
    assert tunnel.status == TunnelStatus.UP, tunnel.status_reason
