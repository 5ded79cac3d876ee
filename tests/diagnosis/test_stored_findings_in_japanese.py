"""Findings stored by a poll show in the reader's language on the device and tunnel pages; the API and the
English columns stay English; findings stored before there were deferred texts show their English title."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from devices.diagnosis.model import Code
from devices.diagnosis.refresh import refresh_findings
from devices.fleet import run_poll_cycle
from devices.models import Device, Finding, Tunnel
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

IDENTITY_EN = "ISAKMP identity is the address but the certificate carries only the FQDN"
IDENTITY_JA = "ISAKMP アイデンティティがアドレスですが、証明書には FQDN しか含まれていません"
VTY_REMARK_EN = "show running-config: (no `transport input`: IOS 12 accepts telnet)"
VTY_REMARK_JA = "show running-config: (`transport input` なし: IOS 12 は telnet を受け付けます)"
LIFETIME_EN = "IPsec SA lifetimes differ: 1720-1 3600 s, pix520-1 28800 s"
LIFETIME_JA = "IPsec SA のライフタイムが異なります: 1720-1 3600 秒、pix520-1 28800 秒"


def _client(user: User) -> Client:
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    return client


def _page(client: Client, path: str, **headers: Any) -> str:
    response = client.get(path, **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_a_polled_finding_reads_in_japanese_for_a_japanese_reader_and_in_english_otherwise(
    seed_network: dict[str, Device], viewer: User
) -> None:
    run_poll_cycle()  # the alert cycle at its end stores the findings
    pix = seed_network["pix520-1"]
    stored = Finding.objects.get(device=pix, code=Code.ISAKMP_IDENTITY_ADDRESS)
    assert stored.title == IDENTITY_EN
    assert stored.texts["title"]["msgid"] == IDENTITY_EN
    client = _client(viewer)

    page = _page(client, f"/devices/{pix.pk}/", HTTP_ACCEPT_LANGUAGE="ja")
    assert IDENTITY_JA in page and IDENTITY_EN not in page
    assert "isakmp identity hostname" in page  # the command, as the device takes it
    assert "write terminal: isakmp policy 10 encryption des" in page  # a device line, as printed
    assert "検出事項" in page and "重大度" in page

    page = _page(client, f"/devices/{pix.pk}/")
    assert IDENTITY_EN in page and IDENTITY_JA not in page
    assert "finding" in page and "検出事項" not in page

    # vpnportal's remark among the evidence translates; the device's line beside it does not.
    router = seed_network["1720-1"]
    page = _page(client, f"/devices/{router.pk}/", HTTP_ACCEPT_LANGUAGE="ja")
    assert VTY_REMARK_JA in page and VTY_REMARK_EN not in page
    assert "show running-config: line vty 0 4" in page
    assert VTY_REMARK_EN in _page(client, f"/devices/{router.pk}/")

    tunnel = Tunnel.objects.get()
    assert LIFETIME_JA in _page(client, f"/tunnels/{tunnel.pk}/", HTTP_ACCEPT_LANGUAGE="ja")
    assert LIFETIME_EN in _page(client, f"/tunnels/{tunnel.pk}/", HTTP_ACCEPT_LANGUAGE="en")

    # The API keeps its English title whatever the reader's language.
    body = client.get(
        "/api/findings/",
        {"device": pix.name, "code": Code.ISAKMP_IDENTITY_ADDRESS},
        HTTP_ACCEPT_LANGUAGE="ja",
    ).json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [r["title"] for r in rows] == [IDENTITY_EN]
    assert rows[0]["fix"] == ["isakmp identity hostname"]


def test_a_finding_stored_before_deferred_texts_shows_its_english_title_until_it_is_diagnosed_again(
    seed_network: dict[str, Device], viewer: User
) -> None:
    run_poll_cycle()
    pix, router = seed_network["pix520-1"], seed_network["1720-1"]
    # As the migration leaves the rows stored before it: no deferred form.
    Finding.objects.update(texts={})
    page = _page(_client(viewer), f"/devices/{pix.pk}/", HTTP_ACCEPT_LANGUAGE="ja")
    assert IDENTITY_EN in page and IDENTITY_JA not in page
    assert VTY_REMARK_EN in _page(_client(viewer), f"/devices/{router.pk}/", HTTP_ACCEPT_LANGUAGE="ja")

    # The next diagnosis rewrites the row in place (same code and subject, same first_seen) with its texts.
    before = Finding.objects.get(device=pix, code=Code.ISAKMP_IDENTITY_ADDRESS)
    result = refresh_findings(force=True)
    assert result.opened == 0 and result.closed == 0
    after = Finding.objects.get(device=pix, code=Code.ISAKMP_IDENTITY_ADDRESS)
    assert (after.pk, after.first_seen, after.title) == (before.pk, before.first_seen, before.title)
    assert after.texts["title"]["msgid"] == IDENTITY_EN
    assert IDENTITY_JA in _page(_client(viewer), f"/devices/{pix.pk}/", HTTP_ACCEPT_LANGUAGE="ja")
