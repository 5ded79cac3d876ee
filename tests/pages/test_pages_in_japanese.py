"""With Accept-Language: ja the pages speak Japanese: labels, counts, relative times, badges, stamps (issue 23)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.i18n.compiled import compile_japanese
from tests.pages.seed import Seed

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def catalogue() -> Iterator[None]:
    compile_japanese()
    yield


@pytest.fixture
def browser(operator: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    client.force_login(operator)
    return client


def _content(html: str) -> str:
    """The page's own part: the menu (base.html) is translated apart."""
    return html[html.index("<main>") : html.index("</main>")]


def test_the_overview_is_japanese(browser: Client, seed: Seed) -> None:
    html = _content(browser.get("/").content.decode())
    assert "概要" in html and "トンネル" in html and "対応が必要なデバイス" in html
    assert "年" in html and "UTC" in html  # 2026年12月3日 15:04:05 UTC
    assert "Needs action" not in html
    own = html[html.index('id="tunnels"') :]  # the alert tables above are templates/includes/alert_table.html
    for english in ("Time left", "Certificates running out soonest", " ago", "as of ", "never"):
        assert english not in own, english


def test_a_device_page_is_japanese(browser: Client, seed: Seed) -> None:
    html = _content(browser.get(reverse("devices:device_detail", args=[seed.router.pk])).content.decode())
    assert "最終ポーリング" in html and "トラストポイント" in html and "ポーリング履歴" in html
    assert "時間前" in html or "分前" in html or "秒前" in html
    for english in ("Last poll", "Trustpoints", "Poll history", "Clock skew", " ago)"):
        assert english not in html, english


def test_a_tunnel_page_is_japanese_and_loads_the_script_catalogue(browser: Client, seed: Seed) -> None:
    html = browser.get(reverse("devices:tunnel_detail", args=[seed.tunnel.pk])).content.decode()
    assert reverse("javascript-catalog") in html
    html = _content(html)
    assert "着信 SPI" in html and "履歴" in html
    assert 'class="badge status-' in html  # the class keeps the raw value
    for english in ("Inbound SPI", "Lifetime left", "last poll", "No IKE SA"):
        assert english not in html, english


def test_the_script_catalogue_has_the_chart_texts(client: Client) -> None:
    js = client.get(reverse("javascript-catalog"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "\\u30d1\\u30b1\\u30c3\\u30c8/\\u79d2" in js or "パケット/秒" in js  # packets/s


def test_a_certificate_and_the_lists_are_japanese(browser: Client, seed: Seed) -> None:
    html = _content(
        browser.get(reverse("pki:certificate_detail", args=[seed.router_cert.pk])).content.decode()
    )
    assert "有効期限" in html and "発行者" in html and "年" in html
    for english in ("Valid to", "Issuer", "As the device reports it"):
        assert english not in html, english
    html = _content(browser.get(reverse("pki:crl_list")).content.decode())
    assert "日後" in html or "時間後" in html or "日前" in html
    assert "件一致" in html


def test_english_is_unchanged_for_an_english_browser(operator: User, seed: Seed) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(operator)
    html = client.get(reverse("devices:device_detail", args=[seed.router.pk])).content.decode()
    assert "<h2>Last poll</h2>" in html and " ago)" in html and "概要" not in html
