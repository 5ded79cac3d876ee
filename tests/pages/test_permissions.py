"""Permission matrix: every page and action for anonymous, viewer, operator and admin."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import make_user
from tests.pages.seed import Seed
from vpnportal.models import Alert, AuditEntry, MaintenanceWindow

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "viewer", "operator", "admin_user")

# Every page, by URL name, with the arguments the seed gives it.
PAGES: dict[str, Callable[[Seed], list[object]]] = {
    "home": lambda s: [],
    "overview_fragment": lambda s: [],
    "alerts": lambda s: [],
    "alert_detail": lambda s: [s.alert.pk],
    "audit": lambda s: [],
    "devices:device_list": lambda s: [],
    "devices:device_detail": lambda s: [s.router.pk],
    "devices:tunnel_list": lambda s: [],
    "devices:tunnel_detail": lambda s: [s.tunnel.pk],
    "pki:certificate_list": lambda s: [],
    "pki:certificate_detail": lambda s: [s.router_cert.pk],
    "pki:crl_list": lambda s: [],
    "devices:topology": lambda s: [],
    "pki:certificate_timeline": lambda s: [],
    "pki:enrollment_list": lambda s: [],
}
# Every POST action, with the permission it needs.
ACTIONS: dict[str, tuple[Callable[[Seed], list[object]], dict[str, str]]] = {
    "alert_acknowledge": (lambda s: [s.alert.pk], {}),
    "alert_silence": (lambda s: [s.alert.pk], {"hours": "4", "reason": "change 42"}),
    "devices:device_silence": (lambda s: [s.router.pk], {"hours": "1"}),
    "devices:tunnel_silence": (lambda s: [s.tunnel.pk], {"hours": "1"}),
}
# Served by Django itself, or with permission tests of their own (re-enrollment: tests/enrollment; the
# public favicon: tests/api/test_docs_pages.py; the language switch and the scripts' catalogue, public
# for the login page: tests/i18n/test_language_switch.py).
NOT_OURS = {
    "set_language",
    "javascript-catalog",
    "login",
    "logout",
    "healthz",
    "readyz",
    "metrics",
    "favicon",
    "pki:enroll",
    "pki:enrollment_detail",
}


def _named_routes() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace in ("admin", "api"):
                    continue
                walk(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern) and p.name:
                names.add(namespace + p.name)

    walk(get_resolver().url_patterns, "")
    return names


def _client(role: str, request: pytest.FixtureRequest) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return client


def test_it_covers_every_page_and_action() -> None:
    assert _named_routes() - NOT_OURS == set(PAGES) | set(ACTIONS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_it_shows_pages_to_every_role_and_sends_anonymous_to_login(
    name: str, role: str, seed: Seed, request: pytest.FixtureRequest
) -> None:
    url = reverse(name, args=PAGES[name](seed))
    response = _client(role, request).get(url)
    if role == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
    else:
        assert response.status_code == 200, (url, response.status_code)
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_it_refuses_pages_to_a_user_without_a_role(name: str, seed: Seed) -> None:
    client = Client()
    client.force_login(make_user("nobody", None))
    assert client.get(reverse(name, args=PAGES[name](seed))).status_code == 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_it_lets_only_operators_and_admins_act(
    name: str, role: str, seed: Seed, request: pytest.FixtureRequest
) -> None:
    args, data = ACTIONS[name]
    url = reverse(name, args=args(seed))
    client = _client(role, request)
    response = client.post(url, data)
    if role == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
    elif role == "viewer":
        assert response.status_code == 403
    else:
        assert response.status_code == 302, response.content[:500]
    acted = AuditEntry.objects.filter(verb__in=["acknowledge", "silence"]).exists()
    assert acted == (role in ("operator", "admin_user"))


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_it_refuses_get_on_actions(name: str, seed: Seed, operator: User) -> None:
    client = Client()
    client.force_login(operator)
    assert client.get(reverse(name, args=ACTIONS[name][0](seed))).status_code == 405


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_it_refuses_actions_without_the_csrf_token(name: str, seed: Seed, operator: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    args, data = ACTIONS[name]
    assert client.post(reverse(name, args=args(seed)), data).status_code == 403
    assert not AuditEntry.objects.exists()


def test_it_acknowledges_through_the_audited_action(seed: Seed, operator: User) -> None:
    client = Client()
    client.force_login(operator)
    response = client.post(reverse("alert_acknowledge", args=[seed.alert.pk]), {"next": "/alerts/"})
    assert response.status_code == 302 and response["Location"] == "/alerts/"
    alert = Alert.objects.get(pk=seed.alert.pk)
    assert alert.acknowledged_by == operator and alert.acknowledged_at is not None
    entry = AuditEntry.objects.get(verb="acknowledge")
    assert entry.username == operator.username and entry.object_id == str(alert.pk)


def test_it_does_not_redirect_off_site_after_an_action(seed: Seed, operator: User) -> None:
    client = Client()
    client.force_login(operator)
    response = client.post(
        reverse("alert_acknowledge", args=[seed.alert.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("alerts")


def test_it_silences_the_alerts_tunnel_or_device(seed: Seed, operator: User) -> None:
    client = Client()
    client.force_login(operator)
    client.post(reverse("alert_silence", args=[seed.alert.pk]), {"hours": "4", "reason": "change 42"})
    window = MaintenanceWindow.objects.get()
    assert window.device == seed.router and window.reason == "change 42"
    assert window.created_by == operator
    page = client.get(reverse("alerts") + "?state=silenced")
    assert seed.alert.summary.encode() in page.content


@pytest.mark.parametrize("hours", ["0", "-1", "abc", "10000"])
def test_it_rejects_silly_silences(hours: str, seed: Seed, operator: User) -> None:
    client = Client()
    client.force_login(operator)
    response = client.post(reverse("devices:device_silence", args=[seed.router.pk]), {"hours": hours})
    assert response.status_code == 400
    assert not MaintenanceWindow.objects.exists()
