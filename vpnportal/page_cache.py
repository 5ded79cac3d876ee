"""What the overview and `/metrics` read from the state tables, cached across web processes until it changes.

gunicorn serves from several processes, and polls write from Celery workers or `manage.py poll`: the
cache is the shared one (settings CACHES, Redis), and a write tells it through version numbers kept in
the same cache, never by deleting entries:

- a global *generation*, part of the overview's key: any poll, tunnel judgement or inventory edit bumps it;
- a *version per device*, part of the key of that device's `/metrics` lines: a poll of one device re-renders
  that device's lines only, so a scrape during a poll cycle still reuses the other devices' lines.

Writes bump through model signals (`connect_signals`): `devices/poll.py` ends every poll with `Poll.save()`
in the poll's transaction, `correlate_tunnels` saves every tunnel it judges, the admin and the inventory
forms save rows. A bump happens at once and again when the transaction commits: the second one discards
what a reader may have cached from the old rows in between, so nothing is served past the commit that
changed it. Entries also expire (PAGE_CACHE_SECONDS), which bounds what the clock alone moves (which
certificates count as long expired). A cache that does not answer costs speed, never a page: the data
are computed again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

log = logging.getLogger(__name__)
T = TypeVar("T")

GENERATION_KEY = "pages:generation"
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


def data_changed(device_ids: Iterable[int] = ()) -> None:
    """The state behind the pages changed (for these devices): bump now, and again once it is committed."""
    keys = [GENERATION_KEY, *(DEVICE_VERSION_KEY.format(pk) for pk in set(device_ids) if pk is not None)]
    _bump_keys(keys)
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _bump_keys(keys))


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


def generation() -> int | None:
    """The global generation (None when the cache does not answer)."""
    try:
        return _versions([GENERATION_KEY])[GENERATION_KEY]
    except Exception:
        log.warning("page cache unavailable", exc_info=True)
        return None


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
    """The devices a saved or deleted row belongs to (a device itself, a tunnel's two ends, a row's device)."""
    from devices.models import Device, Tunnel

    if isinstance(instance, Device):
        return [instance.pk]
    if isinstance(instance, Tunnel):
        return [instance.end_a_id, instance.end_b_id]
    device_id = getattr(instance, "device_id", None)
    return [device_id] if device_id is not None else []


def _on_write(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # loaddata: no state to speak of yet
    data_changed(_device_ids(instance))


def connect_signals() -> None:
    """Bump on every save of the rows the overview and `/metrics` read, and on deleting a device or a
    tunnel (called by the app's ready). Not on deleting polls or SAs: a receiver would make Django load
    every row the history pruning deletes; those deletes happen inside a poll, which bumps anyway."""
    from devices.models import Device, DeviceState, IpsecSa, Poll, Tunnel
    from pki.models import Certificate, Crl

    for model in (Device, DeviceState, Poll, Tunnel, IpsecSa, Certificate, Crl):
        post_save.connect(_on_write, sender=model, dispatch_uid=f"page_cache.save.{model.__name__}")
    for model in (Device, Tunnel):
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"page_cache.delete.{model.__name__}")
