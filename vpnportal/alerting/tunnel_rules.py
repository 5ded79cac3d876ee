"""Alert rules about tunnels and their SAs: down, one way, SA errors, SPIs that do not mirror, weak
cryptography."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q

from devices.choices import TunnelStatus
from devices.diagnosis.model import Code
from devices.models import CounterSample, Device, Finding, IpsecSa, Tunnel
from events.choices import LOSS_KINDS, EventKind
from events.models import SyslogEvent
from vpnportal.alerting.core import (
    Candidate,
    RuleContext,
    device_candidate,
    pending_polls,
    tunnel_candidate,
)
from vpnportal.alerting.texts import list_text, literal, nest, span_text
from vpnportal.choices import AlertKind, Severity
from vpnportal.translated_text import StoredText, deferred


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


def confirmed_after_loss_event(ctx: RuleContext, tunnel: Tunnel) -> bool:
    """Whether polls of both ends that started after a loss event about the tunnel (docs/syslog.md) saw it:
    then it fires at once, without the remaining pending polls. Only events received within the time the
    pending polls would have taken count; the event itself decides nothing."""
    polls = [ctx.last_poll(tunnel.end_a_id), ctx.last_poll(tunnel.end_b_id)]
    if any(p is None for p in polls):
        return False
    first = min(p.started_at for p in polls if p is not None)
    window = timedelta(seconds=int(settings.POLL_INTERVAL_SECONDS) * pending_polls(tunnel))
    about = Q(tunnel=tunnel) | Q(device_id__in=(tunnel.end_a_id, tunnel.end_b_id), kind=EventKind.RESTART)
    return SyslogEvent.objects.filter(
        about, kind__in=sorted(LOSS_KINDS), received_at__lte=first, received_at__gte=ctx.now - window
    ).exists()


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
                _down_text(tunnel),
                {"tunnel_id": tunnel.pk, "reason": tunnel.status_reason},
            )
        )
        if confirmed_after_loss_event(ctx, tunnel):
            out[-1].needs = 1
    return out


def _down_text(tunnel: Tunnel) -> StoredText:
    """The correlator's reason stays as it wrote it."""
    ends = {"tunnel": tunnel.name, "a": str(tunnel.end_a), "b": str(tunnel.end_b)}
    if tunnel.status_reason:
        return deferred(
            "tunnel %(tunnel)s (%(a)s <-> %(b)s) is down: %(reason)s", reason=tunnel.status_reason, **ends
        )
    return deferred("tunnel %(tunnel)s (%(a)s <-> %(b)s) is down", **ends)


def _direction_text(direction: dict[str, Any]) -> StoredText:
    if direction["from"]:
        return deferred(
            "%(from)s encrypts, %(to)s decrypts nothing", **{k: direction[k] for k in ("from", "to")}
        )
    if direction["reason"]:
        return literal("%(reason)s", reason=direction["reason"])
    return deferred("one way")


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
        where = list_text([_direction_text(d) for d in directions], more=False, separator="; ")
        text = deferred("tunnel %(tunnel)s: traffic flows one way (%(where)s)", tunnel=tunnel.name)
        out.append(
            tunnel_candidate(
                ctx,
                AlertKind.TUNNEL_ONE_WAY,
                tunnel,
                Severity.WARNING,
                nest(text, where=where),
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
            text = deferred(
                "%(device)s: %(errors)s new SA errors on %(pair)s in %(span)s",
                device=str(device),
                errors=sample.d_errors,
                pair=pair,
            )
            out.append(
                Candidate.said(
                    nest(text, span=span_text(timedelta(seconds=sample.interval_seconds))),
                    kind=AlertKind.SA_ERRORS,
                    device=device,
                    subject=pair,
                    severity=Severity.WARNING,
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
                deferred(
                    "tunnel %(tunnel)s: the SPIs of %(a)s and %(b)s do not mirror",
                    tunnel=tunnel.name,
                    a=str(tunnel.end_a),
                    b=str(tunnel.end_b),
                ),
                {"tunnel_id": tunnel.pk, "reason": tunnel.status_reason},
            )
        )
    return out


# -- weak cryptography ---------------------------------------------------------------------------------
def weak_crypto_enabled(device: Device) -> bool:
    """weak_crypto fires only where enabled (the seed itself is DES/MD5/DH1/RSA-512 by design): the
    device's own switch when set, else ALERT_WEAK_CRYPTO."""
    if device.weak_crypto_alerts is not None:
        return device.weak_crypto_alerts
    return bool(settings.ALERT_WEAK_CRYPTO)


def _finding_text(device: str, row: Finding) -> StoredText:
    """The finding's title as diagnosis stored it: its deferred form, so that the alert reads it in the
    reader's language too; the English column for a finding stored before there were deferred forms."""
    title = (row.texts or {}).get("title") if isinstance(row.texts, dict) else None
    return literal("%(device)s: %(title)s", device=device, title=title or row.title)


def weak_crypto(ctx: RuleContext) -> list[Candidate]:
    """One alert per active hygiene finding of diagnosis (weak cipher, hash, DH group, RSA key, certificate
    signature), on the devices where it is enabled and that answered their latest poll."""
    watched = [
        device_id
        for device_id, device in ctx.devices.items()
        if weak_crypto_enabled(device) and ctx.answered(device_id)
    ]
    if not watched:
        return []
    rows = Finding.objects.filter(
        active=True, tunnel__isnull=True, device_id__in=watched, code__in=sorted(Code.HYGIENE)
    ).order_by("device_id", "code", "subject")
    out = []
    for row in rows:
        assert row.device_id is not None
        device = ctx.devices[row.device_id]
        out.append(
            device_candidate(
                ctx,
                AlertKind.WEAK_CRYPTO,
                device,
                f"{row.code}:{row.subject}",
                Severity.WARNING,
                _finding_text(str(device), row),
                {"code": row.code, "evidence": row.evidence, "fix": row.fix},
                pending=False,
            )
        )
    return out
