"""The command matrix of docs/contracts.md §1: what the poller sends to each platform, in which order."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from devices.choices import PkiForm, Platform

# Logical names of what a poll collects; state code looks outputs up by these, never by command text.
CLOCK = "clock"
CONFIG = "config"
IKE = "ike"
# IOS 15 / IOS-XE keep IKEv2 SAs out of `show crypto isakmp sa` (ASA lists both versions there).
IKEV2 = "ikev2"
IPSEC = "ipsec"
ENGINE = "engine"
CERTIFICATES = "certificates"
CRLS = "crls"
# The device's own public keys: diagnosis matches them against its certificate (a device re-keyed
# without enrolling again fails phase 1 with a certificate for a key it no longer holds).
KEYS = "keys"

# Commands whose `pki` form is tried first on IOS, with the `ca` form as the fallback (older IOS).
PKI_FALLBACK_KINDS = frozenset({CERTIFICATES, CRLS})


@dataclass(frozen=True)
class Command:
    """One command of a poll: its logical kind and the text sent to the device."""

    kind: str
    text: str
    # The `ca` form to try when the device rejects `text` with `% Invalid input` (IOS pki/ca).
    fallback: str | None = None
    # A device that rejects it with `% Invalid input` lacks the feature: an empty result, not an error.
    optional: bool = False


@dataclass
class CommandOutput:
    """What one command printed, how long it took and whether it failed."""

    command: Command
    text: str  # the command as sent (the `ca` fallback when the `pki` form was rejected)
    output: str
    error: str = ""
    seconds: float = 0.0
    received_at: datetime = field(default_factory=timezone.now)


# How IOS, PIX and ASA reject a command they do not know.
INVALID_INPUT_RE = re.compile(r"% ?Invalid input detected", re.IGNORECASE)


_IOS_PKI = {
    CERTIFICATES: ("show crypto pki certificates", "show crypto ca certificates"),
    CRLS: ("show crypto pki crls", "show crypto ca crls"),
}


def poll_commands(platform: str, pki_form: str = PkiForm.UNKNOWN) -> list[Command]:
    """The commands of one poll for a platform; the clock first so its reading is close to our own."""
    if platform == Platform.CISCO_IOS:
        pki: list[Command] = []
        for kind in (CERTIFICATES, CRLS):
            modern, legacy = _IOS_PKI[kind]
            if pki_form == PkiForm.CA:
                pki.append(Command(kind, legacy))
            elif pki_form == PkiForm.PKI:
                pki.append(Command(kind, modern))
            else:
                pki.append(Command(kind, modern, fallback=legacy))
        # IKEv2 came with IOS 15.1: a router known to speak only the `ca` forms (12.x) is not asked.
        ikev2 = [] if pki_form == PkiForm.CA else [Command(IKEV2, "show crypto ikev2 sa", optional=True)]
        return [
            Command(CLOCK, "show clock"),
            Command(CONFIG, "show running-config"),
            Command(IKE, "show crypto isakmp sa"),
            *ikev2,
            Command(IPSEC, "show crypto ipsec sa"),
            Command(ENGINE, "show crypto engine connections active"),
            *pki,
            Command(KEYS, "show crypto key mypubkey rsa"),
        ]
    if platform == Platform.CISCO_PIX:
        return [
            Command(CLOCK, "show clock"),
            Command(CONFIG, "write terminal"),
            Command(IKE, "show crypto isakmp sa"),
            Command(IPSEC, "show crypto ipsec sa"),
            Command(ENGINE, "show crypto engine"),
            Command(CERTIFICATES, "show ca certificate"),
            Command(CRLS, "show ca crl"),
            Command(KEYS, "show ca mypubkey rsa"),
        ]
    if platform == Platform.CISCO_ASA:
        return [
            Command(CLOCK, "show clock"),
            Command(CONFIG, "show running-config"),
            Command(IKE, "show crypto isakmp sa"),
            Command(IPSEC, "show crypto ipsec sa"),
            Command(CERTIFICATES, "show crypto ca certificates"),
            Command(CRLS, "show crypto ca crl"),
            Command(KEYS, "show crypto key mypubkey rsa"),
        ]
    raise ValueError(f"unknown platform {platform!r}")


def learned_pki_form(command: Command, used: str) -> str | None:
    """Which pki form a device speaks, given the text that worked for a pki-family command."""
    if command.kind not in PKI_FALLBACK_KINDS or command.fallback is None:
        return None
    return PkiForm.CA if used == command.fallback else PkiForm.PKI
