"""Credential sets in the admin: secrets write-only and encrypted, references validated, rotated by rotate_secrets."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from devices.models import CredentialSet, Device

pytestmark = pytest.mark.django_db

ADD = "/admin/devices/credentialset/add/"


def form(**values: str) -> dict[str, str]:
    data = {
        "name": "branch",
        "username": "netops",
        "password": "",
        "password_ref": "",
        "secret": "",
        "secret_ref": "",
    }
    data.update(values)
    return data


def test_an_admin_adds_a_set_whose_secret_is_never_shown_again(admin_user: User) -> None:
    client = Client()
    client.force_login(admin_user)
    response = client.post(ADD, form(password="Pw-admin-3q", secret_ref="file:/run/secrets/enable"))
    assert response.status_code == 302, response.content.decode()[:2000]
    cs = CredentialSet.objects.get(name="branch")
    assert cs.password.reveal() == "Pw-admin-3q" and cs.secret_ref == "file:/run/secrets/enable"
    page = client.get(f"/admin/devices/credentialset/{cs.pk}/change/").content.decode()
    assert "Pw-admin-3q" not in page and "file:/run/secrets/enable" in page
    # A blank password keeps the stored one.
    client.post(
        f"/admin/devices/credentialset/{cs.pk}/change/",
        form(username="noc", secret_ref="file:/run/secrets/enable"),
    )
    cs.refresh_from_db()
    assert (cs.username, cs.password.reveal()) == ("noc", "Pw-admin-3q")


@pytest.mark.parametrize("ref", ["BRANCH_PASSWORD", "env:1X", "file:relative", "vault:x"])
def test_the_admin_refuses_a_reference_that_is_none(admin_user: User, ref: str) -> None:
    client = Client()
    client.force_login(admin_user)
    response = client.post(ADD, form(password_ref=ref))
    assert response.status_code == 200 and not CredentialSet.objects.exists()
    assert "errorlist" in response.content.decode()


def test_a_device_needs_a_username_of_its_own_or_from_its_set(admin_user: User) -> None:
    client = Client()
    client.force_login(admin_user)
    shared = CredentialSet.objects.create(name="branch", username="netops")
    anonymous = CredentialSet.objects.create(name="anon")
    base = {"name": "r1", "host": "192.0.2.1", "port": "22", "platform": "cisco_ios", "transport": "ssh"}
    base.update({"enabled": "on", "weak_crypto_alerts": "unknown", "username": ""})
    assert (
        client.post("/admin/devices/device/add/", {**base, "credential_set": str(anonymous.pk)}).status_code
        == 200
    )
    assert not Device.objects.exists()
    response = client.post("/admin/devices/device/add/", {**base, "credential_set": str(shared.pk)})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Device.objects.get(name="r1").credential_set == shared


def test_rotate_secrets_re_encrypts_the_sets_literals(settings: Any) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.VPNPORTAL_FERNET_KEYS = [old]
    CredentialSet.objects.create(name="lab", username="u", password="Pw-lab-1", secret="En-lab-1")
    settings.VPNPORTAL_FERNET_KEYS = [new, old]
    out = StringIO()
    call_command("rotate_secrets", stdout=out)
    assert "re-encrypted 2 secrets" in out.getvalue()
    settings.VPNPORTAL_FERNET_KEYS = [new]
    cs = CredentialSet.objects.get(name="lab")
    assert (cs.password.reveal(), cs.secret.reveal()) == ("Pw-lab-1", "En-lab-1")
