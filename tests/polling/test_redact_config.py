"""The stored copy of a configuration keeps no password, key or community string."""

from __future__ import annotations

import re

import pytest

from devices.outputs import redact_config
from tests.parsers.helpers import fixture

SECRET_LINES = [
    " password cisco",  # line vty / line con (the seed router's telnet password)
    " password 7 0822455D0A16",
    "enable secret 5 $1$abcd$efgh",
    "username admin privilege 15 secret 9 $9$xyz",
    "crypto isakmp key s3cret address 10.0.0.1",
    "snmp-server community public RO",
    " ip ospf authentication-key 7 1234",
    " ip ospf message-digest-key 1 md5 7 1234",
    " ppp chap password 7 1234",
    " pre-shared-key s3cret",
    "passwd 2KFQnbNIdI.2KYOU encrypted",
    "tacacs-server key s3cret",
]


@pytest.mark.parametrize("line", SECRET_LINES)
def test_it_removes_the_value_of_every_secret_line(line: str) -> None:
    redacted = redact_config(f"hostname r1\n{line}\nend\n")
    assert "<removed>" in redacted, redacted
    value = line.split()[-1]
    assert value not in redacted.replace("<removed>", "")


def test_it_leaves_no_clear_password_in_the_seed_configurations() -> None:
    for platform, name in (("cisco_ios", "show_running-config"), ("cisco_pix", "write_terminal")):
        redacted = redact_config(fixture(platform, name))
        for line in redacted.splitlines():
            if re.search(r"\b(password|secret|passwd)\b", line) and not line.startswith("no "):
                assert line.endswith("<removed>"), line
        assert "hostname" in redacted
