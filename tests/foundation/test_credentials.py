"""Device credentials are encrypted at rest, survive key rotation and never show in the admin."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import Client, override_settings

from devices.models import Device
from vpnportal import crypto

pytestmark = pytest.mark.django_db

SECRET_PASSWORD = "s3cr3t-Pa55-xyzzy"
SECRET_ENABLE = "en4ble-Secret-plugh"


def make_device() -> Device:
    return Device.objects.create(
        name="1720-1",
        host="127.0.0.1",
        port=2201,
        platform="cisco_ios",
        username="cisco",
        password=SECRET_PASSWORD,
        secret=SECRET_ENABLE,
    )


def stored_columns(device: Device) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT password, secret FROM devices_device WHERE id = %s", [device.pk])
        row = cursor.fetchone()
    return row[0], row[1]


def test_it_stores_ciphertext_not_the_secret() -> None:
    device = make_device()
    password_col, secret_col = stored_columns(device)
    assert SECRET_PASSWORD not in password_col and SECRET_ENABLE not in secret_col
    assert password_col.startswith("gAAAA")  # a Fernet token
    assert Device.objects.get(pk=device.pk).password.reveal() == SECRET_PASSWORD


def test_it_decrypts_after_key_rotation() -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(VPNPORTAL_FERNET_KEYS=[old_key]):
        device = make_device()
    with override_settings(VPNPORTAL_FERNET_KEYS=[new_key, old_key]):
        reloaded = Device.objects.get(pk=device.pk)
        assert reloaded.password.reveal() == SECRET_PASSWORD
        reloaded.save()  # re-encrypts under the new first key
        password_col, _ = stored_columns(device)
        assert crypto.fernet().decrypt(password_col.encode()).decode() == SECRET_PASSWORD
    with override_settings(VPNPORTAL_FERNET_KEYS=[new_key]):
        assert Device.objects.get(pk=device.pk).password.reveal() == SECRET_PASSWORD


def test_it_hides_secrets_in_repr_and_str() -> None:
    device = Device.objects.get(pk=make_device().pk)
    assert SECRET_PASSWORD not in repr(device.password)
    assert SECRET_PASSWORD not in str(device.password)
    assert SECRET_PASSWORD not in repr(device) and SECRET_PASSWORD not in f"{device.__dict__}"


def test_it_never_renders_secrets_in_the_admin(admin_user, client: Client) -> None:
    admin_user.is_superuser = True
    admin_user.save()
    device = make_device()
    client.force_login(admin_user)
    html = client.get(f"/admin/devices/device/{device.pk}/change/").content.decode()
    assert "1720-1" in html
    assert SECRET_PASSWORD not in html and SECRET_ENABLE not in html
    password_col, _ = stored_columns(device)
    assert password_col not in html
    listing = client.get("/admin/devices/device/").content.decode()
    assert SECRET_PASSWORD not in listing


def test_it_keeps_the_password_when_the_admin_form_leaves_it_blank(admin_user, client: Client) -> None:
    admin_user.is_superuser = True
    admin_user.save()
    device = make_device()
    client.force_login(admin_user)
    response = client.post(
        f"/admin/devices/device/{device.pk}/change/",
        {
            "name": "1720-1",
            "host": "127.0.0.2",
            "port": "2201",
            "platform": "cisco_ios",
            "transport": "ssh",
            "username": "cisco",
            "password": "",
            "secret": "",
            "host_key": "",
            "enabled": "on",
            "cert_warn_days": "",
            "crl_warn_hours": "",
            "clock_skew_warn_seconds": "",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    reloaded = Device.objects.get(pk=device.pk)
    assert reloaded.host == "127.0.0.2"
    assert reloaded.password.reveal() == SECRET_PASSWORD
    assert reloaded.secret.reveal() == SECRET_ENABLE
