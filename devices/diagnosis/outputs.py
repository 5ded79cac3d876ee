"""Build a device's DeviceOutputs from raw texts by parsing them the way a poll does (config first)."""

from __future__ import annotations

from typing import Any

from devices.diagnosis.model import CONFIG, DeviceOutputs


def _parse(platform: str, command: str, text: str, offset: int | None) -> dict[str, Any]:
    from devices.parsers.registry import ParserError, parse

    try:
        return parse(platform, command, text, tz_offset_minutes=offset)
    except ParserError as exc:
        return {"error": str(exc), "warnings": []}
    except Exception as exc:  # a parser crash must not stop the other rules: treat it as not collected
        return {"error": f"parser failed: {type(exc).__name__}: {exc}", "warnings": []}


def build_outputs(
    name: str, platform: str, texts: dict[str, tuple[str, str]], transport: str = "ssh"
) -> DeviceOutputs:
    """texts: logical kind -> (command, raw output). The config's clock timezone reads the other times."""
    dev = DeviceOutputs(name=name, platform=platform, transport=transport)
    offset: int | None = None
    for kind in sorted(texts, key=lambda k: k != CONFIG):
        command, text = texts[kind]
        result = _parse(platform, command, text, offset)
        if kind == CONFIG:
            zone = result.get("clock_timezone") or {}
            if isinstance(zone, dict) and isinstance(zone.get("offset_minutes"), int):
                offset = zone["offset_minutes"]
        dev.parsed[kind] = result
        dev.raw[kind] = text
        dev.commands[kind] = command
    return dev
