"""Which device sent a syslog message: by source address when exactly one device has it, else by hostname
among the devices that share the address (docs/syslog.md). Unknown addresses match nothing."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field

from devices.models import Device, DeviceState


@dataclass
class DeviceIndex:
    """Enabled devices by address and by the names a message may carry (built once, read per message)."""

    by_address: dict[str, list[int]] = field(default_factory=dict)
    names: dict[int, set[str]] = field(default_factory=dict)
    device_names: dict[int, str] = field(default_factory=dict)

    def match(self, source: str, hostname: str) -> int | None:
        """The id of the device that sent a message from `source` carrying `hostname`, or None."""
        ids = self.by_address.get(_normal(source), [])
        if len(ids) == 1:
            return ids[0]
        wanted = hostname.strip().lower()
        if not ids or not wanted:
            return None
        # Several devices behind one address: the hostname picks one of them, never any other device.
        hits = [i for i in ids if wanted in self.names.get(i, set())]
        return hits[0] if len(hits) == 1 else None


def _normal(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address.strip().lower()
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def _addresses_of(host: str, resolve: bool) -> list[str]:
    host = host.strip()
    try:
        return [_normal(host)] if ipaddress.ip_address(host) else []
    except ValueError:
        pass
    if not resolve:
        return []
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_UDP)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(_normal(str(info[4][0])) for info in infos))


def build_index(resolve: bool = True) -> DeviceIndex:
    """Read the enabled devices and their polled hostnames; resolve hosts that are names."""
    index = DeviceIndex()
    hostnames = dict(DeviceState.objects.values_list("device_id", "hostname"))
    for device_id, name, host in Device.objects.filter(enabled=True).values_list("id", "name", "host"):
        index.device_names[device_id] = name
        index.names[device_id] = {n.lower() for n in (name, hostnames.get(device_id) or "") if n}
        for address in _addresses_of(host, resolve):
            index.by_address.setdefault(address, []).append(device_id)
    return index
