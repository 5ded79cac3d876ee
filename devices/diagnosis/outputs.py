"""A device's DeviceOutputs: its outputs parsed the way a poll parses them (devices.outputs)."""

from __future__ import annotations

from devices.commands import Command, CommandOutput
from devices.diagnosis.model import DeviceOutputs
from devices.outputs import ParsedOutput, parse_all


def from_parsed(
    name: str, platform: str, parsed: list[ParsedOutput], transport: str = "ssh"
) -> DeviceOutputs:
    """The rules' view of parsed outputs, by logical kind; an output the parser failed on was not collected."""
    dev = DeviceOutputs(name=name, platform=platform, transport=transport)
    for item in parsed:
        kind = item.out.command.kind
        dev.parsed[kind] = {"error": item.crash, "warnings": []} if item.crash else item.result
        dev.raw[kind] = item.out.output
        dev.commands[kind] = item.out.text
    return dev


def build_outputs(
    name: str,
    platform: str,
    texts: dict[str, tuple[str, str]],
    transport: str = "ssh",
    commands: dict[str, Command] | None = None,
) -> DeviceOutputs:
    """texts: logical kind -> (command, raw output); `commands` gives the poll's Command of a kind."""
    known = commands or {}
    outputs = [
        CommandOutput(known.get(kind) or Command(kind, command), command, text)
        for kind, (command, text) in texts.items()
    ]
    return from_parsed(name, platform, parse_all(platform, outputs), transport)
