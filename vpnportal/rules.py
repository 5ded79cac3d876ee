"""Alert rules: one plain function per kind, each returning the alerts that should be open now.

A rule reads the stored state (devices, tunnels, SAs, counter samples, certificates, CRLs) and returns
`Candidate`s; `vpnportal.alerting.evaluate_rules` does the pending -> firing -> resolved bookkeeping,
the muting of unreachable devices and the notification flags. Rules never write.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Subquery

from devices.choices import PollStatus, TunnelStatus
from devices.models import CounterSample, Device, DeviceState, IpsecSa, Poll, Tunnel
from pki.choices import CertificateStatus, EnrollmentState
from pki.models import Certificate, Crl, Enrollment
from vpnportal.choices import AlertKind, Severity

# Kinds that describe the device's reachability itself: they stay live while the device is unreachable.
DEVICE_HEALTH_KINDS = frozenset({AlertKind.POLL_FAILED, AlertKind.HOST_KEY_CHANGED})
# Words the poller uses when the pinned SSH host key no longer matches.
HOST_KEY_MARKERS = ("host key",)
SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


@dataclass
class Candidate:
    """An alert that should be open now, as one rule sees it."""

    kind: str
    device: Device | None
    subject: str
    severity: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    tunnel: Tunnel | None = None
    stage: int | None = None
    # Which observation this is (poll ids); a pending alert counts one more only when it changes.
    observed: str = ""
    # Observations the condition must hold before it fires; 1 for time-based rules.
    needs: int = 1

    @property
    def key(self) -> str:
        """kind:device:subject, the identity of an open alert."""
        return f"{self.kind}:{self.device.name if self.device else ''}:{self.subject}"[:255]

    @property
    def device_ids(self) -> set[int]:
        """The devices whose reachability this alert depends on."""
        ids = {self.device.pk} if self.device else set()
        if self.tunnel is not None:
            ids |= {self.tunnel.end_a_id, self.tunnel.end_b_id}
        return ids


@dataclass(frozen=True)
class CryptoFinding:
    """A weak-cryptography finding (DES, MD5, DH group 1, short RSA keys...) on one device."""

    device: Device
    subject: str
    summary: str
    severity: str = Severity.WARNING
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class SaIndex:
    """Active SAs by device and the latest counter sample of each (a few queries for the whole fleet)."""

    by_device: dict[int, list[IpsecSa]]
    latest: dict[int, CounterSample]

    def sas(self, device_id: int, tunnel: Tunnel | None = None) -> list[IpsecSa]:
        """The device's active SAs, only those linked to `tunnel` when given."""
        sas = self.by_device.get(device_id, [])
        return sas if tunnel is None else [sa for sa in sas if sa.tunnel_id == tunnel.pk]


def load_sa_index(device_ids: list[int]) -> SaIndex:
    """Load the active SAs of these devices and, per SA, its most recent CounterSample."""
    sas = list(IpsecSa.objects.filter(device_id__in=device_ids, active=True))
    newest = CounterSample.objects.filter(ipsec_sa=OuterRef("pk")).order_by("-at", "-pk").values("pk")[:1]
    sample_ids = {
        sa_id: sample_id
        for sa_id, sample_id in IpsecSa.objects.filter(pk__in=[sa.pk for sa in sas])
        .annotate(newest=Subquery(newest))
        .values_list("pk", "newest")
        if sample_id is not None
    }
    samples = CounterSample.objects.in_bulk(list(sample_ids.values()))
    by_device: dict[int, list[IpsecSa]] = {}
    latest: dict[int, CounterSample] = {}
    for sa in sas:
        by_device.setdefault(sa.device_id, []).append(sa)
        sample = samples.get(sample_ids.get(sa.pk, -1))
        if sample is not None:
            sample.ipsec_sa = sa
            latest[sa.pk] = sample
    return SaIndex(by_device=by_device, latest=latest)


@dataclass
class RuleContext:
    """What every rule reads: the time, the enabled devices and their latest state."""

    now: datetime
    devices: dict[int, Device]
    states: dict[int, DeviceState]
    findings: list[CryptoFinding] | None = None
    _sa_index: SaIndex | None = field(default=None, repr=False)

    def sa_index(self) -> SaIndex:
        """Active IPsec SAs of the enabled devices with their latest samples, loaded once per evaluation."""
        if self._sa_index is None:
            self._sa_index = load_sa_index(list(self.devices))
        return self._sa_index

    def last_poll(self, device_id: int) -> Poll | None:
        """The device's latest poll, or None before its first."""
        state = self.states.get(device_id)
        return state.last_poll if state is not None else None

    def unreachable(self, device_id: int) -> bool:
        """Whether the device's latest poll failed (its stored state is stale)."""
        poll = self.last_poll(device_id)
        return poll is not None and poll.status == PollStatus.FAILED

    def answered(self, device_id: int) -> bool:
        """Whether the device was polled and its latest poll got answers."""
        poll = self.last_poll(device_id)
        return poll is not None and poll.status in (PollStatus.OK, PollStatus.PARTIAL)

    def token(self, *device_ids: int) -> str:
        """An identity of the current observation of these devices: their latest poll ids."""
        parts = []
        for device_id in device_ids:
            state = self.states.get(device_id)
            parts.append(str(state.last_poll_id) if state is not None and state.last_poll_id else "-")
        return ":".join(parts)


def build_context(now: datetime, findings: list[CryptoFinding] | None = None) -> RuleContext:
    """Load the enabled devices and their state once for all rules."""
    devices = {d.pk: d for d in Device.objects.filter(enabled=True)}
    states = {
        s.device_id: s for s in DeviceState.objects.select_related("last_poll").filter(device_id__in=devices)
    }
    return RuleContext(now=now, devices=devices, states=states, findings=findings)


# -- thresholds ---------------------------------------------------------------------------------------
def pending_polls(tunnel: Tunnel | None = None) -> int:
    """Polls a condition must hold before it fires (per-tunnel override, else ALERT_PENDING_POLLS)."""
    if tunnel is not None and tunnel.down_after_polls:
        return max(1, tunnel.down_after_polls)
    return max(1, int(settings.ALERT_PENDING_POLLS))


def device_candidate(
    ctx: RuleContext,
    kind: str,
    device: Device,
    subject: str,
    severity: str,
    summary: str,
    details: dict[str, Any],
    *,
    pending: bool = True,
) -> Candidate:
    """A condition seen in a device's latest poll: it fires once ALERT_PENDING_POLLS polls in a row
    showed it (at the first when not `pending`)."""
    return Candidate(
        kind=kind,
        device=device,
        subject=subject,
        severity=severity,
        summary=summary,
        details=details,
        observed=ctx.token(device.pk),
        needs=pending_polls() if pending else 1,
    )


def tunnel_candidate(
    ctx: RuleContext, kind: str, tunnel: Tunnel, severity: str, summary: str, details: dict[str, Any]
) -> Candidate:
    """A condition of a tunnel seen in its two ends' latest polls; it fires after the tunnel's pending polls."""
    return Candidate(
        kind=kind,
        device=None,
        tunnel=tunnel,
        subject=tunnel.name,
        severity=severity,
        summary=summary,
        details=details,
        observed=ctx.token(tunnel.end_a_id, tunnel.end_b_id),
        needs=pending_polls(tunnel),
    )


def cert_warn_days(device: Device) -> list[int]:
    """Expiry notice stages in days, largest first (the device's override, else CERT_WARN_DAYS)."""
    stages: list[int] = []
    for part in (device.cert_warn_days or "").split(","):
        part = part.strip()
        if part.isdigit() and int(part) > 0:
            stages.append(int(part))
    return sorted(set(stages or [int(d) for d in settings.CERT_WARN_DAYS]), reverse=True)


def crl_warn_hours(device: Device) -> int:
    """Hours before NextUpdate that a CRL is reported as due (device override, else CRL_WARN_HOURS)."""
    return device.crl_warn_hours if device.crl_warn_hours is not None else int(settings.CRL_WARN_HOURS)


def clock_skew_warn_seconds(device: Device) -> int:
    """Tolerated clock offset (device override, else CLOCK_SKEW_WARN_SECONDS)."""
    if device.clock_skew_warn_seconds is not None:
        return device.clock_skew_warn_seconds
    return int(settings.CLOCK_SKEW_WARN_SECONDS)


def time_left(delta: timedelta) -> str:
    """A human span for a notice: "12 days", "1 day", "5 hours", "40 minutes"."""
    seconds = delta.total_seconds()
    if seconds >= 86400:
        # Rounded: a certificate valid for 3 days less a second still "expires in 3 days".
        days = round(seconds / 86400)
        return f"{days} day{'s' if days != 1 else ''}"
    if seconds >= 3600:
        hours = math.floor(seconds / 3600)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(0, math.floor(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# -- certificates ---------------------------------------------------------------------------------------
def _certificates(ctx: RuleContext) -> list[Certificate]:
    certs = list(
        Certificate.objects.filter(device_id__in=ctx.devices, present=True).select_related("trustpoint")
    )
    for cert in certs:
        cert.device = ctx.devices[cert.device_id]
    return certs


def _cert_subject(cert: Certificate) -> str:
    return cert.serial or cert.key


def _cert_label(cert: Certificate) -> str:
    name = cert.subject_name or cert.subject
    role = cert.get_role_display().lower()
    return f"{role} certificate {cert.serial or cert.key}" + (f" ({name})" if name else "")


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
        "valid_from": _iso(cert.valid_from),
        "valid_to": _iso(cert.valid_to),
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
        out.append(
            Candidate(
                kind=AlertKind.CERT_EXPIRING,
                device=cert.device,
                subject=_cert_subject(cert),
                severity=Severity.CRITICAL if stage == min(stages) else Severity.WARNING,
                summary=f"{cert.device}: {_cert_label(cert)} expires in {left} (on {cert.valid_to:%Y-%m-%d})",
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
        out.append(
            Candidate(
                kind=AlertKind.CERT_EXPIRED,
                device=cert.device,
                subject=_cert_subject(cert),
                severity=Severity.CRITICAL,
                summary=f"{cert.device}: {_cert_label(cert)} expired on {cert.valid_to:%Y-%m-%d %H:%M} UTC",
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
        found[(cert.device_id, trustpoint)] = Candidate(
            kind=AlertKind.CERT_PENDING,
            device=cert.device,
            subject=trustpoint,
            severity=Severity.WARNING,
            summary=f"{cert.device}: certificate request on {trustpoint} pending since "
            f"{cert.first_seen:%Y-%m-%d %H:%M} UTC",
            details={"trustpoint": trustpoint, "since": _iso(cert.first_seen), "certificate_id": cert.pk},
        )
    enrollments = Enrollment.objects.filter(
        device_id__in=ctx.devices, state=EnrollmentState.PENDING, started_at__lte=limit
    )
    for job in enrollments:
        device = ctx.devices[job.device_id]
        found.setdefault(
            (job.device_id, job.trustpoint),
            Candidate(
                kind=AlertKind.CERT_PENDING,
                device=device,
                subject=job.trustpoint,
                severity=Severity.WARNING,
                summary=f"{device}: enrollment on {job.trustpoint} pending since "
                f"{job.started_at:%Y-%m-%d %H:%M} UTC",
                details={
                    "trustpoint": job.trustpoint,
                    "since": _iso(job.started_at),
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
        "last_update": _iso(crl.last_update),
        "next_update": _iso(crl.next_update),
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
        out.append(
            Candidate(
                kind=AlertKind.CRL_NEXT_UPDATE_SOON,
                device=crl.device,
                subject=crl.issuer,
                severity=Severity.WARNING,
                summary=f"{crl.device}: CRL from {crl.issuer} reaches NextUpdate in {left}",
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
            Candidate(
                kind=AlertKind.CRL_EXPIRED,
                device=crl.device,
                subject=crl.issuer,
                severity=Severity.CRITICAL,
                summary=f"{crl.device}: CRL from {crl.issuer} is past NextUpdate "
                f"({crl.next_update:%Y-%m-%d %H:%M} UTC); IKE with certificates fails",
                details=_crl_details(crl),
            )
        )
    # A CRL the device stopped reporting, on a device whose trustpoints require one (no `crl optional`).
    from pki.models import Trustpoint

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
                f"{crl.device}: no CRL from {crl.issuer} on the device and `crl optional` is not "
                "configured; IKE with certificates fails",
                {**_crl_details(crl), "missing": True},
            )
        )
    return out


# -- clocks --------------------------------------------------------------------------------------------
def clock_skew(ctx: RuleContext) -> list[Candidate]:
    """Devices whose clock is off the poller's by more than CLOCK_SKEW_WARN_SECONDS."""
    out = []
    for device_id, state in ctx.states.items():
        if not ctx.answered(device_id) or state.clock_skew_seconds is None:
            continue
        device = ctx.devices[device_id]
        limit = clock_skew_warn_seconds(device)
        skew = state.clock_skew_seconds
        if abs(skew) <= limit:
            continue
        direction = "ahead of" if skew > 0 else "behind"
        out.append(
            device_candidate(
                ctx,
                AlertKind.CLOCK_SKEW,
                device,
                "clock",
                Severity.WARNING,
                f"{device}: clock is {time_left(timedelta(seconds=abs(skew)))} {direction} the poller",
                {
                    "skew_seconds": skew,
                    "limit_seconds": limit,
                    "device_clock": _iso(state.device_clock),
                },
            )
        )
    return out


def clock_outside_validity(ctx: RuleContext) -> list[Candidate]:
    """Device clocks outside the validity of a certificate or CRL that is valid in real time (1993)."""
    by_device: dict[int, list[dict[str, Any]]] = {}
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
            by_device.setdefault(cert.device_id, []).append(
                {
                    "object": _cert_label(cert),
                    "serial": cert.serial,
                    "valid_from": _iso(cert.valid_from),
                    "valid_to": _iso(cert.valid_to),
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
            by_device.setdefault(crl.device_id, []).append(
                {
                    "object": f"CRL from {crl.issuer}",
                    "issuer": crl.issuer,
                    "valid_from": _iso(crl.last_update),
                    "valid_to": _iso(crl.next_update),
                }
            )
    out = []
    for device_id, objects in by_device.items():
        device = ctx.devices[device_id]
        state = ctx.states[device_id]
        assert state.device_clock is not None
        names = ", ".join(o["object"] for o in objects[:3]) + (" ..." if len(objects) > 3 else "")
        out.append(
            device_candidate(
                ctx,
                AlertKind.CLOCK_OUTSIDE_VALIDITY,
                device,
                "clock",
                Severity.CRITICAL,
                f"{device}: device clock {state.device_clock:%Y-%m-%d %H:%M} UTC lies outside the "
                f"validity of {names}",
                {"device_clock": _iso(state.device_clock), "objects": objects},
            )
        )
    return out


# -- tunnels and SAs -----------------------------------------------------------------------------------
def _tunnels(ctx: RuleContext) -> list[Tunnel]:
    tunnels = list(Tunnel.objects.filter(end_a_id__in=ctx.devices, end_b_id__in=ctx.devices))
    for tunnel in tunnels:
        tunnel.end_a = ctx.devices[tunnel.end_a_id]
        tunnel.end_b = ctx.devices[tunnel.end_b_id]
    return tunnels


def _both_answered(ctx: RuleContext, tunnel: Tunnel) -> bool:
    return ctx.answered(tunnel.end_a_id) and ctx.answered(tunnel.end_b_id)


def _live_sas(ctx: RuleContext, tunnel: Tunnel, device_id: int) -> list[IpsecSa]:
    return [sa for sa in ctx.sa_index().sas(device_id, tunnel) if sa.inbound_spi and sa.outbound_spi]


def tunnel_down(ctx: RuleContext) -> list[Candidate]:
    """Tunnels that both ends report without SAs; an idle tunnel that still has its SAs is not down."""
    out = []
    for tunnel in _tunnels(ctx):
        if tunnel.status != TunnelStatus.DOWN or not _both_answered(ctx, tunnel):
            continue
        # Idle is not down: SAs on both ends mean the tunnel is established, traffic or not.
        if _live_sas(ctx, tunnel, tunnel.end_a_id) and _live_sas(ctx, tunnel, tunnel.end_b_id):
            continue
        out.append(
            tunnel_candidate(
                ctx,
                AlertKind.TUNNEL_DOWN,
                tunnel,
                Severity.CRITICAL,
                f"tunnel {tunnel.name} ({tunnel.end_a} <-> {tunnel.end_b}) is down"
                + (f": {tunnel.status_reason}" if tunnel.status_reason else ""),
                {"tunnel_id": tunnel.pk, "reason": tunnel.status_reason},
            )
        )
    return out


def _latest_samples(ctx: RuleContext, tunnel: Tunnel | None, device_id: int) -> list[CounterSample]:
    """The latest counter sample of each active ident pair, only when it is from the latest poll."""
    state = ctx.states.get(device_id)
    if state is None or state.last_poll_id is None:
        return []
    index = ctx.sa_index()
    out = []
    for sa in index.sas(device_id, tunnel):
        sample = index.latest.get(sa.pk)
        if sample is not None and sample.poll_id == state.last_poll_id:
            out.append(sample)
    return out


def tunnel_one_way(ctx: RuleContext) -> list[Candidate]:
    """Tunnels where one end encrypts and the other end's decrypt counters stand still."""
    out = []
    for tunnel in _tunnels(ctx):
        if not _both_answered(ctx, tunnel):
            continue
        directions: list[dict[str, Any]] = []
        for sender, receiver in ((tunnel.end_a, tunnel.end_b), (tunnel.end_b, tunnel.end_a)):
            sent = _latest_samples(ctx, tunnel, sender.pk)
            received = _latest_samples(ctx, tunnel, receiver.pk)
            if not sent or not received or any(s.reset for s in sent + received):
                continue
            encaps = sum(s.d_encaps for s in sent)
            decaps = sum(s.d_decaps for s in received)
            if encaps > 0 and decaps == 0:
                directions.append({"from": sender.name, "to": receiver.name, "encaps": encaps})
        if not directions and tunnel.one_way_polls > 0 and tunnel.status != TunnelStatus.DOWN:
            # The correlator's verdict: an end sends but hears nothing back while its peer sends nothing.
            directions.append({"from": "", "to": "", "encaps": None, "reason": tunnel.status_reason})
        if not directions:
            continue
        where = "; ".join(
            f"{d['from']} encrypts, {d['to']} decrypts nothing" if d["from"] else d["reason"] or "one way"
            for d in directions
        )
        out.append(
            tunnel_candidate(
                ctx,
                AlertKind.TUNNEL_ONE_WAY,
                tunnel,
                Severity.WARNING,
                f"tunnel {tunnel.name}: traffic flows one way ({where})",
                {"tunnel_id": tunnel.pk, "directions": directions},
            )
        )
    return out


def sa_errors(ctx: RuleContext) -> list[Candidate]:
    """Ident pairs whose send/recv errors or replay/verify failures rose since the previous poll."""
    out = []
    for device_id, device in ctx.devices.items():
        if not ctx.answered(device_id):
            continue
        for sample in _latest_samples(ctx, None, device_id):
            # After a reset (reboot, counter wrap) the delta is not "since the previous poll".
            if sample.reset or sample.d_errors <= 0:
                continue
            sa = sample.ipsec_sa
            pair = f"{sa.local_ident} <-> {sa.remote_ident}"
            tunnel = Tunnel.objects.filter(pk=sa.tunnel_id).first() if sa.tunnel_id else None
            out.append(
                Candidate(
                    kind=AlertKind.SA_ERRORS,
                    device=device,
                    subject=pair,
                    severity=Severity.WARNING,
                    summary=f"{device}: {sample.d_errors} new SA errors on {pair} "
                    f"in {time_left(timedelta(seconds=sample.interval_seconds))}",
                    details={
                        "ipsec_sa_id": sa.pk,
                        "tunnel": tunnel.name if tunnel else "",
                        "new_errors": sample.d_errors,
                        "send_errors": sample.send_errors,
                        "recv_errors": sample.recv_errors,
                        "other_errors": sample.other_errors,
                        "interval_seconds": sample.interval_seconds,
                    },
                    observed=ctx.token(device_id),
                    needs=pending_polls(tunnel),
                )
            )
    return out


def spi_mismatch(ctx: RuleContext) -> list[Candidate]:
    """Tunnels whose ends' SPIs do not mirror each other (one side lost or renewed its SAs alone)."""
    out = []
    for tunnel in _tunnels(ctx):
        if tunnel.spi_mirror_ok is not False or not _both_answered(ctx, tunnel):
            continue
        if tunnel.status == TunnelStatus.DOWN:
            continue  # tunnel_down says it better
        out.append(
            tunnel_candidate(
                ctx,
                AlertKind.SPI_MISMATCH,
                tunnel,
                Severity.WARNING,
                f"tunnel {tunnel.name}: the SPIs of {tunnel.end_a} and {tunnel.end_b} do not mirror",
                {"tunnel_id": tunnel.pk, "reason": tunnel.status_reason},
            )
        )
    return out


# -- polling -------------------------------------------------------------------------------------------
def _is_host_key_failure(poll: Poll) -> bool:
    reason = (poll.reason or "").lower()
    return any(marker in reason for marker in HOST_KEY_MARKERS)


def poll_failed(ctx: RuleContext) -> list[Candidate]:
    """Devices whose latest poll failed (refused, timeout, wrong password...): their state is stale."""
    out = []
    for device_id, device in ctx.devices.items():
        poll = ctx.last_poll(device_id)
        if poll is None or poll.status != PollStatus.FAILED or _is_host_key_failure(poll):
            continue
        out.append(
            device_candidate(
                ctx,
                AlertKind.POLL_FAILED,
                device,
                "",
                Severity.CRITICAL,
                f"{device}: poll failed: {(poll.reason or 'no reason given').splitlines()[0][:300]}",
                {"poll_id": poll.pk, "reason": poll.reason[:2000], "at": _iso(poll.started_at)},
            )
        )
    return out


def host_key_changed(ctx: RuleContext) -> list[Candidate]:
    """Devices whose SSH host key no longer matches the pinned one: the poller refuses to log in."""
    out = []
    for device_id, device in ctx.devices.items():
        poll = ctx.last_poll(device_id)
        if poll is None or poll.status != PollStatus.FAILED or not _is_host_key_failure(poll):
            continue
        out.append(
            device_candidate(
                ctx,
                AlertKind.HOST_KEY_CHANGED,
                device,
                "",
                Severity.CRITICAL,
                f"{device}: SSH host key changed; polling stopped until an admin accepts the new key",
                {"poll_id": poll.pk, "reason": poll.reason[:2000]},
                pending=False,
            )
        )
    return out


# -- weak cryptography ---------------------------------------------------------------------------------
FindingsProvider = Callable[[RuleContext], Iterable[CryptoFinding]]
_FINDINGS_PROVIDERS: list[FindingsProvider] = []


def register_findings_provider(provider: FindingsProvider) -> None:
    """Let another module (diagnosis) feed weak-crypto findings into every evaluation."""
    if provider not in _FINDINGS_PROVIDERS:
        _FINDINGS_PROVIDERS.append(provider)


def weak_crypto_enabled(device: Device | None = None) -> bool:
    """weak_crypto fires only where enabled (the seed itself is DES/MD5/DH1/RSA-512 by design): the
    device's own switch when set, else ALERT_WEAK_CRYPTO."""
    if device is not None and device.weak_crypto_alerts is not None:
        return device.weak_crypto_alerts
    return bool(settings.ALERT_WEAK_CRYPTO)


def weak_crypto(ctx: RuleContext) -> list[Candidate]:
    """One alert per weak-crypto finding, from ctx.findings or the registered providers, on the devices
    where it is enabled."""
    if not any(weak_crypto_enabled(device) for device in ctx.devices.values()):
        return []
    findings: list[CryptoFinding] = list(ctx.findings or [])
    if ctx.findings is None:
        for provider in _FINDINGS_PROVIDERS:
            findings.extend(provider(ctx))
    return weak_crypto_alerts(ctx, findings)


def weak_crypto_alerts(ctx: RuleContext, findings: Iterable[CryptoFinding]) -> list[Candidate]:
    """Turn findings into candidates (only for devices that answered their latest poll)."""
    out = []
    for finding in findings:
        device = ctx.devices.get(finding.device.pk)
        if device is None or not ctx.answered(device.pk) or not weak_crypto_enabled(device):
            continue
        out.append(
            device_candidate(
                ctx,
                AlertKind.WEAK_CRYPTO,
                finding.device,
                finding.subject,
                finding.severity,
                f"{finding.device}: {finding.summary}",
                dict(finding.details),
                pending=False,
            )
        )
    return out


RULES: tuple[Callable[[RuleContext], list[Candidate]], ...] = (
    cert_expiring,
    cert_expired,
    cert_pending,
    crl_next_update_soon,
    crl_expired,
    clock_skew,
    clock_outside_validity,
    tunnel_down,
    tunnel_one_way,
    sa_errors,
    spi_mismatch,
    poll_failed,
    host_key_changed,
    weak_crypto,
)


def collect_candidates(ctx: RuleContext) -> dict[str, Candidate]:
    """Run every rule; one candidate per key (the more severe wins if two rules collide)."""
    found: dict[str, Candidate] = {}
    for rule in RULES:
        for cand in rule(ctx):
            seen = found.get(cand.key)
            if (
                seen is None
                or SEVERITY_RANK[Severity(cand.severity)] > SEVERITY_RANK[Severity(seen.severity)]
            ):
                found[cand.key] = cand
    return found
