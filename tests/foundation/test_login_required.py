"""Every page but the login redirects an anonymous user to the login page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# /healthz (liveness) and /readyz (readiness) are probes for load balancers and monitors.
# The admin's own login form is a login page too (Django's LoginRequiredMiddleware exempts it).
# /favicon.ico is the static icon browsers ask for on every page, the login page included.
# The language switch and the scripts' translated strings serve the login page too (docs/translating.md).
PUBLIC = {
    "/accounts/login/",
    "/admin/login/",
    "/healthz",
    "/favicon.ico",
    "/readyz",
    "/i18n/setlang/",
    "/jsi18n/",
}
# The API and metrics authenticate by token and answer 401/403 instead of redirecting.
SELF_AUTHENTICATING = ("/api/", "/metrics")
# ... except the API's documentation, a page for browsers: it sends them to the login like any page.
BROWSER_PAGES = {"/api/docs/"}


def all_paths() -> list[str]:
    """Every URL of the site, with path parameters filled in with plausible values."""
    paths: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                route = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", "")
                route = re.sub(r"<(?:int:)?[a-z_]*id>|<int:[a-z_]+>", "1", route)
                route = re.sub(r"<(?:str:|slug:|path:)?[a-z_]+>", "x", route)
                route = re.sub(r"\(\?P<[a-z_]+>[^)]*\)", "1", route)
                if "(" in route or "?" in route:
                    continue
                paths.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


def test_it_finds_the_pages_to_check() -> None:
    paths = all_paths()
    assert "/" in paths and "/admin/" in paths and "/accounts/login/" in paths


@pytest.mark.parametrize("path", all_paths())
def test_it_redirects_anonymous_users_to_login(client: Client, path: str) -> None:
    if path in PUBLIC or path.startswith("/static/"):
        return
    response = client.get(path)
    if path.startswith(SELF_AUTHENTICATING) and path not in BROWSER_PAGES:
        assert response.status_code in (401, 403), path
        return
    assert response.status_code == 302, (path, response.status_code)
    assert "/login/" in response["Location"], (path, response["Location"])


def test_it_serves_the_login_page(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Log in" in response.content


def test_it_shows_the_dashboard_after_login(client: Client, viewer) -> None:
    from tests.conftest import PASSWORD

    response = client.post("/accounts/login/", {"username": viewer.username, "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert b"Overview" in home.content
    assert home.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_the_public_paths_answer_without_a_session(client: Client) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/admin/login/").status_code == 200
    # /metrics authenticates by token itself: 401/403 without one, never the login redirect.
    assert client.get("/metrics").status_code in (401, 403)


def test_it_uses_djangos_login_required_middleware(settings) -> None:
    assert "django.contrib.auth.middleware.LoginRequiredMiddleware" in settings.MIDDLEWARE
    assert not any(m.startswith("vpnportal.middleware.Login") for m in settings.MIDDLEWARE)
