"""List filters: documented semantics kept, and a 400 naming the parameter for anything not understood."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from devices.models import Finding
from tests.pages.seed import Seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(viewer: User) -> Client:
    client = Client()
    client.force_login(viewer)
    return client


def names(client: Client, url: str, key: str = "id") -> list[object]:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return [row[key] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/tunnels/?status=bogus", "status"),
        ("/api/devices/?platform=juniper", "platform"),
        ("/api/certificates/?role=bogus", "role"),
        ("/api/certificates/?status=bogus", "status"),
        ("/api/certificates/?expires_within_days=soon", "expires_within_days"),
        ("/api/certificates/?expires_within_days=1.5", "expires_within_days"),
        ("/api/certificates/?present=some", "present"),
        ("/api/crls/?present=yes", "present"),
        ("/api/alerts/?state=bogus", "state"),
        ("/api/alerts/?kind=bogus", "kind"),
        ("/api/alerts/?severity=bogus", "severity"),
        ("/api/findings/?severity=bogus", "severity"),
        ("/api/findings/?active=maybe", "active"),
        ("/api/tunnels/?stauts=down", "stauts"),
        ("/api/devices/?nmae=1720-1", "nmae"),
        ("/api/alerts/?sort=-opened_at", "sort"),
        ("/api/tunnels/?ordering=password", "ordering"),
        ("/api/devices/?ordering=-secret", "ordering"),
        ("/api/certificates/?ordering=valid_to,bogus", "ordering"),
    ],
)
def test_it_refuses_what_it_does_not_understand_naming_the_parameter(
    api: Client, seed: Seed, url: str, field: str
) -> None:
    response = api.get(url)
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()


def test_operators_get_the_400_on_enrollments_too(operator: User, seed: Seed) -> None:
    client = Client()
    client.force_login(operator)
    assert client.get("/api/enrollments/?device=1720-1").status_code == 200
    assert "devcie" in client.get("/api/enrollments/?devcie=1720-1").json()


def test_pagination_and_format_are_not_filters(api: Client, seed: Seed) -> None:
    assert api.get("/api/certificates/?limit=1&offset=1&format=json").status_code == 200


def test_ordering_orders(api: Client, seed: Seed) -> None:
    assert names(api, "/api/devices/?ordering=-name", "name") == ["pix520-1", "1720-1"]
    assert names(api, "/api/devices/?ordering=name", "name") == ["1720-1", "pix520-1"]


def test_device_matches_either_end_of_a_tunnel(api: Client, seed: Seed) -> None:
    assert (
        names(api, "/api/tunnels/?device=1720-1")
        == names(api, "/api/tunnels/?device=pix520-1")
        == [seed.tunnel.pk]
    )
    assert names(api, "/api/tunnels/?device=nope") == []


def test_present_all_includes_what_devices_no_longer_report(api: Client, seed: Seed) -> None:
    seed.pix_cert.present = False
    seed.pix_cert.save(update_fields=["present"])
    seed.crl.present = False
    seed.crl.save(update_fields=["present"])
    assert seed.pix_cert.pk not in names(api, "/api/certificates/")
    assert seed.pix_cert.pk in names(api, "/api/certificates/?present=all")
    assert seed.crl.pk not in names(api, "/api/crls/")
    assert seed.crl.pk in names(api, "/api/crls/?present=all")


def test_expires_within_days_counts_from_now(api: Client, seed: Seed) -> None:
    everything = names(api, "/api/certificates/?expires_within_days=100000")
    assert set(everything) == set(names(api, "/api/certificates/"))
    assert names(api, "/api/certificates/?expires_within_days=-100000") == []


def test_alert_states_group_open(api: Client, seed: Seed) -> None:
    assert names(api, "/api/alerts/?state=open") == [seed.alert.pk]
    assert names(api, "/api/alerts/?state=resolved") == [seed.resolved_alert.pk]
    assert names(api, f"/api/alerts/?state={seed.alert.state}") == [seed.alert.pk]


def test_findings_are_active_by_default_and_match_device_by_id_or_name(api: Client, seed: Seed) -> None:
    on = Finding.objects.create(
        device=seed.router, code="weak_cipher", subject="a", severity="warning", title="t"
    )
    off = Finding.objects.create(
        device=seed.pix, code="weak_hash", subject="b", severity="info", title="t", active=False
    )
    assert names(api, "/api/findings/") == [on.pk]
    assert names(api, "/api/findings/?active=False") == [off.pk]
    assert set(names(api, "/api/findings/?active=all")) == {on.pk, off.pk}
    assert names(api, f"/api/findings/?active=all&device={seed.pix.pk}") == [off.pk]
    assert names(api, "/api/findings/?active=all&device=pix520-1") == [off.pk]
    assert names(api, "/api/findings/?code=weak_cipher&severity=warning") == [on.pk]


def test_findings_come_most_urgent_first(api: Client, seed: Seed) -> None:
    # Stored severities sort alphabetically as critical, info, warning: the API must rank them instead.
    made = {
        severity: Finding.objects.create(
            device=seed.router, code=f"c_{severity}", subject="s", severity=severity, title="t"
        ).pk
        for severity in ("info", "warning", "critical")
    }
    assert names(api, "/api/findings/") == [made["critical"], made["warning"], made["info"]]
