"""The login page in headless Chromium: a directory operator reaches the enroll form; refusals are said."""

from __future__ import annotations

from typing import Any

import pytest

from devices.models import Device
from pki.models import Trustpoint
from tests.auth.conftest import Directory
from vpnportal.directory import NO_ROLE
from vpnportal.throttling import lockout_message

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
DIRECTORY_PASSWORD = "browser-directory-pass-3k!"


def submit(page: Any, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_a_directory_operator_logs_in_and_opens_the_enroll_form(page: Any, directory: Directory) -> None:
    device = Device.objects.create(name="1720-1", host="127.0.0.1", platform="cisco_ios", username="cisco")
    Trustpoint.objects.create(device=device, name="vpn", present=True)
    uid = directory.person("bruno", DIRECTORY_PASSWORD, directory.operators)
    submit(page, uid, DIRECTORY_PASSWORD)
    page.wait_for_url("**/")
    page.goto(f"/enroll/?device={device.pk}")
    assert page.locator("form.enroll button[type=submit]").is_visible()
    assert "Enroll or re-enroll" in page.locator("h1").inner_text()


def test_the_page_says_why_a_login_is_refused(page: Any, directory: Directory, settings: Any) -> None:
    nobody = directory.person("nora", DIRECTORY_PASSWORD)
    submit(page, nobody, DIRECTORY_PASSWORD)
    assert page.locator("p.error").inner_text() == NO_ROLE
    operator = directory.person("luke", DIRECTORY_PASSWORD, directory.operators)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        submit(page, operator, "wrong")
    submit(page, operator, DIRECTORY_PASSWORD)
    assert page.locator("p.error").inner_text() == lockout_message()
    assert "/accounts/login/" in page.url
