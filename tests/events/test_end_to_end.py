"""End to end: the simulator's syslog reaches `manage.py syslog`, which polls both ends and mails the alert
within seconds; a forged "down" from an unknown address changes nothing; a "down" the polls contradict
raises nothing. Real SSH (the simulator), PostgreSQL, SMTP (aiosmtpd)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command

from devices.choices import TunnelStatus
from devices.inventory import import_inventory
from devices.models import Poll, Tunnel
from events.models import EventPoll, SyslogEvent, TunnelStatusChange
from simulator import run_in_thread
from tests.alerts.smtp import free_port, smtp_server
from tests.events.helpers import syslog_receiver
from tests.services import simulator_state_dir, wait_for
from vpnportal.choices import AlertKind, AlertState
from vpnportal.models import Alert

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SCENARIO: dict[str, Any] = {
    "clock": {"start": "now", "speed": 1.0},
    "validity": {"cert_age_days": 30, "cert_days_left": 335, "crl_age_hours": 1, "crl_hours_left": 200},
    "devices": [{"name": "csr-1", "persona": "ios15"}, {"name": "asa-1", "persona": "asa9"}],
    "tunnels": [{"name": "csr1-asa1", "ends": ["csr-1", "asa-1"], "traffic": {"a_to_b": 20, "b_to_a": 20}}],
}


def _forged_down(peer: str) -> bytes:
    return f"<189>99: csr-1: *Jan  1 00:00:00.000 UTC: %CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer {peer}:500".encode()


def test_syslog_gets_a_dropped_tunnel_mailed_in_seconds_and_nothing_else(
    settings: Any, tmp_path: Path, key_cache: Path
) -> None:
    known = tmp_path / "known_hosts"
    settings.VPNPORTAL_KNOWN_HOSTS = known
    settings.SSH_CONNECT_TIMEOUT, settings.SSH_COMMAND_TIMEOUT = 5, 10
    settings.ALERT_PENDING_POLLS, settings.POLL_INTERVAL_SECONDS = 2, 300
    smtp = free_port()
    env = {
        "DJANGO_SETTINGS_MODULE": "vpnportal.settings",
        "CELERY_TASK_ALWAYS_EAGER": "1",  # the triggered polls run in the receiver: no worker to start
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp),
        "ALERT_EMAIL_TO": "noc@example.com",
        "VPNPORTAL_KNOWN_HOSTS": str(known),
        "ALERT_PENDING_POLLS": "2",
        "POLL_INTERVAL_SECONDS": "300",
        "EVENT_POLL_DEBOUNCE_SECONDS": "2",
        "SSH_CONNECT_TIMEOUT": "5",
        "SSH_COMMAND_TIMEOUT": "10",
    }
    with smtp_server(smtp) as sink, syslog_receiver(tmp_path, env) as rx:
        state = simulator_state_dir(key_cache, tmp_path)
        with run_in_thread(SCENARIO, state_dir=state, syslog=f"127.0.0.1:{rx.udp_port}") as sim:
            import_inventory(yaml.safe_dump(sim.inventory()))
            call_command("poll", stdout=open("/dev/null", "w"))  # noqa: SIM115 - pins the host keys, both up
            tunnel = Tunnel.objects.get(name="csr1-asa1")
            assert tunnel.status == TunnelStatus.UP, tunnel.status_reason
            peer = str(sim.device("asa-1").outside_ip)
            time.sleep(2.5)  # the receiver's device index (refreshed every second) knows the new devices
            polls = Poll.objects.count()

            # 1. Forged: a known hostname from an address no device has. Nothing stored, nothing polled.
            rx.send_udp(_forged_down(peer), source="127.0.0.2")
            wait_for(lambda: rx.counters().get("unknown_source", 0) >= 1, timeout=30)
            assert not SyslogEvent.objects.exists() and not EventPoll.objects.exists()
            assert Poll.objects.count() == polls

            # 2. Contradicted: a "down" from the device's own address; both ends are polled and show it up.
            rx.send_udp(_forged_down(peer))
            wait_for(
                lambda: Poll.objects.count() >= polls + 2 and not Poll.objects.filter(status="running"), 60
            )
            time.sleep(1)
            tunnel.refresh_from_db()
            assert tunnel.status == TunnelStatus.UP
            assert SyslogEvent.objects.get().tunnel == tunnel
            assert not Alert.objects.exists() and sink.messages == []  # not even a pending one
            time.sleep(2.5)  # past the debounce

            # 3. Real: the simulator drops the tunnel; its devices say so; the polls of both ends confirm it.
            dropped = time.monotonic()
            sim.set_fault("csr-1", "tunnel_down")
            wait_for(lambda: sink.messages, timeout=120)
            latency = time.monotonic() - dropped
            body = sink.text(sink.messages[0])
            alert = Alert.objects.get(kind=AlertKind.TUNNEL_DOWN)
            assert alert.state == AlertState.FIRING and alert.tunnel == tunnel
            rx.proc.terminate()  # before the simulator stops: its polls would find the devices gone
            rx.proc.wait(30)
    assert "csr1-asa1" in body
    assert {"tunnel_down", "sa_deleted"} <= set(SyslogEvent.objects.values_list("kind", flat=True))
    change = TunnelStatusChange.objects.filter(tunnel=tunnel, status="down").get()
    assert change.source == "event" and change.event is not None
    assert Alert.objects.count() == 1  # the contradicted and forged "down"s raised nothing
    print(f"tunnel dropped -> alert mail accepted: {latency:.1f} s")
    assert latency < 60  # generous on a busy machine; the bench measures it (bench/bench_syslog.py)
