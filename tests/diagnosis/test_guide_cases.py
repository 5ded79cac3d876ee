"""The guide's troubleshooting cases, made from the seed outputs by the one change each describes."""

from __future__ import annotations

from devices.diagnosis.device import diagnose_device
from devices.diagnosis.model import Code, Severity

from .helpers import SEED, pix, router

ROUTER_CONFIG = (SEED / "cisco_ios" / "show_running-config.txt").read_text()
PIX_CONFIG = (SEED / "cisco_pix" / "write_terminal.txt").read_text()


def _codes(findings: list, code: str) -> list:
    return [f for f in findings if f.code == code]


def test_it_finds_identity_address_with_an_fqdn_only_certificate() -> None:
    config = ROUTER_CONFIG.replace("crypto isakmp identity hostname", "crypto isakmp identity address")
    (finding,) = _codes(diagnose_device(router(config=config)), Code.ISAKMP_IDENTITY_ADDRESS)
    assert finding.severity == Severity.CRITICAL
    assert "show running-config: crypto isakmp identity address" in finding.evidence
    assert "show crypto ca certificates: Name: 1720-1.cisco.com" in finding.evidence
    assert finding.fix == ("crypto isakmp identity hostname",)


def test_it_accepts_identity_hostname_on_the_pix() -> None:
    config = PIX_CONFIG.replace("isakmp enable outside", "isakmp enable outside\nisakmp identity hostname")
    assert not _codes(diagnose_device(pix(config=config)), Code.ISAKMP_IDENTITY_ADDRESS)


def test_it_finds_the_router_clock_set_to_1993() -> None:
    found = diagnose_device(router(clock="16:07:02.000 PST Sun Feb 28 1993\n"))
    certs = {f.subject for f in _codes(found, Code.CLOCK_OUTSIDE_CERT)}
    assert certs == {
        "certificate 3B2FD652",
        "certificate 3B2FD307",
        "certificate 3B2FD319",
        "certificate 3B2FD318",
    }
    (crl,) = _codes(found, Code.CLOCK_OUTSIDE_CRL)
    assert "not yet valid" in crl.title  # the guide's "New CRL Not Yet Valid"
    assert crl.severity == Severity.CRITICAL
    assert "show clock: 16:07:02.000 PST Sun Feb 28 1993" in crl.evidence
    assert any("LastUpdate: 16:17:34 PST Jan 10 2002" in line for line in crl.evidence)
    assert any(line.startswith("clock set") for line in crl.fix)
    identity = next(f for f in _codes(found, Code.CLOCK_OUTSIDE_CERT) if f.subject == "certificate 3B2FD652")
    assert identity.severity == Severity.CRITICAL
    assert any("start date: 19:06:14 PST Jan 10 2002" in line for line in identity.evidence)


def test_it_finds_a_crl_past_its_next_update() -> None:
    found = diagnose_device(pix(clock="02:58:08 Jan 12 2002\n"))  # the guide's PIX debug time
    (crl,) = _codes(found, Code.CLOCK_OUTSIDE_CRL)
    assert "NextUpdate" in crl.title
    assert "ca crl request cisco" in crl.fix


def test_it_finds_no_crl_without_crl_optional() -> None:
    found = diagnose_device(router(crls="")) + diagnose_device(pix(crls=""))
    missing = _codes(found, Code.CRL_MISSING)
    assert {f.subject for f in missing} == {"trustpoint vpn", "trustpoint cisco"}
    routers = next(f for f in missing if f.subject == "trustpoint vpn")
    assert routers.severity == Severity.CRITICAL
    assert "show running-config: crypto ca identity vpn" in routers.evidence
    assert "show crypto ca crls: (no CRL)" in routers.evidence
    assert "crypto ca crl request vpn" in routers.fix and " crl optional" in routers.fix
    pixs = next(f for f in missing if f.subject == "trustpoint cisco")
    assert "ca crl request cisco" in pixs.fix  # the guide's fix


def test_it_accepts_no_crl_with_crl_optional() -> None:
    config = ROUTER_CONFIG.replace(" enrollment mode ra", " enrollment mode ra\n crl optional")
    assert not _codes(diagnose_device(router(config=config, crls="")), Code.CRL_MISSING)
    config = PIX_CONFIG.replace("ca configure cisco ra 20 5", "ca configure cisco ra 20 5 crloptional")
    assert not _codes(diagnose_device(pix(config=config, crls="")), Code.CRL_MISSING)


def test_it_finds_a_key_that_is_not_the_certificates() -> None:
    keys = (SEED / "cisco_ios" / "show_crypto_key_mypubkey_rsa.txt").read_text()
    # Keep only the encryption key: as if the signing key had been regenerated after enrollment.
    only_server = keys[keys.index("% Key pair was generated at: 19:26:24") :]
    (finding,) = _codes(diagnose_device(router(keys=only_server)), Code.KEY_CERT_MISMATCH)
    assert finding.severity == Severity.CRITICAL
    assert finding.evidence[0] == "show running-config: certificate 3B2FD652"
    assert "crypto ca enroll vpn" in finding.fix


def test_it_finds_telnet_allowed_on_an_ios_vty() -> None:
    config = ROUTER_CONFIG.replace(
        "line vty 5 15\n login", "line vty 5 15\n login\n transport input telnet ssh"
    )
    (finding,) = _codes(diagnose_device(router(config=config)), Code.CLEARTEXT_MANAGEMENT)
    assert "show running-config: transport input telnet ssh" in finding.evidence
    assert " transport input ssh" in finding.fix
