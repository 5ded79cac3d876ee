"""In Chromium: search, filters, sorting and CSV on the list pages; the API docs, browsable API and schema in the CSP."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from tests.browser.test_dashboard import log_in
from tests.pages.seed import Seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch(page: Any) -> list[str]:
    """Every console error (a CSP violation is one), page error and failed request, as text."""
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"pageerror {exc}"))
    page.on("requestfailed", lambda req: problems.append(f"failed {req.url}"))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return problems


def test_it_searches_filters_sorts_and_exports_a_list(page, seed: Seed, viewer: User, shot) -> None:
    problems = watch(page)
    log_in(page, viewer)
    page.goto("/certificates/")
    assert page.locator("#certificates tbody tr").count() == 6
    page.fill(".list-filters input[name=q]", "cisco.com")
    page.click(".list-filters button[type=submit]")
    page.wait_for_url("**q=cisco.com**")
    assert page.locator("#certificates tbody tr").count() == 1
    assert "3B2FD652" in page.locator("#certificates tbody").inner_text()
    page.click(".list-filters a.clear")
    page.select_option(".list-filters select[name=role]", "ca")
    page.click(".list-filters button[type=submit]")
    page.wait_for_url("**role=ca**")
    assert page.locator("#certificates tbody tr").count() == 2
    # Sorting is the server's: the header is a link that keeps the filters.
    page.click("#certificates th.days-left a")
    page.wait_for_url("**ordering=valid_to**")
    assert "role=ca" in page.url
    page.click("#certificates th.days-left a")
    page.wait_for_url("**ordering=-valid_to**")
    assert page.locator("#certificates th.days-left").get_attribute("aria-sort") == "descending"
    shot(page, "certificates-filtered")
    with page.expect_download() as info:
        page.click(".list-filters a.csv")
    text = Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["role"] for r in rows] == ["ca", "ca"] and "serial" in rows[0]
    page.goto("/alerts/?state=resolved")
    page.fill(".list-filters input[name=q]", "timed out")
    page.click(".list-filters button[type=submit]")
    page.wait_for_url("**q=timed**")
    assert "state=resolved" in page.url  # the tab is kept
    assert page.locator(f'tr[data-alert-id="{seed.resolved_alert.pk}"]').count() == 1
    page.goto("/devices/")
    page.select_option(".list-filters select[name=platform]", "cisco_pix")
    page.click(".list-filters button[type=submit]")
    page.wait_for_url("**platform=cisco_pix**")
    assert page.locator("#devices tbody tr").count() == 1
    assert problems == []


def test_the_api_docs_render_inside_the_csp(page, seed: Seed, viewer: User, shot) -> None:
    problems = watch(page)
    log_in(page, viewer)
    page.click("nav.mainnav a[href='/api/docs/']")
    page.wait_for_selector("#swagger-ui[data-state=ready]")
    page.wait_for_selector(".swagger-ui .opblock-tag")
    page.wait_for_load_state("networkidle")
    assert page.locator(".swagger-ui .opblock").count() > 10
    assert "/api/devices/" in page.locator("#swagger-ui").inner_text()
    shot(page, "api-docs")
    # Try it out: a GET from the docs page with the session.
    page.locator(".opblock-summary-path", has_text="/api/devices/").first.click()
    page.click(".opblock.is-open button.try-out__btn")
    page.click(".opblock.is-open button.execute")
    # The live answer (not the documented example above it).
    live = page.locator(".opblock.is-open .live-responses-table")
    live.locator(".response-col_status").first.wait_for()
    assert "pix520-1" in live.inner_text()
    assert problems == []


def test_the_browsable_api_and_the_schema_page_keep_the_csp(page, seed: Seed, operator: User, shot) -> None:
    problems = watch(page)
    log_in(page, operator)
    for url in [
        "/api/",
        "/api/devices/",
        f"/api/devices/{seed.router.pk}/",
        "/api/tunnels/?status=up",
        "/api/certificates/",
        f"/api/alerts/{seed.alert.pk}/",
        "/api/enrollments/",  # an operator gets its POST forms
        "/api/schema/",
    ]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
    assert "openapi: 3" in page.locator("#schema").inner_text()  # shown, not downloaded
    shot(page, "api-schema")
    page.goto("/api/")
    assert "basic root view" not in page.content().lower()
    page.click("a[href='/api/docs/'].btn")
    page.wait_for_selector("#swagger-ui[data-state=ready]")
    page.goto("/favicon.ico")
    assert problems == []


@pytest.mark.parametrize("width", [1280, 1920])
def test_the_list_and_api_pages_fit_the_window(
    chromium, live_server, seed: Seed, operator: User, width: int
) -> None:
    context = chromium.new_context(viewport={"width": width, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    problems = watch(page)
    try:
        log_in(page, operator)
        for url in [
            "/devices/?q=1",
            "/tunnels/",
            "/certificates/?present=all",
            "/crls/",
            "/alerts/?state=resolved",
            "/api/docs/",
            "/api/schema/",
            "/api/devices/",
        ]:
            page.goto(url)
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (url, width, overflow)
    finally:
        context.close()
    assert problems == []
