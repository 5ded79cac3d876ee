"""Pages of certificates and CRLs: sortable by time left, X.509 details, the re-enroll button."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from devices.summary import secret_paths
from pki.models import Certificate, Crl

# Soonest to run out first, so the first page is the one that matters; sorting reorders a page.
PAGE_SIZE = 250


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


@require_GET
def certificate_list(request: HttpRequest) -> HttpResponse:
    """Every certificate devices hold, soonest to expire first (`?gone=1` adds those no longer reported)."""
    _need(request, "pki.view_certificate")
    show_gone = request.GET.get("gone") == "1"
    qs = (
        Certificate.objects.select_related("device", "trustpoint")
        .defer(*secret_paths("device"))
        .order_by(F("valid_to").asc(nulls_last=True), "device__name", "id")
    )
    if not show_gone:
        qs = qs.filter(present=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "certificates": page.object_list,
        "page": page,
        "show_gone": show_gone,
        "query": "gone=1&" if show_gone else "",
    }
    return render(request, "pki/certificate_list.html", context)


@require_GET
def certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One certificate: what the device prints and what its X.509 encoding says."""
    _need(request, "pki.view_certificate")
    cert = get_object_or_404(
        Certificate.objects.select_related("device", "trustpoint").defer(*secret_paths("device")), pk=pk
    )
    x509 = cert.x509 if isinstance(cert.x509, dict) else {}
    return render(request, "pki/certificate_detail.html", {"cert": cert, "x509": x509})


@require_GET
def crl_list(request: HttpRequest) -> HttpResponse:
    """Every CRL devices hold, soonest NextUpdate first."""
    _need(request, "pki.view_crl")
    qs = (
        Crl.objects.filter(present=True)
        .select_related("device")
        .defer(*secret_paths("device"))
        .order_by(F("next_update").asc(nulls_last=True), "device__name", "id")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "pki/crl_list.html", {"crls": page.object_list, "page": page})
