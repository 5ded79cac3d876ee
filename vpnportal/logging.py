"""A logging filter that masks anything that looks like a password in log records."""

from __future__ import annotations

import logging
import re

_SECRET_PATTERN = re.compile(
    r"(?i)(password|passwd|secret|challenge|token)(\s*[=:]\s*|\s+)(\S+)",
)


def redact(text: str) -> str:
    """Replace the value after password/secret/challenge/token words with ********."""
    return _SECRET_PATTERN.sub(lambda m: f"{m.group(1)}{m.group(2)}********", text)


class RedactSecretsFilter(logging.Filter):
    """Masks secrets in the formatted message before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
