"""`import_inventory --dry-run` and `export_inventory`, through the management commands."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from devices.models import CredentialSet, Device, Tunnel
from tests.polling.test_credential_sets import FLEET
from vpnportal.models import AuditEntry

pytestmark = pytest.mark.django_db

ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
TUNNELS = "tunnels:\n  - {name: r1-fw1, ends: [r1, fw1]}\n"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write(tmp_path: Path, text: str, name: str = "inventory.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def counts() -> tuple[int, int, int, int]:
    return (
        Device.objects.count(),
        Tunnel.objects.count(),
        CredentialSet.objects.count(),
        AuditEntry.objects.count(),
    )


def test_a_dry_run_prints_what_it_would_create_and_writes_nothing(tmp_path: Path) -> None:
    out = run("import_inventory", write(tmp_path, FLEET + TUNNELS), "--dry-run")
    lines = out.splitlines()
    assert "+ credentials branch-routers" in lines and "+ credentials firewalls" in lines
    assert {"+ device r1", "+ device fw1", "+ tunnel r1-fw1"} <= set(lines)
    assert lines[-1].startswith("dry run, nothing written: devices: 5 created")
    assert "credential sets: 2 created" in lines[-1]
    assert "Kx9" not in out  # no literal secret of the file
    assert counts() == (0, 0, 0, 0)


def test_a_dry_run_shows_changes_and_secrets_only_as_changed(tmp_path: Path) -> None:
    run("import_inventory", write(tmp_path, FLEET + TUNNELS))
    before = counts()
    changed = (
        FLEET.replace("password: fw-literal-Kx9", "password: fw-rotated-Kx9")
        .replace("{env: R3_PASSWORD}", "{env: R3_NEW_PASSWORD}")
        .replace("host: 192.0.2.2,", "host: 192.0.2.22,")
        .replace("credentials: branch-routers, username: local}", "credentials: firewalls, username: local}")
        .replace("username: fwops", "username: fwadmin")
        .replace(
            "  - {name: old, host: 192.0.2.10, platform: cisco_ios, username: cisco, password: cisco}\n", ""
        )
    )
    out = run("import_inventory", write(tmp_path, changed), "--dry-run", "--prune")
    lines = out.splitlines()
    assert "~ credentials firewalls: username fwops -> fwadmin, password (changed)" in lines
    assert "~ device r2: host 192.0.2.2 -> 192.0.2.22, credentials branch-routers -> firewalls" in lines
    assert "~ device r3: password (changed)" in lines
    assert "- device old" in lines and "- tunnel r1-fw1" in lines
    assert lines[-1] == (
        "dry run, nothing written: devices: 0 created, 2 updated, 2 unchanged, 1 pruned; tunnels: 0 created, "
        "0 updated, 1 pruned; credential sets: 0 created, 1 updated, 1 unchanged, 0 pruned"
    )
    assert "Kx9" not in out and "R3_NEW_PASSWORD" not in out  # neither values nor references
    assert counts() == before
    assert CredentialSet.objects.get(name="firewalls").password.reveal() == "fw-literal-Kx9"
    assert Device.objects.get(name="r2").host == "192.0.2.2"


def test_a_dry_run_of_an_unchanged_file_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, FLEET)
    run("import_inventory", path)
    out = run("import_inventory", path, "--dry-run")
    assert out.splitlines()[0] == "no change"


def test_a_dry_run_still_refuses_what_the_import_would_refuse(tmp_path: Path) -> None:
    bad = FLEET.replace("credentials: firewalls}", "credentials: nosuch}")
    with pytest.raises(
        CommandError, match=r"inventory.yaml:14: device 'fw1': credentials: no credential set"
    ):
        run("import_inventory", write(tmp_path, bad), "--dry-run")
    assert counts() == (0, 0, 0, 0)


def test_export_writes_references_and_no_secret_value(tmp_path: Path) -> None:
    run("import_inventory", write(tmp_path, FLEET + TUNNELS))
    Device.objects.filter(name="r1").update(host_key=ED25519, alert_emails="a@example.net, b@example.net")
    out = run("export_inventory")
    assert "Kx9" not in out and "cisco, secret" not in out
    doc = yaml.safe_load(out)
    sets = {s["name"]: s for s in doc["credentials"]}
    assert sets["branch-routers"] == {
        "name": "branch-routers",
        "username": "netops",
        "password": {"env": "BRANCH_PASSWORD"},
        "secret": {"file": "/run/secrets/branch-enable"},
    }
    assert sets["firewalls"]["password"] == {"stored": True} and sets["firewalls"]["secret"] == {
        "stored": True
    }
    devices = {d["name"]: d for d in doc["devices"]}
    assert devices["r1"] == {
        "name": "r1",
        "host": "192.0.2.1",
        "port": 22,
        "platform": "cisco_ios",
        "credentials": "branch-routers",
        "host_key": ED25519,
        "alert_emails": ["a@example.net", "b@example.net"],
    }
    assert devices["r3"]["password"] == {"env": "R3_PASSWORD"}
    assert devices["old"]["password"] == {"stored": True} and "secret" not in devices["old"]
    assert doc["tunnels"] == [{"name": "r1-fw1", "ends": ["r1", "fw1"]}]
    assert "password: {env: BRANCH_PASSWORD}" in out  # references on one line, as people write them


def test_export_then_import_changes_nothing(tmp_path: Path) -> None:
    """The round trip: a dry run of the exported file reports no change, even for literal secrets."""
    run("import_inventory", write(tmp_path, FLEET + TUNNELS))
    exported = tmp_path / "exported.yaml"
    run("export_inventory", "-o", str(exported))
    before = counts()
    out = run("import_inventory", str(exported), "--dry-run", "--prune")
    assert out.splitlines()[0] == "no change", out
    assert counts() == before
    # And a real import keeps every stored literal secret.
    run("import_inventory", str(exported), "--prune")
    assert CredentialSet.objects.get(name="firewalls").password.reveal() == "fw-literal-Kx9"
    assert Device.objects.get(name="old").password.reveal() == "cisco"


def test_a_non_secret_inventory_round_trips_into_an_empty_database(tmp_path: Path) -> None:
    """References only: the export is a complete inventory another installation imports as it is."""
    only_refs = (
        FLEET.replace("password: fw-literal-Kx9", "password: {env: FW_PASSWORD}")
        .replace("secret: fw-enable-Kx9", "secret: {file: /run/secrets/fw-enable}")
        .replace("username: cisco, password: cisco}", "credentials: firewalls}")
    )
    run("import_inventory", write(tmp_path, only_refs + TUNNELS))
    exported = tmp_path / "exported.yaml"
    run("export_inventory", "-o", str(exported))
    assert "stored" not in yaml.safe_dump(yaml.safe_load(exported.read_text()))  # comments aside
    Tunnel.objects.all().delete()
    Device.objects.all().delete()
    CredentialSet.objects.all().delete()
    run("import_inventory", str(exported))
    assert (
        run("import_inventory", write(tmp_path, only_refs + TUNNELS), "--dry-run").splitlines()[0]
        == "no change"
    )


def test_stored_is_refused_where_nothing_is_stored(tmp_path: Path) -> None:
    text = "devices:\n  - {name: r9, host: 192.0.2.99, platform: cisco_ios, username: u, password: {stored: true}}\n"
    with pytest.raises(
        CommandError, match=r":2: device 'r9': password: \{stored: true\} but nothing is stored"
    ):
        run("import_inventory", write(tmp_path, text))


def test_the_demo_inventory_imports_with_its_credential_set() -> None:
    from django.conf import settings

    from devices.credentials import resolve_credentials

    path = Path(settings.BASE_DIR) / "simulator" / "scenarios" / "demo-inventory.yaml"
    assert "credential sets: 1 created" in run("import_inventory", str(path))
    creds = resolve_credentials(Device.objects.get(name="asa-2"), {})
    assert (creds.username, creds.password.reveal(), creds.secret.reveal()) == (
        "admin",
        "cisco123",
        "cisco123",
    )
