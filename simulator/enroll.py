"""Enrollment dialogues (IOS 12.2, IOS 15/XE, PIX 6, ASA 9) and the CA's asynchronous answer."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization

from .ca import md5_fingerprint
from .clock import syslog_stamp, uptime_stamp
from .device import CertEntry, CrlEntry, Device, Enrollment

if TYPE_CHECKING:
    from .session import CliSession

CHALLENGE_TEXT = [
    "% Create a challenge password. You will need to verbally provide this",
    "   password to the CA Administrator in order to revoke your certificate.",
    "   For security reasons your password will not be saved in the configuration.",
    "   Please make a note of it.",
]
# How long after the dialogue the device prints the request fingerprint (asynchronously).
FINGERPRINT_DELAY_S = 0.3


def log_stamp(device: Device) -> str:
    """The time stamp a log line carries: uptime on IOS 12.2, date on IOS 15, none on PIX/ASA."""
    if device.kind == "ios122":
        return uptime_stamp(device.uptime()) + " "
    if device.kind == "ios15":
        return syslog_stamp(device.now(), device.zone) + ": "
    return ""


async def yes_no(session: CliSession, question: str, default: str | None = None) -> bool:
    """Ask until the operator answers yes or no (abbreviations accepted)."""
    while True:
        answer = (await session.ask(question)).strip().lower()
        if not answer and default is not None:
            answer = default
        if answer and "yes".startswith(answer):
            return True
        if answer and "no".startswith(answer):
            return False
        session.write("% Please answer 'yes' or 'no'.\n")


async def _challenge(session: CliSession) -> str | None:
    for _ in range(3):
        first = await session.ask("Password: ", echo=False, kind="challenge-password")
        second = await session.ask("Re-enter password: ", echo=False, kind="challenge-password")
        if first == second:
            session.write("\n")
            return first
        session.write("% Password mismatch. Please try again.\n")
    return None


def _trustpoint_error(session: CliSession, name: str) -> None:
    kind = session.device.kind
    if kind == "asa9":
        session.write(f"ERROR: Trustpoint {name} not found\n")
    elif kind == "pix60":
        session.write(f"ca enroll: unknown CA identity {name}\n")
    else:
        session.write(f"% Unknown trustpoint or CA identity {name}\n")


async def run(session: CliSession, args: list[str]) -> None:
    """The enrollment dialogue of the session's platform; the request then waits for the CA."""
    dev = session.device
    trustpoint = args[0] if args else ""
    if trustpoint != dev.trustpoint:
        _trustpoint_error(session, trustpoint)
        return
    existing = dev.identity()
    ip_address: str | None = None
    device_serial: str | None = None
    if dev.kind == "pix60":
        # PIX 6: `ca enroll cisco PASSWORD [serial] [ipaddress]`, no questions
        extra = args[2:] if len(args) > 2 else []
        if any(x.lower() == "serial" for x in extra):
            device_serial = dev.serial_number
        if any(x.lower() == "ipaddress" for x in extra):
            ip_address = dev.outside_ip
        session.write("%\n% Start certificate enrollment ..\n\n")
        session.write(f"% The subject name in the certificate will be: {dev.fqdn}\n\n")
        session.write("% Certificate request sent to Certificate Authority\n")
        session.write("% The certificate request fingerprint will be displayed.\n\n")
        _submit(session, ip_address, device_serial, args[1] if len(args) > 1 else "")
        return
    question = "% You already have a certificate for this trustpoint.\n% Re-enroll? [yes/no]: "
    if existing is not None and existing.status == "Available" and not await yes_no(session, question):
        return
    session.write("%\n% Start certificate enrollment ..\n")
    session.write("\n".join(CHALLENGE_TEXT) + "\n\n")
    challenge = await _challenge(session)
    if challenge is None:
        return
    if dev.kind == "ios122":
        session.write(f"% The subject name in the certificate will be: {dev.fqdn}\n")
        if await yes_no(session, "% Include the router serial number in the subject name? [yes/no]: "):
            device_serial = dev.serial_number
            session.write(f"% The serial number in the certificate will be: {dev.serial_number}\n")
        if await yes_no(session, "% Include an IP address in the subject name? [yes/no]: "):
            await session.ask("Interface: ")
            ip_address = dev.outside_ip
        if not await yes_no(session, "Request certificate from CA? [yes/no]: "):
            return
        session.write("% Certificate request sent to Certificate Authority\n")
        session.write("% The certificate request fingerprint will be displayed.\n")
        session.write("% The 'show crypto ca certificate' command will also show the fingerprint.\n\n")
    elif dev.kind == "ios15":
        session.write(f"% The subject name in the certificate will include: CN={dev.fqdn}\n")
        session.write(f"% The subject name in the certificate will include: {dev.fqdn}\n")
        if await yes_no(session, "% Include the router serial number in the subject name? [yes/no]: "):
            device_serial = dev.serial_number
        if await yes_no(session, "% Include an IP address in the subject name? [no]: ", default="no"):
            ip_address = dev.outside_ip
        if not await yes_no(session, "Request certificate from CA? [yes/no]: "):
            return
        session.write("% Certificate request sent to Certificate Authority\n")
        session.write(
            f"% The 'show crypto pki certificate verbose {dev.trustpoint}' commandwill show the fingerprint.\n\n"
        )
    else:  # asa9
        session.write(f"% The subject name in the certificate will be: CN={dev.fqdn}\n\n")
        session.write(f"% The fully-qualified domain name in the certificate will be: {dev.fqdn}\n\n")
        if await yes_no(session, "% Include the device serial number in the subject name? [yes/no]: "):
            device_serial = dev.serial_number
        session.write("\n")
        if not await yes_no(session, "Request certificate from CA? [yes/no]: "):
            return
        session.write("% Certificate request sent to Certificate Authority\n")
    _submit(session, ip_address, device_serial, challenge)


def _rejects(dev: Device, challenge: str) -> bool:
    """A CA given a challenge password (scenario `set: {extra: {ca_challenge: PW}}`) refuses any other."""
    expected = dev.extra.get("ca_challenge")
    return expected is not None and challenge != str(expected)


def _submit(
    session: CliSession, ip_address: str | None, device_serial: str | None, challenge: str = ""
) -> None:
    """Record the pending request and print its fingerprint after the prompt, as the devices do."""
    dev = session.device
    assert dev.sim is not None
    public = (
        dev.key()
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    fingerprint = md5_fingerprint(public + str(dev.elapsed()).encode(), upper=dev.kind != "pix60")
    stuck = dev.has("enroll_stuck")
    with dev.lock:
        # The CA's verdict on the challenge, kept until the request is due (complete_due).
        dev.extra["request_rejected"] = _rejects(dev, challenge)
        dev.enrollment = Enrollment(
            trustpoint=dev.trustpoint,
            requested_at=dev.elapsed(),
            due_at=None if stuck else dev.elapsed() + dev.enroll_delay,
            fingerprint=fingerprint,
            ip_address=ip_address,
            device_serial=device_serial,
            session_ids={session.id},
        )
        pending = CertEntry("identity", 0, "Pending", [], [], dev.fqdn, None, None, fingerprint=fingerprint)
        dev.certificates = [
            c for c in dev.certificates if not (c.role == "identity" and c.status == "Pending")
        ]
        if dev.identity() is None:
            dev.certificates.append(pending)
        else:
            dev.extra["pending_request"] = pending
            dev.certificates.append(pending)
    loop = asyncio.get_running_loop()
    loop.call_later(FINGERPRINT_DELAY_S, _after_submit, session, fingerprint, stuck)


def _after_submit(session: CliSession, fingerprint: str, stuck: bool) -> None:
    dev = session.device
    stamp = log_stamp(dev)
    if dev.kind == "ios122":
        session.write(f"      Fingerprint:  {fingerprint}\n\n")
    elif dev.kind == "pix60":
        session.write(f"     Fingerprint: {fingerprint}\n")
    elif dev.kind == "ios15":
        session.write(
            f"{stamp}CRYPTO_PKI:  Certificate Request Fingerprint MD5: {fingerprint.replace(' ', '')}\n"
        )
    if stuck:
        host = dev.enrollment_url.split("//")[-1].split(":")[0].split("/")[0]
        lines = [
            f"{stamp}CRYPTO_PKI: can not resolve server name/IP address",
            f"{stamp}CRYPTO_PKI: Using unresolved IP Address {host}",
            f"{stamp}CRYPTO_PKI: socket connect failed.",
            f"{stamp}CRYPTO_PKI: status = 65535: failed to send out the pki message",
        ]
        if dev.kind == "asa9":
            lines = [
                f"CRYPTO_PKI: Failed to connect to CA server {host}:80: Connection timed out",
                "% Failed to send the enrollment request to the CA server",
            ]
        for line in lines:
            dev.syslog(line, to_sessions={session.id})
    elif dev.kind in ("ios122", "pix60"):
        dev.syslog(f"{stamp}CRYPTO_PKI: status = 102: certificate request pending", to_sessions={session.id})


def complete_due(device: Device) -> None:
    """Grant the pending request once its delay has passed (simulated seconds); print CERTRET."""
    enrollment = device.enrollment
    if enrollment is None or enrollment.due_at is None or device.elapsed() < enrollment.due_at:
        return
    assert device.sim is not None
    if device.extra.pop("request_rejected", False):
        _reject(device, enrollment)
        return
    ca = device.sim.ca(device.ca_profile)
    world_now = device.sim.clock.now().replace(microsecond=0)
    serial = ca.next_serial(device.name)
    not_after = world_now + timedelta(days=device.cert_validity_days)
    cert = ca.issue(
        fqdn=device.fqdn,
        public_key=device.key().public_key(),
        not_before=world_now,
        not_after=not_after,
        serial=serial,
        ip_address=enrollment.ip_address,
        device_serial=enrollment.device_serial,
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    issuer_parts = [(k, v) for k, v in reversed(ca.profile.subject)]
    subject_parts = [("unstructuredName", device.fqdn)] + [
        (k, v) for k, v in reversed(ca.profile.subject) if k != "CN"
    ]
    with device.lock:
        granted = CertEntry(
            "identity",
            serial,
            "Available",
            issuer_parts,
            subject_parts,
            device.fqdn,
            world_now,
            not_after,
            der,
        )
        rest = [c for c in device.certificates if c.role != "identity"]
        for c in rest:
            if c.role == "ca":
                # the device now trusts the simulator's CA (same name and serial as the seed's)
                c.der = ca.certificate.public_bytes(serialization.Encoding.DER)
        device.certificates = [granted, *rest]
        device.enrollment = None
        device.extra.pop("pending_request", None)
        device.saved_config = False
    stamp = log_stamp(device)
    if device.kind == "ios122":
        message = f"{stamp}%CRYPTO-6-CERTRET: Certificate received from Certificate Authority"
    elif device.kind == "ios15":
        message = f"{stamp}%PKI-6-CERTRET: Certificate received from Certificate Authority"
    elif device.kind == "pix60":
        message = "CRYPTO_PKI: status = 100: certificate is granted"
    else:
        message = "The certificate has been granted by CA!"
    device.syslog(message, to_sessions=enrollment.session_ids)
    device.sim.refresh_health(device)


def _reject(device: Device, enrollment: Enrollment) -> None:
    """The CA refused the request: the pending entry goes, the old certificate stays, CERTREJECT is printed."""
    with device.lock:
        device.certificates = [c for c in device.certificates if c.status != "Pending"]
        device.enrollment = None
        device.extra.pop("pending_request", None)
    stamp = log_stamp(device)
    if device.kind == "ios122":
        message = f"{stamp}%CRYPTO-6-CERTREJECT: Certificate enrollment request was rejected by Certificate Authority"
    elif device.kind == "ios15":
        message = (
            f"{stamp}%PKI-6-CERTREJECT: Certificate enrollment request was rejected by Certificate Authority"
        )
    elif device.kind == "pix60":
        message = "CRYPTO_PKI: status = 101: certificate request rejected"
    else:
        message = "% Certificate enrollment request was rejected by the CA"
    device.syslog(message, to_sessions=enrollment.session_ids)


async def authenticate(session: CliSession, args: list[str]) -> None:
    """`crypto ca authenticate TP`: show the CA fingerprint and accept it."""
    dev = session.device
    if (args[0] if args else "") != dev.trustpoint:
        _trustpoint_error(session, args[0] if args else "")
        return
    assert dev.sim is not None
    der = dev.sim.ca(dev.ca_profile).certificate.public_bytes(serialization.Encoding.DER)
    fp = md5_fingerprint(der, upper=dev.kind != "pix60")
    if dev.kind == "pix60":
        session.write(f"Certificate has the following attributes:\nFingerprint: {fp}\n")
        return
    prefix = "INFO: " if dev.kind == "asa9" else ""
    session.write(f"{prefix}Certificate has the following attributes:\nFingerprint: {fp}\n")
    if await yes_no(session, "% Do you accept this certificate? [yes/no]: ") and dev.kind != "ios122":
        session.write("\nTrustpoint CA certificate accepted.\n")


async def crl_request(session: CliSession, args: list[str]) -> None:
    """`crypto ca crl request TP`: a fresh CRL, unless the CA cannot be reached or has none."""
    dev = session.device
    if (args[0] if args else "") != dev.trustpoint:
        _trustpoint_error(session, args[0] if args else "")
        return
    if dev.has("enroll_stuck") or dev.has("crl_missing") or dev.has("crl_expired"):
        stamp = log_stamp(dev)
        dev.syslog(f"{stamp}CRYPTO_PKI: status = 275: failed to insert CRL", to_sessions={session.id})
        return
    assert dev.sim is not None
    now = dev.sim.clock.now().replace(microsecond=0)
    issuer = dev.crl.issuer if dev.crl else "OU = sjvpn, O = cisco, C = us"
    retrieved = dev.crl.retrieved_from if dev.crl else "LDAP: CN = CRL1, OU = sjvpn, O = cisco, C = us"
    dev.crl = CrlEntry(issuer, now - timedelta(minutes=1), now + timedelta(days=1), retrieved)
    dev.sim.refresh_health(dev)
