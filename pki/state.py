"""Apply a poll's certificate, CRL and configuration outputs to Trustpoint, Certificate and Crl rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from devices import commands as cmds
from devices.models import Device, Poll
from devices.plainsql import touch_last_seen
from devices.redact import redact_text, redact_value
from pki.choices import CertificateRole, CertificateStatus
from pki.models import Certificate, Crl, Trustpoint

# The outputs the rows here are read from: when none changed since polls that applied them, the rows are
# what applying them again would write, but for the last-seen time (apply_pki_state's `unchanged`).
PKI_KINDS = frozenset({cmds.CONFIG, cmds.CERTIFICATES, cmds.CRLS})


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    if not value or not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # A time without an offset cannot be placed on the timeline; better unknown than wrong by hours.
    return moment if moment.tzinfo else None


def _assign(row: Any, values: dict[str, Any]) -> bool:
    """Set values on a row; True when anything changed (unchanged rows only get last_seen, in bulk)."""
    changed = row.pk is None
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def _touch(model: Any, ids: list[int], now: datetime) -> None:
    if ids:
        model.objects.filter(pk__in=ids).update(last_seen=now)


def _status(value: Any) -> str:
    text = str(value or "").lower()
    if text.startswith("avail"):
        return CertificateStatus.AVAILABLE
    if text.startswith("pend"):
        return CertificateStatus.PENDING
    return CertificateStatus.OTHER


def _serial(value: Any) -> str:
    return str(value or "").replace(":", "").replace(" ", "").upper()[:64]


def certificate_key(cert: dict[str, Any]) -> str:
    """The row key: the serial, or `pending:<fingerprint>` for a request the CA has not granted."""
    serial = _serial(cert.get("serial"))
    if serial and _status(cert.get("status")) != CertificateStatus.PENDING:
        return serial
    fingerprint = str(cert.get("fingerprint") or "").replace(" ", "").upper()
    if fingerprint:
        return f"pending:{fingerprint}"[:128]
    return serial or f"pending:{cert.get('subject_name') or cert.get('subject') or 'unknown'}"[:128]


def apply_pki_state(
    device: Device,
    poll: Poll,
    *,
    certificates: dict[str, Any] | None,
    crls: dict[str, Any] | None,
    config: dict[str, Any] | None,
    unchanged: bool = False,
) -> None:
    """Upsert trustpoints, certificates and CRLs; what a successful output no longer lists is present=False.

    A None argument means that command failed: its rows keep their last known values. `unchanged`: the
    three outputs (PKI_KINDS) are those the device's previous polls applied (devices/rawstore.py:Stored),
    so the rows already say what they say and the present ones, exactly those they list, are seen now.
    """
    now = timezone.now()
    if unchanged:
        # One statement for the three tables (devices/plainsql.py).
        touch_last_seen(device.pk, now, [(Trustpoint, "present"), (Certificate, "present"), (Crl, "present")])
        return
    trustpoints = _apply_trustpoints(device, config, now)
    if certificates is not None:
        _apply_certificates(device, certificates.get("certificates") or [], config, trustpoints, now)
    elif config is not None:
        _merge_chains(device, config, trustpoints, now, create=False)
    if crls is not None:
        _apply_crls(device, crls.get("crls") or [], now)


def _apply_trustpoints(device: Device, config: dict[str, Any] | None, now: datetime) -> dict[str, Trustpoint]:
    rows = {t.name: t for t in Trustpoint.objects.filter(device=device)}
    if config is None:
        return rows
    seen: set[str] = set()
    untouched: list[int] = []
    for item in config.get("trustpoints") or []:
        name = str(item.get("name") or "")[:64] if isinstance(item, dict) else ""
        if not name:
            continue
        seen.add(name)
        row = rows.get(name) or Trustpoint(device=device, name=name, first_seen=now)
        values = {
            # `http://user:password@ca/...`: the password is masked before the URL is stored or shown.
            "enrollment_url": redact_text(str(item.get("enrollment_url") or ""))[:255],
            "crl_optional": bool(item.get("crl_optional")),
            "present": True,
        }
        if _assign(row, values):
            row.last_seen = now
            row.save()
        else:
            untouched.append(row.pk)
        rows[name] = row
    _touch(Trustpoint, untouched, now)
    gone = [t.pk for name, t in rows.items() if name not in seen and t.present]
    if gone:
        Trustpoint.objects.filter(pk__in=gone).update(present=False)
    return rows


def _trustpoint(name: Any, trustpoints: dict[str, Trustpoint]) -> Trustpoint | None:
    if name and str(name) in trustpoints:
        return trustpoints[str(name)]
    # One trustpoint on the device (the seed's case): every certificate belongs to it.
    return next(iter(trustpoints.values())) if len(trustpoints) == 1 else None


def _apply_certificates(
    device: Device,
    listed: list[dict[str, Any]],
    config: dict[str, Any] | None,
    trustpoints: dict[str, Trustpoint],
    now: datetime,
) -> None:
    rows = {(c.role, c.key): c for c in Certificate.objects.filter(device=device)}
    seen: set[int] = set()
    untouched: list[int] = []
    for cert in listed:
        if not isinstance(cert, dict):
            continue
        role = str(cert.get("role") or "")
        if role not in CertificateRole.values:
            continue
        key = certificate_key(cert)
        row = rows.get((role, key)) or Certificate(device=device, role=role, key=key, first_seen=now)
        trustpoint = _trustpoint(cert.get("trustpoint"), trustpoints)
        values = {
            "status": _status(cert.get("status")),
            "serial": _serial(cert.get("serial")),
            "subject": str(cert.get("subject") or "")[:500],
            "subject_name": str(cert.get("subject_name") or "")[:255],
            "issuer": str(cert.get("issuer") or "")[:500],
            "key_usage": str(cert.get("key_usage") or "")[:64],
            "crl_distribution_point": redact_text(str(cert.get("crl_distribution_point") or ""))[:500],
            "fingerprint": str(cert.get("fingerprint") or "")[:128],
            "valid_from": _when(cert.get("valid_from")),
            "valid_to": _when(cert.get("valid_to")),
            "trustpoint_id": trustpoint.pk if trustpoint else None,
            "present": True,
        }
        if _assign(row, values):
            row.last_seen = now
            row.save()
        else:
            untouched.append(row.pk)
        rows[(role, key)] = row
        seen.add(row.pk)
    if config is not None:
        seen |= _merge_chains(device, config, trustpoints, now, create=True, rows=rows, untouched=untouched)
    _touch(Certificate, untouched, now)
    gone = [c.pk for c in rows.values() if c.pk not in seen and c.present]
    if gone:
        Certificate.objects.filter(pk__in=gone).update(present=False)


def _merge_chains(
    device: Device,
    config: dict[str, Any],
    trustpoints: dict[str, Trustpoint],
    now: datetime,
    *,
    create: bool,
    rows: dict[tuple[str, str], Certificate] | None = None,
    untouched: list[int] | None = None,
) -> set[int]:
    """Add what the configuration's DER chains say (key size, signature) to the matching rows."""
    if rows is None:
        rows = {(c.role, c.key): c for c in Certificate.objects.filter(device=device)}
    by_serial = {(c.role, c.serial): c for c in rows.values() if c.serial}
    seen: set[int] = set()
    for chain in config.get("certificate_chains") or []:
        if not isinstance(chain, dict):
            continue
        for cert in chain.get("certificates") or []:
            if not isinstance(cert, dict):
                continue
            serial = _serial(cert.get("serial"))
            role = str(cert.get("role") or "")
            if not serial or role not in CertificateRole.values:
                continue
            row = by_serial.get((role, serial))
            if row is None:
                if not create:
                    continue
                # Listed in the configuration but not by `show ... certificates`: still held by the device.
                row = Certificate(
                    device=device,
                    role=role,
                    key=serial,
                    serial=serial,
                    status=CertificateStatus.AVAILABLE,
                    subject=str(cert.get("subject") or "")[:500],
                    issuer=str(cert.get("issuer") or "")[:500],
                    valid_from=_when(cert.get("not_before")),
                    valid_to=_when(cert.get("not_after")),
                    trustpoint=_trustpoint(chain.get("trustpoint"), trustpoints),
                    first_seen=now,
                )
            values = {
                "x509": redact_value({k: v for k, v in cert.items() if k not in ("der", "hex")}),
                "valid_from": row.valid_from or _when(cert.get("not_before")),
                "valid_to": row.valid_to or _when(cert.get("not_after")),
                "present": True,
            }
            if _assign(row, values):
                row.last_seen = now
                row.save()
                if untouched is not None and row.pk in untouched:
                    untouched.remove(row.pk)
            elif untouched is None:
                _touch(Certificate, [row.pk], now)
            by_serial[(role, serial)] = row
            seen.add(row.pk)
    return seen


def _apply_crls(device: Device, listed: list[dict[str, Any]], now: datetime) -> None:
    rows = {c.issuer: c for c in Crl.objects.filter(device=device)}
    seen: set[int] = set()
    untouched: list[int] = []
    for item in listed:
        if not isinstance(item, dict) or not item.get("issuer"):
            continue
        issuer = str(item["issuer"])[:500]
        row = rows.get(issuer) or Crl(device=device, issuer=issuer, first_seen=now)
        values = {
            "last_update": _when(item.get("last_update")),
            "next_update": _when(item.get("next_update")),
            "retrieved_from": redact_text(str(item.get("retrieved_from") or ""))[:500],
            "present": True,
        }
        if _assign(row, values):
            row.last_seen = now
            row.save()
        else:
            untouched.append(row.pk)
        rows[issuer] = row
        seen.add(row.pk)
    _touch(Crl, untouched, now)
    gone = [c.pk for c in rows.values() if c.pk not in seen and c.present]
    if gone:
        Crl.objects.filter(pk__in=gone).update(present=False)
