"""Every rule on one device's outputs: identity, clock and CRL validity, crypto hygiene, chain, management."""

from __future__ import annotations

from collections.abc import Callable

from devices.diagnosis.chain import chain_signatures, key_matches_certificate
from devices.diagnosis.hygiene import ike_hygiene, rsa_hygiene, signature_hygiene, transform_hygiene
from devices.diagnosis.identity import isakmp_identity
from devices.diagnosis.management import cleartext_management
from devices.diagnosis.model import DeviceOutputs, Finding
from devices.diagnosis.validity import clock_validity, crl_missing

Rule = Callable[[DeviceOutputs], list[Finding]]

DEVICE_RULES: tuple[Rule, ...] = (
    isakmp_identity,
    clock_validity,
    crl_missing,
    ike_hygiene,
    transform_hygiene,
    rsa_hygiene,
    signature_hygiene,
    chain_signatures,
    key_matches_certificate,
    cleartext_management,
)


def diagnose_device(dev: DeviceOutputs) -> list[Finding]:
    """Every device rule over one device's outputs."""
    out: list[Finding] = []
    for rule in DEVICE_RULES:
        out.extend(rule(dev))
    return out
