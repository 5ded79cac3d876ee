"""What every alert rule shares: the candidate a rule returns, the context it reads, the thresholds.

A rule (`certificate_rules`, `tunnel_rules`, `device_rules`) reads the stored state through a
`RuleContext` and returns `Candidate`s; `vpnportal.alerting.evaluate` does the pending -> firing ->
resolved bookkeeping, the muting of unreachable devices and the notification flags. Rules never write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from devices.choices import PollStatus
from devices.models import CounterSample, Device, DeviceState, IpsecSa, Poll, Tunnel
from vpnportal.alerting.texts import SUMMARY_KEY, english_text, span
from vpnportal.choices import AlertKind
from vpnportal.translated_text import StoredText

DEVICE_HEALTH_KINDS = frozenset({AlertKind.POLL_FAILED, AlertKind.HOST_KEY_CHANGED})


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
    # The summary as a stored text (vpnportal/alerting/texts.py), rendered in each reader's language;
    # `summary` is its English.
    text: StoredText | None = None

    @classmethod
    def said(cls, text: StoredText, **fields: Any) -> Candidate:
        """A candidate whose summary is `text` (its English in `summary`)."""
        return cls(summary=english_text(text), text=text, **fields)

    def stored_details(self) -> dict[str, Any]:
        """The details an alert keeps: the rule's, and the summary as a stored text."""
        return {**self.details, SUMMARY_KEY: self.text} if self.text is not None else self.details

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
    newest = CounterSample.objects.newest_by_sa(sa.pk for sa in sas)
    by_device: dict[int, list[IpsecSa]] = {}
    latest: dict[int, CounterSample] = {}
    for sa in sas:
        by_device.setdefault(sa.device_id, []).append(sa)
        sample = newest.get(sa.pk)
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


def build_context(now: datetime) -> RuleContext:
    """Load the enabled devices and their state once for all rules."""
    devices = {d.pk: d for d in Device.objects.filter(enabled=True)}
    states = {
        s.device_id: s for s in DeviceState.objects.select_related("last_poll").filter(device_id__in=devices)
    }
    return RuleContext(now=now, devices=devices, states=states)


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
    text: StoredText,
    details: dict[str, Any],
    *,
    pending: bool = True,
) -> Candidate:
    """A condition seen in a device's latest poll: it fires once ALERT_PENDING_POLLS polls in a row
    showed it (at the first when not `pending`)."""
    return Candidate.said(
        text,
        kind=kind,
        device=device,
        subject=subject,
        severity=severity,
        details=details,
        observed=ctx.token(device.pk),
        needs=pending_polls() if pending else 1,
    )


def tunnel_candidate(
    ctx: RuleContext, kind: str, tunnel: Tunnel, severity: str, text: StoredText, details: dict[str, Any]
) -> Candidate:
    """A condition of a tunnel seen in its two ends' latest polls; it fires after the tunnel's pending polls."""
    return Candidate.said(
        text,
        kind=kind,
        device=None,
        tunnel=tunnel,
        subject=tunnel.name,
        severity=severity,
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
    """A human span in English, for an alert's details: "12 days", "1 day", "5 hours", "40 minutes"
    (summaries use texts.span_text, which reads in each reader's language)."""
    unit, n = span(delta)
    return f"{n} {unit}{'s' if n != 1 else ''}"


def iso(value: datetime | None) -> str | None:
    """A time for an alert's details (JSON): ISO 8601, or None when unknown."""
    return value.isoformat() if value is not None else None
