"""At the seed's instant the seed personas print the seed's outputs byte for byte (netmiko strips the
trailing blank lines); the PIX's clock is the only difference (both ends share one clock)."""

from __future__ import annotations

import pytest

from simulator import SimulatorHandle

from .helpers import connect, fixture_text

ROUTER = [
    ("show clock", "show_clock"),
    ("sh cr isa sa", "show_crypto_isakmp_sa"),
    ("sh cr ipsec sa", "show_crypto_ipsec_sa"),
    ("sh cr en conn ac", "show_crypto_engine_connections_active"),
    ("sh cr ca cert", "show_crypto_ca_certificates"),
    ("show crypto ca crls", "show_crypto_ca_crls"),
    ("sh cr isa policy", "show_crypto_isakmp_policy"),
    ("sh cr map", "show_crypto_map"),
    ("sh cr key mypubkey rsa", "show_crypto_key_mypubkey_rsa"),
    ("show running-config", "show_running-config"),
]
PIX = [
    ("sh cr isa sa", "show_crypto_isakmp_sa"),
    ("sh cr ipsec sa", "show_crypto_ipsec_sa"),
    ("sh cr en", "show_crypto_engine"),
    ("sh ca cert", "show_ca_certificate"),
    ("sh ca crl", "show_ca_crl"),
    ("sh cr isa policy", "show_crypto_isakmp_policy"),
    ("sh cr map", "show_crypto_map"),
    ("sh ca mypubkey rsa", "show_ca_mypubkey_rsa"),
    ("wr t", "write_terminal"),
]


def test_it_prints_the_routers_seed_outputs(seed_sim: SimulatorHandle) -> None:
    conn = connect(seed_sim, "1720-1")
    try:
        for command, name in ROUTER:
            assert conn.send_command(command).rstrip("\n") == fixture_text("cisco_ios", name).rstrip("\n"), (
                command
            )
    finally:
        conn.disconnect()


def test_it_prints_the_pixs_seed_outputs(seed_sim: SimulatorHandle) -> None:
    conn = connect(seed_sim, "pix520-1")
    try:
        for command, name in PIX:
            assert conn.send_command(command).rstrip("\n") == fixture_text("cisco_pix", name).rstrip("\n"), (
                command
            )
        # one world clock: the PIX shows the router's instant in UTC
        assert conn.send_command("show clock") == "09:06:41 Jan 11 2002"
    finally:
        conn.disconnect()


@pytest.mark.parametrize(("scenario_enrolled", "fixture"), [(False, "show_crypto_ca_certificates__ca_only")])
def test_it_starts_unenrolled_with_only_the_ca_and_ra_certificates(
    key_cache: object, tmp_path: object, scenario_enrolled: bool, fixture: str
) -> None:
    from simulator import run_in_thread

    from .helpers import seed_scenario

    scenario = seed_scenario()
    scenario["devices"][0]["enrolled"] = scenario_enrolled
    scenario["devices"][1]["enrolled"] = scenario_enrolled
    handle = run_in_thread(scenario, state_dir=str(tmp_path))
    try:
        conn = connect(handle, "1720-1")
        assert conn.send_command("show crypto ca certificates") == fixture_text("cisco_ios", fixture).rstrip(
            "\n"
        )
        conn.disconnect()
        conn = connect(handle, "pix520-1")
        assert conn.send_command("show ca certificate") == fixture_text(
            "cisco_pix", "show_ca_certificate__ca_only"
        ).rstrip("\n")
        conn.disconnect()
    finally:
        handle.stop()
