"""Why a tunnel has its status reads in the reader's language; the English column stays as it was."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from devices.correlate import judge
from devices.models import Tunnel
from tests.i18n.compiled import compile_japanese
from tests.pages.seed import make_seed
from vpnportal.translated_text import render

pytestmark = pytest.mark.django_db

JA = "をポーリングできませんでした: まだポーリングしていません"


@pytest.fixture(autouse=True, scope="module")
def _japanese_compiled() -> None:
    compile_japanese()


def test_a_verdict_keeps_its_english_reason_and_a_deferred_one() -> None:
    tunnel = make_seed().tunnel
    verdict = judge(tunnel, {}, {}, {})
    assert verdict.reason == f"{tunnel.end_a.name} could not be polled: not polled yet"
    with translation.override("ja"):
        assert render(verdict.text) == f"{tunnel.end_a.name} {JA}"


def test_the_tunnel_page_shows_the_reason_in_japanese(operator: User) -> None:
    tunnel = make_seed().tunnel
    verdict = judge(tunnel, {}, {}, {})
    Tunnel.objects.filter(pk=tunnel.pk).update(status_reason=verdict.reason, status_reason_text=verdict.text)
    client = Client()
    client.force_login(operator)
    page = client.get(f"/tunnels/{tunnel.pk}/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert JA in page and "could not be polled" not in page
    english = client.get(f"/tunnels/{tunnel.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert verdict.reason in english


def test_a_reason_recorded_before_deferred_texts_shows_as_recorded() -> None:
    tunnel = Tunnel(status_reason="no IPsec SAs on a or b", status_reason_text={})
    with translation.override("ja"):
        assert tunnel.shown_reason() == "no IPsec SAs on a or b"
