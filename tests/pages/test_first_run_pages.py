"""Between `import_inventory` and a first good poll every page answers: never polled, every poll failed, no certificates."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from devices.models import Device, Poll, Tunnel
from tests.services import free_port

# The poll runs in threads with their own connections: they must see the imported rows.
pytestmark = pytest.mark.django_db(transaction=True)


def inventory(tmp_path: Path, dead_port: int) -> Path:
    """Two devices and their tunnel; the PIX's port has nobody listening, so its polls fail."""
    path = tmp_path / "inventory.yaml"
    path.write_text(
        f"""\
devices:
  - {{name: 1720-1, host: 127.0.0.1, port: {free_port()}, platform: cisco_ios, username: cisco,
     password: s3cret-pass, secret: ww-enable}}
  - {{name: pix520-1, host: 127.0.0.1, port: {dead_port}, platform: cisco_pix, username: pix,
     password: cisco, secret: cisco}}
tunnels:
  - {{name: hq-branch, ends: [1720-1, pix520-1]}}
"""
    )
    return path


def page_urls() -> list[str]:
    urls = ["/", "/overview/fragment/", "/devices/", "/tunnels/", "/certificates/", "/crls/"]
    urls += ["/alerts/", "/alerts/?tab=resolved", "/audit/"]
    urls += [f"/devices/{pk}/" for pk in Device.objects.values_list("pk", flat=True)]
    urls += [f"/tunnels/{pk}/" for pk in Tunnel.objects.values_list("pk", flat=True)]
    api = ["devices", "tunnels", "findings", "certificates", "crls", "enrollments", "alerts"]
    urls += ["/api/", *[f"/api/{name}/" for name in api]]
    urls += [f"/api/devices/{pk}/" for pk in Device.objects.values_list("pk", flat=True)]
    urls += [f"/api/tunnels/{pk}/" for pk in Tunnel.objects.values_list("pk", flat=True)]
    return urls


def test_every_page_answers_for_devices_never_polled_and_failing(
    tmp_path: Path, viewer: User, operator: User
) -> None:
    call_command("import_inventory", str(inventory(tmp_path, free_port())))
    # One device is never polled; the other is polled twice and fails both times (nothing listens).
    for _ in range(2):
        call_command("poll", "--device", "pix520-1")
    assert Poll.objects.filter(device__name="pix520-1", status="failed").count() == 2
    assert not Poll.objects.filter(device__name="1720-1").exists()
    for user in (viewer, operator):
        client = Client()
        client.force_login(user)
        for url in page_urls():
            if url == "/api/enrollments/" and user == viewer:
                continue  # enrollments are the operators' (tests/enrollment/test_access.py)
            response = client.get(url)
            assert response.status_code == 200, (user.username, url, response.content[:3000])
    operator_client = Client()
    operator_client.force_login(operator)
    for device in Device.objects.all():
        assert operator_client.get(f"/enroll/?device={device.pk}").status_code == 200
