"""Apply a poll's parsed outputs to the current state: IKE and IPsec SAs, engine, clock, config facts."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from django.db.models import F
from django.utils import timezone as dj_timezone

from devices import commands as cmds
from devices.choices import Transport
from devices.models import COUNTER_FIELDS, Device, DeviceState, IkeSa, IpsecSa, Poll
from devices.outputs import ParsedOutput
from devices.plainsql import ipsec_rows, touch_last_seen, update_row
from devices.redact import redact_value

SA_LISTS = ("inbound_esp", "outbound_esp", "inbound_ah", "outbound_ah")


@dataclass
class Applied:
    """What apply_state did that the history needs: the IpsecSa rows sampled and when."""

    sampled: list[tuple[IpsecSa, dict[str, int]]] = field(default_factory=list)
    sampled_at: datetime = field(default_factory=dj_timezone.now)


def _ip(value: Any) -> str | None:
    if not value:
        return None
    text = str(value).split()[0]
    if ":" in text and text.count(":") == 1:  # `172.16.172.34:500`
        text = text.split(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def ident_text(ident: Any) -> str:
    """`addr/mask/prot/port` for an ident dict of the parser."""
    if not isinstance(ident, dict):
        return str(ident or "")[:128]
    return "/".join(
        str(ident.get(k) if ident.get(k) is not None else "") for k in ("addr", "mask", "prot", "port")
    )[:128]


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _state(device: Device) -> DeviceState:
    # A dispatched poll read the state with its Poll row (devices.poll._own_row): no query of its own.
    try:
        return device.state
    except DeviceState.DoesNotExist:
        state, _ = DeviceState.objects.get_or_create(device=device)
        return state


def count_polls(device_id: int, finished: int = 1, failed: int = 0) -> None:
    """Add finished (and failed) polls to the device's counters (an UPDATE of its own: concurrent polls
    and the abandoned-poll sweep never lose an increment)."""
    DeviceState.objects.filter(device_id=device_id).update(
        polls_total=F("polls_total") + finished, poll_failures_total=F("poll_failures_total") + failed
    )


def mark_stale(device: Device, poll: Poll) -> DeviceState:
    """A failed poll: keep every known fact, flag it stale and point at the poll that failed."""
    state = _state(device)
    state.stale = True
    state.last_poll = poll
    state.config_facts = _transport_facts(device, state.config_facts)
    state.save(update_fields=["stale", "last_poll", "config_facts", "updated_at"])
    count_polls(device.pk, failed=1)
    return state


def _transport_facts(device: Device, facts: dict[str, Any] | None) -> dict[str, Any]:
    facts = dict(facts or {})
    facts["management_protocol"] = device.transport
    # A finding, not an alert: telnet carries the login and enable passwords in clear text.
    facts["management_cleartext"] = device.transport == Transport.TELNET
    return facts


def device_clock(clock: dict[str, Any], config: dict[str, Any] | None) -> datetime | None:
    """The device's clock as an aware instant, read with the zone and offset its configuration sets."""
    raw = clock.get("clock")
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    zone = (config or {}).get("clock_timezone") or {}
    name = str(zone.get("name") or "") if isinstance(zone, dict) else ""
    offset = zone.get("offset_minutes") if isinstance(zone, dict) else None
    shown = str(clock.get("timezone") or "")
    if isinstance(offset, int) and (moment.tzinfo is None or (name and shown.upper() == name.upper())):
        # The configuration's `clock timezone NAME OFFSET` is what the device means by NAME.
        moment = moment.replace(tzinfo=timezone(timedelta(minutes=offset)))
    if moment.tzinfo is None:
        return None
    return moment


def apply_state(
    device: Device, poll: Poll, results: dict[str, ParsedOutput], unchanged: frozenset[str] = frozenset()
) -> Applied:
    """Update the device's state from the commands that succeeded; what failed keeps its last value.

    `unchanged`: the kinds of output the device's previous polls applied as they are
    (devices/rawstore.py:Stored): the configuration facts, the engine and the IKE SAs they set are in the
    rows already, only the SAs' last-seen time moves. Everything is written with UPDATEs, which send no
    signal: the poll's finish bumps the page cache (devices/poll.py:_finish)."""
    now = dj_timezone.now()
    state = _state(device)
    applied = Applied(sampled_at=now)
    config = results[cmds.CONFIG].result if cmds.CONFIG in results else None
    fields = ["stale", "last_poll", "last_ok_poll", "config_facts", "updated_at", "polls_total"]
    state.stale = False
    state.last_poll = poll
    state.last_ok_poll = poll
    state.updated_at = now
    # Counted in the row's own UPDATE, as an increment (F): concurrent writers never lose one.
    state.polls_total = F("polls_total") + 1
    facts = dict(state.config_facts or {})
    if config is not None and cmds.CONFIG not in unchanged:
        # The facts are shown to every viewer: a trustpoint's `password`, a URL's credentials are masked.
        for key, value in config.items():
            if key not in ("certificate_chains", "warnings", "error"):
                facts[key] = redact_value(value, device.platform)
        state.hostname = str(config.get("hostname") or "")[:128]
        state.domain_name = str(config.get("domain_name") or "")[:255]
        state.isakmp_identity = str(config.get("isakmp_identity") or "")[:32]
        fields += ["hostname", "domain_name", "isakmp_identity"]
    state.config_facts = _transport_facts(device, facts)
    if cmds.CLOCK in results:
        clock = results[cmds.CLOCK]
        moment = device_clock(clock.result, config if config is not None else state.config_facts)
        state.device_clock = moment
        state.clock_read_at = clock.out.received_at
        state.clock_skew_seconds = (
            round((moment - clock.out.received_at.astimezone(UTC)).total_seconds(), 3) if moment else None
        )
        auth = clock.result.get("authoritative")
        state.clock_authoritative = auth if isinstance(auth, bool) else None
        fields += ["device_clock", "clock_read_at", "clock_skew_seconds", "clock_authoritative"]
    if cmds.ENGINE in results and cmds.ENGINE not in unchanged:
        engine = results[cmds.ENGINE].result
        state.engine = redact_value({k: v for k, v in engine.items() if k not in ("warnings", "error")})
        fields.append("engine")
    _write_state(state, fields)
    # IKEv1 and IKEv2 SAs are one list (the poller leaves IKE out when the IKEv2 command failed).
    if cmds.IKE in results:
        if cmds.IKE in unchanged and (cmds.IKEV2 in unchanged or cmds.IKEV2 not in results):
            touch_last_seen(device.pk, now, [(IkeSa, "active")])  # no ORM query to compile
        else:
            ike_sas = list(results[cmds.IKE].result.get("ike_sas") or [])
            if cmds.IKEV2 in results:
                ike_sas += results[cmds.IKEV2].result.get("ike_sas") or []
            _apply_ike(device, ike_sas, now)
    if cmds.IPSEC in results:
        ipsec = results[cmds.IPSEC]
        applied.sampled = _apply_ipsec(device, ipsec.result.get("ipsec_sas") or [], now)
        applied.sampled_at = ipsec.out.received_at
    return applied


def _write_state(state: DeviceState, fields: list[str]) -> None:
    """The state row's fields in one UPDATE (no signal; the poll's finish bumps the page cache), as text
    (devices/plainsql.py); polls_total, set to F("polls_total") + 1, is added to in the statement."""
    values = {name: getattr(state, name) for name in fields if name != "polls_total"}
    values["last_poll_id"] = values.pop("last_poll").pk
    values["last_ok_poll_id"] = values.pop("last_ok_poll").pk
    update_row(DeviceState, state.pk, values, {"polls_total": 1} if "polls_total" in fields else None)


def _apply_ike(device: Device, sas: list[dict[str, Any]], now: datetime) -> None:
    # Keyed with the version: an IKEv1 conn-id and an IKEv2 tunnel-id may be the same number.
    existing = {
        (r.src, r.dst, r.conn_id, r.version): r for r in IkeSa.objects.filter(device=device, active=True)
    }
    seen: set[int] = set()
    untouched: list[int] = []
    for sa in sas:
        src, dst = _ip(sa.get("src")), _ip(sa.get("dst"))
        conn_id = sa.get("conn_id") if isinstance(sa.get("conn_id"), int) else None
        peer = _ip(sa.get("peer")) or dst
        version = str(sa.get("version") or "")[:8]
        values = {
            "peer": peer,
            "state": str(sa.get("state") or "")[:32],
            "slot": sa.get("slot") if isinstance(sa.get("slot"), int) else None,
            "status": str(sa.get("status") or "")[:32],
            "version": version,
            "role": str(sa.get("role") or "")[:16],
            "last_seen": now,
            "active": True,
        }
        row = existing.get((src, dst, conn_id, version))
        if row is None:
            row = IkeSa.objects.create(
                device=device, src=src, dst=dst, conn_id=conn_id, first_seen=now, **values
            )
        elif any(getattr(row, k) != v for k, v in values.items() if k != "last_seen"):
            for key, value in values.items():
                setattr(row, key, value)
            row.save()
        else:
            untouched.append(row.pk)
        seen.add(row.pk)
    if untouched:
        IkeSa.objects.filter(pk__in=untouched).update(last_seen=now)
    gone = [r.pk for r in existing.values() if r.pk not in seen]
    if gone:
        IkeSa.objects.filter(pk__in=gone).update(active=False)


def _spis(entry: dict[str, Any], key: str) -> list[int]:
    return [
        sa["spi"]
        for sa in entry.get(key) or []
        if isinstance(sa, dict) and isinstance(sa.get("spi"), int) and sa["spi"]
    ]


def _apply_ipsec(
    device: Device, entries: list[dict[str, Any]], now: datetime
) -> list[tuple[IpsecSa, dict[str, int]]]:
    existing = {
        (r.interface, r.local_ident, r.remote_ident, r.current_peer): r for r in ipsec_rows(device.pk)
    }
    sampled: list[tuple[IpsecSa, dict[str, int]]] = []
    seen: set[int] = set()
    changed: list[tuple[IpsecSa, dict[str, Any]]] = []
    for entry in entries:
        key = (
            str(entry.get("interface") or "")[:64],
            ident_text(entry.get("local_ident")),
            ident_text(entry.get("remote_ident")),
            _ip(entry.get("current_peer")),
        )
        counters = {k: _int(v) for k, v in (entry.get("counters") or {}).items()}
        inbound = _spis(entry, "inbound_esp") or _spis(entry, "inbound_ah")
        outbound = _spis(entry, "outbound_esp") or _spis(entry, "outbound_ah")
        current_out = entry.get("current_outbound_spi")
        outbound_spi = (
            current_out
            if isinstance(current_out, int) and current_out
            else (outbound[-1] if outbound else None)
        )
        # The newest inbound SA is listed last on IOS and PIX; the outbound one names it on the peer.
        inbound_spi = inbound[-1] if inbound else None
        lead = next(
            (
                sa
                for name in SA_LISTS
                for sa in entry.get(name) or []
                if isinstance(sa, dict) and sa.get("spi") == inbound_spi
            ),
            None,
        ) or next((sa for name in SA_LISTS for sa in entry.get(name) or [] if isinstance(sa, dict)), {})
        active = bool(inbound or outbound)
        values: dict[str, Any] = {
            "crypto_map": str(entry.get("crypto_map") or "")[:64],
            "local_addr": _ip(entry.get("local_addr")) or _ip(entry.get("local_endpoint")),
            "inbound_spi": inbound_spi,
            "outbound_spi": outbound_spi,
            "transform": str(lead.get("transform") or "")[:128],
            "mode": str(lead.get("mode") or "")[:16],
            "remaining_kb": lead.get("remaining_kb") if isinstance(lead.get("remaining_kb"), int) else None,
            "remaining_sec": lead.get("remaining_sec")
            if isinstance(lead.get("remaining_sec"), int)
            else None,
            "counters": counters,
            "sas": {name: entry.get(name) or [] for name in SA_LISTS},
            "last_seen": now,
            "active": active,
        }
        for name in COUNTER_FIELDS:
            values[name] = counters.get(name, 0)
        row = existing.get(key)
        if row is None:
            row = IpsecSa(
                device=device,
                interface=key[0],
                local_ident=key[1],
                remote_ident=key[2],
                current_peer=key[3],
                first_seen=now,
            )
            for name, value in values.items():
                setattr(row, name, value)
            row.save()
        else:
            moved = {name: value for name, value in values.items() if getattr(row, name) != value}
            for name, value in moved.items():
                setattr(row, name, value)
            changed.append((row, moved))
        seen.add(row.pk)
        if active:  # an ident pair with no SA has nothing to sample
            sampled.append((row, counters))
    # Counters move on every poll of a live SA: a plain UPDATE of what moved per row is far cheaper to
    # build than bulk_update's CASE expressions for the one or few ident pairs a device has.
    for row, moved in changed:
        if moved:
            update_row(IpsecSa, row.pk, moved)  # as text: no ORM compile (devices/plainsql.py)
    gone = [r.pk for r in existing.values() if r.pk not in seen and r.active]
    if gone:
        IpsecSa.objects.filter(pk__in=gone).update(active=False)
    return sampled
