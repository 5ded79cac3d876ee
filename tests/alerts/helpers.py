"""Small readers for alert tests."""

from __future__ import annotations

from vpnportal.alerting.core import Candidate, RuleContext, build_context
from vpnportal.choices import OPEN_ALERT_STATES
from vpnportal.models import Alert


def open_alerts(kind: str | None = None) -> list[Alert]:
    """Open alerts, optionally of one kind."""
    qs = Alert.objects.filter(state__in=OPEN_ALERT_STATES)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("pk"))


def states(kind: str | None = None) -> dict[str, str]:
    """key -> state of every alert row (latest row per key wins)."""
    qs = Alert.objects.order_by("pk")
    if kind is not None:
        qs = qs.filter(kind=kind)
    return {a.key: a.state for a in qs}


def ctx(now=None) -> RuleContext:  # type: ignore[no-untyped-def]
    """A rule context at `now` (default: the present)."""
    from django.utils import timezone

    return build_context(now or timezone.now())


def subjects(cands: list[Candidate]) -> list[str]:
    """Subjects of candidates, sorted."""
    return sorted(c.subject for c in cands)
