"""The pages and the API on rows the real pipeline wrote: the seed pair polled over SSH from the simulator."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from devices.fleet import run_poll_cycle
from devices.inventory import import_inventory
from devices.models import Device, Tunnel
from simulator import SimulatorHandle
from tests.polling.conftest import inventory_text, known_hosts, sim  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


@pytest.fixture
def polled(sim: SimulatorHandle, known_hosts: Path) -> Tunnel:  # noqa: F811
    import_inventory(inventory_text(sim))
    run_poll_cycle(alerts=False)
    run_poll_cycle(alerts=False)  # a second poll gives deltas, hence rates
    return Tunnel.objects.get(name="hq-branch")


def test_it_shows_the_polled_seed_pair(polled: Tunnel, viewer: User) -> None:
    client = Client()
    client.force_login(viewer)
    overview = client.get("/").content.decode()
    assert 'data-tunnel="hq-branch"' in overview and 'class="badge status-up">up<' in overview
    # Each end found its IKE SA towards the peer through the IPsec SA's current peer.
    row = overview[overview.index('data-tunnel="hq-branch"') :].split("</tr>")[0]
    assert row.count("QM_IDLE") == 2 and "matched" in row
    tunnel_page = client.get(f"/tunnels/{polled.pk}/").content.decode()
    assert "0xD740971C" in tunnel_page and tunnel_page.count("✓ matched") == 4
    router = Device.objects.get(name="1720-1")
    device_page = client.get(f"/devices/{router.pk}/").content.decode()
    assert "show crypto ipsec sa" in device_page and "current_peer" in device_page
    api = client.get("/api/tunnels/").json()["results"][0]
    assert api["status"] == "up" and [e["ike_sa"]["state"] for e in api["ends"]] == ["QM_IDLE", "QM_IDLE"]
    history = client.get(f"/api/tunnels/{polled.pk}/history/?metric=encaps&range=hour").json()
    assert all(series["points"] for series in history["series"])
