"""The admin role is the admin site's: joining it makes a user staff, leaving it takes that back."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client

from tests.conftest import PASSWORD
from vpnportal.roles import ADMIN, VIEWER, ensure_roles

pytestmark = pytest.mark.django_db


def admin_site_status(user: User) -> int:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client.get("/admin/").status_code


def test_joining_the_admin_role_opens_the_admin_site() -> None:
    ensure_roles()
    ada = User.objects.create_user("ada", password=PASSWORD)
    ada.groups.add(Group.objects.get(name=ADMIN))
    assert ada.is_staff and User.objects.get(pk=ada.pk).is_staff
    assert admin_site_status(ada) == 200
    assert Client().get("/admin/devices/device/").status_code == 302  # still a login for anyone else


def test_adding_users_to_the_admin_group_from_the_group_side_makes_them_staff() -> None:
    ensure_roles()
    bob = User.objects.create_user("bob", password=PASSWORD)
    Group.objects.get(name=ADMIN).user_set.add(bob)
    assert User.objects.get(pk=bob.pk).is_staff
    assert admin_site_status(bob) == 200


def test_leaving_the_admin_role_closes_the_admin_site_but_not_for_superusers() -> None:
    ensure_roles()
    admin = Group.objects.get(name=ADMIN)
    ada = User.objects.create_user("ada", password=PASSWORD)
    root = User.objects.create_superuser("root", password=PASSWORD)
    for user in (ada, root):
        user.groups.add(admin, Group.objects.get(name=VIEWER))
    ada.groups.remove(admin)
    admin.user_set.remove(root)
    assert not User.objects.get(pk=ada.pk).is_staff
    assert admin_site_status(ada) == 302
    assert User.objects.get(pk=root.pk).is_staff
    ada.groups.add(admin)
    ada.groups.clear()
    assert not User.objects.get(pk=ada.pk).is_staff


def test_a_viewer_does_not_become_staff() -> None:
    ensure_roles()
    vera = User.objects.create_user("vera", password=PASSWORD)
    vera.groups.add(Group.objects.get(name=VIEWER))
    assert not User.objects.get(pk=vera.pk).is_staff


def test_migrate_makes_admins_of_an_older_install_staff() -> None:
    ensure_roles()
    ada = User.objects.create_user("ada", password=PASSWORD)
    ada.groups.add(Group.objects.get(name=ADMIN))
    User.objects.filter(pk=ada.pk).update(is_staff=False)  # as assigned before roles made staff
    call_command("migrate", verbosity=0, interactive=False)
    assert User.objects.get(pk=ada.pk).is_staff


def test_an_admin_assigning_the_role_in_the_admin_site_makes_staff() -> None:
    ensure_roles()
    root = User.objects.create_superuser("root", password=PASSWORD)
    ada = User.objects.create_user("ada", password=PASSWORD)
    client = Client()
    client.force_login(root)
    response = client.post(
        f"/admin/auth/user/{ada.pk}/change/",
        {
            "username": "ada",
            "is_active": "on",
            "groups": [Group.objects.get(name=ADMIN).pk],
            "date_joined_0": "2026-12-01",
            "date_joined_1": "08:00:00",
            "initial-date_joined_0": "2026-12-01",
            "initial-date_joined_1": "08:00:00",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    assert User.objects.get(pk=ada.pk).is_staff
    assert admin_site_status(ada) == 200
