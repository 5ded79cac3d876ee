"""devices/touch.py: the last-seen times of a device's present rows in several tables, in one statement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devices.models import Device, IkeSa
from devices.touch import touch_last_seen
from pki.models import Certificate, Crl, Trustpoint

pytestmark = pytest.mark.django_db


def test_only_the_devices_present_rows_move_and_in_one_statement() -> None:
    then = timezone.now() - timedelta(hours=1)
    ours, other = (
        Device.objects.create(name=n, host="127.0.0.1", platform="cisco_ios", username="u")
        for n in ("a", "b")
    )
    for device in (ours, other):
        Trustpoint.objects.create(device=device, name="tp", last_seen=then)
        Trustpoint.objects.create(device=device, name="gone", last_seen=then, present=False)
        Certificate.objects.create(device=device, key="1", role="ca", status="available", last_seen=then)
        Crl.objects.create(device=device, issuer="cn=ca", last_seen=then)
        IkeSa.objects.create(device=device, last_seen=then)
    now = timezone.now()
    targets = [(Trustpoint, "present"), (Certificate, "present"), (Crl, "present")]
    with CaptureQueriesContext(connection) as queries:
        touch_last_seen(ours.pk, now, targets)
    assert len(queries.captured_queries) == (1 if connection.vendor == "postgresql" else 3)
    for model in (Trustpoint, Certificate, Crl):
        assert set(model.objects.filter(device=ours, present=True).values_list("last_seen", flat=True)) == {
            now
        }
        assert set(model.objects.filter(device=other).values_list("last_seen", flat=True)) == {then}
    assert Trustpoint.objects.get(device=ours, name="gone").last_seen == then
    assert IkeSa.objects.get(device=ours).last_seen == then
    touch_last_seen(ours.pk, now, [(IkeSa, "active")])
    assert IkeSa.objects.get(device=ours).last_seen == now
    assert IkeSa.objects.get(device=other).last_seen == then
