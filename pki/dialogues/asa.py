"""ASA (and PIX 7+, which speaks the same CLI): `crypto ca enroll`, then `write memory`."""

from __future__ import annotations

from pki.dialogues.base import EnrollmentDialogue


class AsaDialogue(EnrollmentDialogue):
    """The ASA asks the IOS questions but for the IP address; its only enroll form is `crypto ca enroll`."""

    def enroll_commands(self) -> list[str]:
        """`crypto ca enroll TP`."""
        return [f"crypto ca enroll {self.trustpoint}"]
