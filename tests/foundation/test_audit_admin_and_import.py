"""Admin edits and inventory imports leave audit entries with before/after values and no secret value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from devices.models import Device, Tunnel
from vpnportal.models import Alert, AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD, ENABLE, NEW_PASSWORD = "Inv-Pw-3kQ", "Inv-En-4mR", "Adm-Pw-9vT"

INVENTORY = f"""
devices:
  - name: r1
    host: 192.0.2.1
    platform: cisco_ios
    username: netops
    password: {PASSWORD}
    secret: {ENABLE}
  - name: fw1
    host: 192.0.2.2
    platform: cisco_asa
    username: netops
    password: {PASSWORD}
tunnels:
  - name: r1-fw1
    ends: [r1, fw1]
"""


def entries_text() -> str:
    return json.dumps(
        list(AuditEntry.objects.values("verb", "action", "object_repr", "before", "after", "message")),
        default=str,
    )


def test_import_inventory_audits_each_row_it_creates_changes_and_prunes(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY)
    call_command("import_inventory", str(path))
    created = AuditEntry.objects.filter(verb="import_inventory", action="create")
    assert sorted(e.object_repr.split()[0] for e in created) == ["fw1", "r1", "r1-fw1"]
    r1 = created.get(object_type="devices.device", object_id=str(Device.objects.get(name="r1").pk))
    assert r1.username == "system" and r1.before is None and r1.after is not None
    assert (r1.after["host"], r1.after["password"], r1.after["secret"]) == (
        "192.0.2.1",
        "********",
        "********",
    )

    changed = INVENTORY.replace("192.0.2.1", "192.0.2.11").replace(
        f"secret: {ENABLE}", "secret: Inv-En-new-5s"
    )
    path.write_text(changed.split("tunnels:")[0].replace("  - name: fw1", "  - name: fw2"))
    call_command("import_inventory", str(path), "--prune")
    update = AuditEntry.objects.get(verb="import_inventory", action="update")
    assert update.before == {"host": "192.0.2.1", "secret": "********"}
    assert update.after == {"host": "192.0.2.11", "secret": "******** (changed)"}
    pruned = AuditEntry.objects.filter(verb="import_inventory", action="delete")
    assert {e.object_type for e in pruned} == {"devices.device", "devices.tunnel"}
    assert not Tunnel.objects.exists()
    # An import that is refused writes nothing, its audit entries included.
    count = AuditEntry.objects.count()
    path.write_text(INVENTORY.replace("cisco_asa", "juniper"))
    with pytest.raises(Exception, match="juniper"):
        call_command("import_inventory", str(path))
    assert AuditEntry.objects.count() == count
    text = entries_text()
    assert PASSWORD not in text and ENABLE not in text and "Inv-En-new-5s" not in text


def test_admin_changes_and_deletions_are_audited_without_secrets(admin_user: User) -> None:
    device = Device.objects.create(name="r9", host="192.0.2.9", platform="cisco_ios", password=PASSWORD)
    client = Client()
    client.force_login(admin_user)
    form = {
        "name": "r9",
        "host": "192.0.2.99",
        "port": "22",
        "platform": "cisco_ios",
        "transport": "ssh",
        "username": "netops",
        "password": NEW_PASSWORD,
        "secret": "",
        "host_key": "",
        "enabled": "on",
        "alert_emails": "",
    }
    response = client.post(f"/admin/devices/device/{device.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[-3000:]
    entry = AuditEntry.objects.get(verb="admin change")
    assert entry.user == admin_user and entry.action == "update"
    assert entry.before is not None and entry.after is not None
    assert entry.before["host"] == "192.0.2.9" and entry.after["host"] == "192.0.2.99"
    assert entry.before["password"] == "********" and entry.after["password"] == "******** (changed)"
    assert "secret" not in entry.after  # left blank: kept, so not changed
    device.refresh_from_db()
    assert device.password.reveal() == NEW_PASSWORD

    alert = Alert.objects.create(kind="poll_failed", device=device, subject="r9", key="poll_failed:r9")
    response = client.post(f"/admin/vpnportal/alert/{alert.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    deleted = AuditEntry.objects.get(verb="admin delete")
    assert deleted.before is not None
    assert deleted.object_type == "vpnportal.alert" and deleted.before["subject"] == "r9"
    text = entries_text()
    assert PASSWORD not in text and NEW_PASSWORD not in text
