"""The re-enrollment dialogue of each platform, driven prompt by prompt over a DeviceSession.

Only these commands are ever sent: `configure terminal`, the platform's enroll command, the answers to
the questions it asks, `end`, the certificate listing, and the save commands (`write memory`; PIX
`ca save all` first). Never key zeroization, never identity removal: an unexpected question is declined
(or interrupted with Ctrl-C) and configuration mode is left without anything half-configured.

Password prompts do not echo, so every answer is sent with `cmd_verify=False` and the next step waits for
what the device actually prints next (`expect_string`), never for a moment of silence. Every byte read is
kept (a tap on the connection's reads), so asynchronous lines such as the request fingerprint,
`%CRYPTO-6-CERTRET` or a `CRYPTO_PKI:` error are seen even when they arrive after a prompt.

`base` holds the machinery, `lines` what the device's words mean, `transcript` what the operator may
read; `ios`, `asa` and `pix` what each platform family says differently.
"""

from __future__ import annotations

from collections.abc import Callable

from devices.choices import Platform
from devices.sessions import DeviceSession
from pki.dialogues.asa import AsaDialogue
from pki.dialogues.base import DialogueFailed, EnrollmentDialogue
from pki.dialogues.ios import IosDialogue
from pki.dialogues.pix import PixDialogue

__all__ = ["DIALOGUES", "DialogueFailed", "EnrollmentDialogue", "dialogue_for"]

# The dialogue of each platform; a platform missing here is spoken to as IOS.
DIALOGUES: dict[str, type[EnrollmentDialogue]] = {
    Platform.CISCO_IOS: IosDialogue,
    Platform.CISCO_ASA: AsaDialogue,
    Platform.CISCO_PIX: PixDialogue,
}


def dialogue_for(
    session: DeviceSession,
    trustpoint: str,
    challenge: str,
    *,
    on_progress: Callable[[str], None] | None = None,
) -> EnrollmentDialogue:
    """The platform's dialogue over an open session (raises UnsafeValue before anything is sent)."""
    cls = DIALOGUES.get(session.device.platform, IosDialogue)
    return cls(session, trustpoint, challenge, on_progress=on_progress)
