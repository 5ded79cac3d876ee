"""Each simulator fault gives a recorded, actionable reason; nothing crashes; the other device polls normally."""

from __future__ import annotations

from typing import Any

import pytest

from devices.choices import PollStatus, TunnelStatus
from devices.fleet import run_poll_cycle
from devices.models import Device, DeviceState, IpsecSa, Poll, Tunnel
from simulator import SimulatorHandle

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def outcome(name: str) -> Poll:
    poll = Poll.objects.filter(device__name=name).order_by("-started_at").first()
    assert poll is not None
    return poll


@pytest.mark.parametrize(
    ("fault", "params", "status", "reason"),
    [
        ("refuse", {}, PollStatus.FAILED, "connection refused by 127.0.0.1:{port}"),
        ("wrong_password", {}, PollStatus.FAILED, "authentication failed"),
        ("no_prompt", {}, PollStatus.FAILED, "timeout waiting for the prompt of 127.0.0.1:{port}"),
        ("slow", {"seconds": 5}, PollStatus.FAILED, "timeout after 3 s waiting for the output of"),
    ],
)
def test_it_records_why_a_device_could_not_be_polled(
    sim: SimulatorHandle,
    seed: dict[str, Device],
    fast_timeouts: None,
    fault: str,
    params: dict[str, Any],
    status: str,
    reason: str,
) -> None:
    run_poll_cycle(alerts=False)  # a good first poll: the state the failure must not erase
    port = sim.port("1720-1")
    sim.set_fault("1720-1", fault, **params)
    result = run_poll_cycle(alerts=False)
    by_name = {o.device: o for o in result.outcomes}
    assert by_name["pix520-1"].status == PollStatus.OK
    poll = outcome("1720-1")
    assert poll.status == status
    assert reason.format(port=port) in poll.reason
    assert "internal error" not in poll.reason
    state = DeviceState.objects.get(device__name="1720-1")
    assert state.stale is True and state.last_poll == poll and state.last_ok_poll != poll
    # The last known SAs stay in place, marked stale; the tunnel is unknown, not gone.
    assert IpsecSa.objects.filter(device__name="1720-1", active=True).exists()
    tunnel = Tunnel.objects.get(name="hq-branch")
    assert tunnel.status == TunnelStatus.UNKNOWN
    assert tunnel.status_reason.startswith("1720-1 could not be polled")


def test_it_pushes_the_next_poll_forward_after_a_failure(
    sim: SimulatorHandle, seed: dict[str, Device], fast_timeouts: None
) -> None:
    sim.set_fault("1720-1", "refuse")
    before = Device.objects.get(name="1720-1").next_poll_at
    run_poll_cycle(["1720-1"], alerts=False)
    assert Device.objects.get(name="1720-1").next_poll_at > before


@pytest.mark.parametrize("fault", ["garbled", "truncated"])
def test_it_survives_damaged_output(
    sim: SimulatorHandle, seed: dict[str, Device], fast_timeouts: None, fault: str
) -> None:
    sim.set_fault("pix520-1", fault)
    result = run_poll_cycle(alerts=False)
    by_name = {o.device: o for o in result.outcomes}
    assert by_name["1720-1"].status == PollStatus.OK
    assert "internal error" not in by_name["pix520-1"].reason
    assert by_name["pix520-1"].status in (PollStatus.OK, PollStatus.PARTIAL, PollStatus.FAILED)


def test_line_noise_never_reads_as_sas_gone(
    sim: SimulatorHandle, seed: dict[str, Device], fast_timeouts: None
) -> None:
    run_poll_cycle(alerts=False)
    assert Tunnel.objects.get(name="hq-branch").status == TunnelStatus.UP
    # A noisy line corrupts a tenth of the router's characters, poll after poll: the SAs it prints
    # cannot be read as SAs that vanished (that fired a false tunnel_down in the soak).
    sim.set_fault("1720-1", "garbled", ratio=0.1)
    for _ in range(3):
        run_poll_cycle(["1720-1"], alerts=False)
        poll = outcome("1720-1")
        errors = {o.command: o.error for o in poll.outputs.all()}
        assert errors["show crypto ipsec sa"].startswith("line noise in the output"), errors
        assert poll.status in (PollStatus.PARTIAL, PollStatus.FAILED)
        assert "line noise" in poll.reason
        assert Tunnel.objects.get(name="hq-branch").status != TunnelStatus.DOWN
    assert IpsecSa.objects.filter(device__name="1720-1", active=True).exists()


def test_an_output_cut_inside_a_record_is_not_read_as_sas_gone(
    sim: SimulatorHandle, seed: dict[str, Device], fast_timeouts: None
) -> None:
    run_poll_cycle(alerts=False)
    before = set(IpsecSa.objects.filter(device__name="1720-1", active=True).values_list("pk", flat=True))
    # The router's SA listing stops in the middle of its second SA record.
    sim.set_fault("1720-1", "truncated", fraction=0.6, action="show_ipsec_sa")
    run_poll_cycle(["1720-1"], alerts=False)
    poll = outcome("1720-1")
    ipsec = poll.outputs.get(command="show crypto ipsec sa")
    assert ipsec.error == "output truncated: not applied" and poll.status == PollStatus.PARTIAL
    assert any(w.startswith("output truncated") for w in ipsec.warnings)
    assert (
        set(IpsecSa.objects.filter(device__name="1720-1", active=True).values_list("pk", flat=True)) == before
    )
    assert Tunnel.objects.get(name="hq-branch").status == TunnelStatus.UP


def test_a_session_the_device_drops_ends_the_poll_at_once_and_keeps_what_came_before(
    sim: SimulatorHandle, seed: dict[str, Device], settings: Any
) -> None:
    settings.SSH_CONNECT_TIMEOUT = 5
    settings.SSH_COMMAND_TIMEOUT = 30  # a drop must not cost this wait
    run_poll_cycle(["1720-1"], alerts=False)
    # The router resets the session in the middle of `show crypto ipsec sa`.
    sim.set_fault("1720-1", "truncated", fraction=0.3, close=True, action="show_ipsec_sa")
    result = run_poll_cycle(["1720-1"], alerts=False)
    (outcome,) = result.outcomes
    assert outcome.seconds < 15
    poll = Poll.objects.filter(device__name="1720-1").order_by("-started_at").first()
    assert poll is not None and poll.status == PollStatus.PARTIAL
    assert "connection lost during 'show crypto ipsec sa'" in poll.reason
    assert "not run: the connection was lost before it" in poll.reason
    errors = {o.command: o.error for o in poll.outputs.all()}
    # The commands answered before the drop are stored and applied; nothing after it was sent.
    assert errors["show clock"] == "" and errors["show running-config"] == ""
    assert errors["show crypto isakmp sa"] == ""
    assert errors["show crypto ipsec sa"].startswith("connection lost")
    assert errors["show crypto ca crls"] == "not run: the connection was lost before it"
    state = DeviceState.objects.get(device__name="1720-1")
    assert state.last_poll == poll and state.stale is False


def test_it_reports_paging_left_on_as_a_failed_command(
    sim: SimulatorHandle, seed: dict[str, Device], fast_timeouts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netmiko.cisco.cisco_ios import CiscoIosBase

    # A driver that forgets `terminal length 0`: long outputs stop at --More--.
    monkeypatch.setattr(CiscoIosBase, "disable_paging", lambda self, *a, **k: "")
    result = run_poll_cycle(["1720-1"], alerts=False)
    assert result.outcomes[0].status == PollStatus.PARTIAL
    poll = outcome("1720-1")
    assert "paging not disabled" in poll.reason
    assert "show running-config" in poll.reason
    failed = poll.outputs.filter(error="paging not disabled")
    assert failed.exists()


@pytest.mark.parametrize(
    ("fault", "status", "reason"),
    [
        ("tunnel_down", TunnelStatus.DOWN, "no IPsec SAs on 1720-1 or pix520-1"),
        ("one_way", TunnelStatus.DEGRADED, "one-way traffic"),
        ("errors", TunnelStatus.DEGRADED, "errors rising on"),
    ],
)
def test_it_judges_the_tunnel_from_both_ends(
    sim: SimulatorHandle, seed: dict[str, Device], fault: str, status: str, reason: str
) -> None:
    run_poll_cycle(alerts=False)
    assert Tunnel.objects.get(name="hq-branch").status == TunnelStatus.UP
    sim.set_fault("pix520-1", fault, **({"rate": 5.0} if fault == "errors" else {}))
    sim.advance(120)
    run_poll_cycle(alerts=False)
    sim.advance(120)
    run_poll_cycle(alerts=False)
    tunnel = Tunnel.objects.get(name="hq-branch")
    assert tunnel.status == status, tunnel.status_reason
    assert reason in tunnel.status_reason


def test_it_records_what_the_pki_and_clock_faults_change(
    sim: SimulatorHandle, seed: dict[str, Device]
) -> None:
    from pki.models import Crl

    run_poll_cycle(alerts=False)
    assert Crl.objects.get(device__name="pix520-1").present is True
    sim.set_fault("1720-1", "clock_1993")
    sim.set_fault("1720-1", "identity_address")
    sim.set_fault("pix520-1", "crl_missing")
    result = run_poll_cycle(alerts=False)
    assert {o.status for o in result.outcomes} == {PollStatus.OK}
    router = DeviceState.objects.get(device__name="1720-1")
    assert router.device_clock is not None and router.device_clock.year == 1993
    assert router.clock_skew_seconds is not None and router.clock_skew_seconds < -20 * 365 * 86400
    assert router.isakmp_identity == "address"
    assert Crl.objects.get(device__name="pix520-1").present is False


def test_it_exits_1_in_strict_mode_when_a_device_failed(
    sim: SimulatorHandle, seed: dict[str, Device], fast_timeouts: None
) -> None:
    from io import StringIO

    from django.core.management import call_command

    sim.set_fault("pix520-1", "wrong_password")
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("poll", "--strict", stdout=out)
    assert exit_info.value.code == 1
    assert "authentication failed" in out.getvalue() and "1 failed" in out.getvalue()


def test_a_log_line_printed_after_the_prompt_neither_stalls_nor_pollutes_a_command(
    sim: SimulatorHandle, seed: dict[str, Device], fast_timeouts: None
) -> None:
    run_poll_cycle(alerts=False)
    clean = {name: outcome(name) for name in ("1720-1", "pix520-1")}
    # A monitor terminal prints syslog whenever it comes, also just after the prompt that ends an
    # output; the prompt is then no longer the last thing read.
    for name in clean:
        sim.set_fault(
            name, "log_after_prompt", message="%LINK-3-UPDOWN: Interface Serial0, changed state to up"
        )
    run_poll_cycle(alerts=False)
    for name, before in clean.items():
        poll = outcome(name)
        assert poll.pk != before.pk
        assert poll.status == PollStatus.OK, poll.reason
        for out in poll.outputs.all():
            assert out.error == "" and out.warnings == before.outputs.get(command=out.command).warnings, (
                out.command
            )
    assert Tunnel.objects.get(name="hq-branch").status == TunnelStatus.UP
