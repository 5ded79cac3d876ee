"""Findings read in the reader's language: titles and remarks translate, commands and device lines never,
and the English is byte for byte what it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from devices.diagnosis import facts, fixes
from devices.diagnosis.chain import DOES_NOT_VERIFY
from devices.diagnosis.device import diagnose_device
from devices.diagnosis.hygiene import SHORT_CERTIFICATE_KEY, WEAK_SIGNATURE
from devices.diagnosis.model import Finding, Phrase, deferred_form
from devices.diagnosis.pair import diagnose_pair
from devices.diagnosis.text import ASA, IOS, PIX
from devices.diagnosis.validity import CLOCK_AFTER_END, CLOCK_BEFORE_START
from devices.diagnosis.wording import stored_texts
from pki.choices import CertificateRole
from vpnportal.translated_text import english, render

from .helpers import modern, pix, router

# The seed's titles as vpnportal wrote them before findings were translatable: English must not move.
SEED_TITLES = {
    "1720-1": {
        "RA encryption certificate 3B2FD318 does not verify against its CA",
        "RA signature certificate 3B2FD319 does not verify against its CA",
        "Management over telnet: passwords cross the network in clear text",
        "CA certificate 3B2FD307 is signed with SHA-1",
        "RA encryption certificate 3B2FD318 is signed with SHA-1",
        "RA signature certificate 3B2FD319 is signed with SHA-1",
        "Identity certificate 3B2FD652 is signed with SHA-1",
        "IKE policy 10 uses DES encryption",
        "Transform set myset uses DES (esp-des)",
        "IKE policy 10 uses DH group 1 (768-bit)",
        "IKE policy 10 uses MD5 hash",
        "Transform set myset uses MD5 (esp-md5-hmac)",
        "CA certificate 3B2FD307 has a 1024-bit RSA key (under 2048)",
        "RA encryption certificate 3B2FD318 has a 1024-bit RSA key (under 2048)",
        "RA signature certificate 3B2FD319 has a 1024-bit RSA key (under 2048)",
        "RSA key 1720-1.cisco.com is 512 bits (under 2048)",
        "RSA key 1720-1.cisco.com.server is 768 bits (under 2048)",
    },
    "pix520-1": {
        "Management over telnet: passwords cross the network in clear text",
        "ISAKMP identity is the address but the certificate carries only the FQDN",
        "IKE policy 10 uses DES encryption",
        "Transform set myset uses DES (esp-des)",
        "IKE policy 10 uses DH group 1 (768-bit)",
        "IKE policy 10 uses MD5 hash",
        "Transform set myset uses MD5 (esp-md5-hmac)",
        "RSA key pix520-1.vpn.com is 512 bits (under 2048)",
    },
    "pair": {"IPsec SA lifetimes differ: 1720-1 3600 s, pix520-1 28800 s"},
}


def _all_findings() -> list[Finding]:
    found = diagnose_device(router()) + diagnose_device(pix()) + diagnose_pair(router(), pix())
    for name in ("csr-1", "asa-1"):
        found += diagnose_device(modern(name))
    found += diagnose_pair(modern("asa-1"), modern("asa-2"))
    return found


def _japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


def test_the_seed_titles_are_the_english_they_always_were() -> None:
    assert {f.title for f in diagnose_device(router())} == SEED_TITLES["1720-1"]
    assert {f.title for f in diagnose_device(pix())} == SEED_TITLES["pix520-1"]
    assert {f.title for f in diagnose_pair(router(), pix())} == SEED_TITLES["pair"]


def test_every_title_is_a_phrase_whose_english_is_the_title_and_which_has_japanese() -> None:
    found = _all_findings()
    assert found
    for finding in found:
        stored = deferred_form(finding.title)
        assert stored is not None, finding.title
        assert english(stored) == finding.title
        with translation.override("en"):
            assert render(stored, "") == finding.title
        with translation.override("ja"):
            shown = render(stored, "")
        assert shown != finding.title and _japanese(shown), finding.title


def test_remarks_translate_and_commands_and_device_lines_stay_as_they_are() -> None:
    remarks = 0
    for finding in _all_findings():
        for line in (*finding.evidence, *finding.fix):
            stored = deferred_form(line)
            if line.startswith("!"):
                # A remark the device ignores: for people, so in their language.
                assert stored is not None, line
            if stored is None:
                continue
            remarks += 1
            assert english(stored) == line
            with translation.override("ja"):
                assert _japanese(render(stored, "")), line
    assert remarks > 20
    # The commands themselves are plain text: shown as the device takes them, in every language.
    for finding in _all_findings():
        assert all(deferred_form(line) is None for line in finding.fix if not line.startswith("!"))


@pytest.mark.parametrize("platform", [IOS, PIX, ASA])
def test_every_remark_of_the_suggested_commands_has_japanese(platform: str) -> None:
    lines = [
        *fixes.generate_key(platform, "k"),
        *fixes.ssh_only(platform, ["telnet 10.0.0.0 255.0.0.0 inside"]),
        *fixes.transform_set(platform, "ts"),
        *(
            line
            for param in ("encryption", "hash", "group")
            for line in fixes.ike_policy(platform, 10, param)
        ),
    ]
    for line in lines:
        stored = deferred_form(line)
        assert (stored is not None) == line.startswith("!"), line
        if stored is not None:
            with translation.override("ja"):
                shown = render(stored, "")
            assert shown.startswith("! ") and _japanese(shown), line


# How a certificate was named in a title before each role had its own message.
OLD_TITLES: list[tuple[dict[str, str], dict[str, Any], Callable[[str], str]]] = [
    (DOES_NOT_VERIFY, {}, lambda label: f"{facts.sentence(label)} does not verify against its CA"),
    (
        SHORT_CERTIFICATE_KEY,
        {"bits": 1024, "minimum": 2048},
        lambda label: f"{facts.sentence(label)} has a 1024-bit RSA key (under 2048)",
    ),
    (WEAK_SIGNATURE, {"algorithm": "SHA-1"}, lambda label: f"{facts.sentence(label)} is signed with SHA-1"),
    (CLOCK_BEFORE_START, {}, lambda label: f"Device clock is before the start of {label}"),
    (CLOCK_AFTER_END, {}, lambda label: f"Device clock is after the end of {label}"),
]


@pytest.mark.parametrize("role", [*CertificateRole.values, None, "rollover_other"])
def test_a_certificate_title_reads_as_before_for_every_role(role: str | None) -> None:
    cert = {"role": role, "serial": "3B2FD318"}
    for by_role, params, old in OLD_TITLES:
        assert set(by_role) == set(CertificateRole.values)
        title = facts.cert_phrase(cert, by_role, **params)
        assert isinstance(title, Phrase)
        assert title == old(facts.cert_label(cert))
        if role in by_role or role is None:
            with translation.override("ja"):
                assert _japanese(render(title.stored, ""))


def test_a_deferred_form_is_kept_only_while_it_reads_as_the_stored_english() -> None:
    title = Phrase({"msgid": "Trustpoint %(name)s", "params": {"name": "tp"}})
    remark = Phrase({"msgid": "! a remark", "params": {}})
    kept = stored_texts(
        title,
        ["show x: a line"],
        [remark, "a command"],
        title,
        ["show x: a line"],
        [
            "! a remark",
            "a command",
        ],
    )
    assert kept == {"title": title.stored, "fix": [remark.stored, None]}
    # Cut to the column's length (or masked otherwise than the parameters): English is all there is.
    assert stored_texts(title, [], [], title[:5], [], []) == {}
