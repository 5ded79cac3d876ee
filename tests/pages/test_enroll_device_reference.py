"""The enroll page's `?device=` is an id or a name; anything else is the client's mistake (400), never a 500."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from devices.models import Device

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(operator: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(operator)
    return client


@pytest.fixture
def device() -> Device:
    return Device.objects.create(
        name="1720-1", host="127.0.0.1", platform="cisco_ios", username="u", password="p"
    )


@pytest.mark.parametrize("ref", ["%C2%B2", "%D9%A1", "1%C2%B2", "a%20b", "%00", ""])
def test_a_reference_that_is_neither_an_id_nor_a_name_is_a_400(
    browser: Client, device: Device, ref: str
) -> None:
    assert browser.get(f"/enroll/?device={ref}").status_code == 400
    assert browser.post(f"/enroll/?device={ref}", {"trustpoint": "TP"}).status_code == 400


def test_an_id_or_a_name_finds_the_device(browser: Client, device: Device) -> None:
    assert browser.get(f"/enroll/?device={device.pk}").status_code == 200
    assert browser.get("/enroll/?device=1720-1").status_code == 200


def test_an_unknown_id_or_name_is_a_404(browser: Client, device: Device) -> None:
    assert browser.get(f"/enroll/?device={device.pk + 1000}").status_code == 404
    assert browser.get("/enroll/?device=pix520-9").status_code == 404
    # Past the id column's range it can only be a name, and no device has it.
    assert browser.get("/enroll/?device=99999999999999999999999").status_code == 404


@pytest.mark.parametrize("ref", ["²", "\u0661", "1²"])
def test_the_api_answers_a_digit_that_is_no_id_as_a_client_mistake(
    browser: Client, device: Device, ref: str
) -> None:
    # The enrollment API and the findings filter read the same kind of reference as the page.
    created = browser.post(
        "/api/enrollments/",
        {"device": ref, "trustpoint": "TP", "challenge_password": ""},
        content_type="application/json",
    )
    assert created.status_code == 400 and "device" in created.json()
    listed = browser.get("/api/findings/", {"device": ref})
    assert listed.status_code == 200 and listed.json()["count"] == 0
