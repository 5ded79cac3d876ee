"""Each platform's enrollment dialogue ends in a real certificate signed by the simulator's CA."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography import x509

from devices.parsers.registry import parse
from simulator import SimulatorHandle, run_in_thread

from .helpers import RawShell, raw_shell, seed_scenario


def _login(shell: RawShell, host: str, secret: str) -> str:
    """Enable and enter configuration mode; returns the config prompt regex."""
    shell.expect(host + r"> ?$")
    shell.send("enable\n")
    shell.expect("Password: $")
    shell.send(secret + "\n")
    shell.expect(host + r"# ?$")
    if not host.startswith("pix"):  # the PIX has `no pager` already
        shell.send("terminal pager 0\n" if host.startswith("asa") else "terminal length 0\n")
        shell.expect(host + r"# ?$")
    shell.send("configure terminal\n")
    prompt = re.escape(host + "(config)#") + " ?"
    shell.expect(prompt + "$")
    return prompt


def _dialogue(shell: RawShell, steps: list[tuple[str, str]]) -> str:
    seen = ""
    for question, answer in steps:
        seen += shell.expect(re.escape(question))
        shell.send(answer + "\n")
    return seen


def _chain_certificates(config_text: str, platform: str) -> list[x509.Certificate]:
    parsed = parse(platform, "show running-config", config_text)
    certs = []
    hexes = re.findall(
        r"^ +certificate (?:\S+ )?[0-9A-Fa-f]+\r?\n((?:^ {4}[0-9A-Fa-f ]+\r?\n)+)", config_text, re.M
    )
    for block in hexes:
        certs.append(x509.load_der_x509_certificate(bytes.fromhex("".join(block.split()))))
    assert parsed["certificate_chains"], parsed.get("warnings")
    return certs


def test_it_runs_the_ios_122_dialogue_of_the_seed(key_cache: Path, tmp_path: Path) -> None:
    scenario = seed_scenario()
    scenario["devices"][0]["enrolled"] = False
    handle = run_in_thread(scenario, state_dir=tmp_path)
    shell = raw_shell(handle, "1720-1")
    try:
        prompt = _login(shell, "1720-1", "ww")
        shell.send("cr ca enroll vpn\n")
        seen = _dialogue(
            shell,
            [
                ("Password: ", "challenge1"),
                ("Re-enter password: ", "challenge1"),
                ("% Include the router serial number in the subject name? [yes/no]: ", "n"),
                ("% Include an IP address in the subject name? [yes/no]: ", "n"),
                ("Request certificate from CA? [yes/no]: ", "y"),
            ],
        )
        assert "% Start certificate enrollment .." in seen
        assert "% The subject name in the certificate will be: 1720-1.cisco.com" in seen
        after = shell.expect(r"CRYPTO_PKI: status = 102: certificate request pending")
        assert "% Certificate request sent to Certificate Authority" in after
        assert re.search(r"1720-1\(config\)#      Fingerprint:  [0-9A-F]{8}( [0-9A-F]{8}){3}", after)
        shell.send("do show crypto ca certificates\n")
        pending = shell.expect(prompt + "$")
        assert "Status: Pending" in pending
        handle.advance(31)
        assert re.search(
            r"\d+d\d\dh: %CRYPTO-6-CERTRET: Certificate received from Certificate Authority",
            shell.expect("CERTRET.*Authority"),
        )
        shell.send("end\nshow crypto ca certificates\n")
        granted = shell.expect(r"Associated Identity: vpn\r\n1720-1#$", timeout=5)
        certs = parse("cisco_ios", "show crypto ca certificates", granted.split("certificates\r\n", 1)[1])
        identity = next(c for c in certs["certificates"] if c["role"] == "identity")
        assert identity["status"] == "Available"
        assert identity["serial"] not in ("3B2FD652", None)
        shell.send("show running-config\n")
        config = shell.expect(r"\nend\r\n1720-1#$").replace("\r\n", "\n")
        ca = handle.ca_certificate("seed")
        chain = _chain_certificates(config.split("show running-config\n", 1)[1], "cisco_ios")
        mine = next(c for c in chain if format(c.serial_number, "X") == identity["serial"])
        mine.verify_directly_issued_by(ca)
        assert (
            mine.subject.get_attributes_for_oid(x509.ObjectIdentifier("1.2.840.113549.1.9.2"))[0].value
            == "1720-1.cisco.com"
        )
        shell.send("write memory\n")
        assert "Building configuration...\r\n[OK]" in shell.expect(r"\[OK\]")
    finally:
        shell.close()
        handle.stop()


def test_it_runs_the_pix_dialogue_then_ca_save_all(seed_sim: SimulatorHandle) -> None:
    shell = raw_shell(seed_sim, "pix520-1")
    try:
        prompt = _login(shell, "pix520-1", "cisco")
        shell.send("ca enroll cisco s3cret\n")
        out = shell.expect(r"CRYPTO_PKI: status = 102: certificate request pending")
        assert "% The subject name in the certificate will be: pix520-1.vpn.com" in out
        assert re.search(r"Fingerprint: [0-9a-f]{8}( [0-9a-f]{8}){3}", out)
        seed_sim.advance(31)
        shell.expect("certificate is granted")
        shell.send("show ca certificate\n")
        listing = shell.expect(prompt + "$")
        serial = re.search(r"Certificate Serial Number: ([0-9a-f]+)", listing)
        assert serial and serial.group(1) != "3b2fd653"
        shell.send("ca save all\n")
        assert shell.expect(prompt + "$").strip().endswith("pix520-1(config)#")
        shell.send("write memory\n")
        assert "[OK]" in shell.expect(r"\[OK\]")
        cert = seed_sim.device("pix520-1").x509_identity()
        assert cert is not None
        cert.verify_directly_issued_by(seed_sim.ca_certificate("seed"))
        assert "challenge" not in str(seed_sim.received_lines("pix520-1"))
    finally:
        shell.close()


@pytest.mark.parametrize(
    ("name", "command", "steps", "granted"),
    [
        (
            "csr-1",
            "crypto pki enroll SIMCA",
            [
                ("Re-enroll? [yes/no]: ", "yes"),
                ("Password: ", "pw"),
                ("Re-enter password: ", "pw"),
                ("subject name? [yes/no]: ", "no"),
                ("% Include an IP address in the subject name? [no]: ", ""),
                ("Request certificate from CA? [yes/no]: ", "yes"),
            ],
            "%PKI-6-CERTRET: Certificate received from Certificate Authority",
        ),
        (
            "asa-1",
            "crypto ca enroll SIMCA",
            [
                ("Re-enroll? [yes/no]: ", "yes"),
                ("Password: ", "pw"),
                ("Re-enter password: ", "pw"),
                ("% Include the device serial number in the subject name? [yes/no]: ", "no"),
                ("Request certificate from CA? [yes/no]: ", "yes"),
            ],
            "The certificate has been granted by CA!",
        ),
    ],
)
def test_it_runs_the_modern_dialogues(
    modern_sim: SimulatorHandle, name: str, command: str, steps: list[tuple[str, str]], granted: str
) -> None:
    before = modern_sim.device(name).identity()
    assert before is not None
    shell = raw_shell(modern_sim, name)
    try:
        _login(shell, name, "cisco123")
        shell.send(command + "\n")
        _dialogue(shell, steps)
        shell.expect("% Certificate request sent to Certificate Authority")
        modern_sim.advance(31)
        shell.expect(re.escape(granted))
        cert = modern_sim.device(name).x509_identity()
        assert cert is not None and cert.serial_number != before.serial
        cert.verify_directly_issued_by(modern_sim.ca_certificate("modern"))
    finally:
        shell.close()


def test_it_never_completes_while_the_ca_is_unreachable(seed_sim: SimulatorHandle) -> None:
    seed_sim.set_fault("1720-1", "enroll_stuck")
    shell = raw_shell(seed_sim, "1720-1")
    try:
        _login(shell, "1720-1", "ww")
        shell.send("crypto ca enroll vpn\n")
        _dialogue(
            shell,
            [
                ("Re-enroll? [yes/no]: ", "yes"),
                ("Password: ", "x"),
                ("Re-enter password: ", "x"),
                ("[yes/no]: ", "no"),
                ("[yes/no]: ", "no"),
                ("Request certificate from CA? [yes/no]: ", "yes"),
            ],
        )
        errors = shell.expect("failed to send out the pki message")
        assert "CRYPTO_PKI: socket connect failed." in errors
        assert "CRYPTO_PKI: Using unresolved IP Address 171.69.89.16" in errors
        seed_sim.advance(3000)
        pending = [c for c in seed_sim.device("1720-1").certificates if c.status == "Pending"]
        assert pending
        seed_sim.clear_fault("1720-1", "enroll_stuck")
        seed_sim.advance(31)
        assert not [c for c in seed_sim.device("1720-1").certificates if c.status == "Pending"]
    finally:
        shell.close()


def test_it_shows_the_pending_request_as_the_seed_does_through_netmiko(
    key_cache: Path, tmp_path: Path
) -> None:
    from .helpers import connect, fixture_text

    scenario = seed_scenario()
    scenario["devices"][0]["enrolled"] = False
    handle = run_in_thread(scenario, state_dir=tmp_path)
    conn = connect(handle, "1720-1")
    try:
        conn.config_mode()
        steps = [
            ("crypto ca enroll vpn", r"Password: $"),
            ("challenge", r"Re-enter password: $"),
            ("challenge", r"serial number in the subject name\? \[yes/no\]: $"),
            ("no", r"IP address in the subject name\? \[yes/no\]: $"),
            ("no", r"Request certificate from CA\? \[yes/no\]: $"),
            ("yes", r"certificate request pending"),
        ]
        for answer, question in steps:
            conn.send_command(answer, expect_string=question, cmd_verify=False)
        conn.exit_config_mode()
        listing = conn.send_command("show crypto ca certificates")
        expected = fixture_text("cisco_ios", "show_crypto_ca_certificates__pending").rstrip("\n")
        fingerprint = re.search(r"Fingerprint: ([0-9A-F ]+)", listing)
        assert fingerprint is not None
        assert listing == expected.replace("A1D6C28B 6575AD08 F0B656D4 7161F76F", fingerprint.group(1))
    finally:
        conn.disconnect()
        handle.stop()
