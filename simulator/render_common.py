"""Helpers the per-platform renderers share: masks, views of each tunnel, DN display."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from .device import CertEntry, Device
from .tunnel_state import SaView

# The heading of each certificate in IOS's and PIX 6's certificate listings.
CERT_TITLES = {
    "identity": "Certificate",
    "ra_signature": "RA Signature Certificate",
    "ra_encryption": "RA KeyEncipher Certificate",
    "ca": "CA Certificate",
}


def wildcard(mask: str) -> str:
    """255.255.255.0 -> 0.0.0.255 (IOS access lists)."""
    return str(ipaddress.IPv4Address(int(ipaddress.IPv4Address(mask)) ^ 0xFFFFFFFF))


@dataclass
class Flow:
    """One tunnel as seen from a device at an instant."""

    index: int
    peer_ip: str
    peer_net: str
    peer_mask: str
    peer_fqdn: str
    peer_kind: str  # ios122 | ios15 | pix60 | asa9: what the peer can negotiate
    lifetime_s: int  # the IPsec SA lifetime both ends configure
    ike_version: int  # 1 (ISAKMP) or 2 (IKEv2)
    view: SaView
    is_a: bool  # end `a` answers (dst) and end `b` initiates (src), as in the seed

    def dst_src(self, own_ip: str) -> tuple[str, str]:
        """(dst, src) of the IKE SA: both ends print the same pair."""
        return (own_ip, self.peer_ip) if self.is_a else (self.peer_ip, own_ip)


def flows(device: Device) -> Iterator[Flow]:
    """Each tunnel of `device` with its live view."""
    t = device.elapsed()
    for i, end in enumerate(device.tunnels):
        peer = end.peer
        yield Flow(
            index=i,
            peer_ip=peer.outside_ip,
            peer_net=peer.inside_net,
            peer_mask=peer.inside_mask,
            peer_fqdn=peer.fqdn,
            peer_kind=peer.kind,
            lifetime_s=end.tunnel.lifetime_s,
            ike_version=end.tunnel.ike_version,
            view=end.tunnel.view(device.name, t),
            is_a=end.tunnel.a == device.name,
        )


def dn_display(parts: list[tuple[str, str]], style: str) -> list[str]:
    """Lines for a DN given as (key, value) pairs: `OU = sjvpn` (IOS 12.2/PIX) or `ou=sjvpn` (15/ASA)."""
    if style == "old":
        return [f"{k} = {v}" for k, v in parts]
    return [f"{'hostname' if k == 'unstructuredName' else k.lower()}={v}" for k, v in parts]


def validity_lines(cert: CertEntry, stamp: Callable[[datetime], str]) -> list[str]:
    """A granted certificate's `start date:` / `end   date:` lines, times written by `stamp`."""
    assert cert.not_before and cert.not_after
    return [f"    start date: {stamp(cert.not_before)}", f"    end   date: {stamp(cert.not_after)}"]
