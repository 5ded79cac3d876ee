"""What real terminals do to outputs: 80-column wraps, `--More--` with backspaces, CRLF, prompts, device
errors and outputs cut off mid-record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from devices.parsers.common import clean_lines, normalise_dn, normalise_serial
from devices.parsers.registry import parse
from tests.parsers.helpers import CORPUS, fixture

CASES = [
    ("cisco_ios", "show crypto isakmp sa", "show_crypto_isakmp_sa"),
    ("cisco_ios", "show crypto ipsec sa", "show_crypto_ipsec_sa"),
    ("cisco_ios", "show crypto engine connections active", "show_crypto_engine_connections_active"),
    ("cisco_ios", "show crypto ca certificates", "show_crypto_ca_certificates__pending"),
    ("cisco_ios", "show crypto ca crls", "show_crypto_ca_crls"),
    ("cisco_ios", "show clock", "show_clock"),
    ("cisco_ios", "show running-config", "show_running-config"),
    ("cisco_pix", "show crypto isakmp sa", "show_crypto_isakmp_sa"),
    ("cisco_pix", "show crypto ipsec sa", "show_crypto_ipsec_sa"),
    ("cisco_pix", "show crypto engine", "show_crypto_engine"),
    ("cisco_pix", "show ca certificate", "show_ca_certificate"),
    ("cisco_pix", "show ca crl", "show_ca_crl"),
    ("cisco_pix", "write terminal", "write_terminal"),
]
IDS = [f"{platform}:{name}" for platform, _, name in CASES]
XE_DETAIL = CORPUS / "genieparser/iosxe/show_crypto_ipsec_sa_detail/equal/golden_output_output.txt"


def wrap(text: str, width: int = 80) -> str:
    """Cut every line longer than width into width-wide pieces, as a terminal does."""
    out = []
    for line in text.split("\n"):
        while len(line) > width:
            out.append(line[:width])
            line = line[width:]
        out.append(line)
    return "\n".join(out)


def with_more(text: str, every: int, prompt: str, erase: str) -> str:
    """Insert a pager prompt and the characters that erase it every `every` lines."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        if i and i % every == 0:
            out.append(prompt + erase + line)
        else:
            out.append(line)
    return "\n".join(out)


IOS_MORE = (" --More-- ", "\x08" * 9 + " " * 9 + "\x08" * 9)
PIX_MORE = ("<--- More --->", "\r" + " " * 14 + "\r")


@pytest.mark.parametrize(("platform", "command", "name"), CASES, ids=IDS)
def test_it_ignores_crlf_and_prompts(platform: str, command: str, name: str) -> None:
    text = fixture(platform, name)
    expected = parse(platform, command, text)
    prompt = "1720-1#" if platform == "cisco_ios" else "pix520-1# "
    damaged = f"{prompt}{command}\r\n" + text.replace("\n", "\r\n") + f"\r\n{prompt}"
    assert parse(platform, command, damaged) == expected


@pytest.mark.parametrize(("platform", "command", "name"), CASES, ids=IDS)
@pytest.mark.parametrize("more", [IOS_MORE, PIX_MORE], ids=["ios-more", "pix-more"])
def test_it_removes_pager_prompts_and_their_backspaces(
    platform: str, command: str, name: str, more: tuple[str, str]
) -> None:
    text = fixture(platform, name)
    assert parse(platform, command, with_more(text, 5, *more)) == parse(platform, command, text)


@pytest.mark.parametrize(("platform", "command", "name"), CASES, ids=IDS)
def test_it_joins_lines_wrapped_at_80_columns(platform: str, command: str, name: str) -> None:
    text = fixture(platform, name)
    if command in {"show running-config", "write terminal"}:
        pytest.skip("configurations are read line by line: nothing in them is wider than 80")
    assert parse(platform, command, wrap(text)) == parse(platform, command, text)


def test_it_joins_wrapped_lines_of_a_wide_ios_xe_output() -> None:
    text = XE_DETAIL.read_text()
    assert max(len(line) for line in text.split("\n")) > 80
    assert parse("cisco_ios", "show crypto ipsec sa detail", wrap(text)) == parse(
        "cisco_ios", "show crypto ipsec sa detail", text
    )


def test_it_rewrites_backspace_erasures_and_keeps_indentation() -> None:
    assert clean_lines("abc\x08\x08xy\n  kept") == ["axy", "  kept"]
    assert clean_lines(" --More-- \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08    spi: 1") == ["    spi: 1"]


ERRORS = [
    (
        "cisco_ios",
        "show crypto pki certificates",
        "sh cr pki cert\n        ^\n% Invalid input detected at '^' marker.\n\n1720-1#",
        "% Invalid input detected at '^' marker.",
    ),
    (
        "cisco_ios",
        "show crypto ca crls",
        '% Ambiguous command:  "sh cr c"\n',
        '% Ambiguous command:  "sh cr c"',
    ),
    ("cisco_ios", "show crypto isakmp sa", "% Incomplete command.\n\n1720-1#", "% Incomplete command."),
    (
        "cisco_pix",
        "show ca certificate",
        "Type help or '?' for a list of available commands.\npix520-1#",
        "Type help or '?' for a list of available commands.",
    ),
    (
        "cisco_asa",
        "show crypto ca certificates",
        "ERROR: % Invalid input detected at '^' marker.\n",
        "% Invalid input detected at '^' marker.",
    ),
]
EMPTY_KEYS = {
    "show crypto pki certificates": "certificates",
    "show crypto ca crls": "crls",
    "show crypto isakmp sa": "ike_sas",
    "show ca certificate": "certificates",
    "show crypto ca certificates": "certificates",
}


@pytest.mark.parametrize(("platform", "command", "text", "words"), ERRORS)
def test_it_reports_device_errors_instead_of_an_empty_success(
    platform: str, command: str, text: str, words: str
) -> None:
    result = parse(platform, command, text)
    assert result["error"] == words
    assert result[EMPTY_KEYS[command]] == []


@pytest.mark.parametrize(("platform", "command", "name"), CASES, ids=IDS)
def test_it_reports_errors_for_every_command(platform: str, command: str, name: str) -> None:
    result = parse(platform, command, "% Invalid input detected at '^' marker.\n")
    assert result["error"] == "% Invalid input detected at '^' marker." and "warnings" in result


def cut(text: str, marker: str, keep: int) -> str:
    """The text up to `keep` characters after the last occurrence of marker: a cut inside that record."""
    return text[: text.rindex(marker) + keep]


TRUNCATIONS: list[tuple[str, str, str, str, int, Callable[[dict[str, Any]], Any], Any]] = [
    (
        "cisco_ios",
        "show crypto ca certificates",
        "show_crypto_ca_certificates",
        "CA Certificate",
        60,
        lambda r: [c["serial"] for c in r["certificates"]],
        ["3B2FD652", "3B2FD319", "3B2FD318"],
    ),
    (
        "cisco_pix",
        "show ca certificate",
        "show_ca_certificate",
        "RA KeyEncipher",
        90,
        lambda r: [c["serial"] for c in r["certificates"]],
        ["3B2FD653", "3B2FD307", "3B2FD319"],
    ),
    (
        "cisco_ios",
        "show crypto ipsec sa",
        "show_crypto_ipsec_sa",
        "outbound esp sas:",
        60,
        lambda r: [len(e["inbound_esp"]) for e in r["ipsec_sas"]],
        [1],
    ),
    (
        "cisco_ios",
        "show crypto engine connections active",
        "show_crypto_engine_connections_active",
        " 201 ",
        30,
        lambda r: [c["id"] for c in r["connections"]],
        [110, 114, 115, 116, 117, 200],
    ),
    (
        "cisco_ios",
        "show crypto ca crls",
        "show_crypto_ca_crls",
        "NextUpdate",
        15,
        lambda r: [c["last_update"] for c in r["crls"]],
        ["2002-01-10T16:17:34-08:00"],
    ),
    (
        "cisco_pix",
        "show crypto isakmp sa",
        "show_crypto_isakmp_sa",
        "172.16.172.39 ",
        12,
        lambda r: r["ike_sas"],
        [],
    ),
    (
        "cisco_ios",
        "show running-config",
        "show_running-config",
        "certificate ca 3B2FD307",
        200,
        lambda r: [c["serial"] for c in r["certificate_chains"][0]["certificates"]],
        ["3B2FD652", "3B2FD319", "3B2FD318", "3B2FD307"],
    ),
]


@pytest.mark.parametrize(
    ("platform", "command", "name", "marker", "keep", "extract", "expected"),
    TRUNCATIONS,
    ids=[t[2] for t in TRUNCATIONS],
)
def test_it_keeps_records_before_a_cut_and_warns_about_it(
    platform: str,
    command: str,
    name: str,
    marker: str,
    keep: int,
    extract: Callable[[dict[str, Any]], Any],
    expected: Any,
) -> None:
    result = parse(platform, command, cut(fixture(platform, name), marker, keep))
    assert extract(result) == expected
    assert result["warnings"], "the cut must be reported"


def test_it_normalises_dns_and_serials() -> None:
    assert normalise_dn("OU = sjvpn\n O = cisco\n C = us") == "OU=sjvpn, O=cisco, C=us"
    assert normalise_dn("cn=ca.example.com,ou=x") == "CN=ca.example.com, OU=x"
    assert (
        normalise_dn("CN = First Officer OU = sjvpn O = cisco C = us")
        == "CN=First Officer, OU=sjvpn, O=cisco, C=us"
    )
    assert normalise_serial("3b2fd653") == "3B2FD653" and normalise_serial("0x0a:1b") == "0A1B"


def test_it_writes_times_exactly_as_datetime_isoformat_would() -> None:
    import random
    from datetime import datetime, timedelta, timezone

    from devices.parsers.common import TIME_RE, Context, time_from_match, zone_offset

    rnd = random.Random(2002)
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    for _ in range(500):
        year, month, day = rnd.randint(1990, 2099), rnd.randint(1, 12), rnd.randint(1, 28)
        hour, minute, second = rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59)
        frac = rnd.choice(["", "7", "78", "786", "7861", "786123"])
        zone = rnd.choice(["PST", "UTC", "JST", "IST", "NZDT", "", "GMT+5", "UTC-3:30"])
        text = f"{hour:02d}:{minute:02d}:{second:02d}{'.' + frac if frac else ''}{' ' + zone if zone else ''}"
        text += f" {months[month - 1]} {day} {year}"
        match = TIME_RE.match(text)
        assert match is not None
        ctx = Context(platform="cisco_pix")
        offset = zone_offset(match.group("zone"), ctx)
        assert offset is not None
        micro = int((frac + "000000")[:6]) if frac else 0
        reference = datetime(
            year, month, day, hour, minute, second, micro, tzinfo=timezone(timedelta(minutes=offset))
        )
        spec = "milliseconds" if frac and len(frac) <= 3 else ("microseconds" if frac else "seconds")
        assert time_from_match(match, ctx) == reference.isoformat(timespec=spec), text


def test_it_keeps_line_breaks_when_the_output_holds_non_ascii_or_control_characters() -> None:
    # A bell, a stray ESC or one Latin-1 byte in a description used to make the clean-up delete every
    # newline, turning the whole output into one unparseable line.
    assert clean_lines("a\nb\xe9\nc") == ["a", "bé", "c"]
    assert clean_lines("a\nb\x07\x1b\nc") == ["a", "b", "c"]
    text = fixture("cisco_ios", "show_crypto_isakmp_sa").replace("QM_IDLE", "QM_IDLE\x07")
    result = parse("cisco_ios", "show crypto isakmp sa", text)
    assert [sa["state"] for sa in result["ike_sas"]] == ["QM_IDLE"]
    assert result["warnings"] == []
