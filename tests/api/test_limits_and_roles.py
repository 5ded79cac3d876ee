"""API lists cap `?limit=`; the root and the schema are for the roles, not for any logged-in account."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import make_user
from vpnportal.api.pagination import MAX_LIMIT
from vpnportal.choices import AlertKind, AlertState
from vpnportal.models import Alert

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_huge_limit_is_served_as_the_maximum_page(viewer: User) -> None:
    Alert.objects.bulk_create(
        Alert(kind=AlertKind.CERT_EXPIRING, key=f"cert_expiring:r{i}:1", state=AlertState.FIRING)
        for i in range(MAX_LIMIT + 5)
    )
    body = client_for(viewer).get("/api/alerts/?limit=100000000").json()
    assert MAX_LIMIT == 1000
    assert body["count"] == MAX_LIMIT + 5
    assert len(body["results"]) == MAX_LIMIT
    assert f"limit={MAX_LIMIT}&offset={MAX_LIMIT}" in body["next"]
    assert len(client_for(viewer).get("/api/alerts/?limit=7").json()["results"]) == 7


@pytest.mark.parametrize("url", ["/api/", "/api/schema/", "/api/schema/?format=json"])
def test_a_user_without_a_role_cannot_read_the_root_or_the_schema(viewer: User, url: str) -> None:
    nobody = make_user("nora-nogroup", None)
    assert client_for(nobody).get(url).status_code == 403
    assert Client().get(url).status_code in (401, 403)
    assert client_for(viewer).get(url).status_code == 200


def test_a_token_without_a_role_cannot_read_the_root() -> None:
    from rest_framework.authtoken.models import Token

    nobody = make_user("nora-nogroup", None)
    token = Token.objects.create(user=nobody)
    assert Client().get("/api/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 403
