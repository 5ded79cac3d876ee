"""Alert rules about the devices themselves: a clock off the poller's, a failed poll, a changed host key."""

from __future__ import annotations

from datetime import timedelta

from devices.choices import PollStatus
from devices.models import Poll
from vpnportal.alerting.core import (
    Candidate,
    RuleContext,
    clock_skew_warn_seconds,
    device_candidate,
    iso,
)
from vpnportal.alerting.texts import nest, span_text
from vpnportal.choices import AlertKind, Severity
from vpnportal.translated_text import StoredText, deferred

# Words the poller uses when the pinned SSH host key no longer matches.
HOST_KEY_MARKERS = ("host key",)


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
        if skew > 0:
            text = deferred("%(device)s: clock is %(span)s ahead of the poller", device=str(device))
        else:
            text = deferred("%(device)s: clock is %(span)s behind the poller", device=str(device))
        out.append(
            device_candidate(
                ctx,
                AlertKind.CLOCK_SKEW,
                device,
                "clock",
                Severity.WARNING,
                nest(text, span=span_text(timedelta(seconds=abs(skew)))),
                {
                    "skew_seconds": skew,
                    "limit_seconds": limit,
                    "device_clock": iso(state.device_clock),
                },
            )
        )
    return out


def _is_host_key_failure(poll: Poll) -> bool:
    reason = (poll.reason or "").lower()
    return any(marker in reason for marker in HOST_KEY_MARKERS)


def _poll_failed_text(device: str, reason: str) -> StoredText:
    """The poller's reason (first line) stays as the poller wrote it; "no reason given" is translated."""
    if reason:
        return deferred(
            "%(device)s: poll failed: %(reason)s", device=device, reason=reason.splitlines()[0][:300]
        )
    return deferred("%(device)s: poll failed: no reason given", device=device)


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
                _poll_failed_text(str(device), poll.reason),
                {"poll_id": poll.pk, "reason": poll.reason[:2000], "at": iso(poll.started_at)},
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
                deferred(
                    "%(device)s: SSH host key changed; polling stopped until an admin accepts the new key",
                    device=str(device),
                ),
                {"poll_id": poll.pk, "reason": poll.reason[:2000]},
                pending=False,
            )
        )
    return out
