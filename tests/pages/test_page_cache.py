"""The overview and /metrics reuse cached state until a poll or an edit changes it, never past it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils import timezone

from devices.choices import PollStatus, TunnelStatus
from devices.models import Device, IpsecSa, Poll, Tunnel
from tests.pages.seed import Seed
from vpnportal import page_cache

pytestmark = pytest.mark.django_db
ENCAPS = re.compile(r'vpnportal_ipsec_sa_packets_encaps_total\{device="1720-1",[^}]*\} (\d+)')


# A Redis nobody answers on: the pages must render without their cache.
UNREACHABLE_CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


def _scrape() -> str:
    return Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").content.decode()


def _encaps() -> int:
    found = ENCAPS.search(_scrape())
    assert found
    return int(found.group(1))


def _finish_a_poll(seed: Seed) -> None:
    """What devices/poll.py does at the end of every poll: save the Poll row with its outcome."""
    now = timezone.now()
    poll = Poll.objects.create(device=seed.router, slot=now, status=PollStatus.RUNNING, started_at=now)
    poll.status, poll.finished_at, poll.duration_ms = PollStatus.OK, now, 900
    poll.save(update_fields=["status", "finished_at", "duration_ms"])


@override_settings(METRICS_TOKEN="scrape-me")
def test_it_serves_a_device_s_metrics_from_the_cache_until_a_poll_of_it_finishes(seed: Seed) -> None:
    assert _encaps() == 3000
    # An UPDATE sends no signal: the scrape still reuses the device's cached lines...
    IpsecSa.objects.filter(pk=seed.router_sa.pk).update(pkts_encaps=4000)
    assert _encaps() == 3000
    # ...until the poll that wrote it finishes.
    _finish_a_poll(seed)
    assert _encaps() == 4000


@override_settings(METRICS_TOKEN="scrape-me")
def test_a_poll_of_one_device_re_renders_that_device_s_lines_only(seed: Seed) -> None:
    _scrape()
    IpsecSa.objects.filter(pk=seed.pix_sa.pk).update(pkts_encaps=123456)
    IpsecSa.objects.filter(pk=seed.router_sa.pk).update(pkts_encaps=4000)
    _finish_a_poll(seed)  # the router's
    text = _scrape()
    assert "123456" not in text
    assert _encaps() == 4000


@override_settings(METRICS_TOKEN="scrape-me")
def test_it_counts_the_seconds_left_at_each_scrape(seed: Seed, monkeypatch: pytest.MonkeyPatch) -> None:
    pattern = r'vpnportal_certificate_seconds_left\{device="1720-1",[^}]*serial="3B2FD652"\} (\d+)'
    first = int(re.findall(pattern, _scrape())[0])
    later = timezone.now() + timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert first - int(re.findall(pattern, _scrape())[0]) == pytest.approx(3600, abs=5)


def test_it_serves_the_overview_s_tunnels_from_the_cache_until_a_poll_finishes(
    seed: Seed, viewer: User
) -> None:
    client = Client()
    client.force_login(viewer)
    assert "1/1</span> tunnels up" in client.get("/").content.decode()
    Tunnel.objects.filter(pk=seed.tunnel.pk).update(status=TunnelStatus.DOWN)
    assert "1/1</span> tunnels up" in client.get("/").content.decode()
    _finish_a_poll(seed)
    assert "0/1</span> tunnels up" in client.get("/").content.decode()


def test_a_tunnel_judged_again_invalidates_the_overview(seed: Seed, viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    client.get("/")
    seed.tunnel.status = TunnelStatus.DOWN
    seed.tunnel.save(update_fields=["status"])  # what correlate_tunnels does
    assert "0/1</span> tunnels up" in client.get("/").content.decode()


@override_settings(METRICS_TOKEN="scrape-me")
def test_what_a_scrape_cached_before_the_commit_is_discarded_at_the_commit(
    seed: Seed, django_capture_on_commit_callbacks: Any
) -> None:
    _scrape()
    with django_capture_on_commit_callbacks(execute=True):
        _finish_a_poll(seed)
        # A scrape between the poll's writes and its commit reads the rows from before (here: the same
        # transaction's, then changed again) and caches them under the already bumped version...
        assert _encaps() == 3000
        IpsecSa.objects.filter(pk=seed.router_sa.pk).update(pkts_encaps=5000)
    # ...and the bump at the commit discards them.
    assert _encaps() == 5000


def test_one_user_s_overview_never_shows_another_user_s_actions(
    seed: Seed, viewer: User, operator: User
) -> None:
    as_operator, as_viewer = Client(), Client()
    as_operator.force_login(operator)
    as_viewer.force_login(viewer)
    assert 'class="ack"' in as_operator.get("/").content.decode()
    assert 'class="ack"' not in as_viewer.get("/").content.decode()
    assert 'class="ack"' in as_operator.get("/").content.decode()


@override_settings(METRICS_TOKEN="scrape-me")
def test_pages_answer_when_the_cache_does_not(seed: Seed, viewer: User) -> None:
    with override_settings(CACHES=UNREACHABLE_CACHES):
        assert page_cache.versions(("tunnels",)) is None
        assert _encaps() == 3000
        page_cache.data_changed([seed.router.pk])  # a poll still finishes
        client = Client()
        client.force_login(viewer)
        assert client.get("/").status_code == 200


def test_the_overview_s_tunnel_table_waits_for_a_poll_of_a_device_it_shows(seed: Seed, viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    client.get("/")
    Tunnel.objects.filter(pk=seed.tunnel.pk).update(status_reason="rekeyed while we looked")
    elsewhere = Device.objects.create(name="lab-1", host="127.0.0.1", platform=seed.router.platform)
    now = timezone.now()
    Poll.objects.create(device=elsewhere, slot=now, status=PollStatus.OK, started_at=now, finished_at=now)
    assert "rekeyed while we looked" not in client.get("/").content.decode()
    _finish_a_poll(seed)
    assert "rekeyed while we looked" in client.get("/").content.decode()


def test_the_cached_tunnel_table_is_kept_per_language(seed: Seed, viewer: User) -> None:
    from tests.i18n.compiled import compile_japanese

    compile_japanese()
    client = Client()
    client.force_login(viewer)
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    japanese = client.get("/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    table = re.compile(r'<table class="tunnels[^"]*">.*?</table>', re.S)
    assert table.search(english) and table.search(japanese)
    assert ">up<" in table.search(english).group(0)  # type: ignore[union-attr]
    assert "アップ" in table.search(japanese).group(0)  # type: ignore[union-attr]


def _another_tunnel(seed: Seed) -> Tunnel:
    platform = seed.router.platform
    a = Device.objects.create(name="lab-a", host="127.0.0.2", platform=platform)
    b = Device.objects.create(name="lab-b", host="127.0.0.3", platform=platform)
    return Tunnel.objects.create(name="lab-a--lab-b", end_a=a, end_b=b, status=TunnelStatus.UP)


def test_a_poll_re_renders_the_overview_rows_of_its_device_s_tunnels_only(seed: Seed, viewer: User) -> None:
    other = _another_tunnel(seed)
    client = Client()
    client.force_login(viewer)
    client.get("/")
    # UPDATEs send no signal: what each cached row shows stays until a poll of one of its ends...
    Tunnel.objects.filter(pk=seed.tunnel.pk).update(status_reason="rekeyed on the router's side")
    Tunnel.objects.filter(pk=other.pk).update(status_reason="rekeyed in the lab")
    _finish_a_poll(seed)  # the router's: its tunnel's row is rendered again, the lab tunnel's is reused
    page = client.get("/").content.decode()
    assert "rekeyed on the router&#x27;s side" in page
    assert "rekeyed in the lab" not in page
    assert page.count('class="tunnel status-row-') == 2


def test_the_overview_rows_are_the_tunnel_list_s_rows(seed: Seed, viewer: User) -> None:
    _another_tunnel(seed)
    client = Client()
    client.force_login(viewer)
    client.get("/")  # fills the row cache
    rows = re.compile(r'<tr class="tunnel status-row-.*?</tr>', re.S)
    cached = rows.findall(client.get("/").content.decode())
    listed = rows.findall(client.get("/tunnels/").content.decode())
    # The same rows in the same order (worst first, then by name) as the tunnel list renders afresh.
    assert len(cached) == 2
    assert [" ".join(r.split()) for r in cached] == [" ".join(r.split()) for r in listed]


@override_settings(METRICS_TOKEN="scrape-me")
def test_the_overview_rows_render_when_the_cache_does_not_answer(seed: Seed, viewer: User) -> None:
    with override_settings(CACHES=UNREACHABLE_CACHES):
        client = Client()
        client.force_login(viewer)
        page = client.get("/").content.decode()
    assert f'data-tunnel="{seed.tunnel.name}"' in page


@override_settings(METRICS_TOKEN="scrape-me")
def test_a_scrape_reuses_its_process_s_copy_of_the_lines_of_devices_not_polled_since(seed: Seed) -> None:
    from django.core.cache import cache

    from vpnportal import metrics

    assert _encaps() == 3000
    # The shared entries gone (evicted) and the row changed without a signal: the process's copy of
    # the last scrape still answers for the device, under the same version...
    cache.delete_many(list(metrics._LAST_SCRAPE))
    IpsecSa.objects.filter(pk=seed.router_sa.pk).update(pkts_encaps=4000)
    assert _encaps() == 3000
    # ...and a poll of it (a new version) renders its lines again; the copy holds the last scrape only.
    _finish_a_poll(seed)
    assert _encaps() == 4000
    assert len(metrics._LAST_SCRAPE) == Device.objects.count()


def test_viewers_and_operators_read_one_copy_of_each_overview_tunnel_row(
    seed: Seed, viewer: User, operator: User
) -> None:
    as_viewer, as_operator = Client(), Client()
    as_viewer.force_login(viewer)
    as_operator.force_login(operator)
    as_viewer.get("/")  # renders the rows
    # An UPDATE sends no signal: the operator's overview shows the rows the viewer's request rendered.
    Tunnel.objects.filter(pk=seed.tunnel.pk).update(status_reason="rekeyed between two readers")
    assert "rekeyed between two readers" not in as_operator.get("/").content.decode()
    _finish_a_poll(seed)
    assert "rekeyed between two readers" in as_operator.get("/").content.decode()
