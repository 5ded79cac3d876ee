"""Command tables per persona and the matcher that accepts abbreviations as the devices do."""

from __future__ import annotations

import re
from dataclasses import dataclass

ARG = "<arg>"
REST = "<rest>"

EXEC = "exec"
CONFIG = "config"


@dataclass(frozen=True)
class Spec:
    """One command: its keywords (ARG/REST placeholders), the action it runs, where it is allowed."""

    words: tuple[str, ...]
    action: str
    mode: str = EXEC
    priv: int = 15


@dataclass
class Match:
    """The outcome of matching a line against a command table."""

    action: str | None = None
    args: list[str] | None = None
    rest: str = ""
    error: str | None = None  # invalid | ambiguous | incomplete | unknown
    position: int = 0  # character offset of the offending token


def _specs(rows: list[tuple[str, str]], mode: str = EXEC, priv: int = 15) -> list[Spec]:
    return [Spec(tuple(text.split()), action, mode, priv) for text, action in rows]


# Keywords a real `show` offers besides the ones we render; they keep abbreviations honest
# (`sh c` is ambiguous on a real router) and print nothing here.
_SHOW_DECOYS = [
    "show access-lists",
    "show arp",
    "show configuration",
    "show controllers",
    "show debugging",
    "show history",
    "show hosts",
    "show interfaces",
    "show ip route",
    "show memory",
    "show processes",
    "show terminal",
]

_IOS_USER = [
    ("enable", "enable"),
    ("exit", "exit"),
    ("logout", "exit"),
    ("quit", "exit"),
    ("terminal length <arg>", "terminal_length"),
    ("terminal width <arg>", "terminal_width"),
    ("terminal monitor", "terminal_monitor"),
    ("terminal no monitor", "terminal_no_monitor"),
    ("show clock", "show_clock"),
    ("show version", "show_version"),
    ("show privilege", "show_privilege"),
    ("show users", "show_users"),
]

_IOS_PRIV_COMMON = [
    ("disable", "disable"),
    ("show running-config", "show_running_config"),
    ("show startup-config", "show_running_config"),
    ("show logging", "show_logging"),
    ("show crypto isakmp sa", "show_isakmp_sa"),
    ("show crypto isakmp policy", "show_isakmp_policy"),
    ("show crypto ipsec sa", "show_ipsec_sa"),
    ("show crypto ipsec transform-set", "empty"),
    ("show crypto engine connections active", "show_engine_active"),
    ("show crypto engine connections dropped-packet", "empty"),
    ("show crypto engine configuration", "empty"),
    ("show crypto dynamic-map", "empty"),
    ("show crypto map", "show_crypto_map"),
    ("show crypto key mypubkey rsa", "show_mypubkey"),
    ("show crypto key pubkey-chain rsa", "empty"),
    ("write memory", "write_memory"),
    ("write terminal", "show_running_config"),
    ("copy running-config startup-config", "write_memory"),
    ("configure terminal", "configure"),
    ("clock set <rest>", "clock_set"),
    ("clear crypto sa", "clear_sa"),
    ("clear crypto isakmp", "clear_sa"),
    ("ping <arg>", "ping"),
]

_IOS122_PRIV = [
    ("show crypto ca certificates", "show_certificates"),
    ("show crypto ca crls", "show_crls"),
    ("show crypto ca roots", "empty"),
]

_IOS15_PRIV = [
    ("show crypto pki certificates", "show_certificates"),
    ("show crypto pki certificates <arg>", "show_certificates"),
    ("show crypto pki crls", "show_crls"),
    ("show crypto pki trustpoints", "empty"),
    ("show crypto pki server", "empty"),
    ("show crypto ca certificates", "show_certificates"),
    ("show crypto ca crls", "show_crls"),
    ("show crypto ikev2 sa", "show_ikev2_sa"),
    ("show crypto session", "empty"),
]

_IOS_CONFIG_COMMON = [
    ("end", "end"),
    ("exit", "end"),
    ("do <rest>", "do"),
    ("crypto isakmp identity <arg>", "isakmp_identity"),
    ("hostname <arg>", "hostname"),
]

_IOS122_CONFIG = [
    ("crypto ca enroll <arg>", "enroll"),
    ("crypto ca crl request <arg>", "crl_request"),
    ("crypto ca authenticate <arg>", "authenticate"),
]

_IOS15_CONFIG = [
    ("crypto pki enroll <arg>", "enroll"),
    ("crypto pki crl request <arg>", "crl_request"),
    ("crypto pki authenticate <arg>", "authenticate"),
    ("crypto ca enroll <arg>", "enroll"),
    ("crypto ca crl request <arg>", "crl_request"),
]

_PIX_USER = [
    ("enable", "enable"),
    ("exit", "exit"),
    ("logout", "exit"),
    ("quit", "exit"),
    ("pager lines <arg>", "pager_lines"),
    ("show clock", "show_clock"),
    ("show version", "show_version"),
    ("show curpriv", "show_curpriv"),
]

_PIX_PRIV = [
    ("disable", "disable"),
    ("show running-config", "show_running_config"),
    ("show crypto isakmp sa", "show_isakmp_sa"),
    ("show crypto isakmp policy", "show_isakmp_policy"),
    ("show crypto ipsec sa", "show_ipsec_sa"),
    ("show crypto engine", "show_engine"),
    ("show crypto map", "show_crypto_map"),
    ("show crypto dynamic-map", "empty"),
    ("show ca certificate", "show_certificates"),
    ("show ca crl", "show_crls"),
    ("show ca mypubkey rsa", "show_mypubkey"),
    ("show ca identity", "empty"),
    ("show logging", "show_logging"),
    ("show pager", "show_pager"),
    ("write memory", "write_memory"),
    ("write terminal", "show_running_config"),
    ("configure terminal", "configure"),
    ("clear crypto isakmp sa", "clear_sa"),
    ("clear crypto ipsec sa", "clear_sa"),
    ("clock set <rest>", "clock_set"),
    ("ping <arg>", "ping"),
    ("terminal monitor", "terminal_monitor"),
    ("terminal no monitor", "terminal_no_monitor"),
]

_PIX_CONFIG = [
    ("end", "end"),
    ("exit", "end"),
    ("no pager", "no_pager"),
    ("pager lines <arg>", "pager_lines"),
    ("pager", "pager_default"),
    ("terminal width <arg>", "noop"),
    ("ca enroll <arg> <arg>", "enroll"),
    ("ca enroll <arg> <arg> <rest>", "enroll"),
    ("ca save all", "ca_save"),
    ("ca crl request <arg>", "crl_request"),
    ("ca authenticate <arg>", "authenticate"),
    ("isakmp identity <arg>", "isakmp_identity"),
    ("write memory", "write_memory"),
    ("write terminal", "show_running_config"),
    ("show running-config", "show_running_config"),
    ("show ca certificate", "show_certificates"),
    ("show ca crl", "show_crls"),
    ("show ca mypubkey rsa", "show_mypubkey"),
    ("show clock", "show_clock"),
    ("show crypto isakmp sa", "show_isakmp_sa"),
    ("show crypto ipsec sa", "show_ipsec_sa"),
]

_ASA_USER = [
    ("enable", "enable"),
    ("exit", "exit"),
    ("logout", "exit"),
    ("quit", "exit"),
    ("login", "login"),
    ("show curpriv", "show_curpriv"),
    ("show clock", "show_clock"),
    ("show version", "show_version"),
    ("terminal pager <arg>", "terminal_pager"),
    ("terminal pager lines <arg>", "terminal_pager"),
]

_ASA_PRIV = [
    ("disable", "disable"),
    ("terminal width <arg>", "terminal_width"),
    ("terminal monitor", "terminal_monitor"),
    ("terminal no monitor", "terminal_no_monitor"),
    ("show running-config", "show_running_config"),
    ("show startup-config", "show_running_config"),
    ("show logging", "show_logging"),
    ("show crypto isakmp sa", "show_isakmp_sa"),
    ("show crypto ikev1 sa", "show_isakmp_sa"),
    ("show crypto ikev2 sa", "empty"),
    ("show crypto ipsec sa", "show_ipsec_sa"),
    ("show crypto ca certificates", "show_certificates"),
    ("show crypto ca certificates <arg>", "show_certificates"),
    ("show crypto ca crl", "show_crls"),
    ("show crypto ca trustpoints", "empty"),
    ("show crypto key mypubkey rsa", "show_mypubkey"),
    ("show crypto map", "empty"),
    ("show crypto accelerator statistics", "empty"),
    ("show vpn-sessiondb", "empty"),
    ("write memory", "write_memory"),
    ("write terminal", "show_running_config"),
    ("copy running-config startup-config", "write_memory"),
    ("configure terminal", "configure"),
    ("clear crypto ipsec sa", "clear_sa"),
    ("clear crypto isakmp sa", "clear_sa"),
    ("clock set <rest>", "clock_set"),
    ("ping <arg>", "ping"),
]

_ASA_CONFIG = [
    ("end", "end"),
    ("exit", "end"),
    ("terminal width <arg>", "terminal_width"),
    ("terminal pager <arg>", "terminal_pager"),
    ("pager lines <arg>", "pager_lines"),
    ("no pager", "no_pager"),
    ("crypto ca enroll <arg>", "enroll"),
    ("crypto ca enroll <arg> noconfirm", "enroll"),
    ("crypto ca crl request <arg>", "crl_request"),
    ("crypto ca authenticate <arg>", "authenticate"),
    ("crypto isakmp identity <arg>", "isakmp_identity"),
    ("write memory", "write_memory"),
    ("show running-config", "show_running_config"),
    ("show crypto ca certificates", "show_certificates"),
    ("show clock", "show_clock"),
]


def _with_decoys(specs: list[Spec]) -> list[Spec]:
    return specs + _specs([(d, "empty") for d in _SHOW_DECOYS])


COMMANDS: dict[str, list[Spec]] = {
    "ios122": _specs(_IOS_USER, priv=1)
    + _with_decoys(_specs(_IOS_PRIV_COMMON + _IOS122_PRIV))
    + _specs(_IOS_CONFIG_COMMON + _IOS122_CONFIG, mode=CONFIG),
    "ios15": _specs(_IOS_USER, priv=1)
    + _with_decoys(_specs(_IOS_PRIV_COMMON + _IOS15_PRIV))
    + _specs(_IOS_CONFIG_COMMON + _IOS15_CONFIG, mode=CONFIG),
    "pix60": _specs(_PIX_USER, priv=1) + _specs(_PIX_PRIV) + _specs(_PIX_CONFIG, mode=CONFIG),
    "asa9": _specs(_ASA_USER, priv=1) + _specs(_ASA_PRIV) + _specs(_ASA_CONFIG, mode=CONFIG),
}


def match(specs: list[Spec], line: str, mode: str, priv: int) -> Match:
    """Match `line` in `mode` at privilege `priv`; unique prefixes stand for keywords."""
    allowed = [s for s in specs if s.mode == mode and s.priv <= priv]
    tokens = [(m.group(0), m.start()) for m in re.finditer(r"\S+", line)]
    if not tokens:
        return Match(action="noop")
    candidates = allowed
    args: list[str] = []
    for i, (tok, pos) in enumerate(tokens):
        low = tok.lower()
        rest_specs = [s for s in candidates if len(s.words) > i and s.words[i] == REST]
        exact = [s for s in candidates if len(s.words) > i and s.words[i] == low]
        prefixed = [
            s
            for s in candidates
            if len(s.words) > i and s.words[i] not in (ARG, REST) and s.words[i].startswith(low)
        ]
        arg_specs = [s for s in candidates if len(s.words) > i and s.words[i] == ARG]
        if exact:
            kept = exact
        elif prefixed:
            keywords = {s.words[i] for s in prefixed}
            if len(keywords) > 1:
                return Match(error="ambiguous", position=pos)
            kept = prefixed
        elif arg_specs:
            kept = arg_specs
            args.append(tok)
        elif rest_specs:
            return Match(action=rest_specs[0].action, args=args, rest=line[pos:].strip())
        else:
            return Match(error="unknown" if i == 0 else "invalid", position=pos)
        candidates = kept
    n = len(tokens)
    complete = [s for s in candidates if len(s.words) == n]
    if complete:
        return Match(action=complete[0].action, args=args)
    return Match(error="incomplete", position=len(line))
