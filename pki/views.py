"""Pages of certificates and CRLs (sortable by time left, X.509 details), and of re-enrollment (the form, a job)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from devices.models import Device, as_row_id
from devices.summary import secret_paths
from pki.api.filtersets import CertificateFilter, CrlFilter, EnrollmentFilter
from pki.choices import ENROLLMENT_ACTIVE_STATES, EnrollmentState
from pki.enrollment_pages import enrollments, previous_certificates, state_counts
from pki.enrollment_requests import (
    ENROLL_PERMISSION,
    EnrollmentRefused,
    active_enrollment,
    request_enrollment,
)
from pki.forms import EnrollForm
from pki.models import Certificate, Crl, Enrollment, Trustpoint
from pki.timeline import timeline_rows
from vpnportal import page_cache
from vpnportal.dashboard import present_pki_counts
from vpnportal.lists import filtered_list

# `?device=` is a row id or a device name (a slug).
_DEVICE_NAME_RE = re.compile(r"[-a-zA-Z0-9_]{1,64}")

# Soonest to run out first, so the first page is the one that matters; a column header sorts the whole list.
PAGE_SIZE = 250


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


@require_GET
def certificate_list(request: HttpRequest) -> HttpResponse:
    """Every certificate devices hold, soonest to expire first (`?present=all` adds those no longer reported)."""
    _need(request, "pki.view_certificate")

    def data() -> dict[str, Any]:
        qs = (
            Certificate.objects.select_related("device", "trustpoint")
            .defer(*secret_paths("device"))
            .order_by(F("valid_to").asc(nulls_last=True), "device__name", "id")
        )
        # `?gone=1` is the older spelling of `?present=all`.
        gone = {"present": "all"} if request.GET.get("gone") == "1" else {}
        listing = filtered_list(
            request,
            CertificateFilter,
            qs,
            api_list="api:certificate-list",
            fields=("q", "device", "role", "status", "expires_within_days"),
            page_size=PAGE_SIZE,
            fixed=gone,
            drop=("gone",),
        )
        context = {
            **listing.context(),
            "certificates": listing.page.object_list,
            "show_gone": bool(gone) or listing.params.get("present") == "all",
        }
        return context

    # The list is a page fragment (vpnportal/templatetags/page_fragments.py) under the `pki` scope, the
    # count of present rows (a poll marks the gone ones by UPDATE) and the query string: its days left
    # move with the clock and are at most PAGE_CACHE_SECONDS old.
    scopes = page_cache.versions(("pki",))
    key = None if scopes is None else (scopes["pki"], present_pki_counts(), request.get_full_path())
    context = {"page_key": key, "certificates_data": data}
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
def certificate_timeline(request: HttpRequest) -> HttpResponse:
    """Every certificate and CRL on one time axis to its expiry, with now and the warning thresholds."""
    _need(request, "pki.view_certificate")
    data = timeline_rows(timezone.now())
    return render(request, "pki/timeline.html", {"timeline": data, "count": len(data["rows"])})


@require_GET
def crl_list(request: HttpRequest) -> HttpResponse:
    """Every CRL devices hold, soonest NextUpdate first; search, filters, CSV."""
    _need(request, "pki.view_crl")
    qs = (
        Crl.objects.select_related("device")
        .defer(*secret_paths("device"))
        .order_by(F("next_update").asc(nulls_last=True), "device__name", "id")
    )
    listing = filtered_list(
        request, CrlFilter, qs, api_list="api:crl-list", fields=("q", "device"), page_size=PAGE_SIZE
    )
    return render(request, "pki/crl_list.html", {**listing.context(), "crls": listing.page.object_list})


def _device_for(ref: str) -> Device:
    """The device an id or a name refers to; 400 for anything else."""
    row_id = as_row_id(ref)
    if row_id is not None:
        by_id = Device.objects.filter(pk=row_id).first()
        if by_id is not None:
            return by_id
    if not _DEVICE_NAME_RE.fullmatch(ref):
        raise BadRequest(gettext("device must be a device id or name"))
    return get_object_or_404(Device, name=ref)


@sensitive_post_parameters("challenge_password", "confirm_password")
@require_http_methods(["GET", "POST"])
def enroll(request: HttpRequest) -> HttpResponse:
    """`?device=<id>&trustpoint=<name>`: ask for the challenge password, then queue the enrollment."""
    _need(request, ENROLL_PERMISSION)
    ref = request.GET.get("device") or request.POST.get("device") or ""
    if "device" not in request.GET and "device" not in request.POST:
        # `/enroll/` alone: the enrollments page, where every job is and each device's button leads back.
        messages.info(
            request,
            gettext("Pick a device's trustpoint to enroll: the Re-enroll buttons are on each device page."),
        )
        return redirect("pki:enrollment_list")
    device = _device_for(ref)
    trustpoints = list(
        Trustpoint.objects.filter(device=device, present=True).order_by("name").values_list("name", flat=True)
    )
    initial = {"trustpoint": request.GET.get("trustpoint", "")}
    if request.method == "POST":
        form = EnrollForm(request.POST, trustpoints=trustpoints)
        if form.is_valid():
            try:
                enrollment = request_enrollment(
                    device,
                    form.cleaned_data["trustpoint"],
                    form.cleaned_data.get("challenge_password") or "",
                    request.user,
                )
            except EnrollmentRefused as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    gettext("Enrollment #%(id)s of %(device)s trustpoint %(trustpoint)s queued.")
                    % {"id": enrollment.pk, "device": device.name, "trustpoint": enrollment.trustpoint},
                )
                return redirect("pki:enrollment_detail", pk=enrollment.pk)
    else:
        form = EnrollForm(initial=initial, trustpoints=trustpoints)
    context = {"device": device, "form": form, "active": active_enrollment(device)}
    return render(request, "pki/enroll_form.html", context, status=400 if form.errors else 200)


@require_GET
def enrollment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One enrollment: state, serials, error and the transcript, refreshed live from the API."""
    _need(request, ENROLL_PERMISSION)
    enrollment = get_object_or_404(Enrollment.objects.select_related("device", "requested_by"), pk=pk)
    context = {
        "enrollment": enrollment,
        "active": enrollment.state in ENROLLMENT_ACTIVE_STATES,
        "previous": previous_certificates(enrollment),
    }
    return render(request, "pki/enrollment_detail.html", context)


@require_GET
def enrollment_list(request: HttpRequest) -> HttpResponse:
    """Every enrollment job, newest first: state tabs, search and filters, sorting and CSV (docs/lists.md)."""
    _need(request, "pki.view_enrollment")
    listing = filtered_list(
        request,
        EnrollmentFilter,
        enrollments(),
        api_list="api:enrollment-list",
        fields=("q", "device"),
        page_size=PAGE_SIZE,
    )
    state = listing.params.get("state", "")
    tab_query = {k: str(listing.params.get(k, "")) for k in ("q", "device") if listing.params.get(k)}
    context = {
        **listing.context(),
        "enrollments": listing.page.object_list,
        "state": state if state in EnrollmentState.values else "",
        "states": EnrollmentState.choices,
        "counts": state_counts(),
        "tab_query": urlencode(tab_query),
    }
    return render(request, "pki/enrollment_list.html", context)
