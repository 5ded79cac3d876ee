"""Syslog from the simulated devices: each persona sends what its platform logs, in its own format, over UDP.

Given a collector (`--syslog HOST:PORT`, `Simulator(syslog=...)`), a device sends on every change of its
state: a tunnel going down or coming back (the tunnel_down fault, a failing phase 1 whose SAs ran out, a
recovery), a reboot, a certificate granted or expired, and whatever else it logs (`Device.syslog`).

| persona | header (as configured on the device) | tunnel down / up |
|---|---|---|
| seed-router, ios15 | `<189>SEQ: HOST: *Mmm dd hh:mm:ss.mmm UTC: ` (sequence numbers, origin-id hostname) | `%CRYPTO-5-SESSION_STATUS` |
| asa9 | `<166>Mmm dd yyyy hh:mm:ss HOST : ` (logging device-id hostname) | `%ASA-6-602304` + `%ASA-4-113019` / `%ASA-5-713119`, `713120`, `602303` |
| seed-pix | `<166>HOST: ` (logging device-id hostname) | `%PIX-6-602302` / `%PIX-6-602301` |

Every device listens on 127.0.0.1, so they all send from there too: the receiver tells them apart by the
hostname (docs/syslog.md). Imports nothing from the product.
"""

from __future__ import annotations

import socket
from datetime import UTC
from typing import TYPE_CHECKING

from .clock import MONTHS

if TYPE_CHECKING:
    from .device import Device
    from .tunnel_state import Tunnel

LOCAL7, LOCAL4 = 23, 20


def split_collector(text: str) -> tuple[str, int]:
    """`HOST:PORT` as (host, port)."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"syslog collector must be HOST:PORT, not {text!r}")
    return host, int(port)


class SyslogSender:
    """Formats and sends the devices' syslog to one collector; remembers what each tunnel last looked like."""

    def __init__(self, collector: str) -> None:
        self.collector = split_collector(collector)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sequence: dict[str, int] = {}
        self.alive: dict[str, bool] = {}
        self.spis: dict[tuple[str, str], int] = {}
        self.expired: dict[str, bool] = {}
        self.sent = 0

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()

    # -- formats ----------------------------------------------------------------------------------
    def frame(self, dev: Device, severity: int, mnemonic: str, text: str) -> bytes:
        """One message in the persona's own format; `mnemonic` is `FAC-SEV-NAME` or an ASA/PIX id."""
        now = dev.now().astimezone(UTC)
        if dev.kind in ("asa9", "pix60"):
            facility = "ASA" if dev.kind == "asa9" else "PIX"
            body = f"%{facility}-{severity}-{mnemonic}: {text}"
            if dev.kind == "asa9":
                stamp = f"{MONTHS[now.month - 1]} {now.day:02d} {now.year} {now:%H:%M:%S}"
                return f"<{LOCAL4 * 8 + severity}>{stamp} {dev.hostname} : {body}".encode()
            return f"<{LOCAL4 * 8 + severity}>{dev.hostname}: {body}".encode()
        seq = self.sequence[dev.name] = self.sequence.get(dev.name, 0) + 1
        stamp = f"*{MONTHS[now.month - 1]} {now.day:>2} {now:%H:%M:%S}.{now.microsecond // 1000:03d} UTC"
        return f"<{LOCAL7 * 8 + severity}>{seq}: {dev.hostname}: {stamp}: %{mnemonic}: {text}".encode()

    def send(self, dev: Device, severity: int, mnemonic: str, text: str) -> None:
        """Send one message (UDP: a collector that is away loses it, as with a real device)."""
        try:
            self.sock.sendto(self.frame(dev, severity, mnemonic, text), self.collector)
            self.sent += 1
        except OSError:
            pass

    def forward(self, dev: Device, message: str) -> None:
        """A line the device logs anyway (`Device.syslog`): sent as it carries `%FAC-SEV-NAME: text`."""
        start = message.find("%")
        if start < 0:
            return
        head, _, text = message[start + 1 :].partition(": ")
        parts = head.split("-")
        if len(parts) < 3 or not parts[-2].isdigit():
            return
        self.send(dev, int(parts[-2]), parts[-1] if dev.kind in ("asa9", "pix60") else head, text)

    # -- what each platform says ------------------------------------------------------------------
    def tunnel_changed(self, dev: Device, peer: Device, up: bool, spi: int) -> None:
        """`dev`'s side of a tunnel to `peer` went down or came up."""
        local, remote = dev.outside_ip, peer.outside_ip
        if dev.kind == "asa9":
            if up:
                self.send(dev, 5, "713119", f"Group = {remote}, IP = {remote}, PHASE 1 COMPLETED")
                self.send(
                    dev, 5, "713120", f"Group = {remote}, IP = {remote}, PHASE 2 COMPLETED (msgid=00000001)"
                )
                self.send(
                    dev,
                    6,
                    "602303",
                    f"IPSEC: An outbound LAN-to-LAN SA (SPI= 0x{spi:08X}) between {local} and "
                    f"{remote} (user= {remote}) has been created.",
                )
            else:
                self.send(
                    dev,
                    6,
                    "602304",
                    f"IPSEC: An outbound LAN-to-LAN SA (SPI= 0x{spi:08X}) between {local} and "
                    f"{remote} (user= {remote}) has been deleted.",
                )
                self.send(
                    dev,
                    4,
                    "113019",
                    f"Group = {remote}, Username = {remote}, IP = {remote}, Session disconnected. "
                    "Session Type: LAN-to-LAN, Duration: 0h:00m:00s, Bytes xmt: 0, Bytes rcv: 0, Reason: Lost Service",
                )
        elif dev.kind == "pix60":
            what = "sa created" if up else "deleting SA"
            self.send(
                dev,
                6,
                "602301" if up else "602302",
                f"{what}, (sa) sa_dest= {remote}, sa_prot= 50, sa_spi= 0x{spi:x}({spi}), "
                f"sa_trans= {dev.transforms} , sa_conn_id= {dev.ipsec_conn_base}",
            )
        else:
            state = "UP" if up else "DOWN"
            self.send(
                dev, 5, "CRYPTO-5-SESSION_STATUS", f"Crypto tunnel is {state}. Peer {remote}:500 Id: {remote}"
            )

    def restarted(self, dev: Device) -> None:
        """The device reloads."""
        if dev.kind == "asa9":
            self.send(dev, 1, "199005", f"Reload requested from {dev.username} at console")
        elif dev.kind == "pix60":
            self.send(dev, 1, "199005", "Reload requested")
        else:
            self.send(dev, 5, "SYS-5-RESTART", "System restarted --")

    def certificate_expired(self, dev: Device, serial: str) -> None:
        """The device's own certificate has run out."""
        if dev.kind in ("asa9", "pix60"):
            self.send(
                dev,
                3,
                "717009",
                f"Certificate validation failed. Reason: certificate expired (serial {serial}).",
            )
        else:
            self.send(
                dev,
                3,
                "PKI-3-CERTIFICATE_INVALID_EXPIRED",
                f"Certificate chain validation has failed.  The certificate (SN: {serial}) has expired.",
            )

    # -- watching the state -------------------------------------------------------------------------
    def observe(self, devices: dict[str, Device], tunnels: list[Tunnel], t: float) -> None:
        """Compare each tunnel and identity with what was last seen; send what changed."""
        for tunnel in tunnels:
            a, b = devices[tunnel.a], devices[tunnel.b]
            view_a, view_b = tunnel.view(tunnel.a, t), tunnel.view(tunnel.b, t)
            alive = view_a.alive
            before = self.alive.get(tunnel.name)
            self.alive[tunnel.name] = alive
            if alive:
                self.spis[(tunnel.name, tunnel.a)] = view_a.spi_out
                self.spis[(tunnel.name, tunnel.b)] = view_b.spi_out
            if before is None or before == alive:
                continue
            for dev, peer in ((a, b), (b, a)):
                self.tunnel_changed(dev, peer, alive, self.spis.get((tunnel.name, dev.name), 0))
        for dev in devices.values():
            ident = dev.identity()
            if ident is None or ident.not_after is None:
                continue
            expired = dev.now() > ident.not_after
            if expired and self.expired.get(dev.name) is False:
                self.certificate_expired(dev, ident.serial_hex)
            self.expired[dev.name] = expired
