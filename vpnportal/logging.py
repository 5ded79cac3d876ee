"""Logging for every process: secrets masked, the ids of the work in hand as fields, plain or JSON lines."""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_SECRET_PATTERN = re.compile(
    r"(?i)(password|passwd|secret|challenge|token)(\s*[=:]\s*|\s+)(\S+)",
)

# The ids a log line can be tied to; set by the poll and enrollment tasks, read by ContextFilter.
CONTEXT_FIELDS = ("task_id", "device_id", "poll_id", "tunnel_id", "enrollment_id")
_NONE: Mapping[str, object] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, object]] = contextvars.ContextVar(
    "vpnportal_log_context", default=_NONE
)


def redact(text: str) -> str:
    """Replace the value after password/secret/challenge/token words with ********."""
    return _SECRET_PATTERN.sub(lambda m: f"{m.group(1)}{m.group(2)}********", text)


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Tie every line logged inside the block to these ids (added to the ids already set)."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def bind(**fields: object) -> None:
    """Add ids to the current context until the enclosing log_context ends (e.g. the poll id once claimed)."""
    _context.set({**_context.get(), **fields})


def clear() -> None:
    """Forget every id (a worker process between two tasks)."""
    _context.set(_NONE)


class RedactSecretsFilter(logging.Filter):
    """Masks secrets in the message and in the traceback before any handler writes them."""

    _traceback_formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        # An exception's text quotes device output as often as a message does: format it here, masked,
        # so the formatter reuses the masked text (Formatter.format prefers exc_text when set).
        if record.exc_info and not record.exc_text:
            record.exc_text = self._traceback_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class ContextFilter(logging.Filter):
    """Copies the ids of log_context onto the record (None when not known), for formatters to show."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        for name in CONTEXT_FIELDS:
            if not hasattr(record, name):
                setattr(record, name, context.get(name))
        return True


class PlainFormatter(logging.Formatter):
    """`time level logger message` followed by the known ids as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(f"{n}={getattr(record, n)}" for n in CONTEXT_FIELDS if getattr(record, n, None))
        if not ids:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} [{ids}]{newline}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the known ids, and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=str)


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """The LOGGING dict of every process (web, worker, beat, manage.py): filters on every handler."""
    if log_format not in {"plain", "json"}:
        raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, got {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "redact": {"()": "vpnportal.logging.RedactSecretsFilter"},
            "context": {"()": "vpnportal.logging.ContextFilter"},
        },
        "formatters": {
            "plain": {
                "()": "vpnportal.logging.PlainFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            },
            "json": {"()": "vpnportal.logging.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["redact", "context"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "paramiko": {"level": "WARNING"},
            "netmiko": {"level": "WARNING"},
            "asyncssh": {"level": "WARNING"},
            # pyasn1 (imported by python-ldap) gives its logger a DEBUG stderr handler of its own, which
            # would skip the filters and could print decoded LDAP binds: it goes to the root handler.
            "pyasn1": {"handlers": [], "level": "WARNING", "propagate": True},
            # django-axes: failures and lockouts are warnings; its per-attempt chatter is INFO.
            "axes": {"level": "WARNING"},
            # Django's own handlers (request lines of runserver, error mails) would skip the filters:
            # their loggers hand everything to the root handler instead.
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        },
    }
