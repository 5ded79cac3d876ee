"""What the pages and `/metrics` read from the state tables, cached across web processes until it changes.

gunicorn serves from several processes, and polls write from Celery workers or `manage.py poll`: the
cache is the shared one (settings CACHES, Redis), and a write tells it through version numbers kept in
the same cache, never by deleting entries. What changes is split by what a page shows (docs/pages.md):

- a *scope version* per kind of fleet-wide data: `tunnels` (a tunnel's recorded status, reason, SPI match,
  silence: correlation saves a tunnel only when one of those changed), `pki` (a certificate, CRL or
  trustpoint row written), `alerts` (an alert's shown fields, a silence or a maintenance window);
- a *version per device*, bumped by any write of its rows (its polls, state, SAs, certificates, the
  device itself, its alerts and its tunnels' alerts and windows): the device page, the tunnel pages of
  its tunnels (keyed by these versions alone), its `/metrics` lines, the overview's tunnel rows.

A poll therefore bumps the version of the device it polled and nothing fleet-wide unless it changed a
tunnel's status or a certificate. `data_changed(device_ids)` says "anything of these devices may have
changed" (a bulk UPDATE without signals, an inventory edit): every scope and those devices' versions.

Writes bump through model signals (`connect_signals`), at once and again when the transaction commits:
the second one discards what a reader may have cached from the old rows in between, so nothing is
served past the commit that changed it. Entries also expire (PAGE_CACHE_SECONDS), which bounds what the
clock alone moves (relative ages, days left). A cache that does not answer costs speed, never a page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_init, post_save

log = logging.getLogger(__name__)
T = TypeVar("T")

SCOPES = ("tunnels", "pki", "alerts")
SCOPE_KEY = "pages:scope:{}"
DEVICE_VERSION_KEY = "pages:device-version:{}"
# Version numbers outlive the entries keyed by them; one that expired restarts at a number never used.
VERSION_SECONDS = 7 * 24 * 3600
_MISS = object()


def _fresh_version() -> int:
    # Nanoseconds: a version key evicted and created again never repeats a number an old entry carries.
    return time.time_ns()


def _bump_keys(keys: list[str]) -> None:
    # A new number, not an increment: one round trip for all the keys, and any new number invalidates.
    try:
        cache.set_many(dict.fromkeys(keys, _fresh_version()), VERSION_SECONDS)
    except Exception:
        # Redis down: entries written before the outage still expire after PAGE_CACHE_SECONDS.
        log.warning("page cache: could not record a change", exc_info=True)


def changed(scopes: Iterable[str] = (), device_ids: Iterable[int] = ()) -> None:
    """These scopes and these devices' rows changed: bump now, and again once it is committed."""
    keys = [SCOPE_KEY.format(s) for s in scopes]
    keys += [DEVICE_VERSION_KEY.format(pk) for pk in set(device_ids) if pk is not None]
    if not keys:
        return
    _bump_keys(keys)
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _bump_keys(keys))


def data_changed(device_ids: Iterable[int] = ()) -> None:
    """Anything behind the pages may have changed (for these devices): every scope and their versions."""
    changed(SCOPES, device_ids)


def _versions(keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = cache.get_many(keys)
    missing = {k: _fresh_version() for k in keys if k not in found}
    if missing:
        # add, not set: a concurrent reader or writer that got there first keeps its number.
        for key, value in missing.items():
            if not cache.add(key, value, VERSION_SECONDS):
                value = cache.get(key, value)
            found[key] = value
    return found


def versions(scopes: Iterable[str] = (), device_ids: Iterable[int] = ()) -> dict[str, int] | None:
    """The scopes' versions by name and the devices' as `device:<id>`, in one round trip (None when the
    cache does not answer: the caller computes everything)."""
    keys = {s: SCOPE_KEY.format(s) for s in scopes}
    keys.update({f"device:{pk}": DEVICE_VERSION_KEY.format(pk) for pk in device_ids})
    try:
        found = _versions(list(keys.values()))
    except Exception:
        log.warning("page cache unavailable", exc_info=True)
        return None
    return {name: found[key] for name, key in keys.items()}


def device_versions(device_ids: list[int]) -> dict[int, int] | None:
    """Each device's version (None when the cache does not answer)."""
    keys = {pk: DEVICE_VERSION_KEY.format(pk) for pk in device_ids}
    try:
        found = _versions(list(keys.values()))
    except Exception:
        log.warning("page cache unavailable", exc_info=True)
        return None
    return {pk: found[key] for pk, key in keys.items()}


def cached(key: str, compute: Callable[[], T]) -> T:
    """The value stored under `key` (which must carry a version), else `compute()` stored for next time."""
    try:
        value = cache.get(key, _MISS)
    except Exception:
        log.warning("page cache unavailable", exc_info=True)
        return compute()
    if value is not _MISS:
        return value  # type: ignore[no-any-return]
    value = compute()
    store({key: value})
    return value


def fetch(keys: list[str]) -> dict[str, Any]:
    """The entries stored under `keys` (those found; none when the cache does not answer)."""
    try:
        return cache.get_many(keys)
    except Exception:
        log.warning("page cache unavailable", exc_info=True)
        return {}


def store(values: dict[str, Any], seconds: int | None = None) -> None:
    """Store entries for `seconds` (PAGE_CACHE_SECONDS by default; a cache that does not answer is skipped)."""
    if not values:
        return
    try:
        cache.set_many(values, seconds or settings.PAGE_CACHE_SECONDS)
    except Exception:
        log.warning("page cache unavailable", exc_info=True)


def _device_ids(instance: Any) -> list[int]:
    """The devices a saved or deleted row belongs to (a device itself, a tunnel's two ends, a row's device,
    and for an alert or a maintenance window of a tunnel that tunnel's ends)."""
    from devices.models import Device, Tunnel

    if isinstance(instance, Device):
        return [instance.pk]
    if isinstance(instance, Tunnel):
        return [instance.end_a_id, instance.end_b_id]
    row = getattr(instance, "__dict__", {})
    device_id = row.get("device_id")
    ids = [device_id] if device_id is not None else []
    if row.get("tunnel_id") is not None and type(instance).__name__ in TUNNEL_TARGETED:
        ids += _tunnel_ends(instance)
    return ids


# Rows about a tunnel that its page and its ends' device pages show (keyed by the ends' versions only).
TUNNEL_TARGETED = {"Alert", "MaintenanceWindow"}


def _tunnel_ends(instance: Any) -> list[int]:
    """The ends of the row's tunnel: from the tunnel loaded with it, else one small query (none when the
    tunnel is gone: deleting a tunnel bumps its ends itself)."""
    from devices.models import Tunnel

    tunnel_id = instance.__dict__["tunnel_id"]
    loaded = instance._state.fields_cache.get("tunnel")
    if loaded is not None and loaded.pk == tunnel_id:
        return [loaded.end_a_id, loaded.end_b_id]
    ends = Tunnel.objects.filter(pk=tunnel_id).values_list("end_a_id", "end_b_id").first()
    return list(ends) if ends is not None else []


# Fields no page shows: a save that writes only these changes nothing on a page.
UNSHOWN = {
    "Device": {"next_poll_at", "pki_form"},
    "Alert": {"last_evaluated_at", "last_notified_at", "consecutive"},
}
# What a save of each model may change: the scopes (besides the row's devices' versions).
MODEL_SCOPES = {
    "Device": ("pki", "alerts"),  # its name on those lists; its tunnels' rows are under its version
    "Tunnel": ("tunnels",),
    "Certificate": ("pki",),
    "Crl": ("pki",),
    "Trustpoint": ("pki",),
    "Alert": ("alerts",),
    "MaintenanceWindow": ("alerts",),
}
# An alert's shown fields as loaded (post_init): the alert cycle saves every held alert at each
# evaluation, most with nothing a page shows changed.
_SNAPSHOT = "_page_cache_shown"


def _alert_shown(instance: Any) -> tuple[Any, ...]:
    row = instance.__dict__  # never a deferred field's query
    return tuple(row.get(f.attname) for f in instance._meta.concrete_fields if f.name not in UNSHOWN["Alert"])


def _on_alert_init(sender: Any, instance: Any, **kwargs: Any) -> None:
    if instance.pk is not None:
        instance.__dict__[_SNAPSHOT] = _alert_shown(instance)


def _on_write(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # loaddata: no state to speak of yet
    name = sender.__name__
    fields = kwargs.get("update_fields")
    if fields is not None and set(fields) <= UNSHOWN.get(name, set()):
        return
    scopes: tuple[str, ...] = MODEL_SCOPES.get(name, ())
    if name == "Device" and fields is not None and set(fields) <= {"silenced_until"}:
        scopes = ("alerts",)  # a silence: the alert lists and this device's page
    if name == "Tunnel" and (
        fields is None or "silenced_until" in fields or kwargs.get("signal") is post_delete
    ):
        scopes = ("tunnels", "alerts")
    if name == "Alert" and not kwargs.get("created") and kwargs.get("signal") is post_save:
        shown = _alert_shown(instance)
        if instance.__dict__.get(_SNAPSHOT) == shown:
            return  # evaluated again, nothing shown changed
        instance.__dict__[_SNAPSHOT] = shown
    changed(scopes, _device_ids(instance))


def connect_signals() -> None:
    """Bump on the saves of the rows the pages and `/metrics` read, and on deleting a device, a tunnel, an
    alert or a maintenance window (called by the app's ready). Not on deleting polls or SAs: a receiver
    would make Django load every row the history pruning deletes; those deletes happen inside a poll,
    which bumps its device anyway. Polls, state rows and SAs bump only their device's version."""
    from devices.models import Device, DeviceState, IpsecSa, Poll, Tunnel
    from pki.models import Certificate, Crl, Trustpoint
    from vpnportal.models import Alert, MaintenanceWindow

    saved = (
        Device,
        DeviceState,
        Poll,
        Tunnel,
        IpsecSa,
        Certificate,
        Crl,
        Trustpoint,
        Alert,
        MaintenanceWindow,
    )
    for model in saved:
        post_save.connect(_on_write, sender=model, dispatch_uid=f"page_cache.save.{model.__name__}")
    for model in (Device, Tunnel, Alert, MaintenanceWindow):
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"page_cache.delete.{model.__name__}")
    post_init.connect(_on_alert_init, sender=Alert, dispatch_uid="page_cache.init.Alert")
