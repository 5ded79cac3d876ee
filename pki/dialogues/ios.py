"""IOS 12.2 to IOS-XE: `crypto pki enroll`, or the `crypto ca enroll` of an IOS that predates the `pki` form."""

from __future__ import annotations

from devices.choices import PkiForm
from pki.dialogues.base import EnrollmentDialogue


class IosDialogue(EnrollmentDialogue):
    """Enroll in configuration mode with the form the device speaks, then `write memory`."""

    def enroll_commands(self) -> list[str]:
        """The form the polls learnt; unknown yet, the `pki` form first and the `ca` form when it is rejected."""
        tp = self.trustpoint
        form = getattr(self.device, "pki_form", PkiForm.UNKNOWN)
        if form == PkiForm.CA:
            return [f"crypto ca enroll {tp}"]
        if form == PkiForm.PKI:
            return [f"crypto pki enroll {tp}"]
        return [f"crypto pki enroll {tp}", f"crypto ca enroll {tp}"]
