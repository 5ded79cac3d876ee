"""The admin site has a Content-Security-Policy too, and the admin's own scripts and styles run under it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import PASSWORD
from tests.pages.seed import Seed, make_seed

ADMIN_PAGES = [
    "/admin/",
    "/admin/devices/device/",
    "/admin/devices/device/add/",
    "/admin/devices/device/{router}/change/",
    "/admin/vpnportal/alert/",
    "/admin/auth/user/",
    "/admin/auth/user/{user}/change/",
    "/admin/auth/user/{user}/password/",
]


def admin_urls(seed: Seed, user: User) -> list[str]:
    return [url.format(router=seed.router.pk, user=user.pk) for url in ADMIN_PAGES]


@pytest.mark.django_db
def test_every_admin_page_carries_a_csp_that_allows_only_our_origin(admin_user: User) -> None:
    seed = make_seed()
    client = Client()
    client.force_login(admin_user)
    for url in admin_urls(seed, admin_user):
        response = client.get(url)
        assert response.status_code == 200, url
        csp = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'self';" in csp, url
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, url
        assert "unsafe-eval" not in csp, url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_admin_runs_in_a_browser_without_csp_violations(page, admin_user: User) -> None:
    seed = make_seed()
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: (
            violations.append(f"{page.url}: {msg.text}") if "Content Security Policy" in msg.text else None
        ),
    )
    page.goto("/accounts/login/?next=/admin/")
    page.fill("input[name=username]", admin_user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")
    for url in admin_urls(seed, admin_user):
        page.goto(url)
        page.wait_for_load_state("networkidle")
    # The admin's scripts ran: the action bar's select-all checkbox counts the rows it selected.
    page.goto("/admin/devices/device/")
    page.check("#action-toggle")
    assert "2 of 2 selected" in page.locator(".action-counter").inner_text()
    assert violations == []
