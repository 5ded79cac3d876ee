"""Rows that look like the seed pair 1720-1 and pix520-1 after a few polls, for page, API and browser tests."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256

from django.utils import timezone

from devices.choices import Platform, PollStatus, RollupPeriod, Transport, TunnelStatus
from devices.models import (
    CounterRollup,
    CounterSample,
    Device,
    DeviceState,
    IkeSa,
    IpsecSa,
    Poll,
    PollOutput,
    RawOutput,
    Tunnel,
)
from pki.choices import CertificateRole, CertificateStatus
from pki.models import Certificate, Crl, Trustpoint
from vpnportal.choices import AlertKind, AlertState, Severity
from vpnportal.models import Alert, Heartbeat

ROUTER_IN, ROUTER_OUT = 0xD740971C, 0x3803A0C1
SECRET_PASSWORD = "s3cret-router-password"
SECRET_ENABLE = "s3cret-enable-ww"

ISAKMP_OUTPUT = """dst             src             state          conn-id   slot
172.16.172.39   172.16.172.34   QM_IDLE            110      0
"""


@dataclass
class Seed:
    """The rows tests refer to by name."""

    router: Device
    pix: Device
    tunnel: Tunnel
    router_sa: IpsecSa
    pix_sa: IpsecSa
    router_cert: Certificate
    pix_cert: Certificate
    crl: Crl
    alert: Alert
    resolved_alert: Alert


def _raw(text: str) -> RawOutput:
    data = text.encode()
    raw, _ = RawOutput.objects.get_or_create(
        sha256=sha256(data).hexdigest(), defaults={"size": len(data), "content": zlib.compress(data)}
    )
    return raw


def _device(name: str, platform: str, port: int, transport: str, now: datetime, skew: float) -> Device:
    device = Device.objects.create(
        name=name,
        host="127.0.0.1",
        port=port,
        platform=platform,
        transport=transport,
        username="cisco",
        password=SECRET_PASSWORD,
        secret=SECRET_ENABLE,
    )
    poll = Poll.objects.create(
        device=device,
        slot=now - timedelta(minutes=2),
        status=PollStatus.OK,
        started_at=now - timedelta(minutes=2),
        finished_at=now - timedelta(minutes=2) + timedelta(seconds=3),
        duration_ms=3100,
    )
    Poll.objects.create(
        device=device,
        slot=now - timedelta(minutes=7),
        status=PollStatus.FAILED,
        reason="connect: timed out after 15 s",
        started_at=now - timedelta(minutes=7),
        finished_at=now - timedelta(minutes=7) + timedelta(seconds=15),
        duration_ms=15000,
    )
    PollOutput.objects.create(
        poll=poll, command="show crypto isakmp sa", raw=_raw(ISAKMP_OUTPUT), duration_ms=120
    )
    PollOutput.objects.create(
        poll=poll, command="show clock", raw=_raw(f"*{now:%H:%M:%S}.000 UTC\n"), duration_ms=40
    )
    DeviceState.objects.create(
        device=device,
        last_poll=poll,
        last_ok_poll=poll,
        stale=False,
        device_clock=now + timedelta(seconds=skew),
        clock_read_at=now,
        clock_skew_seconds=skew,
        hostname=name,
        domain_name="cisco.com" if platform == Platform.CISCO_IOS else "vpn.com",
        isakmp_identity="hostname",
        config_facts={"hostname": name, "isakmp_identity": "hostname", "trustpoints": [{"name": "vpn"}]},
        polls_total=2,  # the two polls above, as the poller counts them
        poll_failures_total=1,
    )
    IkeSa.objects.create(
        device=device,
        dst="172.16.172.39" if platform == Platform.CISCO_IOS else "172.16.172.34",
        src="172.16.172.34" if platform == Platform.CISCO_IOS else "172.16.172.39",
        peer="172.16.172.34" if platform == Platform.CISCO_IOS else "172.16.172.39",
        state="QM_IDLE",
        conn_id=110,
        slot=0,
    )
    return device


def _sa(
    device: Device, tunnel: Tunnel, inbound: int, outbound: int, peer: str, local: str, remote: str
) -> IpsecSa:
    return IpsecSa.objects.create(
        device=device,
        tunnel=tunnel,
        interface="FastEthernet0" if device.platform == Platform.CISCO_IOS else "outside",
        crypto_map="vpn" if device.platform == Platform.CISCO_IOS else "mymap",
        local_addr="172.16.172.39" if device.platform == Platform.CISCO_IOS else "172.16.172.34",
        current_peer=peer,
        local_ident=local,
        remote_ident=remote,
        inbound_spi=inbound,
        outbound_spi=outbound,
        transform="esp-des esp-md5-hmac",
        mode="Tunnel",
        remaining_kb=4607999,
        remaining_sec=3150,
        pkts_encaps=3000,
        pkts_encrypt=3000,
        pkts_digest=3000,
        pkts_decaps=2990,
        pkts_decrypt=2990,
        pkts_verify=2990,
        counters={"pkts_compressed": 0, "pkts_decompress_failed": 0},
    )


def _history(sa: IpsecSa, now: datetime, rate: int) -> None:
    """An hour of 5-minute samples and a week of hourly rollups."""
    CounterSample.objects.bulk_create(
        CounterSample(
            ipsec_sa=sa,
            at=now - timedelta(minutes=5 * i),
            inbound_spi=sa.inbound_spi,
            outbound_spi=sa.outbound_spi,
            pkts_encaps=3000 - i * rate * 300,
            pkts_decaps=2990 - i * rate * 300,
            d_encaps=rate * 300 + i,
            d_decaps=rate * 300 - i,
            d_errors=1 if i == 3 else 0,
            interval_seconds=300,
        )
        for i in range(12, -1, -1)
    )
    CounterRollup.objects.bulk_create(
        CounterRollup(
            ipsec_sa=sa,
            period=RollupPeriod.HOUR,
            bucket=(now - timedelta(hours=h)).replace(minute=0, second=0, microsecond=0),
            samples=12,
            d_encaps=rate * 3600,
            d_decaps=rate * 3500,
            d_errors=h % 5,
            seconds=3600,
        )
        for h in range(1, 24 * 7)
    )


def make_seed(now: datetime | None = None) -> Seed:
    """1720-1 and pix520-1 with the hq-branch tunnel up, their certificates, a CRL and alerts."""
    now = now or timezone.now()
    router = _device("1720-1", Platform.CISCO_IOS, 2201, Transport.SSH, now, 2.5)
    pix = _device("pix520-1", Platform.CISCO_PIX, 2202, Transport.TELNET, now, 75.0)
    tunnel = Tunnel.objects.create(
        name="hq-branch",
        end_a=router,
        end_b=pix,
        status=TunnelStatus.UP,
        status_reason="both ends report mirrored SAs",
        status_changed_at=now - timedelta(days=2),
        spi_mirror_ok=True,
    )
    router_sa = _sa(
        router,
        tunnel,
        ROUTER_IN,
        ROUTER_OUT,
        "172.16.172.34",
        "1.1.1.0/255.255.255.0/0/0",
        "192.168.4.0/255.255.255.0/0/0",
    )
    pix_sa = _sa(
        pix,
        tunnel,
        ROUTER_OUT,
        ROUTER_IN,
        "172.16.172.39",
        "192.168.4.0/255.255.255.0/0/0",
        "1.1.1.0/255.255.255.0/0/0",
    )
    _history(router_sa, now, 10)
    _history(pix_sa, now, 9)
    tp_router = Trustpoint.objects.create(device=router, name="vpn", enrollment_url="http://171.69.89.16:80")
    tp_pix = Trustpoint.objects.create(
        device=pix, name="cisco", enrollment_url="http://171.69.89.16:80/cgi-bin"
    )
    router_cert = Certificate.objects.create(
        device=router,
        trustpoint=tp_router,
        key="3B2FD652",
        role=CertificateRole.IDENTITY,
        status=CertificateStatus.AVAILABLE,
        serial="3B2FD652",
        subject="CN=1720-1.cisco.com",
        subject_name="1720-1.cisco.com",
        issuer="CN=CA1, OU=sjvpn, O=cisco, C=us",
        valid_from=now - timedelta(days=345),
        valid_to=now + timedelta(days=20, hours=1),
        x509={
            "serial": "3B2FD652",
            "key_bits": 512,
            "signature_algorithm": "sha1WithRSAEncryption",
            "signature_valid": True,
        },
    )
    pix_cert = Certificate.objects.create(
        device=pix,
        trustpoint=tp_pix,
        key="3B2FD653",
        role=CertificateRole.IDENTITY,
        status=CertificateStatus.AVAILABLE,
        serial="3B2FD653",
        subject="CN=pix520-1.vpn.com",
        subject_name="pix520-1.vpn.com",
        issuer="CN=CA1, OU=sjvpn, O=cisco, C=us",
        valid_from=now - timedelta(days=300),
        valid_to=now + timedelta(days=65, hours=1),
    )
    for device, tp in ((router, tp_router), (pix, tp_pix)):
        Certificate.objects.create(
            device=device,
            trustpoint=tp,
            key="3B2FD307",
            role=CertificateRole.CA,
            status=CertificateStatus.AVAILABLE,
            serial="3B2FD307",
            subject="CN=CA1, OU=sjvpn, O=cisco, C=us",
            issuer="CN=CA1, OU=sjvpn, O=cisco, C=us",
            valid_from=now - timedelta(days=3000),
            valid_to=now + timedelta(days=500, hours=1),
        )
        Certificate.objects.create(
            device=device,
            trustpoint=tp,
            key="3B2FD319",
            role=CertificateRole.RA_SIGNATURE,
            status=CertificateStatus.AVAILABLE,
            serial="3B2FD319",
            subject="CN=RA1, OU=sjvpn, O=cisco, C=us",
            issuer="CN=CA1, OU=sjvpn, O=cisco, C=us",
            valid_from=now - timedelta(days=900),
            valid_to=now - timedelta(days=3, hours=1),
        )
    crl = Crl.objects.create(
        device=router,
        issuer="CN=CRL1, OU=sjvpn, O=cisco, C=us",
        last_update=now - timedelta(hours=14),
        next_update=now + timedelta(hours=10),
        retrieved_from="ldap://171.69.89.16",
    )
    Crl.objects.create(
        device=pix,
        issuer="CN=CRL1, OU=sjvpn, O=cisco, C=us",
        last_update=now - timedelta(hours=14),
        next_update=now + timedelta(hours=40),
    )
    alert = Alert.objects.create(
        kind=AlertKind.CERT_EXPIRING,
        key="cert_expiring:1720-1:3B2FD652",
        device=router,
        subject="3B2FD652",
        severity=Severity.WARNING,
        state=AlertState.FIRING,
        summary="Identity certificate 1720-1.cisco.com expires in 20 days",
        opened_at=now - timedelta(hours=3),
        fired_at=now - timedelta(hours=2),
    )
    resolved = Alert.objects.create(
        kind=AlertKind.POLL_FAILED,
        key="poll_failed:pix520-1:",
        device=pix,
        subject="",
        severity=Severity.CRITICAL,
        state=AlertState.RESOLVED,
        summary="connect: timed out after 15 s",
        opened_at=now - timedelta(minutes=30),
        resolved_at=now - timedelta(minutes=2),
    )
    Heartbeat.objects.create(name="worker", last_seen=now - timedelta(seconds=20), detail="test-host")
    return Seed(router, pix, tunnel, router_sa, pix_sa, router_cert, pix_cert, crl, alert, resolved)
