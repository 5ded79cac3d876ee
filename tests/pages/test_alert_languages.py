"""The alert pages in Japanese: summaries stored as texts, labels, states and relative times; an alert
written before summaries were stored as texts still shows its English summary."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from tests.alerts.factories import make_cert
from tests.pages.seed import Seed
from vpnportal.alerting.evaluate import evaluate_rules
from vpnportal.models import Alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(viewer: User) -> Client:
    client = Client()
    client.force_login(viewer)
    return client


def _stored_alert(seed: Seed) -> Alert:
    make_cert(seed.router, timezone.now() + timedelta(days=6, hours=1), serial="77AA", trustpoint="second")
    evaluate_rules(timezone.now())
    return Alert.objects.get(subject="77AA")


def test_the_alert_list_shows_the_japanese_summary_and_labels(browser: Client, seed: Seed) -> None:
    alert = _stored_alert(seed)
    html = browser.get("/alerts/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "1720-1: ID 証明書 77AA (" in html and "はあと 6 日で期限切れになります" in html
    assert alert.summary not in html
    assert "<th>重大度</th>" in html and "<th>要約</th>" in html
    assert "証明書の期限切れが近い" in html and ">警告</span>" in html
    assert ">未対応" in html and ("時間前" in html or "分前" in html)
    english = browser.get("/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert alert.summary in english and "<th>Severity</th>" in english and ">warning</span>" in english


def test_the_alert_page_shows_the_japanese_summary_and_its_events(browser: Client, seed: Seed) -> None:
    alert = _stored_alert(seed)
    html = browser.get(f"/alerts/{alert.pk}/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "はあと 6 日で期限切れになります" in html
    assert "<h2>通知チャネルごとの配信</h2>" in html and "<h2>イベント</h2>" in html
    assert "条件を検知" in html and "発生中" in html
    english = browser.get(f"/alerts/{alert.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert alert.summary in english and "condition seen" in english and "<h2>Events</h2>" in english


def test_an_alert_stored_before_summaries_were_texts_shows_its_english_summary(
    browser: Client, seed: Seed
) -> None:
    assert "summary_text" not in seed.alert.details
    html = browser.get(f"/alerts/{seed.alert.pk}/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert seed.alert.summary in html
    listing = browser.get("/alerts/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert seed.alert.summary in listing
