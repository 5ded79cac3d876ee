"""Rows for alert tests: devices with polls and state, tunnels with SAs and samples, certificates, CRLs."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count
from typing import Any

from django.utils import timezone

from devices.choices import Platform, PollStatus, TunnelStatus
from devices.models import CounterSample, Device, DeviceState, IpsecSa, Poll, Tunnel
from pki.choices import CertificateRole, CertificateStatus
from pki.models import Certificate, Crl, Trustpoint

_serials = count(0x3B2FD700)


def make_device(name: str = "1720-1", **fields: Any) -> Device:
    """An enabled router with no polls yet."""
    fields.setdefault("platform", Platform.CISCO_IOS)
    return Device.objects.create(name=name, host="127.0.0.1", port=2201, username="cisco", **fields)


def poll(
    device: Device,
    status: str = PollStatus.OK,
    at: datetime | None = None,
    reason: str = "",
    clock_skew: float | None = 0.0,
    device_clock: datetime | None = None,
) -> Poll:
    """Record a finished poll and point the device's state at it, as devices/state.py does."""
    at = at or timezone.now()
    # Several polls in one test may share `at`: the slot only needs to be unique per device.
    slot = at
    while Poll.objects.filter(device=device, slot=slot).exists():
        slot += timedelta(microseconds=1)
    p = Poll.objects.create(
        device=device, slot=slot, status=status, reason=reason, started_at=at, finished_at=at
    )
    state, _ = DeviceState.objects.get_or_create(device=device)
    state.last_poll = p
    if status == PollStatus.FAILED:
        state.stale = True
    else:
        state.stale = False
        state.last_ok_poll = p
        state.clock_read_at = at
        state.clock_skew_seconds = clock_skew
        state.device_clock = device_clock or (at + timedelta(seconds=clock_skew or 0))
    state.save()
    return p


def make_cert(
    device: Device,
    valid_to: datetime,
    valid_from: datetime | None = None,
    trustpoint: str = "vpn",
    role: str = CertificateRole.IDENTITY,
    status: str = CertificateStatus.AVAILABLE,
    serial: str | None = None,
    **fields: Any,
) -> Certificate:
    """A certificate the device holds on the named trustpoint."""
    tp, _ = Trustpoint.objects.get_or_create(device=device, name=trustpoint)
    serial = serial if serial is not None else f"{next(_serials):X}"
    return Certificate.objects.create(
        device=device,
        trustpoint=tp,
        key=serial or f"pending:{next(_serials):X}",
        role=role,
        status=status,
        serial=serial,
        subject_name=f"{device.name}.cisco.com",
        valid_from=valid_from or (valid_to - timedelta(days=365)),
        valid_to=valid_to,
        **fields,
    )


def make_crl(
    device: Device, next_update: datetime, last_update: datetime | None = None, **fields: Any
) -> Crl:
    """A CRL from the seed's CRL issuer."""
    fields.setdefault("issuer", "CN=CRL1, OU=sjvpn, O=cisco, C=us")
    return Crl.objects.create(
        device=device,
        last_update=last_update or (next_update - timedelta(days=1)),
        next_update=next_update,
        **fields,
    )


def make_tunnel(a: Device, b: Device, name: str = "hq-branch", **fields: Any) -> Tunnel:
    """A tunnel between two devices, up unless told otherwise."""
    fields.setdefault("status", TunnelStatus.UP)
    fields.setdefault("spi_mirror_ok", True)
    return Tunnel.objects.create(name=name, end_a=a, end_b=b, **fields)


def make_sa(
    device: Device, tunnel: Tunnel | None, inbound: int | None, outbound: int | None, **fields: Any
) -> IpsecSa:
    """The ident pair of a tunnel on one end, with its current SPIs."""
    local, remote = ("1.1.1.0/255.255.255.0/0/0", "192.168.4.0/255.255.255.0/0/0")
    if tunnel is not None and device.pk == tunnel.end_b_id:
        local, remote = remote, local
    return IpsecSa.objects.create(
        device=device,
        tunnel=tunnel,
        interface="FastEthernet0",
        local_ident=local,
        remote_ident=remote,
        inbound_spi=inbound,
        outbound_spi=outbound,
        **fields,
    )


def sample(
    sa: IpsecSa,
    p: Poll,
    d_encaps: int = 100,
    d_decaps: int = 100,
    d_errors: int = 0,
    reset: bool = False,
    interval: float = 300.0,
) -> CounterSample:
    """A counter sample of one ident pair taken at poll `p`."""
    return CounterSample.objects.create(
        ipsec_sa=sa,
        poll=p,
        at=p.started_at,
        inbound_spi=sa.inbound_spi,
        outbound_spi=sa.outbound_spi,
        d_encaps=d_encaps,
        d_decaps=d_decaps,
        d_errors=d_errors,
        send_errors=d_errors,
        reset=reset,
        interval_seconds=interval,
    )
