"""Every output a poll collects from every simulated persona, in every scenario, parses without warnings.

The outputs are rendered by the simulator's own session code (the command matcher and renderers an SSH
or telnet client reaches), for the commands of devices/commands.py:poll_commands, with the pager off,
and parsed by devices/outputs.py:parse_all, as a poll does. Faults that damage the text on purpose
(garbled, truncated) are left out: their warnings are the point of them. A generated fleet (fleet.yaml,
1,000 devices from two personas) is checked on the first two devices of each persona.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devices.commands import INVALID_INPUT_RE, CommandOutput, poll_commands
from devices.outputs import parse_all
from simulator.session import CliSession
from simulator.simulator import Simulator
from tests.services import run_coroutine

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "simulator" / "scenarios").glob("*.yaml"))
DAMAGING_FAULTS = frozenset({"garbled", "truncated"})


def _scenario_names() -> list[str]:
    """The scenario files (demo-inventory.yaml is an inventory for vpnportal, not a scenario)."""
    return [path.stem for path in SCENARIOS if "persona" in path.read_text(encoding="utf-8")]


def _run(session: CliSession, line: str, out: list[str]) -> str:
    out.clear()
    run_coroutine(session.execute(line))
    return "".join(out).strip("\n")


def _poll(session: CliSession, platform: str, out: list[str]) -> list[CommandOutput]:
    """What one poll collects: each command, with the `ca` fallback an IOS 12 router needs."""
    collected = []
    for command in poll_commands(platform):
        text, output = command.text, _run(session, command.text, out)
        if command.fallback and INVALID_INPUT_RE.search(output):
            text, output = command.fallback, _run(session, command.fallback, out)
        collected.append(CommandOutput(command, text, output))
    return collected


@pytest.mark.parametrize("scenario", _scenario_names())
def test_every_persona_output_parses_without_warnings(scenario: str, tmp_path: Path) -> None:
    sim = Simulator(Path(SCENARIOS[0]).with_name(f"{scenario}.yaml"), base_port=0, state_dir=tmp_path)
    found: dict[str, list[str]] = {}
    checked = 0
    per_kind: dict[str, int] = {}
    try:
        for name, device in sim.devices.items():
            if DAMAGING_FAULTS & set(device.faults):
                continue
            per_kind[device.kind] = per_kind.get(device.kind, 0) + 1
            if len(sim.devices) > 50 and per_kind[device.kind] > 2:
                continue
            out: list[str] = []
            session = CliSession(device, "ssh", out.append, lambda: None)
            session.priv, session.term_length = 15, 0
            for parsed in parse_all(device.platform, _poll(session, device.platform, out)):
                checked += 1
                if parsed.warnings:
                    found[f"{name} ({device.kind}) {parsed.out.text}"] = parsed.warnings[:5]
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)
    assert checked
    assert found == {}
