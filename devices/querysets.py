"""The query sets of devices.models: named queries the views, the API and the poller share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.db.models import Max, Q

if TYPE_CHECKING:
    from devices.models import CounterSample, Device, Tunnel  # noqa: F401 - named in the generics

# The credential columns of a device: deferred wherever a page or the API lists devices.
SECRET_FIELDS = ("password", "secret")


class DeviceQuerySet(models.QuerySet["Device"]):
    """Queries on devices."""

    def without_secrets(self) -> DeviceQuerySet:
        """The devices without their credentials loaded (SECRET_FIELDS deferred)."""
        return self.defer(*SECRET_FIELDS)


class TunnelQuerySet(models.QuerySet["Tunnel"]):
    """Queries on tunnels."""

    def touching(self, device: Device | int | None = None, **end: Any) -> TunnelQuerySet:
        """Tunnels with `device` at either end, or with an end matching the `end` lookups
        (`touching(id__in=ids)`, `touching(name="r1")`)."""
        lookups = {"exact": device} if device is not None else end
        return self.filter(
            Q(**{f"end_a__{k}": v for k, v in lookups.items()})
            | Q(**{f"end_b__{k}": v for k, v in lookups.items()})
        )

    def between(self, a: Device | int, b: Device | int) -> TunnelQuerySet:
        """Tunnels joining these two devices, whichever end each is."""
        return self.filter(Q(end_a=a, end_b=b) | Q(end_a=b, end_b=a))


class CounterSampleQuerySet(models.QuerySet["CounterSample"]):
    """Queries on counter samples."""

    def newest_by_sa(self, ids: Iterable[int]) -> dict[int, CounterSample]:
        """The newest sample of each IpsecSa id (one query on PostgreSQL)."""
        ids = list(ids)
        if not ids:
            return {}
        samples = self.filter(ipsec_sa_id__in=ids)
        if connection.vendor == "postgresql":
            return {
                s.ipsec_sa_id: s
                for s in samples.order_by("ipsec_sa_id", "-at", "-pk").distinct("ipsec_sa_id")
            }
        newest = samples.values("ipsec_sa_id").annotate(last=Max("at"))
        wanted = {(row["ipsec_sa_id"], row["last"]) for row in newest}
        return {
            s.ipsec_sa_id: s
            for s in samples.filter(at__in={at for _, at in wanted})
            if (s.ipsec_sa_id, s.at) in wanted
        }
