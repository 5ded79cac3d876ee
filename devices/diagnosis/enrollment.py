"""Enrollment stuck or failing because the CA cannot be reached (from Enrollment and Certificate rows)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from devices.diagnosis import fixes
from devices.diagnosis.model import Code, Finding, Severity

# What the devices print when the CA's HTTP port cannot be reached (IOS, PIX, ASA; the simulator's too).
UNREACHABLE_RE = re.compile(
    r"socket connect failed|failed to send out the pki message|can not resolve server|"
    r"failed to connect to ca server|connection timed out|connection refused|no route to host|"
    r"failed to send the enrollment request",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class EnrollmentRecord:
    """What the rule needs of an Enrollment row."""

    trustpoint: str
    state: str
    since: datetime
    text: str  # transcript and error, as recorded


@dataclass(frozen=True)
class PendingCertificate:
    """A certificate the device reports as Pending, and since when vpnportal has seen it so."""

    trustpoint: str
    since: datetime
    fingerprint: str = ""


def _ca_host(url: str) -> tuple[str, int]:
    parts = urlsplit(url if "//" in url else f"http://{url}")
    return parts.hostname or "<ca-address>", parts.port or 80


def diagnose_enrollment(
    platform: str,
    enrollments: list[EnrollmentRecord],
    pending: list[PendingCertificate],
    enrollment_urls: dict[str, str],
    now: datetime,
    pending_limit: timedelta,
    pki_form: str = "",
) -> list[Finding]:
    """Findings about certificate requests: CA unreachable on its HTTP port, or Pending for too long.

    1. The latest enrollment of each trustpoint whose transcript or error shows a failed connection.
    2. A certificate Pending (or an enrollment left pending) for longer than pending_limit.
    """
    out: list[Finding] = []
    latest: dict[str, EnrollmentRecord] = {}
    for record in sorted(enrollments, key=lambda r: r.since):
        latest[record.trustpoint] = record
    unreachable: set[str] = set()
    for trustpoint, record in latest.items():
        lines = [line.strip() for line in record.text.splitlines() if UNREACHABLE_RE.search(line)]
        if not lines or record.state == "granted":
            continue
        unreachable.add(trustpoint)
        host, port = _ca_host(enrollment_urls.get(trustpoint, ""))
        out.append(
            Finding(
                Code.CA_UNREACHABLE,
                Severity.CRITICAL,
                f"Enrollment for {trustpoint} cannot reach the CA at {host} on TCP {port}",
                f"trustpoint {trustpoint}",
                tuple(f"enrollment ({record.state}): {line}" for line in lines[:6]),
                (
                    f"! let TCP {port} (HTTP, SCEP) through from the device to {host}, then check:",
                    f"ping {host}",
                    *fixes.enroll(platform, trustpoint, form=pki_form),
                ),
            )
        )
    stuck: dict[str, list[str]] = {}
    for cert in pending:
        if now - cert.since >= pending_limit:
            stuck.setdefault(cert.trustpoint, []).append(
                f"certificate Pending since {cert.since:%Y-%m-%d %H:%M} UTC"
                + (f" (request fingerprint {cert.fingerprint})" if cert.fingerprint else "")
            )
    for trustpoint, record in latest.items():
        if record.state == "pending" and now - record.since >= pending_limit:
            stuck.setdefault(trustpoint, []).append(
                f"enrollment pending since {record.since:%Y-%m-%d %H:%M} UTC"
            )
    for trustpoint, evidence in stuck.items():
        if trustpoint in unreachable:
            continue
        out.append(
            Finding(
                Code.ENROLLMENT_STUCK,
                Severity.WARNING,
                f"Certificate request for {trustpoint} has been Pending for over {_hours(pending_limit)}",
                f"trustpoint {trustpoint}",
                tuple(evidence),
                (
                    "! ask the CA administrator to grant (or reject) the request with the fingerprint above;",
                    "! if the CA never saw it, check TCP 80 from the device to the CA and enroll again:",
                    *fixes.enroll(platform, trustpoint, form=pki_form),
                ),
            )
        )
    return out


def _hours(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes >= 60 and minutes % 60 == 0 else f"{minutes} min"
