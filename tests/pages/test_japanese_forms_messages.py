"""Forms and the messages after actions speak the reader's language (issue 23); English stays as it was."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.i18n_catalogue import compiled_catalogue
from tests.pages.seed import Seed

pytestmark = pytest.mark.django_db

compiled = pytest.fixture(autouse=True, scope="module")(compiled_catalogue)


@pytest.fixture
def client_op(operator: User) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def enroll_with_passwords_that_differ(client: Client, seed: Seed, language: str) -> str:
    response = client.post(
        f"/enroll/?device={seed.router.pk}",
        {"trustpoint": "vpn", "challenge_password": "one", "confirm_password": "two", "confirmed": "on"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    return response.content.decode()


def test_a_form_error_is_japanese_for_a_japanese_reader(client_op: Client, seed: Seed) -> None:
    html = enroll_with_passwords_that_differ(client_op, seed, "ja")
    assert "2 つのパスワードが一致しません。" in html
    assert "The two passwords differ." not in html


def test_a_form_error_stays_english_for_an_english_reader(client_op: Client, seed: Seed) -> None:
    html = enroll_with_passwords_that_differ(client_op, seed, "en")
    assert "The two passwords differ." in html


def test_the_message_after_an_action_is_japanese_for_a_japanese_reader(client_op: Client, seed: Seed) -> None:
    response = client_op.post(
        f"/alerts/{seed.alert.pk}/silence/",
        {"scope": "device", "hours": "1"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    html = response.content.decode()
    assert "デバイス 1720-1 を" in html and "UTC までミュートしました" in html
    assert "Silenced device" not in html


def test_the_message_after_an_action_stays_english(client_op: Client, seed: Seed) -> None:
    response = client_op.post(
        f"/alerts/{seed.alert.pk}/silence/",
        {"scope": "device", "hours": "1"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert "Silenced device 1720-1 until" in html and "every alert of this device" in html


def test_the_enroll_page_alone_says_where_to_go_in_japanese(client_op: Client, seed: Seed) -> None:
    response = client_op.get("/enroll/", follow=True, HTTP_ACCEPT_LANGUAGE="ja")
    assert "再登録ボタンは各デバイスのページにあります" in response.content.decode()
