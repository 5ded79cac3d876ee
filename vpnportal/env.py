"""Tiny typed readers for settings that come from the environment."""

from __future__ import annotations

import os
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    """Return the variable, or the default when unset or empty."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    """Read yes/no style variables: 1/true/yes/on are true."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    """Read an integer variable and name it in the error when it is not one."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated list, dropping empty items."""
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_int_list(name: str, default: str) -> list[int]:
    """Read a comma-separated list of integers (e.g. CERT_WARN_DAYS=30,7,1)."""
    try:
        return [int(item) for item in env_list(name, default)]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a comma list of integers") from exc


# Engines this project ships a driver for; dj-database-url knows more.
_ENGINES = {"django.db.backends.sqlite3", "django.db.backends.postgresql"}


def database_from_url(url: str, base_dir: str) -> dict[str, Any]:
    """Turn DATABASE_URL (sqlite:///path or postgres://user:pw@host:port/name?opts) into Django's dict.

    dj-database-url decodes percent-encoded user names, passwords and database names and hands query
    options (sslmode, connect_timeout, application_name, ...) to the driver, typed.
    """
    scheme = url.split(":", 1)[0]
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    except (ValueError, KeyError) as exc:
        # Never quote the URL or the parser's message: both can hold the password.
        raise ImproperlyConfigured(
            f"DATABASE_URL ({scheme}://...) could not be read: percent-encode special characters "
            "(@ : / ? # %) in the user name, password and database name"
        ) from exc
    if config.get("ENGINE") not in _ENGINES:
        raise ImproperlyConfigured(f"DATABASE_URL scheme {scheme!r} is not supported (sqlite, postgres)")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        name = str(config.get("NAME") or "var/vpnportal.sqlite3")
        if name != ":memory:" and not os.path.isabs(name):
            name = os.path.join(base_dir, name)
        # The demo's worker runs several polls at once: WAL lets pages read while a poll writes, and
        # IMMEDIATE transactions wait for the write lock (timeout) instead of failing with "database
        # is locked" when a read transaction tries to upgrade.
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    config["NAME"] = config.get("NAME") or "vpnportal"
    config.setdefault("OPTIONS", {})
    return config
