"""The cached pages (page fragments) show what an uncached render shows after each change that matters,
and a change that shows nowhere leaves them cached."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pki.models import Certificate
from tests.pages.seed import Seed
from vpnportal import page_cache
from vpnportal.alerting import actions

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
STAMP = re.compile(r'<p class="muted stamp">.*?</p>|<div class="tile heartbeat.*?</div>', re.S)
# "acknowledged by operator 0 s ago": a second may pass between the cached render and the uncached one.
AGE = re.compile(r"\b\d+ (s|min|h|d) ago\b")


def _page(client: Client, url: str) -> str:
    return AGE.sub(r"N \1 ago", STAMP.sub("", TOKEN.sub("", client.get(url).content.decode())))


def _uncached(client: Client, url: str) -> str:
    page_cache.data_changed()  # every scope bumped: everything rendered afresh
    return _page(client, url)


def _pages(seed: Seed) -> list[str]:
    return ["/", f"/tunnels/{seed.tunnel.pk}/", f"/devices/{seed.router.pk}/", "/certificates/"]


def test_a_certificate_renewed_shows_at_once(seed: Seed, viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    before = _page(client, "/certificates/")
    seed.router_cert.valid_to = timezone.now() + timedelta(days=900, hours=1)
    seed.router_cert.save()
    after = _page(client, "/certificates/")
    assert after != before and ">900</td>" in after
    assert after == _uncached(client, "/certificates/")


def test_an_acknowledged_alert_shows_at_once_with_the_reader_s_own_token(seed: Seed, operator: User) -> None:
    client = Client()
    client.force_login(operator)
    assert 'class="ack"' in client.get("/").content.decode()
    actions.acknowledge_alert(seed.alert, operator)
    page = _page(client, "/")
    assert page == _uncached(client, "/")
    other = Client()
    other.force_login(operator)
    html = other.get("/").content.decode()
    token = other.cookies["csrftoken"].value if "csrftoken" in other.cookies else None
    assert "PAGE-FRAGMENT-CSRF" not in html and (token is None or TOKEN.search(html))


def _certificate_fragment_keys() -> set[bytes]:
    client = cache._cache.get_client()  # type: ignore[attr-defined]
    return set(client.keys("*fragment:certificates*"))


def test_a_poll_that_changes_nothing_shown_keeps_the_fragments(seed: Seed, viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    client.get("/certificates/")
    keys_before = _certificate_fragment_keys()
    # An alert evaluated again with nothing shown changed, and a poll of a device: no pki bump.
    seed.alert.last_evaluated_at = timezone.now()
    seed.alert.save(update_fields=["last_evaluated_at"])
    versions = page_cache.versions(("pki", "alerts"))
    page_cache.changed((), [seed.router.pk])
    assert page_cache.versions(("pki", "alerts")) == versions
    client.get("/certificates/")
    assert _certificate_fragment_keys() == keys_before


@pytest.mark.parametrize("query", ["?role=identity", "?ordering=-valid_to", "?page=1&q=1720"])
def test_filters_and_pages_keep_their_own_copies(seed: Seed, viewer: User, query: str) -> None:
    client = Client()
    client.force_login(viewer)
    _page(client, "/certificates/")
    assert _page(client, f"/certificates/{query}") == _uncached(client, f"/certificates/{query}")


def test_every_cached_page_matches_an_uncached_render_for_viewers_and_operators(
    seed: Seed, viewer: User, operator: User
) -> None:
    for user in (viewer, operator):
        client = Client()
        client.force_login(user)
        for url in _pages(seed):
            warm = (_page(client, url), _page(client, url))[1]
            assert warm == _uncached(client, url), url


def test_the_refreshed_overview_s_forms_come_back_to_the_overview(seed: Seed, operator: User) -> None:
    # The auto-refresh swaps in /overview/fragment/: its acknowledge form must not land on the bare fragment.
    client = Client()
    client.force_login(operator)
    client.get("/")
    fragment = client.get("/overview/fragment/").content.decode()
    assert 'class="ack"' in fragment
    assert 'name="next" value="/overview/fragment/"' not in fragment
    assert 'name="next" value="/"' in fragment
    response = client.post(f"/alerts/{seed.alert.pk}/acknowledge/", {"next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_viewers_and_operators_share_one_triage_of_the_overview_s_alerts(
    seed: Seed, viewer: User, operator: User
) -> None:
    as_viewer, as_operator = Client(), Client()
    as_viewer.force_login(viewer)
    as_operator.force_login(operator)
    as_viewer.get("/")
    with CaptureQueriesContext(connection) as operator_queries:
        page = as_operator.get("/").content.decode()
    assert 'class="ack"' in page  # the operator's own buttons, from the viewer's triage
    assert not any("vpnportal_alert" in q["sql"] and "ORDER BY" in q["sql"] for q in operator_queries)


def test_viewers_and_operators_read_one_copy_of_the_overview_s_sections_without_buttons(
    seed: Seed, viewer: User, operator: User
) -> None:
    as_viewer, as_operator = Client(), Client()
    as_viewer.force_login(viewer)
    as_operator.force_login(operator)
    as_viewer.get("/")
    # An UPDATE sends no signal: the operator reads the expiries the viewer's request rendered...
    Certificate.objects.filter(pk=seed.router_cert.pk).update(subject_name="CN=renamed-between-readers")
    assert "renamed-between-readers" not in as_operator.get("/").content.decode()
    # ...while the alert table, which has the operator's buttons, is the operator's own.
    assert 'class="ack"' in as_operator.get("/").content.decode()
    assert 'class="ack"' not in as_viewer.get("/").content.decode()
    page_cache.changed(("pki",))  # what a certificate's save does
    assert "renamed-between-readers" in as_operator.get("/").content.decode()
