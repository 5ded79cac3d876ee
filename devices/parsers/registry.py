"""The single entry point: `parse(platform, command, text)` picks the parser for a platform's command.

Commands are matched word by word the way the devices match them: each typed word may be any prefix of the
command word (`sh cr isa sa`, `sh cr en conn ac`, `wr t`). Trailing filters that do not change the layout
(`detail`, `peer X`, a trustpoint name) are accepted where the device accepts them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from devices.parsers.clock import parse_clock
from devices.parsers.config import parse_running_config
from devices.parsers.engine import parse_crypto_engine
from devices.parsers.ipsec import parse_ipsec_sa
from devices.parsers.isakmp import parse_isakmp_sa
from pki.parsers.certificates import parse_certificates
from pki.parsers.crls import parse_crls
from pki.parsers.keys import parse_mypubkey_rsa

Parser = Callable[..., dict[str, Any]]
PLATFORMS = ("cisco_ios", "cisco_asa", "cisco_pix")


class ParserError(LookupError):
    """Base for the registry's lookup errors."""


class UnknownPlatform(ParserError):
    """The platform is not one of PLATFORMS."""


class UnknownCommand(ParserError):
    """The platform has no parser for this command (or the abbreviation is ambiguous)."""


@dataclass(frozen=True)
class Command:
    """A supported command: its words, its parser, and how many free trailing words it accepts."""

    words: tuple[str, ...]
    parser: Parser
    trailing: int = 0  # free words after the command (filters, trustpoint names)

    @property
    def text(self) -> str:
        """The command as documented, full words."""
        return " ".join(self.words)


_IOS = [
    Command(("show", "crypto", "isakmp", "sa"), parse_isakmp_sa),
    Command(("show", "crypto", "isakmp", "sa", "detail"), parse_isakmp_sa),
    Command(("show", "crypto", "ikev2", "sa"), parse_isakmp_sa, trailing=3),
    Command(("show", "crypto", "ipsec", "sa"), parse_ipsec_sa, trailing=3),
    Command(("show", "crypto", "engine", "connections", "active"), parse_crypto_engine),
    Command(("show", "crypto", "ca", "certificates"), parse_certificates, trailing=1),
    Command(("show", "crypto", "pki", "certificates"), parse_certificates, trailing=2),
    Command(("show", "crypto", "ca", "crls"), parse_crls),
    Command(("show", "crypto", "pki", "crls"), parse_crls),
    Command(("show", "crypto", "key", "mypubkey", "rsa"), parse_mypubkey_rsa, trailing=1),
    Command(("show", "clock"), parse_clock, trailing=1),
    Command(("show", "running-config"), parse_running_config),
    Command(("write", "terminal"), parse_running_config),
]
_ASA = [
    Command(("show", "crypto", "isakmp", "sa"), parse_isakmp_sa, trailing=1),
    Command(("show", "crypto", "ikev1", "sa"), parse_isakmp_sa, trailing=1),
    Command(("show", "crypto", "ikev2", "sa"), parse_isakmp_sa, trailing=1),
    Command(("show", "crypto", "ipsec", "sa"), parse_ipsec_sa, trailing=3),
    Command(("show", "crypto", "ca", "certificates"), parse_certificates, trailing=1),
    Command(("show", "crypto", "ca", "crl"), parse_crls, trailing=1),
    Command(("show", "crypto", "ca", "crls"), parse_crls, trailing=1),
    Command(("show", "crypto", "key", "mypubkey", "rsa"), parse_mypubkey_rsa),
    Command(("show", "clock"), parse_clock, trailing=1),
    Command(("show", "running-config"), parse_running_config),
    Command(("write", "terminal"), parse_running_config),
]
_PIX = [
    Command(("show", "crypto", "isakmp", "sa"), parse_isakmp_sa),
    Command(("show", "isakmp", "sa"), parse_isakmp_sa),
    Command(("show", "crypto", "ipsec", "sa"), parse_ipsec_sa, trailing=2),
    Command(("show", "crypto", "engine"), parse_crypto_engine),
    Command(("show", "ca", "certificate"), parse_certificates),
    Command(("show", "ca", "crl"), parse_crls),
    Command(("show", "ca", "mypubkey", "rsa"), parse_mypubkey_rsa),
    Command(("show", "clock"), parse_clock),
    Command(("write", "terminal"), parse_running_config),
    Command(("show", "running-config"), parse_running_config),
]
COMMANDS: dict[str, list[Command]] = {"cisco_ios": _IOS, "cisco_asa": _ASA, "cisco_pix": _PIX}


def supported_commands(platform: str) -> list[str]:
    """The full commands a platform's parsers accept."""
    if platform not in COMMANDS:
        raise UnknownPlatform(f"unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}")
    return [command.text for command in COMMANDS[platform]]


def _matches(typed: list[str], command: Command) -> int | None:
    """Score how well typed words match command (None if they do not): exact words score higher."""
    words = command.words
    if len(typed) < len(words) or len(typed) > len(words) + command.trailing:
        return None
    score = 0
    for given, full in zip(typed, words, strict=False):
        # `certificates`/`certificate`, `crls`/`crl`: the singular and plural are one keyword.
        if not (full.startswith(given) or given.rstrip("s") == full.rstrip("s")):
            return None
        score += 2 if given == full else 1
    return score - (len(typed) - len(words))


@lru_cache(maxsize=256)
def resolve(platform: str, command: str) -> Command:
    """Find the Command a typed command means on platform, or raise UnknownPlatform/UnknownCommand."""
    if platform not in COMMANDS:
        raise UnknownPlatform(f"unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}")
    typed = command.lower().split()
    if not typed:
        raise UnknownCommand("empty command")
    scored = [
        (score, candidate)
        for candidate in COMMANDS[platform]
        if (score := _matches(typed, candidate)) is not None
    ]
    if not scored:
        raise UnknownCommand(
            f"no parser for {command!r} on {platform}; supported: " + "; ".join(supported_commands(platform))
        )
    scored.sort(key=lambda pair: -pair[0])
    best = scored[0]
    rivals = [c for s, c in scored[1:] if s == best[0] and c.parser is not best[1].parser]
    if rivals:
        raise UnknownCommand(
            f"ambiguous command {command!r} on {platform}: "
            + " or ".join([best[1].text, *[c.text for c in rivals]])
        )
    return best[1]


def parse(platform: str, command: str, text: str, *, tz_offset_minutes: int | None = None) -> dict[str, Any]:
    """Parse text, the output of command on a device of platform, into docs/contracts.md §2's structure."""
    entry = resolve(platform, command)
    return entry.parser(text, platform=platform, tz_offset_minutes=tz_offset_minutes)
