"""Every certificate and CRL of the fleet on one time axis, for the timeline page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext

from devices.summary import secret_paths
from pki.models import Certificate, Crl

# Rows on one chart; the soonest to run out are kept, the rest are on the lists.
MAX_ROWS = 300


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def timeline_rows(now: datetime) -> dict[str, Any]:
    """{rows: [{kind, label, device, start, end, url}], now, cert_warn_days, crl_warn_hours, truncated}, soonest end first."""
    certs = list(
        Certificate.objects.filter(present=True, valid_to__isnull=False)
        .select_related("device", "trustpoint")
        .defer(*secret_paths("device"))
        .order_by("valid_to", "id")[: MAX_ROWS + 1]
    )
    crls = list(
        Crl.objects.filter(present=True, next_update__isnull=False)
        .select_related("device")
        .defer(*secret_paths("device"))
        .order_by(F("next_update").asc(), "id")[: MAX_ROWS + 1]
    )
    rows: list[dict[str, Any]] = []
    for c in certs:
        name = c.subject_name or c.subject or c.serial
        rows.append(
            {
                "kind": "certificate",
                "role": c.role,
                "label": f"{c.device.name} · {c.get_role_display()} {c.serial or name}",
                "title": gettext("%(name)s (trustpoint %(trustpoint)s)")
                % {"name": name, "trustpoint": c.trustpoint.name if c.trustpoint else "—"},
                "device": c.device.name,
                "start": _iso(c.valid_from or c.valid_to),
                "end": _iso(c.valid_to),
                "url": reverse("pki:certificate_detail", args=[c.pk]),
            }
        )
    for crl in crls:
        rows.append(
            {
                "kind": "crl",
                "role": "crl",
                "label": f"{crl.device.name} · CRL {crl.issuer.split(',')[0]}",
                "title": crl.issuer,
                "device": crl.device.name,
                "start": _iso(crl.last_update or crl.next_update),
                "end": _iso(crl.next_update),
                "url": reverse("devices:device_detail", args=[crl.device_id]) + "#pki",
            }
        )
    rows.sort(key=lambda r: r["end"] or "")
    truncated = len(rows) > MAX_ROWS or len(certs) > MAX_ROWS or len(crls) > MAX_ROWS
    return {
        "rows": rows[:MAX_ROWS],
        "now": now.isoformat(),
        "cert_warn_days": [int(d) for d in settings.CERT_WARN_DAYS],
        "crl_warn_hours": int(settings.CRL_WARN_HOURS),
        "truncated": truncated,
    }
