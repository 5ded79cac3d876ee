"""Alert rules about certificates and CRLs: expiry, pending requests, NextUpdate, and device clocks
outside their validity."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from pki.choices import CertificateStatus, EnrollmentState
from pki.models import Certificate, Crl, Enrollment, Trustpoint
from vpnportal.alerting.core import (
    Candidate,
    RuleContext,
    cert_warn_days,
    crl_warn_hours,
    device_candidate,
    iso,
    time_left,
)
from vpnportal.alerting.texts import certificate_text, english_text, list_text, nest, span_text
from vpnportal.choices import AlertKind, Severity
from vpnportal.translated_text import StoredText, deferred


def _certificates(ctx: RuleContext) -> list[Certificate]:
    certs = list(
        Certificate.objects.filter(device_id__in=ctx.devices, present=True).select_related("trustpoint")
    )
    for cert in certs:
        cert.device = ctx.devices[cert.device_id]
    return certs


def _cert_subject(cert: Certificate) -> str:
    return cert.serial or cert.key


def _cert_label(cert: Certificate) -> StoredText:
    """ "identity certificate 3B2F (CN=r1)", the role in the reader's language."""
    name = cert.subject_name or cert.subject
    return certificate_text(cert.role, str(cert.get_role_display()), cert.serial or cert.key, name)


def _has_successor(cert: Certificate, certs: Iterable[Certificate], now: datetime) -> bool:
    """A valid certificate of the same role on the same trustpoint that outlives this one."""
    if cert.trustpoint_id is None or cert.valid_to is None:
        return False
    for other in certs:
        if (
            other.pk != cert.pk
            and other.device_id == cert.device_id
            and other.trustpoint_id == cert.trustpoint_id
            and other.role == cert.role
            and other.status == CertificateStatus.AVAILABLE
            and other.valid_to is not None
            and other.valid_to > cert.valid_to
            and other.valid_to > now
            and (other.valid_from is None or other.valid_from <= now)
        ):
            return True
    return False


def _cert_details(cert: Certificate, now: datetime) -> dict[str, Any]:
    days = cert.days_left(now)
    return {
        "certificate_id": cert.pk,
        "serial": cert.serial,
        "role": cert.role,
        "subject": cert.subject,
        "trustpoint": cert.trustpoint.name if cert.trustpoint else "",
        "valid_from": iso(cert.valid_from),
        "valid_to": iso(cert.valid_to),
        "days_left": round(days, 2) if days is not None else None,
    }


def cert_expiring(ctx: RuleContext) -> list[Candidate]:
    """Certificates within a CERT_WARN_DAYS stage of expiry; the stage is the notice (30, 7, 1 days)."""
    certs = _certificates(ctx)
    out = []
    for cert in certs:
        if cert.status != CertificateStatus.AVAILABLE or cert.valid_to is None or cert.valid_to <= ctx.now:
            continue
        if _has_successor(cert, certs, ctx.now):
            continue
        stages = cert_warn_days(cert.device)
        days = (cert.valid_to - ctx.now).total_seconds() / 86400
        reached = [s for s in stages if days <= s]
        if not reached:
            continue
        stage = min(reached)
        left = time_left(cert.valid_to - ctx.now)
        text = deferred(
            "%(device)s: %(certificate)s expires in %(left)s (on %(date)s UTC)",
            device=str(cert.device),
            date=f"{cert.valid_to:%Y-%m-%d}",
        )
        out.append(
            Candidate.said(
                nest(text, certificate=_cert_label(cert), left=span_text(cert.valid_to - ctx.now)),
                kind=AlertKind.CERT_EXPIRING,
                device=cert.device,
                subject=_cert_subject(cert),
                severity=Severity.CRITICAL if stage == min(stages) else Severity.WARNING,
                details={**_cert_details(cert, ctx.now), "stage_days": stage, "left": left},
                stage=stage,
            )
        )
    return out


def cert_expired(ctx: RuleContext) -> list[Candidate]:
    """Certificates the device still holds whose NotAfter has passed (and no successor replaced)."""
    certs = _certificates(ctx)
    out = []
    for cert in certs:
        if cert.status != CertificateStatus.AVAILABLE or cert.valid_to is None or cert.valid_to > ctx.now:
            continue
        if _has_successor(cert, certs, ctx.now):
            continue
        text = deferred(
            "%(device)s: %(certificate)s expired on %(when)s UTC",
            device=str(cert.device),
            when=f"{cert.valid_to:%Y-%m-%d %H:%M}",
        )
        out.append(
            Candidate.said(
                nest(text, certificate=_cert_label(cert)),
                kind=AlertKind.CERT_EXPIRED,
                device=cert.device,
                subject=_cert_subject(cert),
                severity=Severity.CRITICAL,
                details=_cert_details(cert, ctx.now),
            )
        )
    return out


def cert_pending(ctx: RuleContext) -> list[Candidate]:
    """Certificate requests the CA has not granted for longer than CERT_PENDING_WARN_HOURS."""
    limit = ctx.now - timedelta(hours=int(settings.CERT_PENDING_WARN_HOURS))
    found: dict[tuple[int, str], Candidate] = {}
    for cert in _certificates(ctx):
        if cert.status != CertificateStatus.PENDING or cert.first_seen > limit:
            continue
        trustpoint = cert.trustpoint.name if cert.trustpoint else cert.key
        found[(cert.device_id, trustpoint)] = Candidate.said(
            deferred(
                "%(device)s: certificate request on %(trustpoint)s pending since %(when)s UTC",
                device=str(cert.device),
                trustpoint=trustpoint,
                when=f"{cert.first_seen:%Y-%m-%d %H:%M}",
            ),
            kind=AlertKind.CERT_PENDING,
            device=cert.device,
            subject=trustpoint,
            severity=Severity.WARNING,
            details={"trustpoint": trustpoint, "since": iso(cert.first_seen), "certificate_id": cert.pk},
        )
    enrollments = Enrollment.objects.filter(
        device_id__in=ctx.devices, state=EnrollmentState.PENDING, started_at__lte=limit
    )
    for job in enrollments:
        device = ctx.devices[job.device_id]
        found.setdefault(
            (job.device_id, job.trustpoint),
            Candidate.said(
                deferred(
                    "%(device)s: enrollment on %(trustpoint)s pending since %(when)s UTC",
                    device=str(device),
                    trustpoint=job.trustpoint,
                    when=f"{job.started_at:%Y-%m-%d %H:%M}",
                ),
                kind=AlertKind.CERT_PENDING,
                device=device,
                subject=job.trustpoint,
                severity=Severity.WARNING,
                details={
                    "trustpoint": job.trustpoint,
                    "since": iso(job.started_at),
                    "enrollment_id": job.pk,
                },
            ),
        )
    return list(found.values())


# -- CRLs ----------------------------------------------------------------------------------------------
def _crls(ctx: RuleContext, present: bool = True) -> list[Crl]:
    crls = list(Crl.objects.filter(device_id__in=ctx.devices, present=present))
    for crl in crls:
        crl.device = ctx.devices[crl.device_id]
    return crls


def _crl_details(crl: Crl) -> dict[str, Any]:
    return {
        "crl_id": crl.pk,
        "issuer": crl.issuer,
        "last_update": iso(crl.last_update),
        "next_update": iso(crl.next_update),
    }


def crl_next_update_soon(ctx: RuleContext) -> list[Candidate]:
    """CRLs whose NextUpdate is within CRL_WARN_HOURS: the device must fetch a new one soon."""
    out = []
    for crl in _crls(ctx):
        if crl.next_update is None or crl.next_update <= ctx.now:
            continue
        if crl.next_update - ctx.now > timedelta(hours=crl_warn_hours(crl.device)):
            continue
        left = time_left(crl.next_update - ctx.now)
        text = deferred(
            "%(device)s: CRL from %(issuer)s reaches NextUpdate in %(left)s",
            device=str(crl.device),
            issuer=crl.issuer,
        )
        out.append(
            Candidate.said(
                nest(text, left=span_text(crl.next_update - ctx.now)),
                kind=AlertKind.CRL_NEXT_UPDATE_SOON,
                device=crl.device,
                subject=crl.issuer,
                severity=Severity.WARNING,
                details={**_crl_details(crl), "left": left},
            )
        )
    return out


def crl_expired(ctx: RuleContext) -> list[Candidate]:
    """CRLs past NextUpdate, or gone from a device that needs one: phase 1 then fails."""
    out = []
    for crl in _crls(ctx):
        if crl.next_update is None or crl.next_update > ctx.now:
            continue
        out.append(
            Candidate.said(
                deferred(
                    "%(device)s: CRL from %(issuer)s is past NextUpdate (%(when)s UTC); IKE with "
                    "certificates fails",
                    device=str(crl.device),
                    issuer=crl.issuer,
                    when=f"{crl.next_update:%Y-%m-%d %H:%M}",
                ),
                kind=AlertKind.CRL_EXPIRED,
                device=crl.device,
                subject=crl.issuer,
                severity=Severity.CRITICAL,
                details=_crl_details(crl),
            )
        )
    # A CRL the device stopped reporting, on a device whose trustpoints require one (no `crl optional`).
    strict = set(
        Trustpoint.objects.filter(device_id__in=ctx.devices, present=True, crl_optional=False).values_list(
            "device_id", flat=True
        )
    )
    held = {(c.device_id, c.issuer) for c in _crls(ctx)}
    for crl in _crls(ctx, present=False):
        if crl.device_id not in strict or (crl.device_id, crl.issuer) in held:
            continue
        if not ctx.answered(crl.device_id):
            continue
        out.append(
            device_candidate(
                ctx,
                AlertKind.CRL_EXPIRED,
                crl.device,
                crl.issuer,
                Severity.CRITICAL,
                deferred(
                    "%(device)s: no CRL from %(issuer)s on the device and `crl optional` is not "
                    "configured; IKE with certificates fails",
                    device=str(crl.device),
                    issuer=crl.issuer,
                ),
                {**_crl_details(crl), "missing": True},
            )
        )
    return out


def clock_outside_validity(ctx: RuleContext) -> list[Candidate]:
    """Device clocks outside the validity of a certificate or CRL that is valid in real time (1993)."""
    by_device: dict[int, list[dict[str, Any]]] = {}
    labels: dict[int, list[StoredText]] = {}
    for cert in _certificates(ctx):
        state = ctx.states.get(cert.device_id)
        if state is None or state.device_clock is None or not ctx.answered(cert.device_id):
            continue
        if cert.status != CertificateStatus.AVAILABLE or cert.valid_from is None or cert.valid_to is None:
            continue
        # Only objects valid in real time: an expired certificate is cert_expired's business.
        if not cert.valid_from <= ctx.now <= cert.valid_to:
            continue
        if not cert.valid_from <= state.device_clock <= cert.valid_to:
            label = _cert_label(cert)
            labels.setdefault(cert.device_id, []).append(label)
            by_device.setdefault(cert.device_id, []).append(
                {
                    "object": english_text(label),
                    "serial": cert.serial,
                    "valid_from": iso(cert.valid_from),
                    "valid_to": iso(cert.valid_to),
                }
            )
    for crl in _crls(ctx):
        state = ctx.states.get(crl.device_id)
        if state is None or state.device_clock is None or not ctx.answered(crl.device_id):
            continue
        if crl.last_update is None or crl.next_update is None:
            continue
        if not crl.last_update <= ctx.now <= crl.next_update:
            continue
        if not crl.last_update <= state.device_clock <= crl.next_update:
            labels.setdefault(crl.device_id, []).append(deferred("CRL from %(issuer)s", issuer=crl.issuer))
            by_device.setdefault(crl.device_id, []).append(
                {
                    "object": f"CRL from {crl.issuer}",
                    "issuer": crl.issuer,
                    "valid_from": iso(crl.last_update),
                    "valid_to": iso(crl.next_update),
                }
            )
    out = []
    for device_id, objects in by_device.items():
        device = ctx.devices[device_id]
        state = ctx.states[device_id]
        assert state.device_clock is not None
        names = list_text(labels[device_id][:3], more=len(objects) > 3)
        text = deferred(
            "%(device)s: device clock %(clock)s UTC lies outside the validity of %(objects)s",
            device=str(device),
            clock=f"{state.device_clock:%Y-%m-%d %H:%M}",
        )
        out.append(
            device_candidate(
                ctx,
                AlertKind.CLOCK_OUTSIDE_VALIDITY,
                device,
                "clock",
                Severity.CRITICAL,
                nest(text, objects=names),
                {"device_clock": iso(state.device_clock), "objects": objects},
            )
        )
    return out
