"""Alert channels in `export_inventory` and `import_inventory --dry-run`, beside credential sets."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from devices.inventory import read_inventory
from devices.models import CredentialSet, Device
from vpnportal.models import AlertChannel, AuditEntry

pytestmark = pytest.mark.django_db

INVENTORY = """\
credentials:
  - name: branch-routers
    username: netops
    password: {env: BRANCH_PASSWORD}
    secret: {file: /run/secrets/branch-enable}
  - name: firewalls
    username: fwops
    password: fw-literal-Kx9
    secret: fw-enable-Kx9
channels:
  - {name: noc-mail, kind: email, to: [noc@example.net, ops@example.net], default: true}
  - {name: noc-hook, kind: webhook, url: "https://hooks.example.net/vpn-Zq7", secret: hook-secret-Zq7}
  - {name: ref-hook, kind: webhook, url: {env: HOOK_URL}, secret: {file: /run/secrets/hook}}
  - {name: chat, kind: slack, url: {env: SLACK_WEBHOOK_URL}}
  - {name: teams, kind: teams, url: "https://teams.example.net/webhook/Zq7-token", enabled: false}
  - {name: am, kind: alertmanager, url: "http://127.0.0.1:9093"}
devices:
  - {name: r1, host: 192.0.2.1, platform: cisco_ios, credentials: branch-routers, channels: [noc-hook, chat]}
  - {name: fw1, host: 192.0.2.9, platform: cisco_asa, credentials: firewalls, channels: [am]}
  - {name: r9, host: 192.0.2.19, platform: cisco_ios, username: cisco, password: r9-literal-Zq7}
tunnels:
  - {name: r1-fw1, ends: [r1, fw1]}
"""
# Every literal secret and URL of INVENTORY: none may be in an export or a dry run's output.
LITERALS = (
    "fw-literal-Kx9",
    "fw-enable-Kx9",
    "r9-literal-Zq7",
    "https://hooks.example.net/vpn-Zq7",
    "hooks.example.net",
    "hook-secret-Zq7",
    "https://teams.example.net/webhook/Zq7-token",
    "teams.example.net",
    "http://127.0.0.1:9093",
    "127.0.0.1:9093",
    "Zq7",
    "Kx9",
)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write(tmp_path: Path, text: str, name: str = "inventory.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def stored() -> dict[str, tuple[str, str, str, str, str, bool, bool]]:
    return {
        c.name: (c.kind, c.to, c.url.reveal(), c.url_ref, c.secret.reveal(), c.default, c.enabled)
        for c in AlertChannel.objects.all()
    }


def test_read_inventory_parses_the_channels_once_with_the_rest() -> None:
    doc = read_inventory(INVENTORY)
    assert [c.name for c in doc.channels] == ["noc-mail", "noc-hook", "ref-hook", "chat", "teams", "am"]
    hook = doc.channels[1]
    assert (hook.line, hook.url.literal, hook.secret.literal) == (
        12,
        "https://hooks.example.net/vpn-Zq7",
        "hook-secret-Zq7",
    )
    assert (doc.channels[3].url.ref, doc.channels[4].enabled) == ("env:SLACK_WEBHOOK_URL", False)
    assert [d.channels for d in doc.devices] == [["noc-hook", "chat"], ["am"], None]


def test_export_writes_channels_without_a_url_or_secret_and_round_trips(tmp_path: Path) -> None:
    run("import_inventory", write(tmp_path, INVENTORY))
    before = stored()
    exported = tmp_path / "exported.yaml"
    run("export_inventory", "-o", str(exported))
    text = exported.read_text()
    for literal in LITERALS:
        assert literal not in text, literal
    doc = yaml.safe_load(text)
    channels = {c["name"]: c for c in doc["channels"]}
    assert channels == {
        "am": {"name": "am", "kind": "alertmanager", "url": {"stored": True}},
        "chat": {"name": "chat", "kind": "slack", "url": {"env": "SLACK_WEBHOOK_URL"}},
        "noc-hook": {
            "name": "noc-hook",
            "kind": "webhook",
            "url": {"stored": True},
            "secret": {"stored": True},
        },
        "noc-mail": {
            "name": "noc-mail",
            "kind": "email",
            "to": ["noc@example.net", "ops@example.net"],
            "default": True,
        },
        "ref-hook": {
            "name": "ref-hook",
            "kind": "webhook",
            "url": {"env": "HOOK_URL"},
            "secret": {"file": "/run/secrets/hook"},
        },
        "teams": {"name": "teams", "kind": "teams", "url": {"stored": True}, "enabled": False},
    }
    devices = {d["name"]: d for d in doc["devices"]}
    assert (devices["r1"]["channels"], devices["fw1"]["channels"]) == (["chat", "noc-hook"], ["am"])
    assert "channels" not in devices["r9"]
    assert "channels: [chat, noc-hook]" in text
    assert list(doc) == ["credentials", "channels", "devices", "tunnels"]

    audits = AuditEntry.objects.count()
    out = run("import_inventory", str(exported), "--dry-run", "--prune")
    assert out.splitlines()[0] == "no change", out
    assert "channels: 0 created, 0 updated, 6 unchanged, 0 pruned" in out.splitlines()[-1]
    assert (stored(), AuditEntry.objects.count()) == (before, audits)
    # A real import of the export keeps every stored literal: URLs, the signing secret, device secrets.
    run("import_inventory", str(exported), "--prune")
    assert stored() == before
    assert AlertChannel.objects.get(name="noc-hook").secret.reveal() == "hook-secret-Zq7"
    assert CredentialSet.objects.get(name="firewalls").password.reveal() == "fw-literal-Kx9"
    assert Device.objects.get(name="r9").password.reveal() == "r9-literal-Zq7"
    assert sorted(Device.objects.get(name="r1").alert_channels.values_list("name", flat=True)) == [
        "chat",
        "noc-hook",
    ]


def test_a_dry_run_reports_channels_created_changed_and_pruned_without_values(tmp_path: Path) -> None:
    run("import_inventory", write(tmp_path, INVENTORY))
    before = stored()
    changed = (
        INVENTORY.replace(
            "{name: chat, kind: slack, url: {env: SLACK_WEBHOOK_URL}}",
            "{name: chat, kind: teams, url: {env: TEAMS_WEBHOOK_URL}}",
        )
        .replace("vpn-Zq7", "vpn-rotated-Zq7")
        .replace("secret: hook-secret-Zq7", "secret: {env: HOOK_SECRET}")
        .replace("to: [noc@example.net, ops@example.net], default: true", "to: [noc@example.net]")
        .replace('  - {name: am, kind: alertmanager, url: "http://127.0.0.1:9093"}\n', "")
        .replace("channels: [am]", "channels: []")
        .replace("channels: [noc-hook, chat]", "channels: [noc-hook, pager]")
        .replace(
            "devices:\n",
            '  - {name: pager, kind: webhook, url: "https://pager.example.net/Zq7", secret: pg-Zq7}\ndevices:\n',
        )
    )
    out = run("import_inventory", write(tmp_path, changed), "--dry-run", "--prune")
    lines = out.splitlines()
    assert "+ channel pager" in lines
    assert "~ channel chat: kind slack -> teams, url (changed)" in lines
    assert "~ channel noc-hook: url (changed), secret (changed)" in lines
    assert (
        "~ channel noc-mail: to noc@example.net, ops@example.net -> noc@example.net, default True -> False"
        in lines
    )
    assert "- channel am" in lines
    assert "~ device r1: channels chat, noc-hook -> noc-hook, pager" in lines
    assert "~ device fw1: channels am -> (none)" in lines
    assert lines[-1].endswith("; channels: 1 created, 3 updated, 2 unchanged, 1 pruned"), lines[-1]
    assert "devices: 0 created, 2 updated, 1 unchanged" in lines[-1]
    for hidden in (*LITERALS, "pager.example.net", "pg-Zq7", "TEAMS_WEBHOOK_URL", "HOOK_SECRET"):
        assert hidden not in out, hidden
    assert stored() == before  # nothing written
    assert Device.objects.get(name="fw1").alert_channels.count() == 1
    # The same file without --dry-run does what the dry run said.
    summary = run("import_inventory", write(tmp_path, changed), "--prune")
    assert summary.strip().endswith("; channels: 1 created, 3 updated, 2 unchanged, 1 pruned")
    assert AlertChannel.objects.get(name="noc-hook").secret_ref == "env:HOOK_SECRET"
    assert not AlertChannel.objects.filter(name="am").exists()


def test_a_channel_added_in_the_admin_is_adopted_by_an_import_of_the_export(tmp_path: Path) -> None:
    AlertChannel.objects.create(name="by-hand", kind="slack", url="https://chat.example.net/Zq7")
    exported = tmp_path / "exported.yaml"
    run("export_inventory", "-o", str(exported))
    assert "chat.example.net" not in exported.read_text()
    out = run("import_inventory", str(exported), "--dry-run")
    assert out.splitlines()[0] == "~ channel by-hand: added in the admin -> inventory", out
    run("import_inventory", str(exported))
    channel = AlertChannel.objects.get(name="by-hand")
    assert channel.from_inventory and channel.url.reveal() == "https://chat.example.net/Zq7"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "channels:\n  - {name: chat, kind: slack, url: {stored: true}}\n",
            r"inventory.yaml:2: channel 'chat': url: \{stored: true\} but nothing is stored",
        ),
        (
            "channels:\n  - {name: noc-mail, kind: webhook, url: {stored: true}, secret: s}\n",
            r"inventory.yaml:2: channel 'noc-mail': url: \{stored: true\} but nothing is stored",
        ),
        (
            "channels:\n  - name: noc-hook\n    kind: webhook\n    url: {stored: true}\n"
            "    secret: {stored: false}\n",
            r"inventory.yaml:5: channels\[0\]: secret: \{stored: true\} is the only form of `stored`",
        ),
    ],
)
def test_stored_is_refused_for_a_channel_where_nothing_is_stored(
    tmp_path: Path, text: str, message: str
) -> None:
    AlertChannel.objects.create(name="noc-mail", kind="email", to="noc@example.net")
    with pytest.raises(CommandError, match=message):
        run("import_inventory", write(tmp_path, text), "--dry-run")
    assert list(AlertChannel.objects.values_list("name", "kind")) == [("noc-mail", "email")]


def test_prune_refuses_a_channel_the_file_drops_but_a_device_still_names(tmp_path: Path) -> None:
    run("import_inventory", write(tmp_path, INVENTORY))
    dropped = INVENTORY.replace('  - {name: am, kind: alertmanager, url: "http://127.0.0.1:9093"}\n', "")
    with pytest.raises(
        CommandError, match="channel 'am' cannot be pruned: a device of the file still names it"
    ):
        run("import_inventory", write(tmp_path, dropped), "--prune", "--dry-run")
    # Without --prune a device may name a channel stored earlier (or added in the admin).
    assert "channels: 0 created, 0 updated, 5 unchanged" in run("import_inventory", write(tmp_path, dropped))
    assert list(Device.objects.get(name="fw1").alert_channels.values_list("name", flat=True)) == ["am"]
