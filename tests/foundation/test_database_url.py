"""DATABASE_URL is read by dj-database-url: percent-encoded credentials and query options come through."""

from __future__ import annotations

import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.services import run_python
from vpnportal.env import database_from_url


def test_percent_encoded_credentials_and_name_are_decoded() -> None:
    db = database_from_url("postgres://vp%40ops:p%40ss%2Fw%3Fx%23y%25@db.example:6543/vp%2Fdb", "/base")
    assert (db["USER"], db["PASSWORD"], db["NAME"]) == ("vp@ops", "p@ss/w?x#y%", "vp/db")
    assert (db["HOST"], db["PORT"]) == ("db.example", 6543)
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["CONN_MAX_AGE"] == 60 and db["CONN_HEALTH_CHECKS"] is True


def test_query_options_reach_the_driver_typed() -> None:
    db = database_from_url("postgresql://u:p@db.example/vp?sslmode=verify-full&connect_timeout=5", "/base")
    assert db["OPTIONS"] == {"sslmode": "verify-full", "connect_timeout": 5}


def test_a_password_with_a_raw_special_character_is_refused_without_quoting_it() -> None:
    # A '#' starts the URL fragment: everything after it is lost. The error must not print the password.
    with pytest.raises(ImproperlyConfigured) as raised:
        database_from_url("postgres://u:pa#Sekrit9@db.example/vp", "/base")
    assert "Sekrit9" not in str(raised.value) and "percent-encode" in str(raised.value)


def test_sqlite_stays_the_default_relative_to_the_project_folder() -> None:
    db = database_from_url("sqlite:///var/vpnportal.sqlite3", "/base")
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == "/base/var/vpnportal.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert database_from_url("sqlite:////srv/vp/db.sqlite3", "/base")["NAME"] == "/srv/vp/db.sqlite3"


def test_unsupported_schemes_are_named() -> None:
    with pytest.raises(ImproperlyConfigured, match="mysql"):
        database_from_url("mysql://u:p@db.example/vp", "/base")


def test_options_reach_a_real_postgres_session() -> None:
    url = "postgres://postgres@127.0.0.1:5432/postgres?application_name=vp%20portal%2Ftest&connect_timeout=3"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "vpnportal.settings"}
    script = (
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SHOW application_name')\n"
        "    print(c.fetchone()[0])\n"
    )
    result = run_python("manage.py", "shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "vp portal/test"
