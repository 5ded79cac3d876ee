"""Every fault behaves as described in simulator/faults.py, and can be undone."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import yaml
from netmiko.exceptions import NetmikoAuthenticationException

from devices.parsers.registry import parse
from simulator import SimulatorHandle, run_in_thread
from simulator.faults import FAULTS, UnknownFault

from .helpers import connect, raw_shell, seed_scenario


def _ipsec(conn: object, platform: str) -> dict:  # type: ignore[type-arg]
    return parse(platform, "show crypto ipsec sa", conn.send_command("show crypto ipsec sa"))  # type: ignore[attr-defined]


def test_it_refuses_connections_and_accepts_them_again(seed_sim: SimulatorHandle) -> None:
    port = seed_sim.port("1720-1")
    seed_sim.set_fault("1720-1", "refuse")
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    seed_sim.clear_fault("1720-1", "refuse")
    conn = connect(seed_sim, "1720-1")
    conn.disconnect()


def test_it_rejects_the_configured_credentials(seed_sim: SimulatorHandle) -> None:
    seed_sim.set_fault("pix520-1", "wrong_password")
    with pytest.raises(NetmikoAuthenticationException):
        connect(seed_sim, "pix520-1")
    assert any("rejected" in line for line in seed_sim.received_lines("pix520-1"))
    seed_sim.clear_fault("pix520-1")
    connect(seed_sim, "pix520-1").disconnect()


def test_it_accepts_but_never_prompts(seed_sim: SimulatorHandle) -> None:
    seed_sim.set_fault("1720-1", "no_prompt")
    shell = raw_shell(seed_sim, "1720-1")
    try:
        assert shell.quiet(0.8) == ""
        shell.send("show clock\n")
        assert shell.quiet(0.5) == ""
    finally:
        shell.close()
    assert any(line.endswith("line: show clock") for line in seed_sim.received_lines("1720-1"))


def test_it_answers_slowly(seed_sim: SimulatorHandle) -> None:
    seed_sim.set_fault("1720-1", "slow", seconds=1.0)
    conn = connect(seed_sim, "1720-1")
    try:
        started = time.monotonic()
        assert "QM_IDLE" in conn.send_command("show crypto isakmp sa", read_timeout=10)
        assert time.monotonic() - started >= 1.0
    finally:
        conn.disconnect()


def test_it_garbles_and_truncates_output(seed_sim: SimulatorHandle) -> None:
    conn = connect(seed_sim, "1720-1")
    try:
        clean = conn.send_command("show crypto ca certificates")
        seed_sim.set_fault("1720-1", "garbled", ratio=0.2)
        noisy = conn.send_command("show crypto ca certificates")
        assert noisy != clean and len(noisy.splitlines()) == len(clean.splitlines())
        seed_sim.clear_fault("1720-1", "garbled")
        seed_sim.set_fault("1720-1", "truncated", fraction=0.3)
        short = conn.send_command("show crypto ca certificates")
        assert clean.startswith(short.rstrip()) and len(short) < len(clean) * 0.4
        seed_sim.clear_fault("1720-1")
        assert conn.send_command("show crypto ca certificates") == clean
    finally:
        conn.disconnect()


def test_it_takes_the_tunnel_down_and_back_with_new_spis(seed_sim: SimulatorHandle) -> None:
    router, pix = connect(seed_sim, "1720-1"), connect(seed_sim, "pix520-1")
    try:
        seed_sim.set_fault("1720-1", "tunnel_down")
        assert (
            parse("cisco_ios", "show crypto isakmp sa", router.send_command("sh cr isa sa"))["ike_sas"] == []
        )
        assert parse("cisco_pix", "show crypto isakmp sa", pix.send_command("sh cr isa sa"))["ike_sas"] == []
        down = _ipsec(router, "cisco_ios")["ipsec_sas"][0]
        assert down["inbound_esp"] == [] and down["outbound_esp"] == []
        seed_sim.clear_fault("1720-1", "tunnel_down")
        up = _ipsec(router, "cisco_ios")["ipsec_sas"][0]
        assert up["inbound_esp"][0]["spi"] != 0xD740971C
        assert (
            up["inbound_esp"][0]["spi"] == _ipsec(pix, "cisco_pix")["ipsec_sas"][0]["outbound_esp"][0]["spi"]
        )
    finally:
        router.disconnect()
        pix.disconnect()


def test_it_sends_traffic_one_way_and_raises_errors(seed_sim: SimulatorHandle) -> None:
    router, pix = connect(seed_sim, "1720-1"), connect(seed_sim, "pix520-1")
    try:
        seed_sim.set_fault("1720-1", "one_way")
        seed_sim.set_fault("pix520-1", "errors", rate=1.0)
        seed_sim.advance(100)
        r = _ipsec(router, "cisco_ios")["ipsec_sas"][0]["counters"]
        p = _ipsec(pix, "cisco_pix")["ipsec_sas"][0]["counters"]
        assert r["pkts_encaps"] == 103 and r["pkts_decaps"] == 3
        assert p["pkts_decaps"] == 103 and p["pkts_encaps"] == 3
        assert p["send_errors"] == 102 and p["recv_errors"] == 50
    finally:
        router.disconnect()
        pix.disconnect()


def test_it_reboots_counters_uptime_and_sas(seed_sim: SimulatorHandle) -> None:
    seed_sim.advance(50)
    seed_sim.reboot("1720-1")
    seed_sim.advance(10)
    router = connect(seed_sim, "1720-1")
    try:
        sa = _ipsec(router, "cisco_ios")["ipsec_sas"][0]
        assert sa["counters"]["pkts_encaps"] == 10
        assert sa["inbound_esp"][0]["spi"] != 0xD740971C
        assert "1720-1 uptime is 0 minutes" in router.send_command("show version")
    finally:
        router.disconnect()


def test_it_sets_the_clock_to_1993_and_phase_1_fails_at_the_next_rekey(seed_sim: SimulatorHandle) -> None:
    seed_sim.set_fault("1720-1", "clock_1993")
    router = connect(seed_sim, "1720-1")
    try:
        assert router.send_command("show clock") == "16:07:02.000 PST Sun Feb 28 1993"
        assert "QM_IDLE" in router.send_command("show crypto isakmp sa")  # the SAs in place live on
        seed_sim.advance(3000)
        ike = parse("cisco_ios", "show crypto isakmp sa", router.send_command("show crypto isakmp sa"))[
            "ike_sas"
        ]
        assert [s["state"] for s in ike] == ["MM_KEY_EXCH"]
        seed_sim.clear_fault("1720-1", "clock_1993")
        assert "QM_IDLE" in router.send_command("show crypto isakmp sa")
    finally:
        router.disconnect()


def test_it_loses_or_outdates_the_crl(seed_sim: SimulatorHandle) -> None:
    router, pix = connect(seed_sim, "1720-1"), connect(seed_sim, "pix520-1")
    try:
        seed_sim.set_fault("1720-1", "crl_missing")
        assert router.send_command("show crypto ca crls") == ""
        seed_sim.set_fault("pix520-1", "crl_expired")
        crl = parse("cisco_pix", "show ca crl", pix.send_command("show ca crl"))["crls"][0]
        assert crl["next_update"] < "2002-01-11T09:06:41"
        seed_sim.clear_fault("1720-1")
        seed_sim.clear_fault("pix520-1")
        assert "NextUpdate: 17:17:34 PST Jan 11 2002" in router.send_command("show crypto ca crls")
    finally:
        router.disconnect()
        pix.disconnect()


def test_it_switches_the_isakmp_identity_to_address(seed_sim: SimulatorHandle) -> None:
    seed_sim.set_fault("1720-1", "identity_address")
    seed_sim.set_fault("pix520-1", "identity_address")
    router, pix = connect(seed_sim, "1720-1"), connect(seed_sim, "pix520-1")
    try:
        assert "crypto isakmp identity address" in router.send_command("show running-config")
        assert "\nisakmp identity address\n" in pix.send_command("write terminal")
        config = parse("cisco_ios", "show running-config", router.send_command("show running-config"))
        assert config["isakmp_identity"] == "address"
    finally:
        router.disconnect()
        pix.disconnect()


def test_it_reads_faults_from_the_scenario_and_the_control_file(key_cache: Path, tmp_path: Path) -> None:
    scenario = seed_scenario()
    scenario["devices"][1]["faults"] = {"crl_missing": {}}
    handle = run_in_thread(scenario, state_dir=tmp_path, control_file=True)
    try:
        assert handle.device("pix520-1").crl is None
        (tmp_path / "control.yaml").write_text(
            yaml.safe_dump({"faults": {"pix520-1": {}, "1720-1": {"tunnel_down": {}}}})
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not handle.device("1720-1").has("tunnel_down"):
            time.sleep(0.1)
        assert handle.device("1720-1").has("tunnel_down")
        assert handle.device("pix520-1").crl is not None
    finally:
        handle.stop()


def test_it_rejects_unknown_faults(seed_sim: SimulatorHandle) -> None:
    with pytest.raises(UnknownFault):
        seed_sim.set_fault("1720-1", "gremlins")
    assert "reboot" in FAULTS and len(FAULTS) == 19


def test_it_refuses_telnet_too(seed_sim: SimulatorHandle) -> None:
    port = seed_sim.telnet_port("pix520-1")
    seed_sim.set_fault("pix520-1", "refuse")
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    seed_sim.clear_fault("pix520-1", "refuse")
    connect(seed_sim, "pix520-1", transport="telnet").disconnect()


def test_it_fetches_a_fresh_crl_only_when_the_ca_answers(seed_sim: SimulatorHandle) -> None:
    seed_sim.set_fault("1720-1", "crl_expired")
    router = connect(seed_sim, "1720-1")
    try:
        router.send_config_set(["crypto ca crl request vpn"])
        crl = parse("cisco_ios", "show crypto ca crls", router.send_command("show crypto ca crls"))["crls"][0]
        assert crl["next_update"] < "2002-01-11"
        seed_sim.clear_fault("1720-1", "crl_expired")
        seed_sim.advance(3600 * 20)  # the seed CRL runs out 16 hours in
        router.send_config_set(["crypto ca crl request vpn"])
        crl = parse("cisco_ios", "show crypto ca crls", router.send_command("show crypto ca crls"))["crls"][0]
        assert crl["next_update"] == "2002-01-12T21:06:41-08:00"
    finally:
        router.disconnect()


def test_it_sets_the_clock_as_the_seed_did(seed_sim: SimulatorHandle) -> None:
    router = connect(seed_sim, "1720-1")
    try:
        router.send_command("clock set 01:05:01 january 11 2002")
        assert router.send_command("show clock") == "01:05:01.000 PST Fri Jan 11 2002"
    finally:
        router.disconnect()


def test_it_drops_the_session_mid_output_when_asked(seed_sim: SimulatorHandle) -> None:
    seed_sim.set_fault("1720-1", "truncated", fraction=0.2, close=True)
    shell = raw_shell(seed_sim, "1720-1")
    try:
        shell.expect(r"1720-1>$")
        shell.send("show version\n")
        out = shell.quiet(0.8)
        assert "Cisco Internetwork Operating System" in out and "Configuration register" not in out
        assert shell.chan.closed or shell.chan.eof_received
    finally:
        shell.close()


def test_it_fails_phase_1_at_the_next_rekey_with_an_address_identity(seed_sim: SimulatorHandle) -> None:
    seed_sim.set_fault("pix520-1", "identity_address")
    pix = connect(seed_sim, "pix520-1")
    try:
        assert "QM_IDLE" in pix.send_command("show crypto isakmp sa")
        seed_sim.advance(3000)
        isakmp = parse("cisco_pix", "show crypto isakmp sa", pix.send_command("show crypto isakmp sa"))
        assert [s["state"] for s in isakmp["ike_sas"]] == ["MM_KEY_EXCH"] and isakmp["embryonic"] == 1
        assert _ipsec(pix, "cisco_pix")["ipsec_sas"][0]["inbound_esp"] == []
    finally:
        pix.disconnect()


def test_it_logs_an_idle_session_out_at_its_exec_timeout(seed_sim: SimulatorHandle) -> None:
    seed_sim.set_fault("1720-1", "exec_timeout", seconds=0.5)
    shell = raw_shell(seed_sim, "1720-1")
    try:
        shell.expect(r"1720-1>$")
        shell.send("show clock\n")  # input in time: answered
        assert "1720-1>" in shell.quiet(0.3)
        shell.quiet(1.0)  # then idle longer than the timeout
        assert shell.chan.closed or shell.chan.eof_received
    finally:
        shell.close()
    seed_sim.clear_fault("1720-1", "exec_timeout")
    connect(seed_sim, "1720-1").disconnect()


def test_it_drops_the_sessions_open_now_at_their_next_input(seed_sim: SimulatorHandle) -> None:
    shell = raw_shell(seed_sim, "1720-1")
    try:
        shell.expect(r"1720-1>$")
        seed_sim.set_fault("1720-1", "drop_sessions")  # one-shot: not kept
        assert not seed_sim.device("1720-1").has("drop_sessions")
        shell.send("show clock\n")
        assert "1720-1>" not in shell.quiet(0.8)  # unanswered
        assert shell.chan.closed or shell.chan.eof_received
    finally:
        shell.close()
    conn = connect(seed_sim, "1720-1")  # a session opened afterwards is served
    try:
        assert "1720-1" in conn.find_prompt()
    finally:
        conn.disconnect()
