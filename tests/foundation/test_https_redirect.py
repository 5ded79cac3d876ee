"""In production plain http is redirected to https, except the load balancer's probe and the Prometheus scrape."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.services import run_python

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789"


def production_client() -> Client:
    """A client over plain http (secure=False) with the https redirect the production defaults turn on."""
    return Client()


@override_settings(SECURE_SSL_REDIRECT=True, SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_probes_and_scrapes_answer_over_plain_http() -> None:
    client = production_client()
    health = client.get("/healthz", secure=False)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    with override_settings(METRICS_TOKEN=TOKEN):
        scrape = Client().get("/metrics", secure=False, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert scrape.status_code == 200
    assert b"vpnportal_" in scrape.content
    assert Client().get("/metrics", secure=False).status_code in (401, 403)  # still needs its token


@override_settings(SECURE_SSL_REDIRECT=True)
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/", "/admin/", "/healthz/x", "/metricsx"])
def test_everything_else_is_redirected_to_https(path: str) -> None:
    response = production_client().get(path, secure=False)
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_the_production_defaults_turn_the_redirect_on_with_the_same_exemptions() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "VPNPORTAL_"))}
    code = "from vpnportal import settings as s; print(s.SECURE_SSL_REDIRECT, s.SECURE_REDIRECT_EXEMPT)"
    out = run_python("-c", code, env=env, check=True).stdout
    assert out.split(" ", 1)[0] == "True"
    assert out.split(" ", 1)[1].strip() == str(settings.SECURE_REDIRECT_EXEMPT)
