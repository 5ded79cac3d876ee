"""The dashboard in headless Chromium: log in, both tunnel ends, a drawn chart, sorting, acknowledging."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from devices.models import Tunnel
from tests.conftest import PASSWORD
from tests.pages.seed import Seed
from vpnportal.models import Alert

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, user: User) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def test_it_shows_the_seed_tunnel_up_with_both_ends_and_refreshes(
    page, seed: Seed, viewer: User, shot
) -> None:
    log_in(page, viewer)
    row = page.locator('tr[data-tunnel="hq-branch"]')
    assert row.locator(".badge").inner_text() == "up"
    assert "1720-1" in row.inner_text() and "pix520-1" in row.inner_text()
    assert "QM_IDLE" in row.inner_text() and "matched" in row.inner_text()
    shot(page, "overview")
    # The auto-refresh swaps the sections in without a reload.
    # Saved as the correlation saves a tunnel it judged: the save is what invalidates the page cache.
    tunnel = Tunnel.objects.get(pk=seed.tunnel.pk)
    tunnel.status, tunnel.status_reason = "down", "no SAs on pix520-1"
    tunnel.save(update_fields=["status", "status_reason"])
    page.evaluate("window.vpnportalMarker = 1; window.vpnportalRefreshOverview()")
    page.wait_for_selector('tr[data-tunnel="hq-branch"] .badge.status-down')
    assert page.evaluate("window.vpnportalMarker") == 1  # same document: no full reload


def test_it_draws_the_tunnel_charts_with_data_points(page, seed: Seed, viewer: User, shot) -> None:
    log_in(page, viewer)
    page.click('tr[data-tunnel="hq-branch"] td.tname a')
    page.wait_for_selector("#charts[data-state=drawn]")
    assert page.locator(".end.card").count() == 2
    points = page.evaluate(
        "Chart.getChart('chart-packets').data.datasets.map(d => [d.label, d.data.filter(p => p.y !== null).length])"
    )
    labels = [label for label, _ in points]
    assert labels == [
        "1720-1 sent (encaps)",
        "pix520-1 sent (encaps)",
        "1720-1 received (decaps)",
        "pix520-1 received (decaps)",
    ]
    assert all(n >= 10 for _, n in points), points
    # Drawn, not only loaded: Chart.js computed pixel positions for the points.
    drawn = page.evaluate(
        "Chart.getChart('chart-packets').getDatasetMeta(0).data.filter(e => isFinite(e.x)).length"
    )
    assert drawn >= 10
    shot(page, "tunnel")
    # The default range is the week the seed's hourly rollups fill; the hour shows the raw samples.
    week = page.evaluate("Chart.getChart('chart-packets').data.datasets[0].data.length")
    assert week > 100  # a week of hourly rollups
    page.click("button[data-range=hour]")
    page.wait_for_selector("#charts[data-state=drawn][data-range=hour]")
    hour = page.evaluate("Chart.getChart('chart-packets').data.datasets[0].data.length")
    assert hour >= 10  # 5-minute samples
    shot(page, "tunnel-hour")


def test_it_sorts_certificates_by_days_left(page, seed: Seed, viewer: User, shot) -> None:
    log_in(page, viewer)
    page.goto("/certificates/")
    header = page.locator("#certificates th.days-left")

    def days() -> list[float]:
        return [
            float(v)
            for v in page.eval_on_selector_all(
                "#certificates tbody td.days", "cells => cells.map(c => c.dataset.sort)"
            )
        ]

    # Sorted by the server (the whole list, not one page): each click loads the page in that order.
    header.locator("a").click()
    page.wait_for_url("**ordering=valid_to")
    ascending = days()
    assert ascending == sorted(ascending) and ascending[0] < 0
    header.locator("a").click()
    page.wait_for_url("**ordering=-valid_to")
    descending = days()
    assert descending == sorted(descending, reverse=True)
    assert header.get_attribute("aria-sort") == "descending"
    shot(page, "certificates")
    page.goto(f"/devices/{seed.router.pk}/")
    page.click("details.output summary")
    shot(page, "device")
    page.goto("/crls/")
    shot(page, "crls")


def test_it_acknowledges_an_alert(page, seed: Seed, operator: User, shot) -> None:
    log_in(page, operator)
    page.goto("/alerts/")
    row = page.locator(f'tr[data-alert-id="{seed.alert.pk}"]')
    shot(page, "alerts")
    row.locator("button.ack").click()
    page.wait_for_selector(".messages li.success")
    assert page.locator(f'tr[data-alert-id="{seed.alert.pk}"]').count() == 0
    alert = Alert.objects.get(pk=seed.alert.pk)
    assert alert.acknowledged_by == operator
    page.goto("/alerts/?state=acknowledged")
    assert page.locator(f'tr[data-alert-id="{seed.alert.pk}"]').count() == 1
    page.goto("/audit/")
    assert "acknowledge" in page.locator("table.audit").inner_text()
    shot(page, "audit")


def test_it_runs_no_inline_script_against_the_csp(page, seed: Seed, viewer: User) -> None:
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: (
            violations.append(f"{page.url}: {msg.text}") if "Content Security Policy" in msg.text else None
        ),
    )
    log_in(page, viewer)
    # The browsable API and /api/docs/ are held to the same CSP in tests/browser/test_lists_and_api_docs.py.
    for url in [
        "/",
        f"/tunnels/{seed.tunnel.pk}/",
        f"/devices/{seed.router.pk}/",
        "/certificates/",
        "/alerts/",
    ]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
    assert violations == []
