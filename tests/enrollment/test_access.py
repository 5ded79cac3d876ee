"""Who may enroll, through the API and the pages; the form works for an operator; nothing echoes the password."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from devices.models import Device
from pki.choices import CertificateRole, CertificateStatus, EnrollmentState
from pki.models import Certificate, Enrollment, Trustpoint

from .conftest import CHALLENGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def router(db: None) -> Device:
    """A device with a reported trustpoint and its identity certificate (no simulator needed)."""
    device = Device.objects.create(name="1720-1", host="127.0.0.1", platform="cisco_ios", username="cisco")
    tp = Trustpoint.objects.create(device=device, name="vpn")
    Certificate.objects.create(
        device=device,
        trustpoint=tp,
        key="3B2FD652",
        serial="3B2FD652",
        role=CertificateRole.IDENTITY,
        status=CertificateStatus.AVAILABLE,
    )
    return device


def login(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api_post(client: Client, **data: Any) -> Any:
    return client.post("/api/enrollments/", data, content_type="application/json")


@pytest.mark.parametrize(("role", "status"), [("anonymous", 403), ("viewer", 403)])
def test_it_refuses_the_api_to_non_operators(
    role: str, status: int, router: Device, request: pytest.FixtureRequest, enqueued: list[int]
) -> None:
    user = None if role == "anonymous" else request.getfixturevalue(role)
    client = login(user)
    response = api_post(client, device="1720-1", trustpoint="vpn", challenge_password=CHALLENGE)
    assert response.status_code in (status, 401)
    assert client.get("/api/enrollments/").status_code in (status, 401)
    assert not Enrollment.objects.exists() and enqueued == []


@pytest.mark.parametrize("role", ["operator", "admin_user"])
def test_it_accepts_an_enrollment_from_operators_with_202(
    role: str,
    router: Device,
    request: pytest.FixtureRequest,
    enqueued: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = login(request.getfixturevalue(role))
    with django_capture_on_commit_callbacks(execute=True):
        response = api_post(client, device="1720-1", trustpoint="vpn", challenge_password=CHALLENGE)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["state"] == "queued" and set(body) == {"id", "state"}
    assert enqueued == [body["id"]]
    detail = client.get(f"/api/enrollments/{body['id']}/")
    assert detail.status_code == 200
    job = detail.json()
    assert {"state", "transcript", "error", "new_serial"} <= set(job)
    assert CHALLENGE not in detail.content.decode() and "challenge" not in job
    again = api_post(client, device="1720-1", trustpoint="vpn", challenge_password=CHALLENGE)
    assert again.status_code == 409 and "already has an enrollment" in again.json()["device"][0]


def test_it_refuses_injection_through_the_api_with_a_clear_error(
    router: Device, operator: User, enqueued: list[int]
) -> None:
    client = login(operator)
    response = api_post(client, device="1720-1", trustpoint="vpn\nwrite erase", challenge_password=CHALLENGE)
    assert response.status_code == 400
    assert "newline, carriage return or other control character" in response.json()["trustpoint"][0]
    response = api_post(client, device="1720-1", trustpoint="vpn", challenge_password="x\nwrite erase")
    assert response.status_code == 400
    assert "newline" in response.json()["challenge_password"][0]
    assert "write erase" not in response.content.decode()
    assert api_post(client, device="nope", trustpoint="vpn").status_code == 400
    assert not Enrollment.objects.exists()


def test_it_shows_the_form_and_button_to_operators_only(router: Device, viewer: User, operator: User) -> None:
    url = reverse("pki:enroll") + f"?device={router.pk}&trustpoint=vpn"
    cert = Certificate.objects.get(device=router)
    page = reverse("pki:certificate_detail", args=[cert.pk])
    as_viewer = login(viewer)
    assert as_viewer.get(url).status_code == 403
    assert as_viewer.post(url, {"trustpoint": "vpn"}).status_code == 403
    assert reverse("pki:enroll") not in as_viewer.get(page).content.decode()
    as_operator = login(operator)
    assert reverse("pki:enroll") in as_operator.get(page).content.decode()
    form = as_operator.get(url)
    assert form.status_code == 200
    html = form.content.decode()
    assert 'type="password"' in html and '<option value="vpn" selected>' in html


def test_it_enrolls_through_the_form_for_an_operator(
    router: Device, operator: User, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    client = login(operator)
    url = reverse("pki:enroll") + f"?device={router.pk}"
    data = {
        "trustpoint": "vpn",
        "challenge_password": CHALLENGE,
        "confirm_password": "other",
        "confirmed": "on",
    }
    mismatch = client.post(url, data)
    assert mismatch.status_code == 400 and "The two passwords differ." in mismatch.content.decode()
    assert CHALLENGE not in mismatch.content.decode()  # never rendered back
    data["confirm_password"] = CHALLENGE
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    enrollment = Enrollment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pki:enrollment_detail", args=[enrollment.pk])
    assert enrollment.state == EnrollmentState.QUEUED and enqueued == [enrollment.pk]
    detail = client.get(response["Location"])
    html = detail.content.decode()
    assert detail.status_code == 200
    assert f'data-api-url="/api/enrollments/{enrollment.pk}/"' in html and "js/enrollment.js" in html
    assert "<script>" not in html  # CSP: no inline scripts
    busy = client.post(url, data)
    assert busy.status_code == 400 and "already has an enrollment in progress" in busy.content.decode()


def test_it_keeps_enrollment_pages_from_viewers(router: Device, viewer: User, operator: User) -> None:
    enrollment = Enrollment.objects.create(device=router, trustpoint="vpn", requested_by=operator)
    assert login(viewer).get(reverse("pki:enrollment_detail", args=[enrollment.pk])).status_code == 403
    assert login(viewer).get(f"/api/enrollments/{enrollment.pk}/").status_code == 403
