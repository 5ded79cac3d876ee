"""Actions say what they do: silence in the scope chosen, a message after each, the enrollments page (issue 18)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from devices.models import Device
from pki.choices import EnrollmentState
from pki.models import Enrollment
from tests.pages.seed import Seed
from vpnportal.alerting.evaluate import in_maintenance
from vpnportal.models import Alert, AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_op(operator: User) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def test_the_alert_row_offers_its_scopes(client_op: Client, seed: Seed) -> None:
    html = client_op.get("/alerts/").content.decode()
    assert '<option value="alert">this alert</option>' in html
    assert '<option value="device">device 1720-1</option>' in html


def test_silencing_this_alert_leaves_the_device_alone(client_op: Client, seed: Seed) -> None:
    response = client_op.post(
        f"/alerts/{seed.alert.pk}/silence/", {"scope": "alert", "hours": "4", "next": "/alerts/"}, follow=True
    )
    assert "Silenced this alert (Certificate expiring 3B2FD652)" in response.content.decode()
    alert = Alert.objects.get(pk=seed.alert.pk)
    assert alert.silenced_until is not None and in_maintenance(alert, timezone.now())
    assert Device.objects.get(pk=seed.router.pk).silenced_until is None
    assert AuditEntry.objects.filter(verb="silence", object_type__icontains="alert").exists()
    # It moves to the silenced tab.
    assert f'data-alert-id="{alert.pk}"' in client_op.get("/alerts/?state=silenced").content.decode()


def test_silencing_the_device_says_so(client_op: Client, seed: Seed) -> None:
    response = client_op.post(
        f"/alerts/{seed.alert.pk}/silence/", {"scope": "device", "hours": "1"}, follow=True
    )
    assert "Silenced device 1720-1 until" in response.content.decode()
    assert "every alert of this device" in response.content.decode()
    assert Device.objects.get(pk=seed.router.pk).silenced_until is not None
    assert (
        client_op.post(f"/alerts/{seed.alert.pk}/silence/", {"scope": "tunnel", "hours": "1"}).status_code
        == 400
    )


def test_enroll_alone_leads_to_the_enrollments_page(client_op: Client, seed: Seed) -> None:
    response = client_op.get("/enroll/", follow=True)
    assert response.redirect_chain[-1][0] == "/enrollments/"
    assert "Pick a device" in response.content.decode()


def test_the_enrollments_page_filters_by_state_and_device(
    client_op: Client, seed: Seed, operator: User
) -> None:
    granted = Enrollment.objects.create(device=seed.router, trustpoint="vpn", state=EnrollmentState.GRANTED)
    failed = Enrollment.objects.create(
        device=seed.pix, trustpoint="cisco", state=EnrollmentState.FAILED, error="CA said no"
    )
    html = client_op.get("/enrollments/").content.decode()
    assert f'data-enrollment-id="{granted.pk}"' in html and f'data-enrollment-id="{failed.pk}"' in html
    assert 'class="badge status-failed"' in html and "failed (1)" in html
    html = client_op.get("/enrollments/?state=failed").content.decode()
    assert f'data-enrollment-id="{granted.pk}"' not in html and "CA said no" in html
    # `device` is the exact name, as in the API; the search box finds a part of it.
    for query in (f"device={seed.router.name}", "q=1720"):
        html = client_op.get(f"/enrollments/?{query}").content.decode()
        assert (
            f'data-enrollment-id="{failed.pk}"' not in html and f'data-enrollment-id="{granted.pk}"' in html
        )
    assert 'href="/enrollments/"' in client_op.get("/").content.decode()  # in the menu


def test_a_missing_page_is_styled_like_the_site(client_op: Client, seed: Seed) -> None:
    response = client_op.get("/enrollments/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'class="topbar"' in html and "Not found" in html
