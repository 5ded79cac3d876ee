"""Both ends of a tunnel agree: counters mirror, lifetimes count down, rekeys change SPIs on both."""

from __future__ import annotations

from devices.parsers.registry import parse
from simulator import SimulatorHandle
from simulator.tunnel_state import Counter, EndSeed, Tunnel

from .helpers import connect


def _sa(conn: object, platform: str) -> dict:  # type: ignore[type-arg]
    text = conn.send_command("show crypto ipsec sa")  # type: ignore[attr-defined]
    return parse(platform, "show crypto ipsec sa", text)["ipsec_sas"][0]


def test_it_grows_counters_consistently_on_both_ends(seed_sim: SimulatorHandle) -> None:
    router, pix = connect(seed_sim, "1720-1"), connect(seed_sim, "pix520-1")
    try:
        seed_sim.advance(120)
        r, p = _sa(router, "cisco_ios")["counters"], _sa(pix, "cisco_pix")["counters"]
        assert r["pkts_encaps"] == p["pkts_decaps"] == 123
        assert p["pkts_encaps"] == r["pkts_decaps"] == 123
        assert p["send_errors"] == 2  # the seed's PIX errors stay put without the `errors` fault
    finally:
        router.disconnect()
        pix.disconnect()


def test_it_counts_lifetimes_down_and_rekeys_with_new_spis_on_both_ends(seed_sim: SimulatorHandle) -> None:
    router, pix = connect(seed_sim, "1720-1"), connect(seed_sim, "pix520-1")
    try:
        r0, p0 = _sa(router, "cisco_ios"), _sa(pix, "cisco_pix")
        assert r0["inbound_esp"][0]["spi"] == p0["outbound_esp"][0]["spi"] == 0xD740971C
        seed_sim.advance(1000)
        r1 = _sa(router, "cisco_ios")
        assert r1["inbound_esp"][0]["remaining_sec"] == 3150 - 1000
        seed_sim.advance(2000)  # past the PIX's 2971 s: a new quick mode
        r2, p2 = _sa(router, "cisco_ios"), _sa(pix, "cisco_pix")
        assert r2["inbound_esp"][0]["spi"] not in (0xD740971C, 0x3803A0C1)
        assert r2["inbound_esp"][0]["spi"] == p2["outbound_esp"][0]["spi"]
        assert r2["outbound_esp"][0]["spi"] == p2["inbound_esp"][0]["spi"]
        assert r2["current_outbound_spi"] == r2["outbound_esp"][0]["spi"]
        assert r2["inbound_esp"][0]["remaining_sec"] > 3000
        assert r2["inbound_esp"][0]["conn_id"] != 200
        # counters carry on across a rekey
        assert r2["counters"]["pkts_encaps"] == 3 + 3000
    finally:
        router.disconnect()
        pix.disconnect()


def test_it_counts_the_engine_per_sa(seed_sim: SimulatorHandle) -> None:
    router = connect(seed_sim, "1720-1")
    try:
        seed_sim.advance(10)
        rows = parse(
            "cisco_ios", "show crypto engine connections active", router.send_command("sh cr en conn ac")
        )
        by_id = {c["id"]: c for c in rows["connections"]}
        assert by_id[200]["decrypt"] == 13
        assert by_id[201]["encrypt"] == 13
    finally:
        router.disconnect()


def test_it_keeps_counters_piecewise_linear() -> None:
    c = Counter(3, 1.0)
    assert c.value(10) == 13
    c.set_rate(10, 0.0)
    assert c.value(100) == 13
    c.reset(100, 0)
    c.set_rate(100, 2.0)
    assert c.value(105) == 10
    assert c.value(5) == 8  # the past is kept


def test_it_derives_the_same_generation_for_both_ends() -> None:
    t = Tunnel(
        "x", "a", "b", seed_a=EndSeed(remaining_in=100, remaining_out=90), seed_b=EndSeed(remaining_in=80)
    )
    a, b = t.view("a", 81), t.view("b", 81)
    assert a.generation == b.generation == 1
    assert a.spi_out == b.spi_in and a.spi_in == b.spi_out
    t.set_down(200, True)
    assert not t.view("a", 201).alive and t.view("a", 201).ike_state is None
    t.set_down(300, False)
    assert t.view("b", 301).generation == 2
