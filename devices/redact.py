"""Device text with its secrets masked: passwords, keys, communities and URL credentials.

Every form of the IOS, PIX and ASA configuration grammar that carries a secret keeps its keyword and
loses its value (`<removed>`), so a reader still sees that a key is configured and where. The table of
forms is in docs/security.md. Pure functions of text, no Django: the poll applies them to everything it
stores from a device (the raw configuration, parsed facts, trustpoint URLs, warnings, reasons) and
diagnosis to what it quotes. Redacting twice gives the same text; no line is ever dropped.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "<removed>"

# A keyword starts a word: `key` does not match inside `message-digest-key` or `monkey`.
_B = r"(?<![\w-])"
# The encryption type IOS and ASA print before a value (`7`, `5`, `8`): kept, it is not the secret.
_TYPE = r"(?:[0-9] )?"
# What PIX and ASA print after a password and is not part of it (`passwd X encrypted`,
# `username u password X pbkdf2 privilege 15`); IOS takes the rest of the line as the password.
_TAIL = r"(?:encrypted|pbkdf2|nt-encrypted|mschap|privilege \d+|level \d+|timeout \d+)"


def _rest(n: int = 0) -> str:
    """The value to the end of the line, or one token when only PIX/ASA keywords follow it."""
    return rf"(?P<s{n}>\S+(?=(?:\s+{_TAIL})+\s*$)|\S(?:.*\S)?)"


def _token(n: int = 0) -> str:
    return rf"(?P<s{n}>\S+)"


# (form, pattern): every named group s0, s1 ... is a secret. Documented in docs/security.md.
_FORMS: list[tuple[str, str]] = [
    ("enable password|secret", _B + rf"enable (?:password|secret)(?: level \d+)? {_TYPE}{_rest()}"),
    ("username ... password|secret", _B + rf"username \S+(?: .*?)? (?:password|secret) {_TYPE}{_rest()}"),
    ("passwd (PIX/ASA)", _B + rf"passwd {_rest()}"),
    ("... password [N] ...", _B + rf"password(?: level \d+)? (?!encryption aes\b){_TYPE}{_rest()}"),
    ("... secret [N] ...", _B + rf"secret(?: level \d+)? {_TYPE}{_rest()}"),
    ("key-string", _B + rf"key-string {_TYPE}{_rest()}"),
    ("ntp authentication-key N md5", _B + rf"ntp authentication-key \d+ \S+ {_rest()}"),
    ("authentication-key (OSPF)", _B + rf"(?<!ntp )authentication-key {_TYPE}{_rest()}"),
    ("message-digest-key N md5", _B + rf"message-digest-key \d+ md5 {_TYPE}{_rest()}"),
    (
        "pre-shared-key address|hostname ... key (keyring)",
        _B + rf"pre-shared-key (?:address|hostname|ipv6) .*?{_B}key {_TYPE}{_rest()}",
    ),
    (
        "pre-shared-key [local|remote] (keyring, tunnel-group, IKEv2)",
        _B
        + r"pre-shared-key (?!address |hostname |ipv6 )(?:(?:local|remote) )?(?:hex |hexadecimal |ascii-text )?"
        + _TYPE
        + _rest(),
    ),
    (
        "authentication local|remote pre-share key (IKEv2 profile)",
        _B + rf"authentication (?:local|remote) pre-share(?:d-key)? (?:key )?{_TYPE}{_rest()}",
    ),
    ("isakmp key ... address|hostname", _B + rf"isakmp key {_TYPE}{_token()}"),
    ("tacacs-server|radius-server ... key", _B + rf"(?:tacacs|radius)-server (?:\S+ )*?key {_TYPE}{_rest()}"),
    ("server-private ... key", _B + rf"server-private \S+ (?:\S+ )*?key {_TYPE}{_rest()}"),
    ("server-key, pac key", _B + rf"(?:server-key|pac key) {_TYPE}{_rest()}"),
    # A key with its encryption type, anywhere; not `ntp server A key 1 prefer` (a key number).
    ("... key 7 ...", r"^(?!\s*ntp )\s*\S.*?(?<=\s)(?<!isakmp )key [0-9] " + _rest()),
    ("snmp-server community", _B + rf"snmp-server community (?:[08] )?{_token()}"),
    ("snmp-server host ... community (ASA)", _B + rf"snmp-server host .*?{_B}community (?:[08] )?{_token()}"),
    ("snmp-server user ... auth", _B + rf"snmp-server user .*? auth (?:md5|sha\S*) {_token()}"),
    ("snmp-server user ... priv", _B + rf"snmp-server user .*? priv (?:aes \d+ |aes |3des |des ){_token()}"),
    (
        "standby|vrrp|glbp authentication [text]",
        _B + rf"(?:standby|vrrp|glbp)(?: \d+)? authentication (?:text )?(?!md5\b|text\b){_token()}",
    ),
    ("ip nhrp authentication", _B + rf"nhrp authentication {_rest()}"),
    ("wpa-psk ascii|hex", _B + rf"wpa-psk (?:ascii|hex) {_TYPE}{_rest()}"),
    ("ldap-login-password", _B + rf"ldap-login-password {_TYPE}{_rest()}"),
    ("radius-common-pw (ASA)", _B + rf"radius-common-pw {_rest()}"),
    ("failover [lan] key", _B + rf"failover (?:lan )?key (?:hex |[08] )?{_rest()}"),
    (
        "aaa-server ... host ADDR KEY",
        _B + rf"aaa-server \S+ (?:\(\S+\) )?host \S+ (?!timeout\b)(?:key )?{_token()}",
    ),
    (
        "authentication ipsec spi N md5|sha1 (OSPFv3)",
        _B + rf"authentication ipsec spi \d+ \S+ {_TYPE}{_rest()}",
    ),
    (
        "set session-key ... ah|cipher",
        _B + rf"set session-key (?:in|out)bound (?:ah \d+|esp \d+ cipher) {_token()}",
    ),
    (
        "set session-key ... authenticator",
        _B + rf"set session-key (?:in|out)bound esp \d+ .*?authenticator {_token()}",
    ),
    ("group NAME key (Easy VPN client)", _B + rf"group \S+ key {_TYPE}{_rest()}"),
    ("authentication key [eigrp N] (ASA)", _B + rf"authentication key (?:eigrp \d+ )?{_TYPE}{_token()}"),
    ("area-password, domain-password (IS-IS)", _B + rf"(?:area|domain)-password {_rest()}"),
    ("shared-secret, password-encrypt", _B + rf"(?:shared-secret|password-encrypt) {_TYPE}{_rest()}"),
    (
        "scheme://user:password@host",
        r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]*:(?P<s0>\S+?)(?=@[^\s@]*(?:\s|$))",
    ),
]
_COMPILED = [(form, re.compile(pattern)) for form, pattern in _FORMS]

# `snmp-server host ADDR [vrf V] [informs|traps] [version 1|2c] COMMUNITY` (IOS; PIX and ASA name the
# interface first and give the community only after the `community` keyword, handled above).
_SNMP_HOST_IOS = re.compile(
    rf"{_B}snmp-server host (?!.*\bcommunity\b)(?P<addr>\S+)(?: vrf \S+)?(?: informs| traps)?"
    rf"(?: version (?:1|2c))? (?!version\b|informs\b|traps\b|vrf\b){_token()}"
)
_ADDRESS = re.compile(r"^[0-9a-fA-F:.]+$")

# A bare `key VALUE` line: the secret of a `tacacs server`, `radius server`, `aaa-server ... host`
# or `crypto isakmp client configuration group` block (in a `key chain` block: the key id).
_KEY_LINE = re.compile(rf"^(?P<head>\s*key )(?!chain\b|config-key\b){_TYPE}{_rest()}$")
_TRIGGER = re.compile(r"pass|secret|key|community|psk|://|authentication|snmp-server|shared|-pw|aaa-server")

_SECRET_GROUP = re.compile(r"s\d+")


def _masked_match(match: re.Match[str]) -> str:
    """The matched text with its secret groups replaced (for re.sub)."""
    text, offset = match.group(0), match.start()
    spans = sorted(
        (
            match.span(name)
            for name in match.groupdict()
            if _SECRET_GROUP.fullmatch(name) and match.group(name)
        ),
        reverse=True,
    )
    for start, end in spans:
        text = text[: start - offset] + MASK + text[end - offset :]
    return text


def _mask(line: str, match: re.Match[str]) -> str:
    return line[: match.start()] + _masked_match(match) + line[match.end() :]


def _snmp_host(line: str, platform: str) -> str:
    if platform in ("cisco_asa", "cisco_pix"):
        return line
    match = _SNMP_HOST_IOS.search(line)
    if match is None:
        return line
    # PIX/ASA shape without a platform (a warning): `snmp-server host IFACE ADDRESS ...`.
    if not _ADDRESS.match(match.group("addr")) and _ADDRESS.match(match.group("s0")):
        return line
    return _mask(line, match)


def redact_line(line: str, block: str | None = None, platform: str = "") -> str:
    """One line with its secrets masked; `block` is the line that opened its block ("" at top level,
    None when unknown, as for a quoted line in a warning)."""
    if not _TRIGGER.search(line):
        return line
    for _, pattern in _COMPILED:
        line = pattern.sub(_masked_match, line)
    line = _snmp_host(line, platform)
    match = _KEY_LINE.match(line)
    # `key 1` under `key chain` is the key id; under any other block, or quoted without its block
    # (None), a bare `key` line is a server's or a group's secret.
    if match and block != "" and not (block or "").startswith("key chain"):
        line = _mask(line, match)
    return line


def redact_config(text: str, platform: str = "") -> str:
    """A configuration (`show running-config`, `write terminal`) with every secret masked."""
    out: list[str] = []
    block = ""
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        ending = raw[len(line) :]
        if line[:1] not in (" ", "\t"):
            stripped = line.strip()
            block = "" if stripped.startswith("!") else stripped
            out.append(redact_line(line, "", platform) + ending)
        else:
            # An indented line after a blank or `!` line belongs to a block we cannot name: unknown.
            out.append(redact_line(line, block or None, platform) + ending)
    return "".join(out)


def _redact_lines(text: str, block: str | None, platform: str) -> str:
    if not text or not _TRIGGER.search(text):
        return text
    out: list[str] = []
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        out.append(redact_line(line, block, platform) + raw[len(line) :])
    return "".join(out)


def redact_text(text: str, platform: str = "") -> str:
    """Any device text whose block context is unknown (a warning, a reason, a quoted line)."""
    return _redact_lines(text, None, platform)


def redact_output(text: str, platform: str = "") -> str:
    """A show command's output: only the forms that never read as a show command's own words
    (URL credentials, configuration lines it may quote); `Key Usage:` and the like stay."""
    return _redact_lines(text, "", platform)


def redact_value(value: Any, platform: str = "") -> Any:
    """Parsed facts (dicts, lists, strings) with every string redacted; keys and numbers kept."""
    if isinstance(value, str):
        return redact_text(value, platform)
    if isinstance(value, dict):
        return {key: redact_value(item, platform) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item, platform) for item in value]
    return value
