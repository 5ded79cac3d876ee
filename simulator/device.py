"""One simulated device's state: identity, addresses, certificates, CRL, faults, sessions."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .clock import Zone

if TYPE_CHECKING:
    from .simulator import Simulator
    from .tunnel_state import Tunnel


@dataclass
class CertEntry:
    """A certificate as a device lists it (`show crypto ca certificates`)."""

    role: str  # identity | ra_signature | ra_encryption | ca
    serial: int
    status: str  # Available | Pending
    issuer: list[tuple[str, str]]  # display order, most specific first: [("OU", "sjvpn"), ...]
    subject: list[tuple[str, str]]
    subject_name: str | None  # the FQDN for identity certificates
    not_before: datetime | None
    not_after: datetime | None
    der: bytes | None = None
    fingerprint: str | None = None  # pending requests show the request's MD5
    key_usage: str = "General Purpose"

    @property
    def serial_hex(self) -> str:
        """Upper-case hex as IOS prints it."""
        return f"{self.serial:X}"


@dataclass
class CrlEntry:
    """A CRL the device holds."""

    issuer: str
    last_update: datetime
    next_update: datetime
    retrieved_from: str = "LDAP: CN = CRL1, OU = sjvpn, O = cisco, C = us"


@dataclass
class Enrollment:
    """A certificate request the CA has not answered yet."""

    trustpoint: str
    requested_at: float  # simulated seconds
    due_at: float | None  # None: never (CA unreachable)
    fingerprint: str
    ip_address: str | None
    device_serial: str | None
    session_ids: set[int] = field(default_factory=set)


@dataclass
class TunnelEnd:
    """This device's side of a tunnel."""

    tunnel: Tunnel
    peer: Device


@dataclass
class Device:
    """A simulated router or firewall."""

    name: str
    kind: str  # ios122 | ios15 | pix60 | asa9
    platform: str
    hostname: str
    domain: str
    username: str
    password: str
    enable: str
    zone: Zone
    outside_if: str
    outside_ip: str
    outside_mask: str
    inside_net: str
    inside_mask: str
    crypto_map: str
    crypto_map_seq: int
    transform_set: str
    transforms: str
    acl: int
    trustpoint: str
    enrollment_url: str
    ca_profile: str
    isakmp_identity: str = "hostname"
    ike_conn_id: int = 110
    ipsec_conn_base: int = 200
    serial_number: str = "12345678"
    model: str = ""
    version: str = ""
    boot_at: float = -(3 * 86400 + 9 * 3600)  # simulated seconds; the seed's logs say 3d09h
    clock_offset: float = 0.0
    clock_authoritative: bool = True
    pager_lines: int = 24
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)
    certificates: list[CertEntry] = field(default_factory=list)
    crl: CrlEntry | None = None
    enrollment: Enrollment | None = None
    key_bits: int = 1024
    key_generated_at: datetime | None = None
    tunnels: list[TunnelEnd] = field(default_factory=list)
    log_buffer: list[str] = field(default_factory=list)
    saved_config: bool = True
    cert_validity_days: int = 365
    enroll_delay: float = 5.0
    config_template: str | None = None
    # A file served verbatim as the running configuration (a test's configuration with known secrets).
    running_config_file: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.sessions: dict[int, Any] = {}
        self.sim: Simulator | None = None
        self._key: Any = None

    # -- time ---------------------------------------------------------------------------------
    def elapsed(self) -> float:
        """World simulated seconds (tunnel state time base)."""
        assert self.sim is not None
        return self.sim.clock.elapsed()

    def now(self) -> datetime:
        """The device's own clock (world time plus its offset; `clock set` moves it)."""
        assert self.sim is not None
        return self.sim.clock.now() + timedelta(seconds=self.clock_offset)

    def uptime(self) -> float:
        """Seconds since the last (simulated) boot."""
        return self.elapsed() - self.boot_at

    @property
    def fqdn(self) -> str:
        """hostname.domain, the name in its certificate."""
        return f"{self.hostname}.{self.domain}"

    # -- faults ---------------------------------------------------------------------------------
    def has(self, fault: str) -> bool:
        """Whether a fault is active."""
        return fault in self.faults

    def fault_param(self, fault: str, key: str, default: Any) -> Any:
        """A fault's parameter, or the default."""
        return (self.faults.get(fault) or {}).get(key, default)

    # -- keys and certificates ---------------------------------------------------------------
    def key(self) -> Any:
        """The device's RSA key (generated on first use and kept in the state folder)."""
        from .ca import load_or_create_key

        if self._key is None:
            assert self.sim is not None
            self._key = load_or_create_key(self.sim.state_dir / "keys" / f"{self.name}.key", self.key_bits)
        return self._key

    def identity(self) -> CertEntry | None:
        """The identity certificate (Available or Pending), if any."""
        return next((c for c in self.certificates if c.role == "identity"), None)

    def ca_cert(self) -> CertEntry | None:
        """The CA certificate of the trustpoint."""
        return next((c for c in self.certificates if c.role == "ca"), None)

    def ensure_der(self) -> None:
        """Give generated (non-seed) Available certificates real DER, signed by the simulator's CA."""
        assert self.sim is not None
        ca = self.sim.ca(self.ca_profile)
        for cert in self.certificates:
            if cert.der is not None or cert.status != "Available":
                continue
            if cert.role == "ca":
                cert.der = ca.certificate.public_bytes(serialization.Encoding.DER)
            elif cert.role == "identity" and cert.not_before and cert.not_after:
                issued = ca.issue(
                    fqdn=self.fqdn,
                    public_key=self.key().public_key(),
                    not_before=cert.not_before,
                    not_after=cert.not_after,
                    serial=cert.serial,
                )
                cert.der = issued.public_bytes(serialization.Encoding.DER)

    def x509_identity(self) -> x509.Certificate | None:
        """The identity certificate as an X.509 object (None when pending or absent)."""
        cert = self.identity()
        if cert is None or cert.status != "Available":
            return None
        self.ensure_der()
        assert cert.der is not None
        return x509.load_der_x509_certificate(cert.der)

    # -- sessions and logs ------------------------------------------------------------------
    def log_path(self) -> Path:
        """Where every line this device receives is written."""
        assert self.sim is not None
        return self.sim.state_dir / "logs" / f"{self.name}.log"

    def log_received(self, session_id: int, transport: str, line: str, kind: str = "line") -> None:
        """Append one received line (verbatim) to the device's log."""
        assert self.sim is not None
        stamp = self.sim.clock.now().strftime("%Y-%m-%dT%H:%M:%S")
        path = self.log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"{stamp} {transport}#{session_id} {kind}: {line}\n")

    def syslog(self, message: str, to_sessions: set[int] | None = None) -> None:
        """Record a log message and print it on monitor terminals (and the sessions named)."""
        self.log_buffer.append(message)
        del self.log_buffer[:-200]
        if self.sim is not None and self.sim.syslog is not None:
            self.sim.syslog.forward(self, message)
        for sid, session in list(self.sessions.items()):
            if session.monitor or (to_sessions and sid in to_sessions):
                session.notify(message)
