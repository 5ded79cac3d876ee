"""Permission matrix of the API and /metrics: anonymous, viewer, operator, admin; session and token."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token

from tests.conftest import make_user
from tests.pages.seed import Seed
from vpnportal.models import Alert

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "viewer", "operator", "admin_user")
READ = [
    "/api/",
    "/api/devices/",
    "/api/devices/{router}/",
    "/api/tunnels/",
    "/api/tunnels/{tunnel}/",
    "/api/tunnels/{tunnel}/history/?metric=encaps&range=day",
    "/api/certificates/",
    "/api/certificates/{cert}/",
    "/api/crls/",
    "/api/crls/{crl}/",
    "/api/alerts/",
    "/api/alerts/{alert}/",
    "/api/schema/",
]
WRITE = ["/api/alerts/{alert}/acknowledge/"]
# /api/docs/ is a page (login redirect, 403 without a role): tests/api/test_docs_pages.py.
TESTED_APART = (
    "/api/enrollments",
    "/api/findings",
    "/api/docs/",
    "/api/events",
    "/api/tunnel-status-changes",
)


def _fill(url: str, seed: Seed) -> str:
    return url.format(
        router=seed.router.pk,
        tunnel=seed.tunnel.pk,
        cert=seed.router_cert.pk,
        crl=seed.crl.pk,
        alert=seed.alert.pk,
    )


def _api_routes() -> set[str]:
    routes: set[str] = set()

    def walk(patterns: list, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if "format" in route or not route.startswith("api/"):
                    continue
                route = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "{}", route)
                routes.add("/" + route)

    walk(get_resolver().url_patterns, "")
    return routes


def test_it_covers_every_api_endpoint() -> None:
    covered = {u.split("?")[0] for u in READ + WRITE}
    normalised = {
        u.replace("{router}", "{}")
        .replace("{tunnel}", "{}")
        .replace("{cert}", "{}")
        .replace("{crl}", "{}")
        .replace("{alert}", "{}")
        for u in covered
    }
    # Enrollments, findings and events have their own permission tests (tests/enrollment, tests/diagnosis,
    # tests/events).
    ours = {r for r in _api_routes() if not r.startswith(TESTED_APART)}
    assert ours <= normalised, ours - normalised


def _client(role: str, request: pytest.FixtureRequest) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", READ)
def test_it_lets_every_role_read_and_refuses_anonymous(
    url: str, role: str, seed: Seed, request: pytest.FixtureRequest
) -> None:
    response = _client(role, request).get(_fill(url, seed))
    if role == "anonymous":
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", WRITE)
def test_it_lets_only_operators_and_admins_acknowledge(
    url: str, role: str, seed: Seed, request: pytest.FixtureRequest
) -> None:
    response = _client(role, request).post(_fill(url, seed))
    expected = {"anonymous": (401, 403), "viewer": (403,), "operator": (200,), "admin_user": (200,)}[role]
    assert response.status_code in expected
    assert (Alert.objects.get(pk=seed.alert.pk).acknowledged_at is not None) == (response.status_code == 200)


@pytest.mark.parametrize("url", READ[1:])
def test_it_refuses_a_user_without_a_role(url: str, seed: Seed) -> None:
    client = Client()
    client.force_login(make_user("nobody", None))
    assert client.get(_fill(url, seed)).status_code == 403 or url.startswith("/api/schema")


def test_it_refuses_session_posts_without_csrf(seed: Seed, operator) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    assert client.post(f"/api/alerts/{seed.alert.pk}/acknowledge/").status_code == 403
    assert Alert.objects.get(pk=seed.alert.pk).acknowledged_at is None


def test_it_accepts_tokens(seed: Seed, viewer, operator) -> None:
    client = Client()
    viewer_token = Token.objects.create(user=viewer)
    operator_token = Token.objects.create(user=operator)
    assert client.get("/api/tunnels/", HTTP_AUTHORIZATION=f"Token {viewer_token.key}").status_code == 200
    assert client.get("/api/tunnels/", HTTP_AUTHORIZATION="Token nope").status_code in (401, 403)
    url = f"/api/alerts/{seed.alert.pk}/acknowledge/"
    assert client.post(url, HTTP_AUTHORIZATION=f"Token {viewer_token.key}").status_code == 403
    assert client.post(url, HTTP_AUTHORIZATION=f"Token {operator_token.key}").status_code == 200


def test_it_refuses_writes_on_read_only_endpoints(seed: Seed, admin_user) -> None:
    client = Client()
    client.force_login(admin_user)
    assert client.post("/api/devices/", {"name": "x"}).status_code in (403, 405)
    assert client.delete(f"/api/tunnels/{seed.tunnel.pk}/").status_code in (403, 405)


@override_settings(METRICS_TOKEN="scrape-me")
def test_it_serves_metrics_to_the_bearer_token_only(seed: Seed) -> None:
    client = Client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")


@override_settings(METRICS_TOKEN="")
@pytest.mark.parametrize("role", ROLES)
def test_it_serves_metrics_to_logged_in_viewers_without_a_token(
    role: str, seed: Seed, request: pytest.FixtureRequest
) -> None:
    response = _client(role, request).get("/metrics")
    assert response.status_code == (401 if role == "anonymous" else 200)
