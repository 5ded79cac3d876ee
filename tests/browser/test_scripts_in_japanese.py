"""The charts and the topology draw their texts in Japanese for a Japanese browser (issue 23): the scripts
read the /jsi18n/ catalogue the pages load before them; and the wider Japanese text still fits the window."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from pki.choices import EnrollmentState
from pki.models import Enrollment
from tests.browser.test_dashboard import log_in
from tests.browser.test_every_page_fits import _overflow, _pages
from tests.i18n.compiled import compile_japanese
from tests.pages.seed import Seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ja_page(chromium: Any, live_server: Any) -> Iterator[Any]:
    compile_japanese()
    context = chromium.new_context(
        viewport={"width": 1400, "height": 1000},
        base_url=live_server.url,
        locale="ja-JP",
        extra_http_headers={"Accept-Language": "ja"},
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_the_tunnel_charts_and_the_topology_speak_japanese(ja_page: Any, seed: Seed, viewer: User) -> None:
    page = ja_page
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, viewer)
    page.goto(reverse("devices:tunnel_detail", args=[seed.tunnel.pk]))
    page.wait_for_selector("#charts[data-state=drawn]")
    assert page.evaluate("Chart.getChart('chart-packets').options.scales.y.title.text") == "パケット/秒"
    assert page.evaluate("Chart.getChart('chart-packets').options.scales.x.title.text").startswith("時刻 (")
    labels = page.evaluate("Chart.getChart('chart-packets').data.datasets.map(d => d.label)")
    assert "1720-1 送信 (encaps)" in labels, labels
    assert "点。時刻は" in page.inner_text("#chart-note")
    page.goto(reverse("devices:topology"))
    page.wait_for_selector("#topology[data-state=drawn]")
    title = page.inner_html("a.edge title")
    assert title.startswith("トンネル ") and "アップ" in title, title
    assert "最終ポーリング" in page.inner_html("a.node title")
    page.goto(reverse("pki:certificate_timeline"))
    page.wait_for_selector("#timeline[data-state=drawn]")
    assert "バー" in page.inner_text("#timeline-note")
    assert errors == []


def test_every_page_still_fits_the_window_in_japanese(ja_page: Any, seed: Seed, operator: User) -> None:
    page = ja_page
    enrollment = Enrollment.objects.create(
        device=seed.router, trustpoint="vpn", state=EnrollmentState.GRANTED
    )
    page.set_viewport_size({"width": 1280, "height": 1000})
    log_in(page, operator)
    for url in _pages(seed, enrollment):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        opened = _overflow(page)
        assert opened["scroll"] <= opened["inner"], (url, opened)
