"""The pages on the demo's network as the real pipeline polls it from the simulator (ASA ends, seed
certificates expired two decades ago, a certificate 6 days from expiry): within the window, no errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from devices.fleet import run_poll_cycle
from devices.inventory import import_inventory
from devices.models import Device, Tunnel
from pki.models import Certificate
from simulator import SimulatorHandle, run_in_thread
from tests.browser.test_dashboard import log_in
from tests.browser.test_every_page_fits import _overflow
from tests.polling.conftest import inventory_text, known_hosts  # noqa: F401 - fixtures
from vpnportal.models import Alert

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DEMO = Path(__file__).resolve().parents[2] / "simulator" / "scenarios" / "demo.yaml"
SHOTS = Path(os.environ.get("VPNPORTAL_SHOTS", "/tmp/shots"))


@pytest.fixture
def demo(tmp_path: Path, known_hosts: Path) -> Iterator[SimulatorHandle]:  # noqa: F811
    handle = run_in_thread(DEMO, base_port=0, state_dir=tmp_path / "sim")
    try:
        import_inventory(inventory_text(handle))
        run_poll_cycle()
        run_poll_cycle()  # a second poll gives deltas, hence rates and history points
        yield handle
    finally:
        handle.stop()


def test_the_demo_network_fits_every_width_and_says_what_to_do(
    demo: SimulatorHandle, page: Any, operator: User
) -> None:
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"{m.text} {m.location.get('url')}")
            if m.type == "error" and not str(m.location.get("url", "")).endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    log_in(page, operator)
    urls = [
        "/",
        "/topology/",
        "/certificates/timeline/",
        "/alerts/",
        "/enrollments/",
        "/certificates/",
        "/crls/",
    ]
    urls += [f"/devices/{d.pk}/" for d in Device.objects.order_by("name")]
    urls += [f"/tunnels/{t.pk}/" for t in Tunnel.objects.order_by("name")]
    urls += [f"/certificates/{c.pk}/" for c in Certificate.objects.filter(present=True).order_by("id")[:4]]
    for width in (1280, 1920):
        page.set_viewport_size({"width": width, "height": 1000})
        for url in urls:
            page.goto(url)
            page.wait_for_load_state("networkidle")
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            sizes = _overflow(page)
            assert sizes["scroll"] <= sizes["inner"], (width, url, sizes)
    assert problems == []
    # The first alert to act on is the certificate 6 days from expiry, not one that expired in 2003.
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto("/")
    act = page.eval_on_selector(
        "#open-alerts > .table-scroll",
        "t => [...t.querySelectorAll('tr[data-alert-id]')].map(r => +r.dataset.alertId)",
    )
    shown = [Alert.objects.select_related("device").get(pk=pk) for pk in act]
    # Soonest impact first: the CRLs due within a day, then the certificate 6 days from expiry.
    last = shown[-1]
    assert last.kind == "cert_expiring" and last.device is not None and last.device.name == "asa-2", shown
    assert all(a.kind == "crl_next_update_soon" for a in shown[:-1]), shown
    long_standing = page.locator("#long-standing-alerts tr[data-alert-id]").count()
    assert long_standing >= 4 and Alert.objects.filter(kind="cert_expired").count() <= long_standing
    page.screenshot(path=str(SHOTS / "overview-demo.png"), full_page=True)
    # An ASA end names its IKE source (from its IPsec SAs) instead of "?".
    tunnel = Tunnel.objects.get(name="asa1-asa2")
    page.goto(f"/tunnels/{tunnel.pk}/")
    page.wait_for_selector("#charts[data-state=drawn]")
    ends = page.locator(".end.card")
    assert "? →" not in ends.first.inner_text() and "(local addr)" in ends.first.inner_text()
    page.screenshot(path=str(SHOTS / "tunnel-asa.png"), full_page=True)
    page.goto("/topology/")
    page.wait_for_selector("#topology[data-state=drawn]")
    assert (
        page.locator("#topology-svg a.node").count() == 5
        and page.locator("#topology-svg a.edge").count() == 3
    )
    page.screenshot(path=str(SHOTS / "topology-demo.png"), full_page=True)
    page.goto("/certificates/timeline/")
    page.wait_for_selector("#timeline[data-state=drawn]")
    page.screenshot(path=str(SHOTS / "timeline-demo.png"), full_page=True)
