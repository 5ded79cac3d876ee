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
    time_left,
)
from vpnportal.choices import AlertKind, Severity

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
                    "device_clock": iso(state.device_clock),
                },
            )
        )
    return out


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
                f"{device}: SSH host key changed; polling stopped until an admin accepts the new key",
                {"poll_id": poll.pk, "reason": poll.reason[:2000]},
                pending=False,
            )
        )
    return out
