"""The inventory's `channels:` and a device's `channels: [...]`: upserted, validated by line, secrets encrypted."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from devices.inventory import InventoryError, import_inventory
from devices.models import Device
from vpnportal.models import AlertChannel, AuditEntry

pytestmark = pytest.mark.django_db

CHANNELS = """\
channels:
  - {name: noc-mail, kind: email, to: [noc@example.net, ops@example.net], default: true}
  - {name: noc-hook, kind: webhook, url: "https://hooks.example.net/vpn", secret: literal-hook-secret}
  - {name: chat, kind: slack, url: {env: SLACK_WEBHOOK_URL}}
  - {name: teams, kind: teams, url: {file: /run/secrets/teams-url}}
  - {name: am, kind: alertmanager, url: "http://127.0.0.1:9093"}
devices:
  - {name: r1, host: 192.0.2.1, platform: cisco_ios, username: netops, password: pw, channels: [noc-hook, chat]}
  - {name: r2, host: 192.0.2.2, platform: cisco_ios, username: netops, password: pw}
"""


def test_it_imports_channels_and_the_devices_that_name_them() -> None:
    import_inventory(CHANNELS)
    channels = {c.name: c for c in AlertChannel.objects.all()}
    assert set(channels) == {"noc-mail", "noc-hook", "chat", "teams", "am"}
    assert channels["noc-mail"].to == "noc@example.net, ops@example.net" and channels["noc-mail"].default
    assert channels["noc-hook"].url.reveal() == "https://hooks.example.net/vpn"
    assert channels["noc-hook"].secret.reveal() == "literal-hook-secret"
    assert (channels["chat"].url_ref, channels["chat"].url.reveal()) == ("env:SLACK_WEBHOOK_URL", "")
    assert channels["teams"].url_ref == "file:/run/secrets/teams-url"
    assert all(c.from_inventory for c in channels.values())
    assert sorted(Device.objects.get(name="r1").alert_channels.values_list("name", flat=True)) == [
        "chat",
        "noc-hook",
    ]
    assert not Device.objects.get(name="r2").alert_channels.exists()
    [entry] = AuditEntry.objects.filter(object_repr__contains="r1", after__has_key="channels")
    assert (entry.before, entry.after) == ({"channels": []}, {"channels": ["chat", "noc-hook"]})


def test_it_encrypts_literal_channel_secrets_and_keeps_them_out_of_the_audit() -> None:
    import_inventory(CHANNELS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT url, secret FROM vpnportal_alertchannel WHERE name = 'noc-hook'")
        url, secret = cursor.fetchone()
    assert "hooks.example.net" not in url and "literal-hook-secret" not in secret
    audit = json.dumps(list(AuditEntry.objects.values("before", "after", "message")))
    assert "literal-hook-secret" not in audit and "hooks.example.net" not in audit


def test_it_is_idempotent_and_replaces_a_literal_by_a_reference() -> None:
    import_inventory(CHANNELS)
    import_inventory(CHANNELS)
    assert AlertChannel.objects.count() == 5
    import_inventory(CHANNELS.replace("secret: literal-hook-secret", "secret: {env: HOOK_SECRET}"))
    hook = AlertChannel.objects.get(name="noc-hook")
    assert (hook.secret.reveal(), hook.secret_ref) == ("", "env:HOOK_SECRET")


def test_it_keeps_device_channels_when_the_key_is_left_out_and_prunes_with_prune() -> None:
    import_inventory(CHANNELS)
    import_inventory(CHANNELS.replace(", channels: [noc-hook, chat]", ""))
    assert Device.objects.get(name="r1").alert_channels.count() == 2
    admin_made = AlertChannel.objects.create(name="by-hand", kind="email", to="x@example.net")
    without_am = CHANNELS.replace('  - {name: am, kind: alertmanager, url: "http://127.0.0.1:9093"}\n', "")
    import_inventory(without_am, prune=True)
    assert set(AlertChannel.objects.values_list("name", flat=True)) == {
        "noc-mail",
        "noc-hook",
        "chat",
        "teams",
        "by-hand",
    }
    assert AlertChannel.objects.filter(pk=admin_made.pk).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("kind: slack", "kind: pager"), "line 4: channels[2]: kind: must be one of"),
        (
            ("secret: literal-hook-secret", "secret: {vault: x}"),
            "line 3: channels[1]: secret: a reference is",
        ),
        (
            ("secret: literal-hook-secret", "secret: {env: 1BAD}"),
            "line 3: channels[1]: secret: {env: 1BAD}: not an environment variable name",
        ),
        (
            (", secret: literal-hook-secret", ""),
            "line 3: channels[1]: secret: webhook channels sign every post",
        ),
        (
            ('url: "http://127.0.0.1:9093"', 'url: "ftp://127.0.0.1"'),
            "line 6: channels[4]: url: must be an http",
        ),
        (
            ("to: [noc@example.net, ops@example.net]", "to: [not-an-address]"),
            "line 2: channels[0]: to: 'not-an-address'",
        ),
        (
            ("{file: /run/secrets/teams-url}", "{file: relative}"),
            "line 5: channels[3]: url: {file: relative}: must be an absolute path",
        ),
        (
            ("channels: [noc-hook, chat]", "channels: [noc-hook, nowhere]"),
            "device 'r1': no channel named 'nowhere'",
        ),
        (("name: am,", "name: chat,"), "line 6: channel 'chat' already defined at line 4"),
        (("kind: email,", "kind: email, colour: red,"), "line 2: channels[0]: unknown key 'colour'"),
    ],
)
def test_it_refuses_a_bad_channel_naming_the_line_and_writes_nothing(
    change: tuple[str, str], message: str
) -> None:
    with pytest.raises(InventoryError) as exc:
        import_inventory(CHANNELS.replace(*change))
    assert message in str(exc.value)
    assert not AlertChannel.objects.exists() and not Device.objects.exists()
