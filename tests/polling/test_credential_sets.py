"""Credential sets and secrets by reference in the inventory: import, validation, resolution at poll time."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from devices.credentials import CredentialError, resolve_credentials
from devices.inventory import InventoryError, import_inventory
from devices.models import CredentialSet, Device
from devices.secret_refs import Reference, UnresolvedReference, make_reference, resolve
from vpnportal.models import AuditEntry

pytestmark = pytest.mark.django_db

FLEET = """\
credentials:
  - name: branch-routers
    username: netops
    password: {env: BRANCH_PASSWORD}
    secret: {file: /run/secrets/branch-enable}
  - name: firewalls
    username: fwops
    password: fw-literal-Kx9
    secret: fw-enable-Kx9
devices:
  - {name: r1, host: 192.0.2.1, platform: cisco_ios, credentials: branch-routers}
  - {name: r2, host: 192.0.2.2, platform: cisco_ios, credentials: branch-routers, username: local}
  - {name: r3, host: 192.0.2.3, platform: cisco_ios, credentials: branch-routers, password: {env: R3_PASSWORD}}
  - {name: fw1, host: 192.0.2.9, platform: cisco_asa, credentials: firewalls}
  - {name: old, host: 192.0.2.10, platform: cisco_ios, username: cisco, password: cisco}
"""


def test_it_imports_sets_and_references() -> None:
    result = import_inventory(FLEET)
    assert sorted(result.credentials_created) == ["branch-routers", "firewalls"]
    assert "credential sets: 2 created" in result.summary()
    branch = CredentialSet.objects.get(name="branch-routers")
    assert (branch.username, branch.password_ref, branch.secret_ref) == (
        "netops",
        "env:BRANCH_PASSWORD",
        "file:/run/secrets/branch-enable",
    )
    assert branch.password.reveal() == "" and branch.secret.reveal() == ""
    r1 = Device.objects.get(name="r1")
    assert r1.credential_set == branch and r1.username == "" and r1.password_ref == ""
    assert Device.objects.get(name="r3").password_ref == "env:R3_PASSWORD"
    # A second import of the same file changes nothing.
    again = import_inventory(FLEET)
    assert again.updated == [] and again.credentials_updated == [] and again.details == []


def test_literal_secrets_of_a_set_are_encrypted_at_rest() -> None:
    import_inventory(FLEET)
    with connection.cursor() as cursor:
        cursor.execute("SELECT password, secret FROM devices_credentialset WHERE name = 'firewalls'")
        password, secret = cursor.fetchone()
    assert password and "Kx9" not in password and "Kx9" not in secret
    assert CredentialSet.objects.get(name="firewalls").password.reveal() == "fw-literal-Kx9"
    # The audit entry says a secret is set, never what it is.
    entry = AuditEntry.objects.filter(object_type="devices.credentialset", object_repr="firewalls").get()
    assert entry.after is not None and "Kx9" not in str(entry.after)
    assert entry.after["password"] == "********"


def test_the_devices_own_fields_win(tmp_path: Path) -> None:
    enable = tmp_path / "branch-enable"
    enable.write_text("en-from-file\n")
    import_inventory(FLEET.replace("/run/secrets/branch-enable", str(enable)))
    env = {"BRANCH_PASSWORD": "pw-from-env", "R3_PASSWORD": "r3-own"}
    r1 = resolve_credentials(Device.objects.get(name="r1"), env)
    assert (r1.username, r1.password.reveal(), r1.secret.reveal()) == (
        "netops",
        "pw-from-env",
        "en-from-file",
    )
    assert "pw-from-env" not in repr(r1) and "en-from-file" not in str(r1)
    assert resolve_credentials(Device.objects.get(name="r2"), env).username == "local"
    r3 = resolve_credentials(Device.objects.get(name="r3"), env)
    assert (r3.password.reveal(), r3.secret.reveal()) == ("r3-own", "en-from-file")
    fw1 = resolve_credentials(Device.objects.get(name="fw1"), {})
    assert (fw1.username, fw1.password.reveal(), fw1.secret.reveal()) == (
        "fwops",
        "fw-literal-Kx9",
        "fw-enable-Kx9",
    )
    old = resolve_credentials(Device.objects.get(name="old"), {})
    assert (old.username, old.password.reveal(), old.secret.reveal()) == ("cisco", "cisco", "")


def test_references_are_read_at_each_resolution(tmp_path: Path) -> None:
    """Rotating the secret behind a reference needs no re-import."""
    enable = tmp_path / "enable"
    enable.write_text("first\n")
    import_inventory(FLEET.replace("/run/secrets/branch-enable", str(enable)))
    r1 = Device.objects.get(name="r1")
    assert resolve_credentials(r1, {"BRANCH_PASSWORD": "a"}).secret.reveal() == "first"
    enable.write_text("second\n")
    creds = resolve_credentials(r1, {"BRANCH_PASSWORD": "b"})
    assert (creds.password.reveal(), creds.secret.reveal()) == ("b", "second")


def test_a_missing_reference_names_itself_and_whose_it_is() -> None:
    import_inventory(FLEET)
    with pytest.raises(CredentialError) as missing:
        resolve_credentials(Device.objects.get(name="r1"), {})
    assert missing.value.reason == (
        "credentials: {env: BRANCH_PASSWORD}: environment variable not set (credential set branch-routers)"
    )
    with pytest.raises(CredentialError) as no_file:
        resolve_credentials(Device.objects.get(name="r1"), {"BRANCH_PASSWORD": "x"})
    assert no_file.value.reason.startswith(
        "credentials: {file: /run/secrets/branch-enable}: cannot read the file (No such file or directory)"
    )
    with pytest.raises(CredentialError, match=r"\{env: R3_PASSWORD\}.*\(device r3\)"):
        resolve_credentials(Device.objects.get(name="r3"), {"BRANCH_PASSWORD": "x"})


def test_resolving_strips_one_trailing_newline_and_refuses_bad_values(tmp_path: Path) -> None:
    path = tmp_path / "s"
    ref = Reference("file", str(path))
    for content, expected in (("abc\n", "abc"), ("abc\r\n", "abc"), ("abc", "abc"), ("abc \n", "abc ")):
        path.write_text(content, newline="")
        assert resolve(ref) == expected
    for content, why in (("abc\n\n", "control characters"), ("\n", "empty"), ("x" * 129, "longer than")):
        path.write_text(content, newline="")
        with pytest.raises(UnresolvedReference, match=why) as bad:
            resolve(ref)
        assert "abc" not in str(bad.value) and "xxx" not in str(bad.value)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(UnresolvedReference, match="not UTF-8"):
        resolve(ref)
    with pytest.raises(UnresolvedReference, match=r"^\{env: X\}: empty$"):
        resolve(Reference("env", "X"), {"X": ""})
    with pytest.raises(UnresolvedReference, match="control characters"):
        resolve(Reference("env", "X"), {"X": "a\nshow run"})


@pytest.mark.parametrize(
    ("kind", "target", "message"),
    [
        ("env", "1BAD", "not an environment variable name"),
        ("env", "A-B", "not an environment variable name"),
        ("file", "relative/path", "must be an absolute path"),
        ("file", "/a\nb", "control characters"),
        ("vault", "x", "a reference is"),
        ("env", 5, "needs a name"),
    ],
)
def test_it_refuses_bad_references(kind: str, target: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_reference(kind, target)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "{env: BRANCH_PASSWORD}",
            "{env: 1X}",
            "line 4: credentials[0]: password: {env: 1X}: not an environment",
        ),
        (
            "{file: /run/secrets/branch-enable}",
            "{file: rel}",
            "line 5: credentials[0]: secret: {file: rel}: must",
        ),
        ("{env: BRANCH_PASSWORD}", "{env: A, file: /b}", "line 4: credentials[0]: password: a reference is"),
        ("{env: BRANCH_PASSWORD}", "[a, b]", "line 4: credentials[0]: password: expected a single value"),
        (
            "{env: BRANCH_PASSWORD}",
            "{stored: yes-please}",
            "line 4: credentials[0]: password: {stored: true} is",
        ),
        ("password: fw-literal-Kx9", "pasword: x", "line 8: credentials[1]: unknown key 'pasword'"),
        (
            "- name: firewalls",
            "- name: branch-routers",
            "line 6: credential set 'branch-routers' already defined",
        ),
        (
            "credentials: firewalls}",
            "credentials: nosuch}",
            "line 14: device 'fw1': credentials: no credential set",
        ),
        (
            "- name: firewalls\n    username: fwops",
            "- name: firewalls",
            "line 13: device 'fw1': username: required",
        ),
        ("credentials: firewalls}", "credentials: 'a b'}", "line 14: devices[3]: credentials: must be 1-64"),
    ],
)
def test_errors_name_the_line(old: str, new: str, message: str) -> None:
    assert old in FLEET
    with pytest.raises(InventoryError) as exc:
        import_inventory(FLEET.replace(old, new, 1))
    assert str(exc.value).startswith(message), str(exc.value)
    assert not Device.objects.exists() and not CredentialSet.objects.exists()


def test_a_device_without_a_set_still_needs_a_username() -> None:
    with pytest.raises(InventoryError, match=r"line 15: devices\[4\]: username: required"):
        import_inventory(FLEET.replace("username: cisco, ", ""))


def test_prune_deletes_the_sets_the_file_no_longer_names() -> None:
    import_inventory(FLEET)
    without_firewalls = FLEET.replace(
        "  - name: firewalls\n    username: fwops\n    password: fw-literal-Kx9\n    secret: fw-enable-Kx9\n",
        "",
    ).replace("  - {name: fw1, host: 192.0.2.9, platform: cisco_asa, credentials: firewalls}\n", "")
    result = import_inventory(without_firewalls, prune=True)
    assert result.credentials_pruned == ["firewalls"] and result.pruned == ["fw1"]
    assert list(CredentialSet.objects.values_list("name", flat=True)) == ["branch-routers"]


def test_switching_to_a_reference_drops_the_stored_literal() -> None:
    import_inventory(FLEET)
    import_inventory(FLEET.replace("password: fw-literal-Kx9", "password: {env: FW_PASSWORD}"))
    fw = CredentialSet.objects.get(name="firewalls")
    assert fw.password.reveal() == "" and fw.password_ref == "env:FW_PASSWORD"
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM devices_credentialset WHERE name = 'firewalls'")
        assert cursor.fetchone() == ("",)
