"""Algorithm profiles, host keys that survive restarts, and the host_key_changed fault."""

from __future__ import annotations

from pathlib import Path

import paramiko  # type: ignore[import-untyped]
import pytest

from simulator import SimulatorHandle, run_in_thread

from .helpers import RawShell, seed_scenario

MODERN_ONLY = {
    "kex": [
        "diffie-hellman-group1-sha1",
        "diffie-hellman-group14-sha1",
        "diffie-hellman-group-exchange-sha1",
    ],
    "keys": ["ssh-rsa"],
    "pubkeys": ["ssh-rsa"],
    "ciphers": ["aes128-cbc", "aes192-cbc", "aes256-cbc", "3des-cbc"],
    "macs": ["hmac-sha1", "hmac-md5", "hmac-sha1-96", "hmac-md5-96"],
}


def _transport(port: int, disabled: dict[str, list[str]] | None = None) -> paramiko.Transport:
    transport = paramiko.Transport(("127.0.0.1", port), disabled_algorithms=disabled)
    transport.start_client(timeout=10)
    return transport


def test_it_offers_only_legacy_algorithms_on_the_seed_personas(seed_sim: SimulatorHandle) -> None:
    for name in ("1720-1", "pix520-1"):
        # a client that allows nothing but diffie-hellman-group1-sha1 still gets in
        only_group1 = [k for k in paramiko.Transport._preferred_kex if k != "diffie-hellman-group1-sha1"]
        t = _transport(seed_sim.port(name), {"kex": only_group1})
        try:
            assert t.is_active()
            assert t.host_key_type == "ssh-rsa"
            assert t.local_cipher in ("aes128-cbc", "3des-cbc")
            assert t.local_mac in ("hmac-sha1", "hmac-md5")
            assert t.remote_version.startswith("SSH-2.0-Cisco-1.25")
        finally:
            t.close()


def test_it_fails_a_client_that_only_speaks_modern_algorithms(seed_sim: SimulatorHandle) -> None:
    with pytest.raises(paramiko.SSHException, match=r"(?i)incompatible|no acceptable"):
        RawShell(seed_sim.port("1720-1"), "cisco", "cisco", disabled_algorithms=MODERN_ONLY)


def test_it_lets_a_modern_only_client_reach_the_modern_personas(modern_sim: SimulatorHandle) -> None:
    shell = RawShell(modern_sim.port("csr-1"), "admin", "cisco123", disabled_algorithms=MODERN_ONLY)
    try:
        shell.expect(r"csr-1>$")
        assert shell.client.get_transport().host_key_type == "ssh-ed25519"  # type: ignore[union-attr]
    finally:
        shell.close()


def test_it_rejects_wrong_ssh_passwords(seed_sim: SimulatorHandle) -> None:
    with pytest.raises(paramiko.AuthenticationException):
        RawShell(seed_sim.port("1720-1"), "cisco", "wrong")
    assert any("user=cisco" in line and "rejected" in line for line in seed_sim.received_lines("1720-1"))


def test_it_keeps_host_keys_across_restarts(fresh_state: Path) -> None:
    first = run_in_thread(seed_scenario(), state_dir=fresh_state)
    try:
        keys = {name: first.host_key(name) for name in ("1720-1", "pix520-1")}
        t = _transport(first.port("1720-1"))
        served = t.get_remote_server_key().get_base64()
        t.close()
    finally:
        first.stop()
    assert keys["1720-1"].startswith("ssh-rsa ")
    assert served in keys["1720-1"]
    second = run_in_thread(seed_scenario(), state_dir=fresh_state)
    try:
        assert {name: second.host_key(name) for name in keys} == keys
        t = _transport(second.port("1720-1"))
        assert t.get_remote_server_key().get_base64() == served
        t.close()
    finally:
        second.stop()


def test_it_presents_another_host_key_under_the_fault_and_the_old_one_after(
    seed_sim: SimulatorHandle,
) -> None:
    def served() -> str:
        t = _transport(seed_sim.port("1720-1"))
        try:
            return t.get_remote_server_key().get_base64()
        finally:
            t.close()

    before = served()
    seed_sim.set_fault("1720-1", "host_key_changed")
    changed = served()
    assert changed != before
    assert changed in seed_sim.host_key("1720-1")
    seed_sim.clear_fault("1720-1", "host_key_changed")
    assert served() == before
