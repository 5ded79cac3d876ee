"""`manage.py syslog`: the syslog receiver (docs/syslog.md), a long-running service of its own."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.utils.translation import gettext

from events.receiver import Receiver, ReceiverConfig, serve, split_address
from events.sources import build_index
from events.store import store_events


def _report(counters: dict[str, int]) -> None:
    from vpnportal.tasks import record_heartbeat

    try:
        keys = ("received", "stored", "unknown_source", "rate_limited", "queue_full", "garbage")
        record_heartbeat("syslog", detail=" ".join(f"{k}={counters[k]}" for k in keys))
    except Exception:  # the database is away: the next report tries again
        connection.close()


def _reset() -> None:
    with contextlib.suppress(Exception):  # a connection the server already dropped
        connection.close()


def _store(batch: list[Any]) -> None:
    close_old_connections()
    store_events(batch)


class Command(BaseCommand):
    help = "Receive device syslog on UDP and TCP, store the events and trigger the polls they call for."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--udp", default="0.0.0.0:5514", help="HOST:PORT, or 'off' (default 0.0.0.0:5514)"
        )
        parser.add_argument(
            "--tcp", default="0.0.0.0:5514", help="HOST:PORT, or 'off' (default 0.0.0.0:5514)"
        )
        parser.add_argument(
            "--stats-seconds", type=float, default=60.0, help="how often to print the counters (default 60)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            udp = None if options["udp"] == "off" else split_address(options["udp"])
            tcp = None if options["tcp"] == "off" else split_address(options["tcp"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if udp is None and tcp is None:
            raise CommandError(gettext("nothing to listen on: --udp and --tcp are both off"))
        config = ReceiverConfig(
            queue_size=settings.SYSLOG_QUEUE_SIZE,
            rate_per_device=settings.SYSLOG_RATE_PER_DEVICE,
            index_seconds=settings.SYSLOG_INDEX_SECONDS,
            stats_seconds=options["stats_seconds"],
            load_index=build_index,
            store=_store,
            report=_report,
            reset_connection=_reset,
            transient=(OperationalError, InterfaceError, OSError),
        )
        asyncio.run(self._run(config, udp, tcp))

    async def _run(
        self, config: ReceiverConfig, udp: tuple[str, int] | None, tcp: tuple[str, int] | None
    ) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(Receiver(config), udp, tcp, stop)
