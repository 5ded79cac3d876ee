"""The dialogue machinery every platform shares: one step at a time, configuration mode, the wait, the save."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from netmiko import ReadTimeout

from devices.choices import PkiForm
from devices.commands import CERTIFICATES, INVALID_INPUT_RE, Command, poll_commands
from devices.parsers.registry import parse
from devices.sessions import DeviceSession, SessionError
from devices.terminal import LOG_LINE_RE
from pki.dialogues.lines import (
    ANY_QUESTION_RE,
    DIALOGUE_ERROR_RE,
    FINGERPRINT_RE,
    GRANTED_RE,
    QUESTIONS,
    REQUEST_SENT_RE,
    SAVE_ERROR_RE,
    SECRET,
    YES_NO_RE,
    async_failure,
    last_words,
    which_question,
)
from pki.dialogues.transcript import REDACTED, Transcript, check_safe, quiet_channel_logs

# How many questions one dialogue may ask before we stop answering (a loop is not a dialogue).
MAX_STEPS = 12
# Ctrl-C interrupts an interactive dialogue on IOS, PIX and ASA without applying it.
CTRL_C = "\x03"
# How long an apparently unknown question may take to finish arriving before we call it unexpected.
SETTLE_S = 0.7
# Writing the configuration to flash takes longer than a command's answer on old hardware.
WRITE_MEMORY_TIMEOUT_S = 30


class DialogueFailed(Exception):
    """The dialogue ended without a request sent; `reason` holds the device's words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _StepTimeout(Exception):
    def __init__(self, seen: str, seconds: float) -> None:
        super().__init__(f"timeout after {seconds:g} s")
        self.seen = seen
        self.seconds = seconds


class _Unexpected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class GrantCheck:
    """What a certificate listing says about the trustpoint's identity certificate."""

    granted_serial: str = ""
    pending: bool = False
    serials: set[str] = field(default_factory=set)


class EnrollmentDialogue:
    """One enrollment over an open DeviceSession: the dialogue, the wait for the CA, the save.

    A platform's module subclasses it with its enroll command (`enroll_commands`) and its way of saving
    (`save_steps`); everything else is the same on IOS, PIX and ASA.
    """

    def __init__(
        self,
        session: DeviceSession,
        trustpoint: str,
        challenge: str,
        *,
        on_progress: Callable[[str], None] | None = None,
    ) -> None:
        self.session = session
        self.device = session.device
        self.platform = session.device.platform
        self.trustpoint = check_safe(trustpoint, "trustpoint")
        self.challenge = check_safe(challenge, "challenge password")
        # Login credentials never reach the transcript (the tap starts after login); the challenge might.
        self.transcript = Transcript(secrets=[challenge])
        self.on_progress = on_progress
        self.timeout = session.command_timeout
        conn = session.conn
        if conn is None:
            raise SessionError("session not open")
        self.conn = conn
        base = re.escape(conn.base_prompt)
        self.exec_prompt = re.compile(rf"{base}[^\n#>(]{{0,20}}# *$")
        self.config_prompt = re.compile(rf"{base}[^\n#>(]{{0,20}}\(config[^)\n]*\)# *$")
        self.in_config = False
        self.request_mark = 0  # where the device's answers to the sent request start
        self.last_output = ""  # what the latest step read: the question being asked, if any
        self._tap()

    # -- what each platform says differently ---------------------------------------------------------
    def enroll_commands(self) -> list[str]:
        """The enroll command to try, in order (the first the device does not reject is answered)."""
        raise NotImplementedError

    def save_steps(self, prompt: str) -> list[str]:
        """Save the configuration; returns what each save command printed (IOS, ASA: `write memory`)."""
        return [self.write_memory(prompt)]

    # -- plumbing ------------------------------------------------------------------------------------
    def _tap(self) -> None:
        # Every read goes through here, so late lines after a prompt are never lost.
        original = self.conn.read_channel
        transcript = self.transcript

        def read_channel() -> str:
            data: str = original()
            if data:
                transcript.received(data)
            return data

        self.conn.read_channel = read_channel  # type: ignore[method-assign]

    def progress(self) -> None:
        """Hand the transcript so far to whoever shows it."""
        if self.on_progress is not None:
            self.on_progress(self.transcript.text())

    def _mark(self) -> int:
        return len(self.transcript.parts)

    def _since(self, mark: int) -> str:
        return "".join(self.transcript.parts[mark:]).replace("\r", "")

    def step(self, line: str, expect: str, *, secret: bool = False, timeout: float | None = None) -> str:
        """Send one line (checked), then read until `expect`; returns everything read meanwhile."""
        check_safe(line, "answer")
        if secret:
            self.transcript.parts.append(REDACTED)
        mark = self._mark()
        try:
            self.conn.send_command(
                line,
                expect_string=expect,
                read_timeout=timeout or self.timeout,
                cmd_verify=False,
                strip_prompt=False,
                strip_command=False,
            )
        except ReadTimeout:
            self.last_output = self._since(mark)
            raise _StepTimeout(self.last_output, timeout or self.timeout) from None
        except (OSError, EOFError) as exc:
            raise SessionError(f"connection lost: {exc}"[:300]) from None
        self.last_output = self._since(mark)
        return self.last_output

    def _prompt_pattern(self, *patterns: re.Pattern[str]) -> str:
        return "|".join(f"(?:{p.pattern})" for p in patterns)

    # -- configuration mode ----------------------------------------------------------------------------
    def enter_config(self) -> None:
        """`configure terminal`."""
        out = self.step("configure terminal", self._prompt_pattern(self.config_prompt, self.exec_prompt))
        if not self.config_prompt.search(out):
            raise DialogueFailed(f"could not enter configuration mode: {last_words(out)}")
        self.in_config = True

    def leave_config(self) -> None:
        """`end`, back to the privileged prompt."""
        if not self.in_config:
            return
        self.step("end", self._prompt_pattern(self.exec_prompt, self.config_prompt))
        self.in_config = False

    # -- the dialogue ------------------------------------------------------------------------------------
    def request(self) -> None:
        """Run the enroll dialogue; returns once the request went to the CA, else raises DialogueFailed.

        1. Enter configuration mode.
        2. Send the enroll command (IOS: `pki` form, `ca` form when the older IOS rejects it).
        3. Answer each question the device asks from QUESTIONS; anything else ends it (declined).
        4. Back at the configuration prompt: the device must have said the request was sent.
        5. Leave configuration mode.
        """
        with quiet_channel_logs(self.conn, self.challenge):
            try:
                self.enter_config()
                out = ""
                for command in self.enroll_commands():
                    shown = command.replace(self.challenge, REDACTED) if self.challenge else command
                    self.transcript.note(f"sending: {shown}")
                    out = self._dialogue(command)
                    if not INVALID_INPUT_RE.search(out):
                        break
                self._check_request_sent(out)
                self.request_mark = self._mark()
                self._drain(1.0)
                self.leave_config()
            except _StepTimeout as exc:
                self._abandon(
                    f"no answer from the device within {exc.seconds:g} s; last words: {last_words(exc.seen)}"
                )
            except _Unexpected as exc:
                self._abandon(exc.reason)
            except DialogueFailed as exc:
                self._abandon(exc.reason)
        self.progress()

    def _dialogue(self, command: str) -> str:
        asked: set[str] = set()
        everything = ""
        expect = self._prompt_pattern(*(q.pattern for q in QUESTIONS), self.config_prompt, ANY_QUESTION_RE)
        line, secret = command, False
        for _ in range(MAX_STEPS):
            out = self.step(line, expect, secret=secret)
            question = None
            if not self.config_prompt.search(out):
                question = which_question(out)
                if question is None:
                    # A question split across two reads looks unknown at first: let the rest arrive.
                    out += self._read_more(SETTLE_S)
                    question = which_question(out)
            everything += out
            self.progress()
            if question is None and self.config_prompt.search(out):
                return everything
            if question is None:
                raise _Unexpected(f"unexpected question from the device: {last_words(out)!r}")
            if question.name in asked:
                # Asked twice: the device did not accept our answer (e.g. a password mismatch).
                raise _Unexpected(f"the device asked again: {last_words(out)!r}")
            asked.add(question.name)
            if question.answer is SECRET:
                line, secret = self.challenge, True
            else:
                line, secret = str(question.answer), False
        raise _Unexpected(f"the dialogue did not end after {MAX_STEPS} questions")

    def _check_request_sent(self, out: str) -> None:
        if REQUEST_SENT_RE.search(out):
            return
        error = DIALOGUE_ERROR_RE.search(out)
        words = error.group(0).strip() if error else last_words(out, skip_prompt=self.config_prompt)
        raise DialogueFailed(f"the device did not send the request: {words}")

    def _read_more(self, seconds: float) -> str:
        """What arrives within `seconds`, stopping early once a read brings nothing new."""
        mark = self._mark()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(0.1)
            if not self.conn.read_channel() and self._mark() > mark:
                break
        more = self._since(mark)
        self.last_output += more
        return more

    def _drain(self, seconds: float) -> None:
        """Read what arrives for a moment after the dialogue: the fingerprint follows the prompt."""
        mark = self._mark()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.conn.read_channel()
            if FINGERPRINT_RE.search(self._since(mark)):
                break
            time.sleep(0.1)

    def _abandon(self, reason: str) -> None:
        """Decline whatever is still being asked, leave configuration mode, then fail with `reason`."""
        tail = self.last_output
        self.transcript.note(f"stopping: {reason}")
        quick = min(self.timeout, 5.0)
        expect = self._prompt_pattern(self.config_prompt, self.exec_prompt, ANY_QUESTION_RE)
        for _ in range(3):
            if self.config_prompt.search(tail) or self.exec_prompt.search(tail):
                break
            try:
                if YES_NO_RE.search(tail):
                    tail = self.step("no", expect, timeout=quick)
                else:
                    self.conn.write_channel(CTRL_C)
                    tail = self.step("", expect, timeout=quick)
            except (_StepTimeout, SessionError, OSError):
                # A device that no longer answers: closing the session ends the dialogue unapplied.
                self.transcript.note("the device does not answer; closing the session")
                self.hang_up()
                raise DialogueFailed(reason) from None
        try:
            if self.config_prompt.search(tail) or self.in_config:
                self.leave_config()
        except (_StepTimeout, SessionError, OSError):
            self.in_config = False
        raise DialogueFailed(reason)

    def hang_up(self) -> None:
        """Drop the connection at once (netmiko's polite logout would wait on a silent device)."""
        self.in_config = False
        for part in (self.conn.remote_conn, self.conn.remote_conn_pre):
            with contextlib.suppress(Exception):
                if part is not None:
                    part.close()

    # -- waiting for the CA ----------------------------------------------------------------------------
    def certificates_command(self) -> Command:
        """The certificate listing of this platform (IOS: `pki` form with the `ca` fallback)."""
        form = getattr(self.device, "pki_form", PkiForm.UNKNOWN)
        return next(c for c in poll_commands(self.platform, form) if c.kind == CERTIFICATES)

    def check_certificates(self, previous: set[str] | None = None) -> GrantCheck:
        """List the certificates; the trustpoint's Available identity whose serial is not in `previous`."""
        self.transcript.muted = True
        try:
            result = self.session.run_command(self.certificates_command())
        finally:
            self.transcript.muted = False
        muted = self.transcript.take_muted()
        late = [m.group(0).strip() for m in LOG_LINE_RE.finditer(muted.replace("\r", ""))]
        if late:
            self.transcript.received("\n".join(late) + "\n")
        if result.error:
            raise SessionError(f"{result.text}: {result.error}")
        text = "\n".join(line for line in result.output.splitlines() if not LOG_LINE_RE.match(line))
        parsed = parse(self.platform, result.text, text)
        if parsed.get("error"):
            raise SessionError(f"{result.text}: {parsed['error']}")
        check = GrantCheck()
        for cert in parsed.get("certificates") or []:
            if cert.get("role") != "identity":
                continue
            tp = cert.get("trustpoint")
            if tp and tp != self.trustpoint:
                continue
            serial = str(cert.get("serial") or "").upper()
            status = str(cert.get("status") or "").lower()
            if status.startswith("pend"):
                check.pending = True
                continue
            if serial and status.startswith("avail"):
                check.serials.add(serial)
                if previous is not None and serial not in previous and not check.granted_serial:
                    check.granted_serial = serial
        summary = ", ".join(sorted(check.serials)) or "none"
        self.transcript.note(
            f"certificates: available identity serials {summary}"
            + ("; a request is pending" if check.pending else "")
        )
        return check

    def wait_for_grant(self, previous: set[str], deadline: float, check_every: float) -> str:
        """Until `deadline` (monotonic): the new serial once granted; DialogueFailed on a PKI error or timeout."""
        next_check = time.monotonic() + min(check_every, 1.0)
        # Errors may already have arrived with the fingerprint, before this loop started.
        mark = self.request_mark
        while True:
            self.conn.read_channel()
            news = self._since(mark)
            mark = self._mark()
            if news:
                self.progress()
                failure = async_failure(news)
                if failure:
                    raise DialogueFailed(failure)
            now = time.monotonic()
            if GRANTED_RE.search(news) or now >= next_check:
                check = self.check_certificates(previous)
                self.progress()
                if check.granted_serial:
                    return check.granted_serial
                next_check = time.monotonic() + check_every
            if now >= deadline:
                raise DialogueFailed(
                    "the CA did not grant the certificate before the deadline; the request may still be pending "
                    "on the device (check the CA, and HTTP/TCP 80 between the device and the CA)"
                )
            time.sleep(0.25)

    # -- saving ------------------------------------------------------------------------------------------
    def save(self) -> None:
        """Save the configuration the platform's way (`save_steps`); raise DialogueFailed on the device's error."""
        prompt = self._prompt_pattern(self.exec_prompt, self.config_prompt)
        try:
            outputs = self.save_steps(prompt)
        except _StepTimeout as exc:
            self.hang_up()
            raise DialogueFailed(f"saving the configuration: no answer within {exc.seconds:g} s") from None
        self.progress()
        for out in outputs:
            bad = SAVE_ERROR_RE.search(out)
            if bad:
                raise DialogueFailed(f"saving the configuration failed: {bad.group(0).strip()}")

    def write_memory(self, prompt: str) -> str:
        """`write memory`, given the time flash needs."""
        return self.step("write memory", prompt, timeout=max(self.timeout, WRITE_MEMORY_TIMEOUT_S))
