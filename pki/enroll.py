"""The re-enrollment dialogue of each platform, driven prompt by prompt over a DeviceSession.

Only these commands are ever sent: `configure terminal`, the platform's enroll command, the answers to
the questions it asks, `end`, the certificate listing, and the save commands (`write memory`; PIX
`ca save all` first). Never key zeroization, never identity removal: an unexpected question is declined
(or interrupted with Ctrl-C) and configuration mode is left without anything half-configured.

Password prompts do not echo, so every answer is sent with `cmd_verify=False` and the next step waits for
what the device actually prints next (`expect_string`), never for a moment of silence. Every byte read is
kept (a tap on the connection's reads), so asynchronous lines such as the request fingerprint,
`%CRYPTO-6-CERTRET` or a `CRYPTO_PKI:` error are seen even when they arrive after a prompt.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from netmiko import ReadTimeout

from devices.choices import PkiForm, Platform
from devices.commands import CERTIFICATES, Command, poll_commands
from devices.parsers.registry import parse
from devices.sessions import INVALID_INPUT_RE, DeviceSession, SessionError

log = logging.getLogger(__name__)

REDACTED = "********"
# A transcript longer than this keeps its head and tail: a runaway device must not fill the database.
TRANSCRIPT_LIMIT = 200_000
# Anything outside printable ASCII could end a line or steer the CLI: no value sent may contain it.
UNSAFE_CHARS_RE = re.compile(r"[^\x20-\x7e]")
# How many questions one dialogue may ask before we stop answering (a loop is not a dialogue).
MAX_STEPS = 12
# Ctrl-C interrupts an interactive dialogue on IOS, PIX and ASA without applying it.
CTRL_C = "\x03"
# How long an apparently unknown question may take to finish arriving before we call it unexpected.
SETTLE_S = 0.7

SECRET = object()  # marks an answer that is the challenge password


@dataclass(frozen=True)
class Question:
    """A question a dialogue may ask, and what we answer."""

    name: str
    pattern: re.Pattern[str]
    answer: object  # a string, or SECRET


# The questions of IOS 12.2, IOS 15/XE and ASA (DESIGN.md §3; the seed document's dialogue).
QUESTIONS = (
    Question("re-enroll", re.compile(r"Re-enroll\? *\[yes/no\]: *$"), "yes"),
    Question("re-enter password", re.compile(r"(?:^|\n)[ %]*Re-enter password: *$"), SECRET),
    Question("password", re.compile(r"(?:^|\n)[ %]*Password: *$"), SECRET),
    Question(
        "include serial number",
        re.compile(r"Include the (?:router|device) serial number in the subject name\? *\[[^\]\n]*\]: *$"),
        "no",
    ),
    Question(
        "include ip address",
        re.compile(r"Include an IP address in the subject name\? *\[[^\]\n]*\]: *$"),
        "no",
    ),
    Question("request certificate", re.compile(r"Request certificate from CA\? *\[yes/no\]: *$"), "yes"),
)
# Something that waits for an answer but is none of the above: a bracketed default, or a trailing `?`/`:`.
ANY_QUESTION_RE = re.compile(r"(?:\[[^\]\n]*\] *:?|\?) *$")
YES_NO_RE = re.compile(r"\[yes/no\] *:? *$", re.IGNORECASE)

# The device's own words for a dialogue that did not go through.
DIALOGUE_ERROR_RE = re.compile(
    r"^.*(?:% ?Invalid input|% ?Incomplete command|% ?Ambiguous command|% ?Unknown|ERROR:|% ?Error|"
    r"not found|unknown CA identity|Password mismatch|Please answer|must authenticate|"
    r"Type help or '\?').*$",
    re.IGNORECASE | re.MULTILINE,
)
REQUEST_SENT_RE = re.compile(r"Certificate request sent to Certificate Authority", re.IGNORECASE)
FINGERPRINT_RE = re.compile(r"Fingerprint(?: MD5)?:\s*([0-9A-Fa-f]{8}(?: ?[0-9A-Fa-f]{8}){3})")

# Asynchronous lines after the request: granted, or why it never will be.
GRANTED_RE = re.compile(
    r"CERTRET|certificate is granted|certificate has been granted|Certificate received from Certificate Authority",
    re.IGNORECASE,
)
CA_UNREACHABLE_RE = re.compile(
    r"^.*(?:socket connect failed|failed to send out the pki message|Failed to connect to CA server|"
    r"Failed to send the enrollment request|can not resolve server name|connection (?:timed out|refused)).*$",
    re.IGNORECASE | re.MULTILINE,
)
REJECTED_RE = re.compile(
    r"^.*(?:CERTREJECT|request (?:was )?rejected|rejected by).*$", re.IGNORECASE | re.MULTILINE
)
# Syslog severities 0-3 (emergency..error) of the PKI facilities.
PKI_ERROR_RE = re.compile(r"^.*%(?:CRYPTO|PKI)-[0-3]-[A-Z_]+.*$", re.MULTILINE)
ASYNC_LINE_RE = re.compile(
    r"^.*(?:CRYPTO_PKI|%CRYPTO-|%PKI-|certificate is granted|granted by CA|rejected by the CA|"
    r"Failed to (?:connect|send)).*$",
    re.IGNORECASE | re.MULTILINE,
)
SAVE_ERROR_RE = re.compile(r"^.*(?:% ?Invalid input|ERROR|Error|failed|Type help or '\?').*$", re.MULTILINE)

REASON_CA_UNREACHABLE = (
    "the CA could not be reached over HTTP (TCP port 80): check that nothing between the device and the CA "
    "blocks it. The device said: {line}"
)
REASON_REJECTED = "the CA rejected the request (wrong challenge password?). The device said: {line}"
REASON_PKI_ERROR = "the device reported a PKI error: {line}"


class DialogueFailed(Exception):
    """The dialogue ended without a request sent; `reason` holds the device's words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsafeValue(ValueError):
    """A value would have reached the device with a line break or control character in it."""


def check_safe(value: str, what: str) -> str:
    """Return `value` if it is printable ASCII, else raise UnsafeValue (nothing is sent)."""
    if UNSAFE_CHARS_RE.search(value):
        raise UnsafeValue(f"{what} contains a newline, carriage return or other control character")
    return value


@dataclass
class Transcript:
    """What the operator may read: everything the device printed, every password replaced by ********."""

    secrets: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    muted: bool = False
    muted_parts: list[str] = field(default_factory=list)

    def redact(self, text: str) -> str:
        """Replace every secret in `text`."""
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, REDACTED)
        return text

    def received(self, data: str) -> None:
        """Data read from the device (kept aside while muted)."""
        (self.muted_parts if self.muted else self.parts).append(data)

    def note(self, text: str) -> None:
        """A line of our own (what we did, why we stopped)."""
        text = text if text.endswith("\n") else text + "\n"
        tail = "".join(self.parts[-1:])
        self.parts.append(("" if not tail or tail.endswith("\n") else "\n") + f"[vpnportal] {text}")

    def take_muted(self) -> str:
        """The data read while muted, and forget it."""
        data, self.muted_parts = "".join(self.muted_parts), []
        return data

    def text(self) -> str:
        """The redacted transcript."""
        whole = self.redact("".join(self.parts)).replace("\r", "")
        if len(whole) > TRANSCRIPT_LIMIT:
            half = TRANSCRIPT_LIMIT // 2
            whole = whole[:half] + "\n[... transcript shortened ...]\n" + whole[-half:]
        return whole


@dataclass
class GrantCheck:
    """What a certificate listing says about the trustpoint's identity certificate."""

    granted_serial: str = ""
    pending: bool = False
    serials: set[str] = field(default_factory=set)


@contextmanager
def _quiet_channel_logs(conn: Any, secret: str) -> Iterator[None]:
    """Keep the challenge out of netmiko's debug log of channel reads and writes."""
    nm_log = logging.getLogger("netmiko")
    secrets_filter = getattr(conn, "_secrets_filter", None)
    no_log = getattr(secrets_filter, "no_log", None)
    if isinstance(no_log, dict) and secret:
        no_log["enrollment_challenge"] = secret
    # A read split mid-password would slip past the replace above: drop channel records altogether.
    drop = _DropChannelRecords()
    nm_log.addFilter(drop)
    try:
        yield
    finally:
        nm_log.removeFilter(drop)
        if isinstance(no_log, dict):
            no_log.pop("enrollment_challenge", None)


class _DropChannelRecords(logging.Filter):
    """Drops netmiko's `read_channel:` / `write_channel:` debug records."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        return not (message.startswith("read_channel") or message.startswith("write_channel"))


class EnrollmentDialogue:
    """One enrollment over an open DeviceSession: the dialogue, the wait for the CA, the save."""

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
        self.fingerprint = ""
        self.in_config = False
        self.request_mark = 0  # where the device's answers to the sent request start
        self.last_output = ""  # what the latest step read: the question being asked, if any
        self._tap()

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
            raise DialogueFailed(f"could not enter configuration mode: {_last_words(out)}")
        self.in_config = True

    def leave_config(self) -> None:
        """`end`, back to the privileged prompt."""
        if not self.in_config:
            return
        self.step("end", self._prompt_pattern(self.exec_prompt, self.config_prompt))
        self.in_config = False

    # -- the dialogue ------------------------------------------------------------------------------------
    def enroll_commands(self) -> list[str]:
        """The enroll command to try, in order (IOS: the `pki` form, then the `ca` form of older IOS)."""
        tp = self.trustpoint
        if self.platform == Platform.CISCO_PIX:
            return [f"ca enroll {tp} {self.challenge}"]
        if self.platform == Platform.CISCO_ASA:
            return [f"crypto ca enroll {tp}"]
        form = getattr(self.device, "pki_form", PkiForm.UNKNOWN)
        if form == PkiForm.CA:
            return [f"crypto ca enroll {tp}"]
        if form == PkiForm.PKI:
            return [f"crypto pki enroll {tp}"]
        return [f"crypto pki enroll {tp}", f"crypto ca enroll {tp}"]

    def request(self) -> None:
        """Run the enroll dialogue; returns once the request went to the CA, else raises DialogueFailed.

        1. Enter configuration mode.
        2. Send the enroll command (IOS: `pki` form, `ca` form when the older IOS rejects it).
        3. Answer each question the device asks from QUESTIONS; anything else ends it (declined).
        4. Back at the configuration prompt: the device must have said the request was sent.
        5. Leave configuration mode.
        """
        with _quiet_channel_logs(self.conn, self.challenge):
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
                    f"no answer from the device within {exc.seconds:g} s; last words: {_last_words(exc.seen)}"
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
                question = _which_question(out)
                if question is None:
                    # A question split across two reads looks unknown at first: let the rest arrive.
                    out += self._read_more(SETTLE_S)
                    question = _which_question(out)
            everything += out
            self.progress()
            if question is None and self.config_prompt.search(out):
                return everything
            if question is None:
                raise _Unexpected(f"unexpected question from the device: {_last_words(out)!r}")
            if question.name in asked:
                # Asked twice: the device did not accept our answer (e.g. a password mismatch).
                raise _Unexpected(f"the device asked again: {_last_words(out)!r}")
            asked.add(question.name)
            if question.answer is SECRET:
                line, secret = self.challenge, True
            else:
                line, secret = str(question.answer), False
        raise _Unexpected(f"the dialogue did not end after {MAX_STEPS} questions")

    def _check_request_sent(self, out: str) -> None:
        if REQUEST_SENT_RE.search(out):
            match = FINGERPRINT_RE.search(out)
            if match:
                self.fingerprint = match.group(1)
            return
        error = DIALOGUE_ERROR_RE.search(out)
        words = error.group(0).strip() if error else _last_words(out, skip_prompt=self.config_prompt)
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

    def _drain(self, seconds: float) -> str:
        """Read what arrives for a moment after the dialogue (the fingerprint follows the prompt)."""
        mark = self._mark()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.conn.read_channel()
            if FINGERPRINT_RE.search(self._since(mark)):
                break
            time.sleep(0.1)
        seen = self._since(mark)
        match = FINGERPRINT_RE.search(seen)
        if match:
            self.fingerprint = match.group(1)
        return seen

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
        late = [m.group(0).strip() for m in ASYNC_LINE_RE.finditer(muted.replace("\r", ""))]
        if late:
            self.transcript.received("\n".join(late) + "\n")
        if result.error:
            raise SessionError(f"{result.text}: {result.error}")
        text = "\n".join(line for line in result.output.splitlines() if not ASYNC_LINE_RE.match(line))
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

    def wait_for_grant(
        self,
        previous: set[str],
        deadline: float,
        check_every: float,
        on_check: Callable[[], None] | None = None,
    ) -> str:
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
                if on_check is not None:
                    on_check()
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
        """`write memory` (PIX: `ca save all` first, both in configuration mode); raise on the device's error."""
        prompt = self._prompt_pattern(self.exec_prompt, self.config_prompt)
        outputs = []
        try:
            if self.platform == Platform.CISCO_PIX:
                self.enter_config()
                try:
                    outputs.append(self.step("ca save all", prompt))
                    outputs.append(self.step("write memory", prompt, timeout=max(self.timeout, 30)))
                finally:
                    self.leave_config()
            else:
                outputs.append(self.step("write memory", prompt, timeout=max(self.timeout, 30)))
        except _StepTimeout as exc:
            self.hang_up()
            raise DialogueFailed(f"saving the configuration: no answer within {exc.seconds:g} s") from None
        self.progress()
        for out in outputs:
            bad = SAVE_ERROR_RE.search(out)
            if bad:
                raise DialogueFailed(f"saving the configuration failed: {bad.group(0).strip()}")


class _StepTimeout(Exception):
    def __init__(self, seen: str, seconds: float) -> None:
        super().__init__(f"timeout after {seconds:g} s")
        self.seen = seen
        self.seconds = seconds


class _Unexpected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _which_question(text: str) -> Question | None:
    return next((q for q in QUESTIONS if q.pattern.search(text)), None)


def async_failure(text: str) -> str:
    """Why the request will not be granted, from the device's asynchronous lines; '' when none says so."""
    text = text.replace("\r", "")
    for pattern, template in (
        (REJECTED_RE, REASON_REJECTED),
        (CA_UNREACHABLE_RE, REASON_CA_UNREACHABLE),
        (PKI_ERROR_RE, REASON_PKI_ERROR),
    ):
        found = pattern.search(text)
        if found:
            return template.format(line=found.group(0).strip())
    return ""


def _last_words(text: str, skip_prompt: re.Pattern[str] | None = None) -> str:
    lines = [line.strip() for line in text.replace("\r", "").splitlines() if line.strip()]
    if skip_prompt is not None:
        lines = [line for line in lines if not skip_prompt.search(line)]
    return " / ".join(lines[-2:])[:300] or "(nothing)"
