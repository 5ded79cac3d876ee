"""Findings in the Django admin: listed and searchable for admins, never added or edited by hand."""

from __future__ import annotations

from django.test import Client

from devices.models import Device, Finding


def _finding() -> Finding:
    device = Device.objects.create(name="branch-1720", host="192.0.2.10", platform="cisco_ios", username="u")
    return Finding.objects.create(
        device=device,
        code="isakmp_identity_mismatch",
        subject="crypto map vpnmap 10",
        severity="critical",
        title="IKE identity hostname against a certificate that names the address",
        evidence=["crypto isakmp identity hostname"],
        fix=["crypto isakmp identity address"],
    )


def test_admins_find_findings_but_cannot_add_or_edit_them(admin_user, client: Client) -> None:
    admin_user.is_superuser = True
    admin_user.save()
    finding = _finding()
    client.force_login(admin_user)

    listing = client.get("/admin/devices/finding/?q=branch-1720")
    assert listing.status_code == 200
    assert "isakmp_identity_mismatch" in listing.content.decode()

    page = client.get(f"/admin/devices/finding/{finding.pk}/change/")
    assert page.status_code == 200
    assert "crypto isakmp identity address" in page.content.decode()
    assert client.get("/admin/devices/finding/add/").status_code == 403

    client.post(f"/admin/devices/finding/{finding.pk}/change/", {"severity": "info", "title": "edited"})
    finding.refresh_from_db()
    assert finding.severity == "critical"
    assert finding.title.startswith("IKE identity hostname")
