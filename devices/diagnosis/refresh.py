"""Recompute findings from each device's latest successful poll (raw outputs re-parsed) and store them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from devices.choices import PkiForm, PollStatus
from devices.commands import Command, poll_commands
from devices.diagnosis.device import diagnose_device
from devices.diagnosis.enrollment import EnrollmentRecord, PendingCertificate, diagnose_enrollment
from devices.diagnosis.model import Code, DeviceOutputs, Finding
from devices.diagnosis.outputs import build_outputs
from devices.diagnosis.pair import diagnose_pair
from devices.diagnosis.wording import stored_texts
from devices.models import Device, Diagnosis, Poll, Tunnel
from devices.models import Finding as FindingRow
from devices.rawstore import poll_outputs
from devices.redact import redact_text, redact_value
from vpnportal import page_cache

log = logging.getLogger(__name__)

ENROLLMENT_CODES = frozenset({Code.CA_UNREACHABLE, Code.ENROLLMENT_STUCK})
# Enrollments older than this no longer make a device worth re-checking (unless a finding is open).
ENROLLMENT_LOOKBACK_DAYS = 30


@dataclass
class RefreshResult:
    """What one refresh did."""

    devices_diagnosed: int = 0
    tunnels_diagnosed: int = 0
    opened: int = 0
    closed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Counts for logs and the alert cycle summary."""
        return {
            "devices_diagnosed": self.devices_diagnosed,
            "tunnels_diagnosed": self.tunnels_diagnosed,
            "findings_opened": self.opened,
            "findings_closed": self.closed,
            "errors": len(self.errors),
        }


def pending_limit() -> timedelta:
    """How long a certificate may stay Pending before it is a finding (DIAGNOSIS_PENDING_MINUTES)."""
    return timedelta(minutes=settings.DIAGNOSIS_PENDING_MINUTES)


def latest_ok_poll(device: Device) -> Poll | None:
    """The device's latest poll that got answers (ok or partial)."""
    # Ids follow claim order, which is start order: the same "latest" as the batch query in refresh_findings.
    return (
        Poll.objects.filter(device=device, status__in=(PollStatus.OK, PollStatus.PARTIAL))
        .order_by("-id")
        .first()
    )


def _commands_by_text(platform: str) -> dict[str, Command]:
    """Command text -> the poll's Command, for every form the poller may have used (pki, ca, fallbacks)."""
    out: dict[str, Command] = {}
    for form in (PkiForm.UNKNOWN, PkiForm.CA, PkiForm.PKI):
        for command in poll_commands(platform, form):
            out[command.text] = command
            if command.fallback:
                out[command.fallback] = command
    return out


def outputs_of_poll(device: Device, poll: Poll) -> DeviceOutputs:
    """Re-parse a poll's stored raw outputs into DeviceOutputs (independent of what the poll code parsed)."""
    known = _commands_by_text(device.platform)
    texts: dict[str, tuple[str, str]] = {}
    commands: dict[str, Command] = {}
    for row in poll_outputs(poll):
        command = known.get(row.command)
        if command is None or row.error or row.raw is None:
            continue
        texts[command.kind] = (
            row.command,
            row.data().decode("utf-8", "replace"),
        )
        commands[command.kind] = command
    return build_outputs(device.name, device.platform, texts, transport=device.transport, commands=commands)


def enrollment_findings(device: Device, now: datetime) -> list[Finding]:
    """Enrollment stuck / CA unreachable, from Enrollment and Certificate rows."""
    from pki.choices import CertificateStatus
    from pki.models import Certificate, Enrollment, Trustpoint

    records = [
        EnrollmentRecord(
            trustpoint=e.trustpoint,
            state=e.state,
            since=e.started_at or e.created_at,
            text=f"{e.transcript}\n{e.error}",
        )
        for e in Enrollment.objects.filter(device=device).order_by("-created_at")[:20]
    ]
    pending = [
        PendingCertificate(
            trustpoint=c.trustpoint.name if c.trustpoint else "",
            since=c.first_seen,
            fingerprint=c.fingerprint,
        )
        for c in Certificate.objects.filter(
            device=device, status=CertificateStatus.PENDING, present=True
        ).select_related("trustpoint")
    ]
    urls = {t.name: t.enrollment_url for t in Trustpoint.objects.filter(device=device)}
    if pending and len(urls) == 1:
        # The certificates output does not always name the trustpoint; a device with one has no doubt.
        only = next(iter(urls))
        pending = [p if p.trustpoint else PendingCertificate(only, p.since, p.fingerprint) for p in pending]
    return diagnose_enrollment(device.platform, records, pending, urls, now, pending_limit(), device.pki_form)


# What the pages show of a finding: a rewrite that changes none of these does not invalidate them.
SHOWN_FIELDS = ("severity", "title", "evidence", "fix", "texts", "fix_device", "active")


def _sync(
    scope: dict[str, Any],
    findings: list[Finding],
    now: datetime,
    poll: Poll | None,
    codes: frozenset[str] | None,
) -> tuple[int, int]:
    """Upsert this scope's findings; deactivate the ones that no longer hold (only `codes`, when given)."""
    opened = closed = 0
    shown_changed = False
    existing = {(r.code, r.subject): r for r in FindingRow.objects.filter(**scope)}
    seen: set[tuple[str, str]] = set()
    for finding in findings:
        key = (finding.code, finding.subject[:255])
        if key in seen:
            continue
        seen.add(key)
        # Diagnosis reads the redacted copies; masked again here so no rule can ever quote a secret.
        title = redact_text(finding.title)[:500]
        evidence = redact_value(list(finding.evidence))
        fix = [str(line) for line in finding.fix]
        values = {
            "severity": finding.severity,
            "title": title,
            "evidence": evidence,
            "fix": fix,
            # The same texts in their deferred form, for pages in the reader's language.
            "texts": stored_texts(finding.title, finding.evidence, finding.fix, title, evidence, fix),
            "fix_device": finding.device[:64],
            "last_seen": now,
            "active": True,
        }
        if poll is not None:
            values["poll"] = poll
        row = existing.get(key)
        if row is None:
            FindingRow.objects.create(code=key[0], subject=key[1], first_seen=now, **scope, **values)
            opened += 1
            shown_changed = True
            continue
        if not row.active:
            values["first_seen"] = now  # a finding that comes back is a new occurrence
            opened += 1
        shown_changed = shown_changed or any(
            getattr(row, name) != values[name] for name in SHOWN_FIELDS if name in values
        )
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
    for key, row in existing.items():
        if key in seen or not row.active or (codes is not None and row.code not in codes):
            continue
        row.active = False
        row.save(update_fields=["active"])
        closed += 1
        shown_changed = True
    if shown_changed:
        # The device and tunnel pages show findings and are cached under their devices' versions
        # (vpnportal/page_cache.py); a diagnosis that only moved last_seen keeps them.
        device, tunnel = scope.get("device"), scope.get("tunnel")
        ends = [device.pk] if device is not None else [tunnel.end_a_id, tunnel.end_b_id] if tunnel else []
        page_cache.changed((), ends)
    return opened, closed


def _enrolling(device_ids: list[int], now: datetime) -> set[int]:
    """Devices whose enrollment findings may have changed: recent enrollments, Pending certificates, open ones."""
    from pki.choices import CertificateStatus
    from pki.models import Certificate, Enrollment

    since = now - timedelta(days=ENROLLMENT_LOOKBACK_DAYS)
    out = set(
        Enrollment.objects.filter(device_id__in=device_ids, created_at__gte=since).values_list(
            "device_id", flat=True
        )
    )
    out |= set(
        Certificate.objects.filter(
            device_id__in=device_ids, status=CertificateStatus.PENDING, present=True
        ).values_list("device_id", flat=True)
    )
    out |= set(
        FindingRow.objects.filter(
            device_id__in=device_ids, tunnel__isnull=True, active=True, code__in=sorted(ENROLLMENT_CODES)
        ).values_list("device_id", flat=True)
    )
    return out


def refresh_findings(
    device_ids: list[int] | None = None, *, force: bool = False, now: datetime | None = None
) -> RefreshResult:
    """Bring findings up to date for the given devices (all enabled ones by default).

    1. A device whose latest successful poll was already diagnosed keeps its output findings (unless force);
       a handful of queries tell which devices changed, so an idle fleet costs almost nothing.
    2. Otherwise its raw outputs are re-parsed and the device rules run; the findings are stored.
    3. Enrollment findings (Enrollment and Certificate rows) are recomputed where something may have changed.
    4. Each tunnel with an end diagnosed anew is checked end against end.
    """
    now = now or timezone.now()
    result = RefreshResult()
    devices = (
        Device.objects.filter(pk__in=device_ids)
        if device_ids is not None
        else Device.objects.filter(enabled=True)
    )
    device_list = list(devices.order_by("name"))
    ids = [d.pk for d in device_list]
    latest = dict(
        Poll.objects.filter(device_id__in=ids, status__in=(PollStatus.OK, PollStatus.PARTIAL))
        .values("device_id")
        .annotate(last=Max("id"))
        .values_list("device_id", "last")
    )
    done = dict(Diagnosis.objects.filter(device_id__in=ids).values_list("device_id", "poll_id"))
    enrolling = _enrolling(ids, now)
    outputs: dict[int, tuple[DeviceOutputs, Poll]] = {}
    changed: set[int] = set()
    for device in device_list:
        poll_id = latest.get(device.pk)
        stale = poll_id is not None and (force or done.get(device.pk) != poll_id)
        if not stale and device.pk not in enrolling:
            continue
        try:
            with transaction.atomic():
                if stale and poll_id is not None:
                    poll = Poll.objects.get(pk=poll_id)
                    dev = outputs_of_poll(device, poll)
                    outputs[device.pk] = (dev, poll)
                    found = diagnose_device(dev)
                    opened, closed = _sync(
                        {"device": device, "tunnel": None}, found, now, poll, _output_codes()
                    )
                    result.opened += opened
                    result.closed += closed
                    Diagnosis.objects.update_or_create(
                        device=device, defaults={"poll": poll, "diagnosed_at": now}
                    )
                    changed.add(device.pk)
                    result.devices_diagnosed += 1
                if device.pk in enrolling:
                    opened, closed = _sync(
                        {"device": device, "tunnel": None},
                        enrollment_findings(device, now),
                        now,
                        None,
                        ENROLLMENT_CODES,
                    )
                    result.opened += opened
                    result.closed += closed
        except Exception as exc:
            # One device's odd outputs must never stop the others, nor the alert cycle after us.
            log.exception("diagnosis of %s failed", device.name)
            result.errors.append(f"{device.name}: {type(exc).__name__}: {exc}")
    tunnels = Tunnel.objects.select_related("end_a", "end_b").touching(id__in=changed)
    for tunnel in tunnels:
        try:
            ends = []
            for end in tunnel.ends:
                if end.pk not in outputs:
                    last = latest_ok_poll(end)
                    if last is None:
                        break
                    outputs[end.pk] = (outputs_of_poll(end, last), last)
                ends.append(outputs[end.pk][0])
            found = diagnose_pair(ends[0], ends[1]) if len(ends) == 2 else []
            with transaction.atomic():
                opened, closed = _sync({"device": None, "tunnel": tunnel}, found, now, None, None)
            result.opened += opened
            result.closed += closed
            result.tunnels_diagnosed += 1
        except Exception as exc:
            log.exception("diagnosis of tunnel %s failed", tunnel.name)
            result.errors.append(f"{tunnel.name}: {type(exc).__name__}: {exc}")
    return result


def _output_codes() -> frozenset[str]:
    """Every code the output-based device rules may produce (not the enrollment ones)."""
    return (
        frozenset(value for name, value in vars(Code).items() if name.isupper() and isinstance(value, str))
        - ENROLLMENT_CODES
    )


# -- alerts ------------------------------------------------------------------------------------------------


def refresh_for_alerts() -> dict[str, Any]:
    """Called by the alert cycle before the rules run: refresh the findings weak_crypto reads."""
    try:
        return refresh_findings().as_dict()
    except Exception as exc:
        log.exception("diagnosis refresh failed")
        return {"errors": 1, "error": f"{type(exc).__name__}: {exc}"}
