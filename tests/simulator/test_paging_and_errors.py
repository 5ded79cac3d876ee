"""Paging, abbreviations and the devices' own error lines."""

from __future__ import annotations

from simulator import SimulatorHandle

from .helpers import connect, raw_shell


def _enable(shell: object, prompt: str, secret: str) -> None:
    shell.expect(prompt + r"[>] ?$")  # type: ignore[attr-defined]
    shell.send("enable\n")  # type: ignore[attr-defined]
    shell.expect("Password: $")  # type: ignore[attr-defined]
    shell.send(secret + "\n")  # type: ignore[attr-defined]
    shell.expect(prompt + r"# ?$")  # type: ignore[attr-defined]


def test_it_pages_ios_output_until_terminal_length_0(seed_sim: SimulatorHandle) -> None:
    shell = raw_shell(seed_sim, "1720-1")
    try:
        _enable(shell, "1720-1", "ww")
        shell.send("show running-config\n")
        first = shell.expect(" --More-- ")
        assert len(first.splitlines()) <= 25
        shell.send(" ")
        shell.expect(" --More-- ")
        shell.send("q")
        shell.expect(r"1720-1#$")
        shell.send("terminal length 0\nshow running-config\n")
        rest = shell.expect(r"\nend\r\n1720-1#$")
        assert "--More--" not in rest
    finally:
        shell.close()


def test_it_pages_asa_output_until_terminal_pager_0(modern_sim: SimulatorHandle) -> None:
    shell = raw_shell(modern_sim, "asa-1")
    try:
        _enable(shell, "asa-1", "cisco123")
        shell.send("show crypto ipsec sa\n")
        shell.expect("<--- More --->")
        shell.send("q")
        shell.expect(r"asa-1# $")
        shell.send("terminal pager 0\nshow crypto ipsec sa\n")
        out = shell.expect(r"asa-1# $")
        assert "More" not in out
    finally:
        shell.close()


def test_it_never_pages_on_the_pix_whose_config_says_no_pager(seed_sim: SimulatorHandle) -> None:
    shell = raw_shell(seed_sim, "pix520-1")
    try:
        _enable(shell, "pix520-1", "cisco")
        shell.send("write terminal\n")
        out = shell.expect(r"\[OK\]\r\npix520-1# $")
        assert "More" not in out
        assert "\r\nno pager\r\n" in out
    finally:
        shell.close()


def test_it_accepts_abbreviations_as_the_devices_do(seed_sim: SimulatorHandle) -> None:
    conn = connect(seed_sim, "1720-1")
    try:
        assert conn.send_command("sh cr isa sa") == conn.send_command("show crypto isakmp sa")
        assert "ident (addr/mask/prot/port)" in conn.send_command("sh cr ipsec sa")
        assert "HMAC_MD5+DES_56_CB" in conn.send_command("sh cr en conn ac")
        assert "3B2FD652" in conn.send_command("sh cr ca cert")
        assert "hostname 1720-1" in conn.send_command("wr t")
    finally:
        conn.disconnect()


def test_it_answers_ios_122_pki_commands_with_invalid_input(seed_sim: SimulatorHandle) -> None:
    conn = connect(seed_sim, "1720-1")
    try:
        out = conn.send_command("show crypto pki certificates")
        lines = out.splitlines()
        assert "% Invalid input detected at '^' marker." in lines
        caret = next(line for line in lines if line.strip() == "^")
        # under the `p` of `pki`, counting the prompt as the device does
        assert caret.index("^") == len("1720-1#show crypto ")
    finally:
        conn.disconnect()


def test_it_reports_ambiguous_and_incomplete_commands(seed_sim: SimulatorHandle) -> None:
    conn = connect(seed_sim, "1720-1")
    try:
        assert conn.send_command("sh c") == '% Ambiguous command:  "sh c"'
        assert "% Incomplete command." in conn.send_command("show crypto")
    finally:
        conn.disconnect()


def test_it_answers_unknown_pix_commands_with_its_help_line(seed_sim: SimulatorHandle) -> None:
    conn = connect(seed_sim, "pix520-1")
    try:
        assert conn.send_command("terminal pager 0") == "Type help or '?' for a list of available commands."
        assert conn.send_command("show crypto pki certificates").endswith("available commands.")
    finally:
        conn.disconnect()


def test_it_answers_asa_errors_with_its_prefix(modern_sim: SimulatorHandle) -> None:
    conn = connect(modern_sim, "asa-1")
    try:
        out = conn.send_command("show crypto bogus")
        assert "ERROR: % Invalid input detected at '^' marker." in out
    finally:
        conn.disconnect()


def test_it_speaks_pki_on_modern_ios_and_still_accepts_ca(modern_sim: SimulatorHandle) -> None:
    conn = connect(modern_sim, "csr-1")
    try:
        pki = conn.send_command("show crypto pki certificates")
        assert "Certificate Serial Number (hex):" in pki
        assert conn.send_command("show crypto ca certificates") == pki
        assert conn.send_command("sh cr isa sa").startswith("IPv4 Crypto ISAKMP SA")
    finally:
        conn.disconnect()
