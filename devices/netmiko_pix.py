"""netmiko drivers for PIX 6 and ASA and a `connect()` helper for every platform vpnportal polls.

netmiko has no PIX type, and its `cisco_asa` driver sends `show curpriv` and `terminal pager 0`,
which PIX 6 does not know. The PIX driver enables with the secret, then turns paging off with
`pager lines 0` (the same as `no pager` in configuration mode).

netmiko's `cisco_asa` driver sets the width with `configure terminal` / `terminal width 511` / `end`
on every login. A session that only reads must never enter configuration mode: a read-only account
is refused there, and the device records the configuration session in its change log. The ASA driver
here sets the width with the privileged EXEC `terminal width 511` instead, and IOS's netmiko driver
already does so; no driver here sends `configure terminal` unless a caller asks for it (enrollment).
"""

from __future__ import annotations

import re
from typing import Any

from netmiko import ConnectHandler
from netmiko.base_connection import BaseConnection
from netmiko.cisco.cisco_asa_ssh import CiscoAsaSSH

PLATFORMS = ("cisco_ios", "cisco_asa", "cisco_pix")
TRANSPORTS = ("ssh", "telnet")

# What an ASA prints for a command it does not take at this privilege level.
_REJECTED_RE = re.compile(r"ERROR:|% ?Invalid input|Command authorization failed", re.IGNORECASE)


class CiscoAsaExec(CiscoAsaSSH):
    """ASA over SSH whose session preparation stays in EXEC mode (width set without configuration mode)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # netmiko's `allow_auto_change` is what makes it run `terminal width` in configuration mode.
        kwargs["allow_auto_change"] = False
        super().__init__(*args, **kwargs)

    def session_preparation(self) -> None:
        """netmiko's ASA preparation (enable, `terminal pager 0`), then the EXEC-level width."""
        wanted = self.global_cmd_verify
        super().session_preparation()
        output = self.set_terminal_width(command="terminal width 511")
        # Echo checks need the wide terminal; without it netmiko's preparation already turned them off.
        if not _REJECTED_RE.search(output):
            self.global_cmd_verify = wanted


class CiscoPixSSH(CiscoAsaSSH):
    """PIX 6.x over SSH: prompts `pix520-1> ` / `pix520-1# ` / `pix520-1(config)# `."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # `terminal width 511` in configuration mode is harmless on PIX but not needed
        kwargs.setdefault("allow_auto_change", False)
        super().__init__(*args, **kwargs)

    def session_preparation(self) -> None:
        """Wait for the prompt, enable with the secret, turn the pager off."""
        self._test_channel_read(pattern=r"[>#]")
        self.set_base_prompt()
        if self.secret:
            self.enable()
        self.disable_paging(command="pager lines 0")
        self.set_base_prompt()

    def disable_paging(
        self,
        command: str = "pager lines 0",
        delay_factor: float | None = None,
        cmd_verify: bool = True,
        pattern: str | None = None,
    ) -> str:
        """PIX 6 has no `terminal pager`; `pager lines 0` works in enable mode."""
        return super().disable_paging(
            command=command, delay_factor=delay_factor, cmd_verify=cmd_verify, pattern=pattern
        )

    def save_config(
        self, cmd: str = "write memory", confirm: bool = False, confirm_response: str = ""
    ) -> str:
        """`write memory` (then `ca save all` is the caller's business after an enrollment)."""
        return self._send_command_str(command_string=cmd, expect_string=r"\[OK\]|#")


class CiscoPixTelnet(CiscoPixSSH):
    """PIX 6.x over telnet (SSHv1-only devices): password prompt, then the same CLI."""

    def telnet_login(self, *args: Any, **kwargs: Any) -> str:
        """PIX asks only for the telnet password (no username) unless AAA is configured."""
        return super().telnet_login(*args, **kwargs)


def connect(platform: str, transport: str = "ssh", **kwargs: Any) -> BaseConnection:
    """An open netmiko connection for `cisco_ios` / `cisco_asa` / `cisco_pix` over ssh or telnet.

    kwargs are netmiko's (host, port, username, password, secret, timeouts...).
    """
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}")
    if transport not in TRANSPORTS:
        raise ValueError(f"unknown transport {transport!r}")
    if platform == "cisco_pix":
        cls = CiscoPixTelnet if transport == "telnet" else CiscoPixSSH
        device_type = "cisco_asa_telnet" if transport == "telnet" else "cisco_asa"
        return cls(device_type=device_type, **kwargs)
    device_type = platform if transport == "ssh" else f"{platform}_telnet"
    if device_type == "cisco_asa":
        return CiscoAsaExec(device_type=device_type, **kwargs)
    if device_type == "cisco_asa_telnet":
        # netmiko has no ASA telnet class; the ASA CLI over telnet is the SSH one after login
        return _AsaTelnet(device_type=device_type, **kwargs)
    return ConnectHandler(device_type=device_type, **kwargs)


class _AsaTelnet(CiscoAsaExec):
    """ASA over telnet: netmiko's ASA session with its telnet login."""
