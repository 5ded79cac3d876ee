"""The seed pair polled end to end over SSH: tunnel up and paired by SPI, counters, certificates, CRL, clock."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command

from devices.choices import PkiForm, PollStatus, TunnelStatus
from devices.fleet import run_poll_cycle
from devices.models import (
    CounterSample,
    Device,
    DeviceState,
    IkeSa,
    IpsecSa,
    Poll,
    PollOutput,
    RawOutput,
    Tunnel,
)
from pki.models import Certificate, Crl, Trustpoint
from simulator import SimulatorHandle

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

ROUTER_IN, ROUTER_OUT = 0xD740971C, 0x3803A0C1


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_it_polls_the_seed_pair_and_pairs_the_tunnel_by_spi(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    result = run_poll_cycle(alerts=False)
    assert [(o.device, o.status) for o in result.outcomes] == [("1720-1", "ok"), ("pix520-1", "ok")]
    tunnel = Tunnel.objects.get(name="hq-branch")
    assert tunnel.status == TunnelStatus.UP
    assert tunnel.spi_mirror_ok is True and tunnel.status_changed_at is not None
    router_sa = IpsecSa.objects.get(device__name="1720-1", active=True)
    pix_sa = IpsecSa.objects.get(device__name="pix520-1", active=True)
    assert (router_sa.inbound_spi, router_sa.outbound_spi) == (ROUTER_IN, ROUTER_OUT)
    assert (pix_sa.inbound_spi, pix_sa.outbound_spi) == (ROUTER_OUT, ROUTER_IN)
    assert router_sa.tunnel == tunnel and pix_sa.tunnel == tunnel
    assert router_sa.local_ident.startswith("1.1.1.0/255.255.255.0")
    assert pix_sa.local_ident.startswith("192.168.4.0/255.255.255.0")
    assert router_sa.transform == "esp-des esp-md5-hmac"
    assert router_sa.remaining_sec and router_sa.remaining_kb
    assert IkeSa.objects.filter(device__name="1720-1", active=True, state="QM_IDLE").exists()
    assert CounterSample.objects.filter(ipsec_sa=router_sa).count() == 1
    assert router_sa.pkts_encaps > 0


def test_it_stores_both_certificates_and_the_crl_with_the_right_instants(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    run_poll_cycle(alerts=False)
    router = Certificate.objects.get(device__name="1720-1", role="identity")
    assert router.serial == "3B2FD652" and router.present
    assert router.valid_from == utc(2002, 1, 11, 3, 6, 14)  # 2002-01-10 19:06:14 PST
    assert router.valid_to is not None and router.valid_to.year == 2003
    pix = Certificate.objects.get(device__name="pix520-1", role="identity")
    assert pix.serial == "3B2FD653"
    assert pix.valid_from == utc(2002, 1, 11, 4, 13, 45)  # PIX prints UTC without a zone
    assert Certificate.objects.get(device__name="1720-1", role="ca").serial == "3B2FD307"
    crl = Crl.objects.get(device__name="1720-1")
    assert crl.issuer == "OU=sjvpn, O=cisco, C=us"
    assert crl.last_update == utc(2002, 1, 11, 0, 17, 34)  # 2002-01-10 16:17:34 PST
    assert crl.next_update == utc(2002, 1, 12, 1, 17, 34)  # 2002-01-11 17:17:34 PST
    assert Trustpoint.objects.get(device__name="1720-1").name == "vpn"
    assert router.trustpoint is not None and router.trustpoint.name == "vpn"


def test_it_reads_the_clock_with_the_configured_zone(sim: SimulatorHandle, seed: dict[str, Device]) -> None:
    run_poll_cycle(alerts=False)
    state = DeviceState.objects.get(device__name="1720-1")
    assert state.config_facts["clock_timezone"] == {"name": "PST", "offset_minutes": -480}
    assert state.device_clock is not None and state.clock_read_at is not None
    # The simulated network lives in January 2002; the skew is measured against our real UTC clock.
    expected = (sim.device("1720-1").now() - datetime.now(UTC)).total_seconds()
    assert state.clock_skew_seconds == pytest.approx(expected, abs=5)
    assert state.hostname == "1720-1" and state.domain_name == "cisco.com"
    assert state.stale is False and state.config_facts["management_cleartext"] is False


def test_it_falls_back_to_the_ca_form_and_remembers_it(sim: SimulatorHandle, seed: dict[str, Device]) -> None:
    run_poll_cycle(["1720-1"], alerts=False)
    router = Device.objects.get(name="1720-1")
    assert router.pki_form == PkiForm.CA
    commands = list(PollOutput.objects.filter(poll__device=router).values_list("command", flat=True))
    assert "show crypto ca certificates" in commands and "show crypto pki certificates" not in commands
    sim_lines = [line for line in sim.received_lines("1720-1") if "show crypto pki" in line]
    assert sim_lines  # tried first...
    run_poll_cycle(["1720-1"], alerts=False)
    assert len([line for line in sim.received_lines("1720-1") if "show crypto pki" in line]) == len(sim_lines)


def test_it_keeps_raw_outputs_once_compressed_and_redacts_secrets(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    run_poll_cycle(["pix520-1"], alerts=False)
    first = RawOutput.objects.count()
    run_poll_cycle(["pix520-1"], alerts=False)
    # Certificates, CRL and most of the configuration did not change: stored once.
    assert RawOutput.objects.count() < 2 * first
    assert Poll.objects.filter(device__name="pix520-1", status=PollStatus.OK).count() == 2
    config = PollOutput.objects.filter(command="write terminal").first()
    assert config is not None and config.raw is not None
    text = config.data().decode()
    assert "hostname pix520-1" in text
    for line in text.splitlines():
        if line.startswith(("enable password", "passwd")):
            # The PIX's `encrypted` after the value is kept: it is not part of the password.
            assert line.endswith("<removed> encrypted") and "2KFQnbNIdI" not in line


def test_it_runs_a_cycle_from_the_command_with_a_summary(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    out = StringIO()
    call_command("poll", "--strict", stdout=out)
    text = out.getvalue()
    assert "device" in text and "outcome" in text
    assert "1720-1" in text and "pix520-1" in text
    assert "2 devices in" in text and "0 failed" in text


def test_it_records_telnet_as_clear_text_management(sim: SimulatorHandle, seed: dict[str, Device]) -> None:
    Device.objects.filter(name="pix520-1").update(transport="telnet", port=sim.telnet_port("pix520-1"))
    result = run_poll_cycle(["pix520-1"], alerts=False)
    assert result.outcomes[0].status == "ok", result.outcomes[0].reason
    facts = DeviceState.objects.get(device__name="pix520-1").config_facts
    assert facts["management_protocol"] == "telnet" and facts["management_cleartext"] is True
