"""`manage.py rotate_secrets` re-encrypts every stored secret so the old key can be removed."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection

from devices.models import Device
from pki.models import Enrollment

pytestmark = pytest.mark.django_db

OLD, NEW, OTHER = (Fernet.generate_key().decode() for _ in range(3))


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])  # noqa: S608
        return str(cursor.fetchone()[0])


def test_after_rotation_the_new_key_alone_decrypts_every_row(settings: Any, operator: User) -> None:
    settings.VPNPORTAL_FERNET_KEYS = [OLD]
    router = Device.objects.create(name="r1", host="192.0.2.1", password="Pw-r1-7z", secret="En-r1-8y")
    blank = Device.objects.create(name="r2", host="192.0.2.2", password="Pw-r2-6x")
    queued = Enrollment.objects.create(
        device=router, trustpoint="vpn", challenge="Ch-queued-5w", requested_by=operator
    )
    before = raw("devices_device", "password", router.pk)

    settings.VPNPORTAL_FERNET_KEYS = [NEW, OLD]
    out = StringIO()
    call_command("rotate_secrets", stdout=out)
    assert "re-encrypted 4 secrets" in out.getvalue()  # two passwords, one enable secret, one challenge
    assert raw("devices_device", "password", router.pk) != before
    assert raw("devices_device", "secret", blank.pk) == ""  # nothing stored, nothing invented

    settings.VPNPORTAL_FERNET_KEYS = [NEW]
    router.refresh_from_db()
    blank.refresh_from_db()
    queued.refresh_from_db()
    assert router.password.reveal() == "Pw-r1-7z" and router.secret.reveal() == "En-r1-8y"
    assert blank.password.reveal() == "Pw-r2-6x"
    assert queued.challenge.reveal() == "Ch-queued-5w"
    assert "Pw-r1-7z" not in out.getvalue()


def test_it_changes_nothing_when_a_row_is_unreadable(settings: Any) -> None:
    settings.VPNPORTAL_FERNET_KEYS = [OTHER]
    lost = Device.objects.create(name="lost", host="192.0.2.3", password="Pw-lost")
    settings.VPNPORTAL_FERNET_KEYS = [OLD]
    kept = Device.objects.create(name="kept", host="192.0.2.4", password="Pw-kept")
    kept_before = raw("devices_device", "password", kept.pk)
    settings.VPNPORTAL_FERNET_KEYS = [NEW, OLD]
    with pytest.raises(CommandError, match=rf"devices_device.password id {lost.pk}"):
        call_command("rotate_secrets")
    assert raw("devices_device", "password", kept.pk) == kept_before
