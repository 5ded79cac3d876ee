"""Login, enable, prompts and modes over SSH and telnet, driven with netmiko as vpnportal drives them."""

from __future__ import annotations

import pytest

from simulator import SimulatorHandle

from .helpers import connect, raw_shell


@pytest.mark.parametrize(
    ("name", "prompt"),
    [("1720-1", "1720-1#"), ("pix520-1", "pix520-1#")],
)
def test_it_logs_in_and_enables_the_seed_personas(seed_sim: SimulatorHandle, name: str, prompt: str) -> None:
    conn = connect(seed_sim, name)
    try:
        assert conn.find_prompt() == prompt
        assert conn.check_enable_mode()
    finally:
        conn.disconnect()


@pytest.mark.parametrize(("name", "prompt"), [("csr-1", "csr-1#"), ("asa-1", "asa-1#")])
def test_it_logs_in_and_enables_the_modern_personas(
    modern_sim: SimulatorHandle, name: str, prompt: str
) -> None:
    conn = connect(modern_sim, name)
    try:
        assert conn.find_prompt() == prompt
    finally:
        conn.disconnect()


def test_it_prints_the_user_privileged_and_config_prompts(seed_sim: SimulatorHandle) -> None:
    shell = raw_shell(seed_sim, "1720-1")
    try:
        shell.expect(r"1720-1>$")
        shell.send("enable\n")
        shell.expect(r"Password: $")
        shell.send("ww\n")
        shell.expect(r"1720-1#$")
        shell.send("configure terminal\n")
        assert "Enter configuration commands, one per line.  End with CNTL/Z." in shell.expect(
            r"1720-1\(config\)#$"
        )
        shell.send("end\n")
        shell.expect(r"1720-1#$")
        shell.send("disable\n")
        shell.expect(r"1720-1>$")
    finally:
        shell.close()


def test_it_prints_pix_prompts_with_a_trailing_space(seed_sim: SimulatorHandle) -> None:
    shell = raw_shell(seed_sim, "pix520-1")
    try:
        assert "Type help or '?' for a list of available commands." in shell.expect(r"pix520-1> $")
        shell.send("enable\n")
        shell.expect(r"Password: $")
        shell.send("cisco\n")
        shell.expect(r"pix520-1# $")
        shell.send("conf t\n")
        shell.expect(r"pix520-1\(config\)# $")
    finally:
        shell.close()


def test_it_refuses_a_wrong_enable_password(seed_sim: SimulatorHandle) -> None:
    shell = raw_shell(seed_sim, "1720-1")
    try:
        shell.expect(r"1720-1>$")
        shell.send("enable\n")
        for _ in range(3):
            shell.expect(r"Password: $")
            shell.send("nope\n")
        assert "% Bad secrets" in shell.expect(r"1720-1>$")
    finally:
        shell.close()


def test_it_logs_in_over_telnet_to_the_router(seed_sim: SimulatorHandle) -> None:
    conn = connect(seed_sim, "1720-1", transport="telnet")
    try:
        assert conn.find_prompt() == "1720-1#"
        assert "QM_IDLE" in conn.send_command("show crypto isakmp sa")
    finally:
        conn.disconnect()


def test_it_logs_in_over_telnet_to_the_pix_with_its_password_only(seed_sim: SimulatorHandle) -> None:
    conn = connect(seed_sim, "pix520-1", transport="telnet")
    try:
        assert conn.find_prompt() == "pix520-1#"
        assert "Embryonic : 0" in conn.send_command("sh cr isa sa")
    finally:
        conn.disconnect()
    log = "\n".join(seed_sim.received_lines("pix520-1"))
    assert "telnet#" in log
    assert "username" not in log  # the PIX never asked for one


def test_it_ends_the_session_on_exit(seed_sim: SimulatorHandle) -> None:
    shell = raw_shell(seed_sim, "pix520-1")
    try:
        shell.expect(r"pix520-1> $")
        shell.send("exit\n")
        assert "Logoff" in shell.expect("Logoff")
        shell.quiet(0.3)
        assert shell.chan.closed or shell.chan.exit_status_ready() or shell.chan.eof_received
    finally:
        shell.close()


def test_it_logs_in_over_telnet_to_the_asa(modern_sim: SimulatorHandle) -> None:
    conn = connect(modern_sim, "asa-1", transport="telnet")
    try:
        assert conn.find_prompt() == "asa-1#"
        assert "IKEv1 SAs:" in conn.send_command("show crypto isakmp sa")
    finally:
        conn.disconnect()


def test_it_takes_configuration_through_the_pix_driver(seed_sim: SimulatorHandle) -> None:
    conn = connect(seed_sim, "pix520-1")
    try:
        conn.send_config_set(["isakmp identity address"])
        assert "\nisakmp identity address\n" in conn.send_command("write terminal")
        assert "[OK]" in conn.save_config()
        assert conn.find_prompt() == "pix520-1#"
    finally:
        conn.disconnect()
    lines = seed_sim.received_lines("pix520-1")
    assert any(line.endswith("line: pager lines 0") for line in lines)
    assert not any("terminal pager" in line or "show curpriv" in line for line in lines)
