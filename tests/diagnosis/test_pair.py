"""Both ends checked against each other: ACL mirror, peers, common proposals, lifetimes."""

from __future__ import annotations

from devices.diagnosis.model import Code, Severity
from devices.diagnosis.pair import diagnose_pair

from .helpers import SEED, pix, router

PIX_CONFIG = (SEED / "cisco_pix" / "write_terminal.txt").read_text()
ACL = "access-list 130 permit ip 192.168.4.0 255.255.255.0 1.1.1.0 255.255.255.0"


def _only(pix_config: str, code: str) -> list:
    return [f for f in diagnose_pair(router(), pix(config=pix_config)) if f.code == code]


def test_it_finds_crypto_acls_that_are_not_mirror_images() -> None:
    config = PIX_CONFIG.replace(ACL, ACL.replace("192.168.4.0", "192.168.5.0"))
    (finding,) = _only(config, Code.ACL_NOT_MIRRORED)
    assert finding.severity == Severity.CRITICAL
    assert (
        "1720-1 show running-config: access-list 130 permit ip 1.1.1.0 0.0.0.255 192.168.4.0 0.0.0.255"
        in (finding.evidence)
    )
    assert f"pix520-1 write terminal: {ACL.replace('192.168.4.0', '192.168.5.0')}" in finding.evidence
    assert ACL in finding.fix  # the mirror of the router's ACL, in PIX netmask notation
    assert finding.device == "pix520-1"


def test_it_finds_a_peer_that_is_not_the_other_end() -> None:
    config = PIX_CONFIG.replace("set peer 172.16.172.39", "set peer 172.16.172.40")
    (finding,) = _only(config, Code.PEER_ADDRESS_MISMATCH)
    assert finding.device == "pix520-1"
    assert "pix520-1 write terminal: crypto map mymap 5 set peer 172.16.172.40" in finding.evidence
    assert "crypto map mymap 5 set peer 172.16.172.39" in finding.fix


def test_it_finds_transform_sets_with_nothing_in_common() -> None:
    config = PIX_CONFIG.replace(
        "transform-set myset esp-des esp-md5-hmac", "transform-set myset esp-3des esp-sha-hmac"
    )
    (finding,) = _only(config, Code.NO_COMMON_TRANSFORM)
    assert (
        "pix520-1 write terminal: crypto ipsec transform-set myset esp-3des esp-sha-hmac" in finding.evidence
    )


def test_it_finds_ike_policies_with_nothing_in_common() -> None:
    config = PIX_CONFIG.replace("isakmp policy 10 hash md5", "isakmp policy 10 hash sha")
    (finding,) = _only(config, Code.NO_COMMON_IKE_POLICY)
    assert any("pix520-1 ike policy 10" in line and "hash sha" in line for line in finding.evidence)


def test_it_accepts_equal_lifetimes() -> None:
    config = PIX_CONFIG.replace(
        "isakmp enable outside",
        "crypto ipsec security-association lifetime seconds 3600\nisakmp enable outside",
    )
    assert diagnose_pair(router(), pix(config=config)) == []
