"""In headless Chromium: Re-enroll from the certificate page, then the job's page follows it without reloading."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User

from devices.models import Device
from pki.choices import CertificateRole, CertificateStatus, EnrollmentState
from pki.models import Certificate, Enrollment, Trustpoint
from tests.conftest import PASSWORD

from .conftest import CHALLENGE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(chromium: Any, live_server: Any) -> Iterator[Any]:
    """A fresh browser context on the live server, from the session's shared Chromium."""
    context = chromium.new_context(base_url=live_server.url)
    tab = context.new_page()
    tab.set_default_timeout(15000)
    yield tab
    context.close()


def test_it_enrolls_from_the_certificate_page_and_follows_the_job_live(
    page: Any, operator: User, enqueued: list[int]
) -> None:
    from playwright.sync_api import expect

    device = Device.objects.create(name="1720-1", host="127.0.0.1", platform="cisco_ios", username="cisco")
    tp = Trustpoint.objects.create(device=device, name="vpn")
    cert = Certificate.objects.create(
        device=device,
        trustpoint=tp,
        key="3B2FD652",
        serial="3B2FD652",
        role=CertificateRole.IDENTITY,
        status=CertificateStatus.AVAILABLE,
    )
    violations: list[str] = []
    page.on(
        "console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    page.goto("/accounts/login/")
    page.fill("input[name=username]", operator.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")

    page.goto(f"/certificates/{cert.pk}/")
    page.click("text=Re-enroll")
    page.fill("input[name=challenge_password]", CHALLENGE)
    page.fill("input[name=confirm_password]", CHALLENGE)
    page.check("input[name=confirmed]")
    page.click("form.enroll button[type=submit]")
    page.wait_for_url("**/enrollments/*/")
    enrollment = Enrollment.objects.get()
    assert page.inner_text("#enrollment-state") == "queued"

    # What the worker writes as it goes: the page picks it up from the API by itself.
    Enrollment.objects.filter(pk=enrollment.pk).update(
        state=EnrollmentState.GRANTED,
        new_serial="3B333B41",
        transcript="crypto ca enroll vpn\nPassword: ********\n3d09h: %CRYPTO-6-CERTRET: Certificate received",
    )
    expect(page.locator("#enrollment-state")).to_have_text("granted", timeout=15000)
    assert page.inner_text("#enrollment-new-serial") == "3B333B41"
    assert "CERTRET" in page.inner_text("#enrollment-transcript")
    assert CHALLENGE not in page.content()
    assert violations == []
