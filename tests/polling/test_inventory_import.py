"""Inventory import: idempotent upsert, encrypted secrets, strict validation naming the line, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from devices.inventory import InventoryError, import_inventory
from devices.models import Device, Tunnel

pytestmark = pytest.mark.django_db

GOOD = """\
devices:
  - name: 1720-1
    host: 127.0.0.1
    port: 2201
    platform: cisco_ios
    username: cisco
    password: s3cret-pass
    secret: ww-enable
  - name: pix520-1
    host: 127.0.0.1
    port: 2202
    platform: cisco_pix
    username: pix
    password: cisco
    secret: cisco
    transport: telnet
tunnels:
  - name: hq-branch
    ends: [1720-1, pix520-1]
"""

ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


def test_it_imports_devices_and_tunnels() -> None:
    result = import_inventory(GOOD)
    assert sorted(result.created) == ["1720-1", "pix520-1"]
    assert result.tunnels_created == ["hq-branch"]
    router = Device.objects.get(name="1720-1")
    assert router.password.reveal() == "s3cret-pass"
    assert router.secret.reveal() == "ww-enable"
    assert Device.objects.get(name="pix520-1").transport == "telnet"
    tunnel = Tunnel.objects.get(name="hq-branch")
    assert (tunnel.end_a.name, tunnel.end_b.name) == ("1720-1", "pix520-1")


def test_it_stores_secrets_encrypted() -> None:
    import_inventory(GOOD)
    with connection.cursor() as cursor:
        cursor.execute("SELECT password, secret FROM devices_device WHERE name = %s", ["1720-1"])
        password, secret = cursor.fetchone()
    assert "s3cret-pass" not in password and "ww-enable" not in secret


def test_it_is_idempotent() -> None:
    import_inventory(GOOD)
    before = {d.name: d.updated_at for d in Device.objects.all()}
    result = import_inventory(GOOD)
    assert sorted(result.unchanged) == ["1720-1", "pix520-1"]
    assert not result.created and not result.updated and not result.tunnels_created
    assert {d.name: d.updated_at for d in Device.objects.all()} == before
    assert Tunnel.objects.count() == 1


def test_it_updates_what_changed() -> None:
    import_inventory(GOOD)
    result = import_inventory(GOOD.replace("port: 2201", "port: 2299").replace("s3cret-pass", "new-pass"))
    assert result.updated == ["1720-1"]
    router = Device.objects.get(name="1720-1")
    assert (router.port, router.password.reveal()) == (2299, "new-pass")


def test_it_is_all_or_nothing() -> None:
    bad = GOOD.replace("platform: cisco_pix", "platform: juniper")
    with pytest.raises(InventoryError, match=r"line 12: devices\[1\]: platform"):
        import_inventory(bad)
    assert Device.objects.count() == 0 and Tunnel.objects.count() == 0


def test_it_rolls_back_when_a_tunnel_names_an_unknown_device() -> None:
    bad = GOOD.replace("ends: [1720-1, pix520-1]", "ends: [1720-1, asa-9]")
    with pytest.raises(InventoryError, match="no device named 'asa-9'"):
        import_inventory(bad)
    assert Device.objects.count() == 0


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (
            ("s3cret-pass", '"s3cret\\nconfigure terminal"'),
            r"line 7: devices\[0\]: password: control characters",
        ),
        (
            ("username: cisco", 'username: "cis\\u0007co"'),
            r"line 6: devices\[0\]: username: control characters",
        ),
        (("name: 1720-1\n", "name: 1720 1\n"), r"line 2: devices\[0\]: name"),
        (
            ("host: 127.0.0.1\n    port: 2201", "host: -bad_host\n    port: 2201"),
            r"line 3: devices\[0\]: host",
        ),
        (("port: 2201", "port: 70000"), r"line 4: devices\[0\]: port"),
        (("transport: telnet", "transport: rsh"), r"line 16: devices\[1\]: transport"),
        (
            ("    secret: cisco\n", "    secret: cisco\n    colour: red\n"),
            r"line 16: devices\[1\]: unknown key 'colour'",
        ),
        (("ends: [1720-1, pix520-1]", "ends: [1720-1, 1720-1]"), r"line 19: tunnels\[0\]: ends"),
        (("devices:\n", "devices:\n  - [\n"), r"line \d+: not valid YAML"),
    ],
)
def test_it_names_the_line_of_a_bad_entry(replace: tuple[str, str], message: str) -> None:
    with pytest.raises(InventoryError, match=message):
        import_inventory(GOOD.replace(*replace, 1))
    assert Device.objects.count() == 0


def test_it_refuses_raw_control_characters_in_the_file() -> None:
    with pytest.raises(InventoryError, match="line 7: control characters"):
        import_inventory(GOOD.replace("password: s3cret-pass", "password: s3cret\x1bpass"))


def test_it_refuses_a_duplicate_device() -> None:
    doubled = GOOD.replace(
        "tunnels:", "  - {name: 1720-1, host: 10.0.0.1, platform: cisco_ios, username: x}\ntunnels:"
    )
    with pytest.raises(InventoryError, match="line 17: device '1720-1' already defined at line 2"):
        import_inventory(doubled)


def test_it_pins_a_host_key_from_the_file_and_rejects_a_bad_one() -> None:
    import_inventory(
        GOOD.replace("    secret: ww-enable\n", f'    secret: ww-enable\n    host_key: "{ED25519}"\n')
    )
    assert Device.objects.get(name="1720-1").host_key == ED25519
    with pytest.raises(InventoryError, match=r"line 9: devices\[0\]: host_key"):
        import_inventory(
            GOOD.replace(
                "    secret: ww-enable\n", '    secret: ww-enable\n    host_key: "ssh-rsa AAAAnot-a-key"\n'
            )
        )


def test_it_prunes_devices_and_tunnels_no_longer_listed() -> None:
    import_inventory(GOOD)
    only_router = GOOD.split("  - name: pix520-1")[0]
    result = import_inventory(only_router, prune=True)
    assert result.pruned == ["pix520-1"] and result.tunnels_pruned == ["hq-branch"]
    assert list(Device.objects.values_list("name", flat=True)) == ["1720-1"]
    assert Tunnel.objects.count() == 0


def test_it_keeps_unlisted_devices_without_prune() -> None:
    import_inventory(GOOD)
    import_inventory(GOOD.split("  - name: pix520-1")[0])
    assert Device.objects.count() == 2


def test_it_runs_as_a_command_with_file_and_line_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(GOOD.replace("platform: cisco_ios", "platform: ios"))
    with pytest.raises(CommandError, match=rf"{path}:5: devices\[0\]: platform"):
        call_command("import_inventory", str(path))
    path.write_text(GOOD)
    call_command("import_inventory", str(path))
    assert Device.objects.count() == 2


def test_it_imports_who_gets_a_devices_alerts() -> None:
    text = GOOD.replace(
        "    secret: ww-enable\n",
        "    secret: ww-enable\n    alert_emails: [branch-noc@example.net, Kenji.Sato@example.net]\n",
    ).replace("    transport: telnet\n", "    transport: telnet\n    alert_emails: fw-team@example.net\n")
    import_inventory(text)
    router, pix = Device.objects.get(name="1720-1"), Device.objects.get(name="pix520-1")
    assert router.alert_emails == "branch-noc@example.net, Kenji.Sato@example.net"
    assert pix.alert_emails == "fw-team@example.net"
    # Left out of the file, the stored list stays (edited in the admin); `[]` clears it.
    import_inventory(GOOD)
    assert Device.objects.get(name="1720-1").alert_emails == "branch-noc@example.net, Kenji.Sato@example.net"
    import_inventory(GOOD.replace("    secret: ww-enable\n", "    secret: ww-enable\n    alert_emails: []\n"))
    assert Device.objects.get(name="1720-1").alert_emails == ""


@pytest.mark.parametrize(
    "value", ["[noc@example.net, not-an-address]", "'noc@example.net; bad@'", "[[nested@example.net]]", "42"]
)
def test_it_refuses_alert_emails_that_are_not_addresses(value: str) -> None:
    text = GOOD.replace("    secret: ww-enable\n", f"    secret: ww-enable\n    alert_emails: {value}\n")
    with pytest.raises(InventoryError, match=r"line 9: devices\[0\]"):
        import_inventory(text)
    assert not Device.objects.exists()
