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


# The same PIX with `name` entries: the device then prints the names in place of the addresses.
NAMED_PIX_CONFIG = (
    PIX_CONFIG.replace(
        "names\n",
        "names\nname 172.16.172.39 router-1720 description the branch\n"
        "name 1.1.1.0 branch-lan\nname 192.168.4.0 hq-lan\n",
    )
    .replace("set peer 172.16.172.39", "set peer router-1720")
    .replace(ACL, "access-list 130 permit ip hq-lan 255.255.255.0 branch-lan 255.255.255.0")
)


def test_it_reads_names_in_place_of_addresses_as_the_addresses() -> None:
    assert "set peer router-1720" in NAMED_PIX_CONFIG and "hq-lan 255" in NAMED_PIX_CONFIG
    # The same tunnel as the seed's: the same findings (its lifetimes differ), no peer or ACL one.
    codes = {f.code for f in diagnose_pair(router(), pix(config=NAMED_PIX_CONFIG))}
    assert codes == {f.code for f in diagnose_pair(router(), pix(config=PIX_CONFIG))}
    assert codes == {Code.LIFETIME_MISMATCH}


def test_it_still_finds_a_wrong_peer_behind_a_name() -> None:
    config = NAMED_PIX_CONFIG.replace("name 172.16.172.39 router-1720", "name 172.16.172.40 router-1720")
    (finding,) = _only(config, Code.PEER_ADDRESS_MISMATCH)
    assert "pix520-1 write terminal: crypto map mymap 5 set peer router-1720" in finding.evidence
    # The ACL is still checked through the names: a wrong network behind a name is found too.
    config = NAMED_PIX_CONFIG.replace("name 192.168.4.0 hq-lan", "name 192.168.5.0 hq-lan")
    assert len(_only(config, Code.ACL_NOT_MIRRORED)) == 1


# The same PIX with its crypto ACL written with object groups (PIX 6.2+, every ASA).
GROUPED_PIX_CONFIG = PIX_CONFIG.replace(
    ACL,
    "object-group network hq-lans\n"
    "  description the networks behind the PIX\n"
    "  network-object 192.168.4.0 255.255.255.0\n"
    "object-group network branch-lans\n"
    "  group-object branch-core\n"
    "object-group network branch-core\n"
    "  network-object 1.1.1.0 255.255.255.0\n"
    "access-list 130 permit ip object-group hq-lans object-group branch-lans",
)


def test_it_expands_object_groups_in_crypto_acls() -> None:
    codes = {f.code for f in diagnose_pair(router(), pix(config=GROUPED_PIX_CONFIG))}
    assert codes == {Code.LIFETIME_MISMATCH}  # the seed's own finding, no ACL one
    wrong = GROUPED_PIX_CONFIG.replace(
        "network-object 1.1.1.0 255.255.255.0", "network-object 1.1.2.0 255.255.255.0"
    )
    (finding,) = _only(wrong, Code.ACL_NOT_MIRRORED)
    assert (
        "pix520-1 write terminal: access-list 130 permit ip object-group hq-lans object-group branch-lans"
        in (finding.evidence)
    )
    # A group the check cannot turn into networks (a range) is skipped, not guessed at.
    ranged = GROUPED_PIX_CONFIG.replace("network-object 1.1.1.0 255.255.255.0", "range 1.1.1.1 1.1.1.9")
    assert _only(ranged, Code.ACL_NOT_MIRRORED) == []
