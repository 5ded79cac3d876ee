"""`manage.py simulate [--scenario FILE] [--base-port 2201] [--state-dir DIR] [--keep-state] [--reset]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from simulator import Simulator, run_forever
from simulator.persist import forget
from simulator.simulator import DEFAULT_BASE_PORT, raise_open_file_limit


class Command(BaseCommand):
    # The simulator needs no database or URLconf: it must start even while the web app cannot.
    requires_system_checks: list[str] = []
    help = "Serve simulated Cisco routers and firewalls over SSH (and telnet) on 127.0.0.1 until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scenario", default=None, help="scenario YAML (default: the seed network)")
        parser.add_argument(
            "--base-port", type=int, default=DEFAULT_BASE_PORT, help="first device's SSH port"
        )
        parser.add_argument(
            "--state-dir",
            default=None,
            help="host keys, CA keys and received-line logs (default var/simulator)",
        )
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument(
            "--keep-state",
            action="store_true",
            help="keep each device's certificates and faults in the state dir across restarts",
        )
        parser.add_argument("--reset", action="store_true", help="forget the kept device state first")
        parser.add_argument(
            "--syslog", default=None, help="HOST:PORT of a syslog collector the devices send to"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scenario = options["scenario"]
        if scenario and not Path(scenario).exists():
            raise CommandError(f"no such scenario file: {scenario}")
        state_dir = options["state_dir"] or str(Path(getattr(settings, "VAR_DIR", "var")) / "simulator")
        limit = raise_open_file_limit()
        if options["reset"] and forget(Path(state_dir)):
            self.stdout.write(f"simulator: kept device state in {state_dir} forgotten; starting over")

        def ready(sim: Simulator) -> None:
            self.stdout.write(
                f"simulator: {len(sim.devices)} devices, state in {sim.state_dir}, open files {limit}"
            )
            for name, dev in list(sim.devices.items())[:20]:
                telnet = sim.telnet_ports.get(name)
                extra = f" telnet {telnet}" if telnet else ""
                self.stdout.write(
                    f"  {name:<12} {dev.platform:<10} ssh {sim.host}:{sim.ports[name]}{extra}"
                    f"  user {dev.username} / {dev.password}, enable {dev.enable}"
                )
            if len(sim.devices) > 20:
                self.stdout.write(f"  ... and {len(sim.devices) - 20} more")
            self.stdout.write(f"faults at run time: edit {sim.state_dir / 'control.yaml'}; Ctrl-C stops")
            self.stdout.flush()

        try:
            run_forever(
                scenario,
                base_port=options["base_port"],
                state_dir=state_dir,
                host=options["host"],
                ready=ready,
                keep_state=options["keep_state"],
                syslog=options["syslog"],
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
