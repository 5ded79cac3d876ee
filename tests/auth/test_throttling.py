"""Login throttling (django-axes): the login page, the admin login and API tokens lock out username+address."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tests.auth.conftest import Directory, log_in, logged_in
from tests.conftest import PASSWORD
from vpnportal.throttling import API_TOKEN_USERNAME, client_address, lockout_message

pytestmark = pytest.mark.django_db
LIMIT = 5


@pytest.fixture(autouse=True)
def limits(settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = LIMIT
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.LOGIN_LOCKOUT_MINUTES = 15
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def lockout_text() -> str:
    return lockout_message().replace("'", "&#x27;")


def fail(client: Client, username: str, times: int, path: str = "/accounts/login/") -> list[int]:
    return [log_in(client, username, "wrong password", path).status_code for _ in range(times)]


def test_it_locks_out_the_username_and_address_and_refuses_the_right_password(viewer: User) -> None:
    client = Client()
    statuses = fail(client, viewer.username, LIMIT)
    assert statuses == [200] * (LIMIT - 1) + [429]
    response = log_in(client, viewer.username, PASSWORD)
    assert response.status_code == 429
    assert lockout_text() in response.content.decode()
    assert response["Retry-After"] == "900"
    assert not logged_in(client)
    # Another address is not locked out: a colleague behind another address still gets in.
    other = Client(REMOTE_ADDR="192.0.2.44")
    assert log_in(other, viewer.username, PASSWORD).status_code == 302
    # Nor is another username from the locked address.
    assert log_in(Client(), "somebody-else", "wrong password").status_code == 200


def test_it_says_the_same_for_an_account_that_does_not_exist(viewer: User) -> None:
    real, ghost = Client(), Client()
    fail(real, viewer.username, LIMIT)
    fail(ghost, "ghost-user-never-created", LIMIT)
    answers = [log_in(real, viewer.username, PASSWORD), log_in(ghost, "ghost-user-never-created", PASSWORD)]

    def page(response: Any, username: str) -> str:
        text = response.content.decode().replace(username, "USER")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)

    assert [a.status_code for a in answers] == [429, 429]
    assert page(answers[0], viewer.username) == page(answers[1], "ghost-user-never-created")


def test_it_counts_the_username_case_insensitively(viewer: User) -> None:
    client = Client()
    fail(client, viewer.username.upper(), LIMIT - 1)
    assert fail(client, viewer.username.capitalize(), 1) == [429]


def test_it_lets_the_user_in_again_after_the_lockout(viewer: User) -> None:
    client = Client()
    fail(client, viewer.username, LIMIT)
    assert log_in(client, viewer.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert log_in(client, viewer.username, PASSWORD).status_code == 302


def test_a_successful_login_resets_the_count(viewer: User) -> None:
    client = Client()
    fail(client, viewer.username, LIMIT - 1)
    assert log_in(client, viewer.username, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    assert fail(client, viewer.username, LIMIT - 1) == [200] * (LIMIT - 1)


def test_it_throttles_the_admin_login(admin_user: User) -> None:
    client = Client()
    statuses = fail(client, admin_user.username, LIMIT, path="/admin/login/?next=/admin/")
    assert statuses[-1] == 429
    response = client.post(
        "/admin/login/?next=/admin/", {"username": admin_user.username, "password": PASSWORD}
    )
    assert response.status_code == 429 and not logged_in(client)
    # The portal's login form shares the count: same username, same address.
    assert log_in(client, admin_user.username, PASSWORD).status_code == 429


def test_it_throttles_directory_logins_too(directory: Directory) -> None:
    uid = directory.person("tess", "right-directory-password", directory.operators)
    client = Client()
    assert fail(client, uid, LIMIT)[-1] == 429
    response = log_in(client, uid, "right-directory-password")
    assert response.status_code == 429 and not logged_in(client)


def test_it_throttles_wrong_api_tokens_per_address(viewer: User) -> None:
    good = Token.objects.create(user=viewer).key
    client = Client()

    def get(token: str, c: Client = client) -> Any:
        return c.get("/api/devices/", HTTP_AUTHORIZATION=f"Token {token}")

    assert get(good).status_code == 200
    statuses = [get(f"{index:040x}").status_code for index in range(LIMIT)]
    assert statuses == [401] * (LIMIT - 1) + [429] or statuses == [403] * (LIMIT - 1) + [429], statuses
    locked = get(good)
    assert locked.status_code == 429
    assert locked.json()["detail"].startswith(lockout_message()) and locked["Retry-After"] == "900"
    # The attempts are kept under a stand-in name, never the token.
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {API_TOKEN_USERNAME}
    assert not any("0000000" in row for row in AccessAttempt.objects.values_list("post_data", "get_data"))
    # The same token from another address is fine, and so is a session of this address.
    assert get(good, Client(REMOTE_ADDR="192.0.2.45")).status_code == 200
    session = Client()
    session.force_login(viewer)
    assert session.get("/api/devices/").status_code == 200


def test_api_sessions_come_only_from_the_throttled_login(viewer: User) -> None:
    client = Client()
    fail(client, viewer.username, LIMIT)
    log_in(client, viewer.username, PASSWORD)
    assert client.get("/api/devices/").status_code in (401, 403)


def test_it_reads_the_client_address_behind_the_configured_proxies(settings: Any) -> None:
    rf = RequestFactory()
    spoofed = rf.post(
        "/accounts/login/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7"
    )
    direct = rf.post("/accounts/login/", REMOTE_ADDR="203.0.113.9")
    garbage = rf.post("/accounts/login/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not-an-address")
    settings.LOGIN_PROXY_COUNT = 0
    assert client_address(spoofed) == "10.0.0.1"
    settings.LOGIN_PROXY_COUNT = 1
    assert client_address(spoofed) == "198.51.100.7"
    assert client_address(direct) == "203.0.113.9"
    assert client_address(garbage) == "10.0.0.1"
    settings.LOGIN_PROXY_COUNT = 2
    assert client_address(spoofed) == "6.6.6.6"


def test_it_locks_the_address_a_proxy_reports_whatever_the_client_adds(settings: Any, viewer: User) -> None:
    settings.LOGIN_PROXY_COUNT = 1
    for index in range(LIMIT):
        Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"7.7.7.{index}, 198.51.100.7").post(
            "/accounts/login/", {"username": viewer.username, "password": "wrong"}
        )
    behind_proxy = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert log_in(behind_proxy, viewer.username, PASSWORD).status_code == 429
    elsewhere = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert log_in(elsewhere, viewer.username, PASSWORD).status_code == 302
