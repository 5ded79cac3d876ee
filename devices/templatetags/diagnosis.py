"""`{% findings_for device=... tunnel=... as rows %}`: a page's active diagnosis findings, worst first;
`{{ severity|severity_word }}`: a severity in the reader's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Q
from django.utils.translation import gettext_lazy

from devices.diagnosis.model import Severity
from devices.models import Finding

register = template.Library()

# The severity words as the pages print them (lower case, like the stored values and the badge classes).
SEVERITY_WORDS: dict[str, Any] = {
    Severity.CRITICAL: gettext_lazy("critical"),
    Severity.WARNING: gettext_lazy("warning"),
    Severity.INFO: gettext_lazy("info"),
}


@register.simple_tag
def findings_for(device: Any = None, tunnel: Any = None) -> list[Finding]:
    """Active findings of a device, or of a tunnel together with both its ends' own findings."""
    if tunnel is not None:
        where = Q(tunnel=tunnel) | Q(device_id__in=[tunnel.end_a_id, tunnel.end_b_id], tunnel__isnull=True)
    elif device is not None:
        where = Q(device=device, tunnel__isnull=True)
    else:
        return []
    rows = list(Finding.objects.filter(where, active=True).select_related("device", "tunnel"))
    rows.sort(
        key=lambda r: (
            -Severity.rank_of(r.severity),
            r.device.name if r.device else "",
            r.code,
            r.subject,
        )
    )
    return rows


@register.simple_tag
def findings_summary(findings: list[Finding]) -> dict[str, int]:
    """Counts per severity, worst first (for the collapsed summary line)."""
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -Severity.rank_of(item[0])))


@register.filter
def severity_word(value: str) -> str:
    """A stored severity in the reader's language; an unknown value as stored."""
    word = SEVERITY_WORDS.get(value)
    return str(word) if word is not None else value
