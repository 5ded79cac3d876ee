"""The REST API answers with exactly the fields of docs/contracts.md §4 (plus `id` and documented additions)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.pages.seed import ROUTER_IN, ROUTER_OUT, SECRET_ENABLE, SECRET_PASSWORD, Seed
from vpnportal.models import Alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(viewer: User) -> Client:
    client = Client()
    client.force_login(viewer)
    return client


def _results(client: Client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}  # LimitOffsetPagination
    return body["results"]


def test_it_lists_devices_with_their_last_poll(api: Client, seed: Seed) -> None:
    devices = _results(api, "/api/devices/")
    assert [d["name"] for d in devices] == ["1720-1", "pix520-1"]
    router = devices[0]
    assert set(router) == {"id", "name", "host", "port", "platform", "last_poll", "clock_skew_seconds"}
    assert router["host"] == "127.0.0.1" and router["port"] == 2201 and router["platform"] == "cisco_ios"
    assert set(router["last_poll"]) == {"status", "started_at", "finished_at", "error"}
    assert router["last_poll"]["status"] == "ok" and router["last_poll"]["error"] is None
    assert router["clock_skew_seconds"] == 2.5


def test_it_never_serialises_a_secret(api: Client, seed: Seed) -> None:
    for url in [
        "/api/devices/",
        f"/api/devices/{seed.router.pk}/",
        "/api/tunnels/",
        "/api/schema/?format=json",
    ]:
        text = api.get(url).content.decode()
        assert SECRET_PASSWORD not in text and SECRET_ENABLE not in text, url
        assert '"password"' not in text and '"secret"' not in text, url
        assert "username" not in text, url


def test_it_lists_tunnels_with_both_ends(api: Client, seed: Seed) -> None:
    (tunnel,) = _results(api, "/api/tunnels/")
    assert set(tunnel) == {
        *("id", "name", "ends", "status", "status_reason", "spi_mirror_ok"),
        *("status_since", "availability"),
    }
    assert tunnel["name"] == "hq-branch" and tunnel["status"] == "up" and tunnel["spi_mirror_ok"] is True
    router, pix = tunnel["ends"]
    assert set(router) == {"device", "ike_sa", "ipsec_sas"}
    assert router["device"] == "1720-1" and pix["device"] == "pix520-1"
    assert router["ike_sa"]["state"] == "QM_IDLE" and router["ike_sa"]["conn_id"] == 110
    (sa,) = router["ipsec_sas"]
    assert sa["inbound_spi"] == ROUTER_IN and sa["outbound_spi"] == ROUTER_OUT  # integers, not hex text
    assert sa["inbound_spi_matched"] is True and sa["outbound_spi_matched"] is True
    assert pix["ipsec_sas"][0]["inbound_spi"] == ROUTER_OUT
    assert set(sa["counters"]) == {
        "pkts_encaps",
        "pkts_encrypt",
        "pkts_digest",
        "pkts_decaps",
        "pkts_decrypt",
        "pkts_verify",
        "send_errors",
        "recv_errors",
    }
    assert sa["counters"]["pkts_encaps"] == 3000


def test_it_filters_tunnels_by_status_and_device(api: Client, seed: Seed) -> None:
    assert len(_results(api, "/api/tunnels/?status=down")) == 0
    assert len(_results(api, "/api/tunnels/?device=pix520-1")) == 1
    assert len(_results(api, "/api/tunnels/?device=nope")) == 0


def test_it_lists_certificates_soonest_first_with_days_left(api: Client, seed: Seed) -> None:
    certs = _results(api, "/api/certificates/")
    assert set(certs[0]) == {
        "id",
        "device",
        "trustpoint",
        "role",
        "serial",
        "subject",
        "issuer",
        "status",
        "valid_from",
        "valid_to",
        "days_left",
    }
    days = [c["days_left"] for c in certs]
    assert days == sorted(days)
    assert days[0] < 0  # the expired RA certificates come first
    router = next(c for c in certs if c["serial"] == "3B2FD652")
    assert router["device"] == "1720-1" and router["trustpoint"] == "vpn" and router["days_left"] == 20
    assert router["role"] == "identity" and router["status"] == "available"
    soon = _results(api, "/api/certificates/?expires_within_days=30&role=identity")
    assert [c["serial"] for c in soon] == ["3B2FD652"]


def test_it_lists_crls(api: Client, seed: Seed) -> None:
    crls = _results(api, "/api/crls/?device=1720-1")
    assert len(crls) == 1
    assert set(crls[0]) == {"id", "device", "issuer", "last_update", "next_update"}
    assert crls[0]["issuer"] == "CN=CRL1, OU=sjvpn, O=cisco, C=us"


def test_it_lists_alerts_by_state(api: Client, seed: Seed) -> None:
    open_ = _results(api, "/api/alerts/?state=open")
    assert [a["id"] for a in open_] == [seed.alert.pk]
    assert set(open_[0]) == {
        "id",
        "kind",
        "device",
        "subject",
        "severity",
        "state",
        "opened_at",
        "resolved_at",
        "acknowledged_at",
    }
    assert open_[0]["kind"] == "cert_expiring" and open_[0]["device"] == "1720-1"
    resolved = _results(api, "/api/alerts/?state=resolved")
    assert [a["kind"] for a in resolved] == ["poll_failed"] and resolved[0]["resolved_at"]
    assert api.get("/api/alerts/?state=bogus").status_code == 400


def test_it_paginates_with_limit_and_offset(api: Client, seed: Seed) -> None:
    body = api.get("/api/certificates/?limit=2&offset=1").json()
    assert body["count"] == 6 and len(body["results"]) == 2 and "offset=3" in body["next"]


def test_it_acknowledges_an_alert_for_operators(seed: Seed, operator: User) -> None:
    client = Client()
    client.force_login(operator)
    response = client.post(f"/api/alerts/{seed.alert.pk}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["acknowledged_at"]
    assert Alert.objects.get(pk=seed.alert.pk).acknowledged_by == operator
    again = client.post(f"/api/alerts/{seed.resolved_alert.pk}/acknowledge/")
    assert again.status_code == 409


def test_it_publishes_an_openapi_schema(api: Client, seed: Seed) -> None:
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    for path in [
        "/api/devices/",
        "/api/tunnels/",
        "/api/tunnels/{id}/history/",
        "/api/certificates/",
        "/api/crls/",
        "/api/alerts/",
        "/api/alerts/{id}/acknowledge/",
    ]:
        assert path in paths, path
    params = {p["name"] for p in paths["/api/tunnels/{id}/history/"]["get"]["parameters"]}
    assert {"metric", "since"} <= params


def test_it_builds_tunnel_ends_exactly_as_the_declared_serializer_would(api: Client, seed: Seed) -> None:
    from devices.api.serializers import TunnelEndSerializer, end_data
    from devices.summary import tunnel_ends, tunnel_queryset

    tunnel = tunnel_queryset().get(pk=seed.tunnel.pk)
    for end in tunnel_ends(tunnel):
        assert end_data(end) == json.loads(json.dumps(TunnelEndSerializer(end).data))
