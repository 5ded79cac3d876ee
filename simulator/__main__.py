"""`python -m simulator [--scenario F] [--base-port P] [--state-dir D] [--ready-file F] [--keep-state] [--reset]`.

The same simulator as `manage.py simulate`, without Django: benchmarks and other processes start it
this way. With `--ready-file`, the live ports are written there as JSON once every listener is open.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .persist import forget
from .simulator import DEFAULT_BASE_PORT, Simulator, run_forever


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m simulator")
    parser.add_argument("--scenario", default=None)
    parser.add_argument("--base-port", type=int, default=DEFAULT_BASE_PORT, help="0: free ports")
    parser.add_argument("--state-dir", default=None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--syslog", default=None, help="HOST:PORT of a syslog collector the devices send to")
    parser.add_argument("--ready-file", default=None, help="write {name: port} JSON here when listening")
    parser.add_argument(
        "--keep-state", action="store_true", help="keep certificates and faults across restarts"
    )
    parser.add_argument("--reset", action="store_true", help="forget the kept device state first")
    args = parser.parse_args(argv)
    if args.reset and args.state_dir and forget(Path(args.state_dir)):
        print(f"simulator: kept device state in {args.state_dir} forgotten", flush=True)

    def ready(sim: Simulator) -> None:
        if args.ready_file:
            tmp = Path(args.ready_file).with_suffix(".tmp")
            tmp.write_text(json.dumps({"ssh": sim.ports, "telnet": sim.telnet_ports}))
            tmp.replace(args.ready_file)
        else:
            print(f"simulator: {len(sim.devices)} devices listening; state in {sim.state_dir}", flush=True)

    run_forever(
        args.scenario,
        base_port=args.base_port,
        state_dir=args.state_dir,
        host=args.host,
        ready=ready,
        keep_state=args.keep_state,
        syslog=args.syslog,
    )


if __name__ == "__main__":
    main()
