"""Relative times, durations, badges and stamps read the same in English as before, and in Japanese (issue 23)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.template import engines
from django.utils import timezone, translation

from tests.i18n.compiled import compile_japanese
from vpnportal.templatetags.portal import age, ago, days_list, duration, rate, status_label, until


@pytest.fixture(scope="module", autouse=True)
def catalogue() -> Iterator[None]:
    compile_japanese()
    yield


def _render(source: str, **context: object) -> str:
    return engines["django"].from_string("{% load portal %}" + source).render(context)


def test_it_words_english_as_the_pages_always_did() -> None:
    now = timezone.now()
    with translation.override("en"):
        assert ago(now - timedelta(hours=3)) == "3 h ago"
        assert ago(now - timedelta(seconds=42)) == "42 s ago"
        assert ago(None) == "never"
        assert age(now - timedelta(minutes=5, seconds=10)) == "5 min"
        assert until(now + timedelta(days=6, minutes=1)) == "in 6 d"
        assert until(now + timedelta(hours=10, minutes=1)) == "in 10 h"
        assert until(now - timedelta(days=9090)) == "9090 d ago"
        assert until(None) == "—"
        assert duration(-30) == "-30 s"
        assert rate(2.009) == "2.01 pkt/s"
        assert status_label("up") == "up" and status_label("no-such-state") == "no-such-state"
        assert days_list([30, 7]) == "30 d, 7 d"


def test_it_words_the_whole_phrase_in_japanese() -> None:
    now = timezone.now()
    with translation.override("ja"):
        assert ago(now - timedelta(hours=3)) == "3 時間前"
        assert until(now + timedelta(days=6, minutes=1)) == "6 日後"
        assert until(now - timedelta(days=9090)) == "9090 日前"
        assert age(now - timedelta(minutes=5)) == "5 分"
        assert ago(None) == "なし"
        assert status_label("up") == "アップ" and status_label("firing") == "発生中"
        assert rate(120) == "120 パケット/秒"


def test_the_template_filters_are_the_same_functions() -> None:
    when = timezone.now() - timedelta(days=2)
    with translation.override("en"):
        assert (
            _render("{{ w|ago }} · {{ w|age }} ago · {{ w|time_left }}", w=when)
            == "2 d ago · 2 d ago · 2 d ago"
        )
    with translation.override("ja"):
        assert _render('<span class="badge status-{{ s }}">{{ s|status_label }}</span>', s="down") == (
            '<span class="badge status-down">ダウン</span>'
        )


def test_stamps_follow_the_language_and_show_the_time_zone() -> None:
    at = datetime(2026, 12, 3, 15, 4, 5, tzinfo=UTC)
    source = '{{ at|date:"PORTAL_MINUTE_FORMAT" }} | {{ at|date:"PORTAL_SECOND_FORMAT" }}'
    with timezone.override("UTC"):
        with translation.override("en"):
            assert _render(source, at=at) == "2026-12-03 15:04 UTC | 2026-12-03 15:04:05 UTC"
        with translation.override("ja"):
            assert _render(source, at=at) == "2026年12月3日 15:04 UTC | 2026年12月3日 15:04:05 UTC"
