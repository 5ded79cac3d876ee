"""What the simulator prints parses, with the project's parsers, into the seed's values."""

from __future__ import annotations

from typing import Any

import pytest

from devices.parsers.registry import parse
from simulator import SimulatorHandle

from .helpers import connect


def _parsed(handle: SimulatorHandle, name: str, commands: list[str]) -> dict[str, dict[str, Any]]:
    conn = connect(handle, name)
    try:
        platform = handle.device(name).platform
        return {c: parse(platform, c, conn.send_command(c)) for c in commands}
    finally:
        conn.disconnect()


def test_it_parses_the_routers_outputs_into_the_seeds_values(seed_sim: SimulatorHandle) -> None:
    out = _parsed(
        seed_sim,
        "1720-1",
        [
            "show clock",
            "show crypto isakmp sa",
            "show crypto ipsec sa",
            "show crypto engine connections active",
            "show crypto ca certificates",
            "show crypto ca crls",
            "show running-config",
        ],
    )
    assert out["show clock"]["clock"] == "2002-01-11T01:06:41.786-08:00"
    (ike,) = out["show crypto isakmp sa"]["ike_sas"]
    assert (ike["dst"], ike["src"], ike["state"], ike["conn_id"]) == (
        "172.16.172.39",
        "172.16.172.34",
        "QM_IDLE",
        110,
    )
    (sa,) = out["show crypto ipsec sa"]["ipsec_sas"]
    assert sa["current_peer"] == "172.16.172.34"
    assert sa["inbound_esp"][0]["spi"] == 0xD740971C and sa["outbound_esp"][0]["spi"] == 0x3803A0C1
    assert sa["inbound_esp"][0]["remaining_sec"] == 3150 and sa["outbound_esp"][0]["remaining_sec"] == 3141
    assert sa["counters"]["pkts_encaps"] == sa["counters"]["pkts_decaps"] == 3
    ids = [c["id"] for c in out["show crypto engine connections active"]["connections"]]
    assert ids == [110, 114, 115, 116, 117, 200, 201]
    certs = {c["serial"]: c for c in out["show crypto ca certificates"]["certificates"]}
    assert certs["3B2FD652"]["role"] == "identity" and certs["3B2FD652"]["subject_name"] == "1720-1.cisco.com"
    assert certs["3B2FD307"]["role"] == "ca"
    (crl,) = out["show crypto ca crls"]["crls"]
    assert crl["next_update"] == "2002-01-11T17:17:34-08:00"
    config = out["show running-config"]
    assert (config["hostname"], config["domain_name"], config["isakmp_identity"]) == (
        "1720-1",
        "cisco.com",
        "hostname",
    )
    chain = {c["serial"]: c for c in config["certificate_chains"][0]["certificates"]}
    assert chain["3B2FD652"]["signature_valid"] is True


def test_it_parses_the_pixs_outputs_into_the_seeds_values(seed_sim: SimulatorHandle) -> None:
    out = _parsed(
        seed_sim,
        "pix520-1",
        [
            "show crypto isakmp sa",
            "show crypto ipsec sa",
            "show crypto engine",
            "show ca certificate",
            "show ca crl",
        ],
    )
    assert out["show crypto isakmp sa"]["total"] == 1
    (sa,) = out["show crypto ipsec sa"]["ipsec_sas"]
    assert sa["inbound_esp"][0]["spi"] == 0x3803A0C1 and sa["outbound_esp"][0]["spi"] == 0xD740971C
    assert sa["counters"]["send_errors"] == 2
    assert out["show crypto engine"]["summary"] == {"size": 8, "free": 6, "used": 2, "active": 2}
    serials = {c["serial"] for c in out["show ca certificate"]["certificates"]}
    assert {"3B2FD653", "3B2FD307"} <= serials
    assert out["show ca crl"]["crls"][0]["next_update"] == "2002-01-12T01:17:34+00:00"


@pytest.mark.parametrize(
    ("name", "commands"),
    [
        (
            "csr-1",
            [
                "show clock",
                "show crypto isakmp sa",
                "show crypto ipsec sa",
                "show crypto pki certificates",
                "show crypto pki crls",
                "show running-config",
            ],
        ),
        (
            "asa-1",
            [
                "show clock",
                "show crypto isakmp sa",
                "show crypto ipsec sa",
                "show crypto ca certificates",
                "show crypto ca crl",
                "show running-config",
            ],
        ),
    ],
)
def test_it_parses_the_modern_personas_outputs(
    modern_sim: SimulatorHandle, name: str, commands: list[str]
) -> None:
    out = _parsed(modern_sim, name, commands)
    for command, result in out.items():
        assert "error" not in result or result["error"] is None, command
    ike = out["show crypto isakmp sa"]["ike_sas"]
    assert ike and all(s["state"] in ("QM_IDLE", "MM_ACTIVE") for s in ike)
    sas = out["show crypto ipsec sa"]["ipsec_sas"]
    assert all(sa["inbound_esp"] and sa["outbound_esp"] for sa in sas)
    assert all(sa["current_outbound_spi"] == sa["outbound_esp"][0]["spi"] for sa in sas)
    certs = out[commands[3]]["certificates"]
    assert {c["role"] for c in certs} >= {"identity", "ca"}
    chain = out["show running-config"]["certificate_chains"][0]["certificates"]
    assert any(c["role"] == "identity" and c["signature_valid"] for c in chain)
