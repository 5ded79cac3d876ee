"""Store received syslog messages as events: the tunnel each concerns, then the polls they trigger."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from devices.models import Device, IpsecSa, Tunnel
from events.choices import POLL_KINDS
from events.classify import Classification
from events.models import SyslogEvent
from events.syslog_format import SyslogMessage
from events.triggers import trigger_polls

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """One message the receiver matched to a device, parsed and classified."""

    device_id: int
    source: str
    received_at: datetime
    message: SyslogMessage
    meaning: Classification


def tunnel_for(device_id: int, meaning: Classification) -> Tunnel | None:
    """The tunnel an event concerns: an SPI or a peer address it names matched against the SAs of the
    latest polls (the device's, or the other end's), else the other end's management address."""
    if not meaning.peers and not meaning.spis:
        return None
    tunnels = {t.pk: t for t in Tunnel.objects.touching(device_id).select_related("end_a", "end_b")}
    if not tunnels:
        return None
    sas = IpsecSa.objects.filter(tunnel_id__in=tunnels).order_by("-active", "-last_seen")
    if meaning.spis:
        spi = list(meaning.spis)
        hit = sas.filter(Q(inbound_spi__in=spi) | Q(outbound_spi__in=spi)).values_list("tunnel_id", flat=True)
        for tunnel_id in hit[:1]:
            return tunnels[tunnel_id]
    for peer in meaning.peers:
        mine = sas.filter(device_id=device_id, current_peer=peer).values_list("tunnel_id", flat=True)
        for tunnel_id in mine[:1]:
            return tunnels[tunnel_id]
        theirs = sas.exclude(device_id=device_id).filter(local_addr=peer).values_list("tunnel_id", flat=True)
        for tunnel_id in theirs[:1]:
            return tunnels[tunnel_id]
        for tunnel in tunnels.values():
            other = tunnel.end_b if tunnel.end_a_id == device_id else tunnel.end_a
            if other.host == peer:
                return tunnel
    return None


def store_events(batch: list[Received]) -> list[SyslogEvent]:
    """Write one batch of events (one transaction) and queue the polls the relevant ones trigger.

    1. The tunnel of each classified event (tunnel_for), by peer address or SPI.
    2. Bulk insert.
    3. Events of a polling kind trigger debounced polls (events/triggers.py), queued once committed.
    """
    devices = set(Device.objects.filter(pk__in={r.device_id for r in batch}).values_list("pk", flat=True))
    rows: list[SyslogEvent] = []
    for item in batch:
        if item.device_id not in devices:  # deleted since the index was built
            continue
        msg, meaning = item.message, item.meaning
        tunnel = tunnel_for(item.device_id, meaning) if meaning.kind != "unclassified" else None
        rows.append(
            SyslogEvent(
                device_id=item.device_id,
                tunnel=tunnel,
                received_at=item.received_at,
                device_time=msg.device_time,
                source=item.source,
                hostname=msg.hostname,
                facility=msg.facility[:32],
                severity=msg.severity,
                mnemonic=msg.mnemonic[:96],
                message=msg.text,
                kind=meaning.kind,
                peer=meaning.peers[0] if meaning.peers else None,
            )
        )
    with transaction.atomic():
        SyslogEvent.objects.bulk_create(rows)
        for row in rows:
            if row.kind in POLL_KINDS:
                trigger_polls(row)
    return rows
