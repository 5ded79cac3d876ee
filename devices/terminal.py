"""What a Cisco CLI terminal prints around a command's output: the echo, the prompt, the pager, log lines.

A terminal with `terminal monitor` (or a console) prints syslog whenever it comes: before the echo of
the next command, inside an output, or just after the prompt that ends one. The prompt is then not the
last thing read, and what is read next starts with the tail of a log line. These pure functions tell a
command's own output from what the device printed on its own.
"""

from __future__ import annotations

import re

# A pager prompt left in the output: the device is paging, so the output is cut short.
MORE_RE = re.compile(r"<-+ ?More ?-+>|--More--|-- ?More ?--", re.IGNORECASE)

# A line the device prints on its own: syslog (`%FACILITY-SEVERITY-MNEMONIC`, IOS and ASA, with or
# without a timestamp before it) and the console messages of certificate enrollment, which carry no `%`.
_LOG_LINE = (
    r"[^\n]*(?:%[A-Z][A-Z0-9_]*-[0-7]-[A-Z0-9_]+|CRYPTO_PKI|certificate is granted|granted by CA|"
    r"rejected by the CA|Failed to (?:connect|send))[^\n]*"
)
LOG_LINE_RE = re.compile(rf"^{_LOG_LINE}$", re.IGNORECASE | re.MULTILINE)


def prompt_line(prompt: str) -> str:
    """A regex (text) for one prompt line of the device whose base prompt is `prompt` (any mode)."""
    return rf"{re.escape(prompt)}[^\n]{{0,40}}[>#][ \t\r]*"


def end_of_output(prompt: str) -> str:
    """A regex (text) for the end of a command's output: its prompt, then at most log lines.

    The device may print a log line right after the prompt; the output is complete all the same.
    """
    return rf"{prompt_line(prompt)}(?:\n(?:(?i:{_LOG_LINE}))?[ \t\r]*)*$"


def _is_log_or_blank(line: str) -> bool:
    return not line.strip() or bool(LOG_LINE_RE.fullmatch(line.rstrip("\r")))


def own_output(raw: str, command: str, prompt: str) -> str:
    """The output of `command` alone, from all that was read for it (echo and prompt included).

    1. Drop the echo of the command, and any log lines the device printed before it.
    2. Drop the prompt that ended the output, and any log lines after it; with `logging synchronous` the
       device prints the prompt again after such a line, and the whole run of prompts and log lines goes.
    Where the echo or the prompt is not found, that end is kept as it is.
    """
    lines = raw.replace("\x08", "").split("\n")
    start = 0
    for i, line in enumerate(lines):
        if line.strip().startswith(command.strip()) or line.rstrip().endswith(command.strip()):
            start = i + 1
            break
        if not _is_log_or_blank(line):
            break
    end = len(lines)
    is_prompt = re.compile(prompt_line(prompt))
    for i in range(len(lines) - 1, start - 1, -1):
        if is_prompt.fullmatch(lines[i]):
            end = i
            continue
        if not _is_log_or_blank(lines[i]):
            break
    return "\n".join(lines[start:end])
