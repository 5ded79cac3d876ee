"""PIX 6: `ca enroll TP PASSWORD` asks nothing; certificates are saved apart with `ca save all`."""

from __future__ import annotations

from pki.dialogues.base import EnrollmentDialogue


class PixDialogue(EnrollmentDialogue):
    """The challenge is a word of the command line; the save happens in configuration mode."""

    def enroll_commands(self) -> list[str]:
        """`ca enroll TP PASSWORD` (the transcript shows ******** for the password)."""
        return [f"ca enroll {self.trustpoint} {self.challenge}"]

    def save_steps(self, prompt: str) -> list[str]:
        """`ca save all` then `write memory`, both in configuration mode: PIX 6 keeps certificates apart."""
        self.enter_config()
        try:
            return [self.step("ca save all", prompt), self.write_memory(prompt)]
        finally:
            self.leave_config()
