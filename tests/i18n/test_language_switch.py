"""The language switch: a POST that changes this session's language and keeps it with the account; the
next login, in a fresh browser, opens in it; only the shipped languages, only pages of this site as `next`."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import PASSWORD
from vpnportal.language import SESSION_KEY, saved_language
from vpnportal.models import UserPreference

pytestmark = pytest.mark.django_db
SWITCH = "/i18n/setlang/"


def logged_in(user: User, accept_language: str = "") -> Client:
    client = Client(headers={"Accept-Language": accept_language} if accept_language else None)
    assert (
        client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    )
    return client


def html_lang(client: Client, url: str = "/") -> str:
    page = client.get(url).content.decode()
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


def test_it_switches_the_session_and_keeps_the_choice_with_the_account(viewer: User) -> None:
    client = logged_in(viewer)
    assert html_lang(client) == "en"
    response = client.post(SWITCH, {"language": "ja", "next": "/tunnels/"})
    assert response.status_code == 302 and response["Location"] == "/tunnels/"
    assert client.session[SESSION_KEY] == "ja"
    assert response.cookies["django_language"].value == "ja"
    assert saved_language(viewer) == "ja"
    page = client.get("/")
    assert page["Content-Language"] == "ja"
    assert '<html lang="ja">' in page.content.decode() and "概要" in page.content.decode()
    # And back.
    client.post(SWITCH, {"language": "en", "next": "/"})
    assert html_lang(client) == "en" and saved_language(viewer) == "en"
    assert UserPreference.objects.filter(user=viewer).count() == 1


def test_the_next_login_in_a_fresh_browser_opens_in_the_saved_language(viewer: User) -> None:
    logged_in(viewer).post(SWITCH, {"language": "ja", "next": "/"})
    fresh = logged_in(viewer, accept_language="en")  # no cookie, a browser that asks for English
    assert fresh.session[SESSION_KEY] == "ja"
    assert html_lang(fresh) == "ja"
    # After logging out, the session is gone: the browser's own language again.
    fresh.post("/accounts/logout/")
    assert html_lang(fresh, "/accounts/login/") == "en"


def test_the_saved_language_wins_over_accept_language_and_none_leaves_it_to_the_browser(
    viewer: User, operator: User
) -> None:
    UserPreference.objects.create(user=viewer, language="en")
    assert html_lang(logged_in(viewer, accept_language="ja")) == "en"
    assert html_lang(logged_in(operator, accept_language="ja,en;q=0.5")) == "ja"
    assert html_lang(logged_in(operator, accept_language="de")) == "en"  # not shipped: LANGUAGE_CODE


@pytest.mark.parametrize("code", ["de", "", "ja-JP-x", "xx"])
def test_it_refuses_a_language_that_is_not_shipped(viewer: User, code: str) -> None:
    client = logged_in(viewer)
    response = client.post(SWITCH, {"language": code, "next": "/"})
    assert response.status_code == 400
    assert "django_language" not in response.cookies
    assert SESSION_KEY not in client.session
    assert not UserPreference.objects.exists()


def test_it_changes_nothing_on_a_get(viewer: User) -> None:
    client = logged_in(viewer)
    assert client.get(SWITCH, {"language": "ja", "next": "/"}).status_code == 405
    assert SESSION_KEY not in client.session and not UserPreference.objects.exists()


def test_it_needs_the_csrf_token(viewer: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)
    assert client.post(SWITCH, {"language": "ja", "next": "/"}).status_code == 403
    assert not UserPreference.objects.exists()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_it_goes_back_only_to_a_page_of_this_site(viewer: User, next_url: str) -> None:
    response = logged_in(viewer).post(SWITCH, {"language": "ja", "next": next_url})
    assert response.status_code == 302 and response["Location"] == "/"
    assert saved_language(viewer) == "ja"


def test_an_anonymous_visitor_switches_on_the_login_page_and_the_login_keeps_it(viewer: User) -> None:
    client = Client()
    page = client.get("/accounts/login/").content.decode()
    assert 'action="/i18n/setlang/"' in page and 'value="ja"' in page
    response = client.post(SWITCH, {"language": "ja", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert html_lang(client, "/accounts/login/") == "ja"
    assert not UserPreference.objects.exists()  # nobody to keep it for yet
    client.post("/accounts/login/", {"username": viewer.username, "password": PASSWORD})
    # The choice made just before logging in is the latest: it becomes the account's.
    assert saved_language(viewer) == "ja" and html_lang(client) == "ja"


def test_the_switch_sits_in_the_top_bar_with_the_current_language_pressed(viewer: User) -> None:
    client = logged_in(viewer, accept_language="ja")
    page = client.get("/tunnels/?status=up").content.decode()
    header = page.split("</header>", 1)[0]
    assert '<form class="language-switch" method="post" action="/i18n/setlang/"' in header
    assert 'name="next" value="/tunnels/?status=up"' in header
    assert 'value="ja" lang="ja" aria-pressed="true">日本語</button>' in header
    assert 'value="en" lang="en" aria-pressed="false">English</button>' in header
    assert "csrfmiddlewaretoken" in header.split('class="language-switch"', 1)[1]


def test_english_pages_keep_their_menu(viewer: User) -> None:
    page = logged_in(viewer).get("/").content.decode()
    for text in (
        "Overview",
        "Devices",
        "Tunnels",
        "Certificates",
        "Audit log",
        "API docs",
        "Log out",
        " · viewer",
    ):
        assert text in page


def test_an_admin_sets_a_users_language_and_their_next_login_opens_in_it(
    admin_user: User, viewer: User
) -> None:
    admin = Client()
    admin.force_login(admin_user)
    response = admin.post(
        "/admin/vpnportal/userpreference/add/", {"user": viewer.pk, "language": "ja"}, follow=True
    )
    assert response.status_code == 200 and saved_language(viewer) == "ja"
    assert html_lang(logged_in(viewer)) == "ja"
    refused = admin.post("/admin/vpnportal/userpreference/add/", {"user": admin_user.pk, "language": "de"})
    assert refused.status_code == 200 and not UserPreference.objects.filter(user=admin_user).exists()
