"""The lines a device prints during an enrollment, read as questions, errors and outcomes (pure text)."""

from __future__ import annotations

import re
from dataclasses import dataclass

SECRET = object()  # marks an answer that is the challenge password


@dataclass(frozen=True)
class Question:
    """A question a dialogue may ask, and what we answer."""

    name: str
    pattern: re.Pattern[str]
    answer: object  # a string, or SECRET


# The questions of IOS 12.2, IOS 15/XE and ASA, as the seed document's dialogue shows them (PIX 6 asks none).
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
SAVE_ERROR_RE = re.compile(r"^.*(?:% ?Invalid input|ERROR|Error|failed|Type help or '\?').*$", re.MULTILINE)

REASON_CA_UNREACHABLE = (
    "the CA could not be reached over HTTP (TCP port 80): check that nothing between the device and the CA "
    "blocks it. The device said: {line}"
)
REASON_REJECTED = "the CA rejected the request (wrong challenge password?). The device said: {line}"
REASON_PKI_ERROR = "the device reported a PKI error: {line}"


def which_question(text: str) -> Question | None:
    """The known question `text` ends with, if any."""
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


def last_words(text: str, skip_prompt: re.Pattern[str] | None = None) -> str:
    """The device's last two non-empty lines (without prompts matching `skip_prompt`), for an error."""
    lines = [line.strip() for line in text.replace("\r", "").splitlines() if line.strip()]
    if skip_prompt is not None:
        lines = [line for line in lines if not skip_prompt.search(line)]
    return " / ".join(lines[-2:])[:300] or "(nothing)"
