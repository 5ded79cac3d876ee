"""A modern, correctly configured pair (AES-256, SHA-256, DH 14, RSA-2048) gives no finding at all."""

from __future__ import annotations

from devices.diagnosis.device import diagnose_device
from devices.diagnosis.model import Code
from devices.diagnosis.pair import diagnose_pair

from .helpers import keys, modern


def test_it_finds_nothing_on_a_modern_ios_xe_pair() -> None:
    a, b = modern("csr-1"), modern("csr-2")
    assert diagnose_device(a) == []
    assert diagnose_device(b) == []
    assert diagnose_pair(a, b) == []
    assert diagnose_pair(b, a) == []


def test_it_reports_sha1_on_asa_ikev1_and_nothing_else() -> None:
    # The asa9 persona's IKEv1 policy and transform set use SHA-1, the best IKEv1 on ASA has; the
    # modern replacement is IKEv2 with SHA-256, which the fix says.
    a, b = modern("asa-1"), modern("asa-2")
    found = diagnose_device(a)
    assert keys(found) == {
        (Code.WEAK_HASH, "ike policy 10 hash"),
        (Code.WEAK_HASH, "transform-set TS esp-sha-hmac"),
    }
    assert any("crypto ikev2 policy" in line for f in found for line in f.fix)
    assert diagnose_pair(a, b) == []
