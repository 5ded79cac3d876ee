"""`manage.py syslog` against the test database: what it stores, what it drops, and that it keeps going."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from django.db import connection

from devices.choices import Platform
from devices.models import Device
from events.models import SyslogEvent
from tests.events.helpers import syslog_receiver
from tests.services import test_database_url as database_url
from tests.services import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DOWN = b"<189>45: r1: *Mar  1 00:12:34.567 UTC: %CRYPTO-5-SESSION_STATUS: Crypto tunnel is DOWN. Peer 10.9.9.9:500"


def _devices() -> tuple[Device, Device]:
    one = Device.objects.create(
        name="r1", host="127.0.0.1", platform=Platform.CISCO_IOS, username="u", port=2
    )
    two = Device.objects.create(
        name="fw1", host="127.0.0.1", platform=Platform.CISCO_ASA, username="u", port=3
    )
    return one, two


def test_it_stores_messages_of_known_devices_and_counts_the_rest(tmp_path: Path) -> None:
    r1, _ = _devices()
    with syslog_receiver(
        tmp_path, {"CELERY_TASK_ALWAYS_EAGER": "0", "REDIS_URL": "redis://127.0.0.1:1/0"}
    ) as rx:
        rx.send_udp(DOWN)
        rx.send_tcp(b"%d %s" % (len(DOWN), DOWN) + b"<166>Mar 01 2024 00:12:34 fw1 : %ASA-6-302013: Built\n")
        rx.send_udp(DOWN, source="127.0.0.2")  # an address no device has: dropped, whatever it says
        rx.send_udp(b"<189>12: nobody: 00:00:01: %SYS-5-RESTART: x")  # shared address, unknown hostname
        for junk in (b"", b"\x00\xff" * 3000, b"not syslog", b"<13>" + b"x" * 60000, bytes(range(256))):
            rx.send_udp(junk)
        rx.send_tcp(b"99999999999 nonsense")
        wait_for(lambda: SyslogEvent.objects.count() >= 3, timeout=60)
        counts = wait_for(
            lambda: (c := rx.counters()) and c["unknown_source"] >= 2 and c["stored"] >= 3 and c, 60
        )
        assert rx.proc.poll() is None
    rows = list(SyslogEvent.objects.order_by("id").values_list("device__name", "kind", "mnemonic"))
    assert sorted(rows) == sorted(
        [
            ("r1", "tunnel_down", "%CRYPTO-5-SESSION_STATUS"),
            ("r1", "tunnel_down", "%CRYPTO-5-SESSION_STATUS"),
            ("fw1", "unclassified", "%ASA-6-302013"),
        ]
    )
    assert counts["garbage"] >= 3 and counts["oversized"] >= 1
    event = SyslogEvent.objects.filter(device=r1).first()
    assert event is not None and event.hostname == "r1" and event.device_time is not None
    assert event.peer == "10.9.9.9" and event.source == "127.0.0.1"


def test_it_bounds_a_burst_of_ten_thousand_messages(tmp_path: Path) -> None:
    _devices()
    env = {
        "SYSLOG_QUEUE_SIZE": "200",
        "SYSLOG_RATE_PER_DEVICE": "100000",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    with syslog_receiver(tmp_path, env) as rx:
        rx.send_udp(DOWN)
        wait_for(lambda: SyslogEvent.objects.exists(), timeout=60)
        before = rx.rss_kb()
        line = b"<166>Mar 01 2024 00:12:34 fw1 : %ASA-6-302013: Built inbound TCP connection " + b"x" * 300
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for i in range(10_000):
                sock.sendto(line + str(i).encode(), ("127.0.0.1", rx.udp_port))
        seen: list[dict[str, int]] = []

        def settled() -> bool:  # the kernel may drop part of a burst itself: wait until nothing moves
            seen.append(rx.counters())
            return len(seen) > 3 and seen[-1] == seen[-4] and seen[-1]["queued"] == 0

        wait_for(settled, timeout=120, interval=0.5)
        counts = seen[-1]
        assert counts["received"] > 1000
        after = rx.rss_kb()
        assert rx.proc.poll() is None
    assert counts["queue_max"] <= 200
    # Whatever the database could not take at once was dropped and counted, never queued without bound.
    assert (
        counts["stored"] + counts["queue_full"] + counts["rate_limited"]
        == counts["received"] - counts["garbage"]
    )
    assert after - before < 60_000, (before, after)


def test_it_keeps_receiving_when_its_database_connection_is_cut(tmp_path: Path) -> None:
    _devices()
    name = f"syslog-test-{tmp_path.name}"[:60]
    env = {"DATABASE_URL": f"{database_url()}?application_name={name}", "REDIS_URL": "redis://127.0.0.1:1/0"}
    with syslog_receiver(tmp_path, env) as rx:
        rx.send_udp(DOWN)
        wait_for(lambda: SyslogEvent.objects.count() == 1, timeout=60)
        with connection.cursor() as cursor:  # what a database restart does to the receiver's session
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", [name]
            )
        rx.send_udp(DOWN)
        wait_for(lambda: SyslogEvent.objects.count() == 2, timeout=60)
        assert rx.proc.poll() is None
