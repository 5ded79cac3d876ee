"""Shared fixtures: users named by role, and helpers that start real services for integration tests."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from vpnportal.roles import ADMIN, OPERATOR, VIEWER, ensure_roles

PASSWORD = "correct horse battery staple"


def make_user(username: str, role: str | None) -> User:
    """Create a user in the named role group (admins are staff too)."""
    ensure_roles()
    user = User.objects.create_user(username=username, password=PASSWORD, email=f"{username}@example.com")
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    if role == ADMIN:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def viewer(db: None) -> User:
    return make_user("vera-viewer", VIEWER)


@pytest.fixture
def operator(db: None) -> User:
    return make_user("otto-operator", OPERATOR)


@pytest.fixture
def admin_user(db: None) -> User:
    return make_user("ada-admin", ADMIN)
