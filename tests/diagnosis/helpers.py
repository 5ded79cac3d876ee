"""Outputs of the seed pair and of modern devices, as DeviceOutputs, with small edits for the cases."""

from __future__ import annotations

from pathlib import Path

from devices.commands import poll_commands
from devices.diagnosis.model import DeviceOutputs, Finding
from devices.diagnosis.outputs import build_outputs

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "fixtures" / "cli"
MODERN = Path(__file__).resolve().parent / "fixtures"

SEED_ROUTER = {
    "config": ("show running-config", "show_running-config"),
    "certificates": ("show crypto ca certificates", "show_crypto_ca_certificates"),
    "crls": ("show crypto ca crls", "show_crypto_ca_crls"),
    "clock": ("show clock", "show_clock"),
    "keys": ("show crypto key mypubkey rsa", "show_crypto_key_mypubkey_rsa"),
}
SEED_PIX = {
    "config": ("write terminal", "write_terminal"),
    "certificates": ("show ca certificate", "show_ca_certificate"),
    "crls": ("show ca crl", "show_ca_crl"),
    "clock": ("show clock", "show_clock"),
    "keys": ("show ca mypubkey rsa", "show_ca_mypubkey_rsa"),
}
MODERN_PLATFORMS = {"csr-1": "cisco_ios", "csr-2": "cisco_ios", "asa-1": "cisco_asa", "asa-2": "cisco_asa"}


def seed_texts(platform: str) -> dict[str, tuple[str, str]]:
    """The seed device's outputs by kind: (command, text)."""
    table = SEED_ROUTER if platform == "cisco_ios" else SEED_PIX
    return {
        kind: (command, (SEED / platform / f"{name}.txt").read_text())
        for kind, (command, name) in table.items()
    }


def router(**replace: str) -> DeviceOutputs:
    """The seed router 1720-1; keyword arguments replace a kind's text."""
    texts = seed_texts("cisco_ios")
    for kind, text in replace.items():
        texts[kind] = (texts[kind][0], text)
    return build_outputs("1720-1", "cisco_ios", texts)


def pix(transport: str = "telnet", **replace: str) -> DeviceOutputs:
    """The seed firewall pix520-1 (polled over telnet, as PIX 6 offers SSHv1 only)."""
    texts = seed_texts("cisco_pix")
    for kind, text in replace.items():
        texts[kind] = (texts[kind][0], text)
    return build_outputs("pix520-1", "cisco_pix", texts, transport=transport)


def modern(name: str) -> DeviceOutputs:
    """A modern device's outputs as the simulator's ios15/asa9 personas print them (fixtures)."""
    platform = MODERN_PLATFORMS[name]
    texts = {}
    for command in poll_commands(platform, "pki"):
        path = MODERN / name / (command.text.replace(" ", "_") + ".txt")
        if path.exists():
            texts[command.kind] = (command.text, path.read_text())
    return build_outputs(name, platform, texts)


def keys(findings: list[Finding], device: str = "") -> set[tuple[str, str]]:
    """(code, subject) of findings."""
    return {(f.code, f.subject) for f in findings}
