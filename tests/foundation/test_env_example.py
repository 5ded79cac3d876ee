"""`.env.example` lists every variable the code reads, nothing else, and the defaults it shows are applied."""

from __future__ import annotations

import json
import os
import re

from tests.services import ROOT, run_python

CODE_FOLDERS = ("vpnportal", "devices", "pki")
ENV_READ = re.compile(
    r"""(?:env_(?:str|bool|int|list|int_list)|os\.environ\.get|os\.getenv|getenv)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
)
# Read by the code but not settings of an install: Django's own, the test suite's database name, and its
# Redis and pytest-xdist worker (the page cache of vpnportal/test_settings.py).
NOT_IN_EXAMPLE = {
    "DJANGO_SETTINGS_MODULE",
    "VPNPORTAL_TEST_DB",
    "VPNPORTAL_TEST_REDIS_URL",
    "PYTEST_XDIST_WORKER",
}
# Both runs below get the same: the example's own values are placeholders a production install replaces.
PLACEHOLDERS = {
    "DJANGO_SECRET_KEY": "x" * 50,
    "VPNPORTAL_FERNET_KEYS": "6jvs0xVp2-mZQcBmN3Ngy7s9bTUA2bcmVjTxb9nd8GQ=",
}

DUMP_SETTINGS = """
import json
from vpnportal import settings
print(json.dumps({k: repr(getattr(settings, k)) for k in dir(settings) if k.isupper()}))
"""


def code_variables() -> set[str]:
    """Every variable name the product code reads from the environment."""
    names: set[str] = set()
    for folder in CODE_FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            names.update(ENV_READ.findall(path.read_text()))
    return names - NOT_IN_EXAMPLE


def example_lines() -> list[tuple[str, str | None]]:
    """(name, value) per variable line of .env.example; value None for a commented-out (derived) default."""
    found: list[tuple[str, str | None]] = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        if m := re.match(r"^([A-Z][A-Z0-9_]+)=(.*)$", line):
            found.append((m.group(1), m.group(2)))
        elif m := re.match(r"^#\s*([A-Z][A-Z0-9_]+)=", line):
            found.append((m.group(1), None))
    return found


def example_variables() -> set[str]:
    return {name for name, _ in example_lines()}


def settings_with(env: dict[str, str]) -> dict[str, str]:
    """The settings module's values (repr) in a fresh process with exactly these variables of ours set."""
    ours = code_variables() | example_variables()
    base = {k: v for k, v in os.environ.items() if k not in ours}
    result = run_python("-c", DUMP_SETTINGS, env={**base, **PLACEHOLDERS, **env}, check=True)
    values: dict[str, str] = json.loads(result.stdout.splitlines()[-1])
    return values


def test_it_documents_every_variable_the_code_reads() -> None:
    missing = code_variables() - example_variables()
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_it_documents_only_variables_the_code_reads() -> None:
    unread = example_variables() - code_variables()
    assert not unread, f"not read by the code: {sorted(unread)}"


def test_the_defaults_it_shows_are_the_defaults_applied() -> None:
    shown = {name: value for name, value in example_lines() if value is not None and name not in PLACEHOLDERS}
    defaults = settings_with({})
    with_example = settings_with(shown)
    differ = {k: (defaults[k], with_example.get(k)) for k in defaults if defaults[k] != with_example.get(k)}
    assert not differ, f"setting: (default, with the .env.example value): {differ}"


def test_each_variable_changes_what_it_names() -> None:
    # A variable the code reads but then ignores would pass the test above: these must move a setting.
    defaults = settings_with({})
    assert settings_with({"EMAIL_TIMEOUT": "3"})["EMAIL_TIMEOUT"] != defaults["EMAIL_TIMEOUT"]
    assert settings_with({"LOG_FORMAT": "json"})["LOGGING"] != defaults["LOGGING"]
    assert settings_with({"VPNPORTAL_VAR_DIR": "elsewhere"})["VAR_DIR"] == repr(ROOT / "elsewhere")


def test_it_documents_the_design_variables() -> None:
    design = {
        "DATABASE_URL",
        "REDIS_URL",
        "DJANGO_SECRET_KEY",
        "DJANGO_DEBUG",
        "DJANGO_ALLOWED_HOSTS",
        "VPNPORTAL_FERNET_KEYS",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
        "EMAIL_USE_TLS",
        "DEFAULT_FROM_EMAIL",
        "ALERT_EMAIL_TO",
        "POLL_INTERVAL_SECONDS",
        "CERT_WARN_DAYS",
        "CRL_WARN_HOURS",
        "CLOCK_SKEW_WARN_SECONDS",
    }
    assert design <= example_variables()
    assert design <= code_variables()
