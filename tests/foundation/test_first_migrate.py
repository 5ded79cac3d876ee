"""One `migrate` on an empty database gives every role all of its permissions: an operator can enroll at once."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from devices.models import Device
from tests.conftest import PASSWORD
from vpnportal.roles import ADMIN, OPERATOR, VIEWER

VIEW_APPS = {"devices", "pki", "vpnportal", "events"}
OPERATOR_ACTS = {"pki.add_enrollment", "vpnportal.change_alert", "vpnportal.add_maintenancewindow"}
ADMIN_APPS = {"devices", "pki", "vpnportal", "events", "auth", "authtoken"}


def names(perms: object) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in perms}  # type: ignore[attr-defined]


def expected_roles() -> dict[str, set[str]]:
    """Every role's permissions, from the permission table itself."""
    every = names(Permission.objects.select_related("content_type"))
    view = {p for p in every if p.split(".")[0] in VIEW_APPS and p.split(".")[1].startswith("view_")}
    return {
        VIEWER: view,
        OPERATOR: view | OPERATOR_ACTS,
        ADMIN: {p for p in every if p.split(".")[0] in ADMIN_APPS},
    }


def migrate_from_empty() -> None:
    """Every app back to zero (an empty database), then one plain `migrate`, as on a new install."""
    executor = MigrationExecutor(connection)
    apps = {app for app, _ in executor.loader.graph.leaf_nodes()}
    executor.migrate([(app, None) for app in apps])
    assert "auth_permission" not in connection.introspection.table_names()
    call_command("migrate", verbosity=0, interactive=False)


@pytest.mark.django_db(transaction=True)
def test_one_migrate_on_an_empty_database_gives_each_role_its_permissions() -> None:
    migrate_from_empty()
    expected = expected_roles()
    assert {"devices.view_device", "pki.view_certificate", "pki.add_enrollment"} <= expected[OPERATOR]
    for role, perms in expected.items():
        group = Group.objects.get(name=role)
        assert names(group.permissions.select_related("content_type")) == perms, role

    device = Device.objects.create(
        name="1720-1", host="127.0.0.1", platform="cisco_ios", username="u", password="p"
    )
    otto = User.objects.create_user("otto", password=PASSWORD)
    otto.groups.add(Group.objects.get(name=OPERATOR))
    client = Client()
    assert client.login(username="otto", password=PASSWORD)
    assert client.get(f"/enroll/?device={device.pk}").status_code == 200
    assert client.get("/devices/").status_code == 200
