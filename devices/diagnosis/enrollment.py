"""Enrollment stuck or failing because the CA cannot be reached (from Enrollment and Certificate rows)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from devices.diagnosis import fixes
from devices.diagnosis.model import Code, Finding, Phrase, Severity
from vpnportal.translated_text import StoredText, deferred

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
                Phrase(
                    deferred(
                        "Enrollment for %(trustpoint)s cannot reach the CA at %(host)s on TCP %(port)s",
                        trustpoint=trustpoint,
                        host=host,
                        port=port,
                    )
                ),
                f"trustpoint {trustpoint}",
                tuple(
                    # The state is the enrollment's API value, the line the device's own words.
                    Phrase(deferred("enrollment (%(state)s): %(line)s", state=record.state, line=line))
                    for line in lines[:6]
                ),
                (
                    Phrase(
                        deferred(
                            "! let TCP %(port)s (HTTP, SCEP) through from the device to %(host)s, then check:",
                            port=port,
                            host=host,
                        )
                    ),
                    f"ping {host}",
                    *fixes.enroll(platform, trustpoint, form=pki_form),
                ),
            )
        )
    stuck: dict[str, list[str]] = {}
    for cert in pending:
        if now - cert.since >= pending_limit:
            since = f"{cert.since:%Y-%m-%d %H:%M}"
            if cert.fingerprint:
                line = deferred(
                    "certificate Pending since %(since)s UTC (request fingerprint %(fingerprint)s)",
                    since=since,
                    fingerprint=cert.fingerprint,
                )
            else:
                line = deferred("certificate Pending since %(since)s UTC", since=since)
            stuck.setdefault(cert.trustpoint, []).append(Phrase(line))
    for trustpoint, record in latest.items():
        if record.state == "pending" and now - record.since >= pending_limit:
            line = deferred("enrollment pending since %(since)s UTC", since=f"{record.since:%Y-%m-%d %H:%M}")
            stuck.setdefault(trustpoint, []).append(Phrase(line))
    for trustpoint, evidence in stuck.items():
        if trustpoint in unreachable:
            continue
        out.append(
            Finding(
                Code.ENROLLMENT_STUCK,
                Severity.WARNING,
                Phrase(_stuck_title(trustpoint, pending_limit)),
                f"trustpoint {trustpoint}",
                tuple(evidence),
                (
                    Phrase(
                        deferred(
                            "! ask the CA administrator to grant (or reject) the request with the fingerprint above;"
                        )
                    ),
                    Phrase(
                        deferred(
                            "! if the CA never saw it, check TCP 80 from the device to the CA and enroll again:"
                        )
                    ),
                    *fixes.enroll(platform, trustpoint, form=pki_form),
                ),
            )
        )
    return out


def _stuck_title(trustpoint: str, limit: timedelta) -> StoredText:
    """The title of a request Pending for over the limit, in whole hours when it is some (`2 h`, `90 min`)."""
    minutes = int(limit.total_seconds() // 60)
    if minutes >= 60 and minutes % 60 == 0:
        return deferred(
            "Certificate request for %(trustpoint)s has been Pending for over %(hours)s h",
            trustpoint=trustpoint,
            hours=minutes // 60,
        )
    return deferred(
        "Certificate request for %(trustpoint)s has been Pending for over %(minutes)s min",
        trustpoint=trustpoint,
        minutes=minutes,
    )
