"""Management access: telnet allowed by the configuration, or used by vpnportal itself to log in."""

from __future__ import annotations

import re

from devices.diagnosis import facts, fixes
from devices.diagnosis.model import CONFIG, Code, DeviceOutputs, Finding, Phrase, Severity
from devices.diagnosis.text import ASA, IOS, PIX
from vpnportal.translated_text import deferred


def _ios_major(version: str | None) -> int | None:
    if not version:
        return None
    head = version.split(".")[0]
    return int(head) if head.isdigit() else None


def cleartext_management(dev: DeviceOutputs) -> list[Finding]:
    """Telnet allowed in the configuration, or used by vpnportal itself to log in."""
    evidence: list[str] = []
    lines = dev.lines(CONFIG)
    telnet_lines: list[str] = []
    if dev.platform == IOS and dev.get(CONFIG):
        for block in _vty_blocks(lines):
            transport = [line for line in block if line.strip().startswith("transport input")]
            words = transport[-1].split()[2:] if transport else []
            if any(w in ("telnet", "all") for w in words):
                evidence += [dev.quote(CONFIG, block[0]), dev.quote(CONFIG, transport[-1])]
            elif not transport and (_ios_major(facts.version(dev)) or 0) < 15:
                # IOS 12 lets every protocol in on a vty without `transport input`; quote only the head
                # line, the block may hold a line password.
                evidence.append(dev.quote(CONFIG, block[0]))
                evidence.append(
                    Phrase(
                        deferred(
                            "%(command)s: (no `transport input`: IOS 12 accepts telnet)",
                            command=dev.command(CONFIG),
                        )
                    )
                )
    elif dev.platform in (PIX, ASA):
        telnet_lines = [line for line in lines if re.match(r"^telnet \d", line.strip())]
        evidence += [dev.quote(CONFIG, line) for line in telnet_lines]
    if dev.transport == "telnet":
        evidence.append(Phrase(deferred("(vpnportal itself logs in to this device over telnet)")))
    if not evidence:
        return []
    return [
        Finding(
            Code.CLEARTEXT_MANAGEMENT,
            Severity.WARNING,
            Phrase(deferred("Management over telnet: passwords cross the network in clear text")),
            "telnet",
            tuple(evidence),
            tuple(fixes.ssh_only(dev.platform, telnet_lines)),
        )
    ]


def _vty_blocks(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in lines:
        if line.startswith("line vty"):
            current = [line]
            blocks.append(current)
        elif current is not None and line.startswith(" ") and line.strip():
            current.append(line)
        else:
            current = None
    return blocks
