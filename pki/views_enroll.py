"""Pages of re-enrollment: the form (operators), and a job's live progress and transcript."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from devices.models import Device
from pki.choices import ENROLLMENT_ACTIVE_STATES
from pki.enrollment_requests import (
    ENROLL_PERMISSION,
    EnrollmentRefused,
    active_enrollment,
    request_enrollment,
)
from pki.models import Enrollment, Trustpoint


def _need_operator(request: HttpRequest) -> None:
    if not request.user.has_perm(ENROLL_PERMISSION):
        raise PermissionDenied


class EnrollForm(forms.Form):
    """Trustpoint, challenge password and its confirmation; the device comes from the page's address."""

    trustpoint = forms.ChoiceField(label="Trustpoint")
    challenge_password = forms.CharField(
        label="Challenge password",
        required=False,
        strip=False,
        max_length=64,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
        help_text="The one the CA administrator gave you, when the CA asks for one. It is never stored.",
    )
    confirm_password = forms.CharField(
        label="Confirm",
        required=False,
        strip=False,
        max_length=64,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
    )
    confirmed = forms.BooleanField(
        label="Send the enrollment request to the CA now", required=True, initial=False
    )

    def __init__(self, *args: Any, trustpoints: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["trustpoint"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(name, name) for name in trustpoints]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("challenge_password", "") != data.get("confirm_password", ""):
            self.add_error("confirm_password", "The two passwords differ.")
        return data


@sensitive_post_parameters("challenge_password", "confirm_password")
@require_http_methods(["GET", "POST"])
def enroll(request: HttpRequest) -> HttpResponse:
    """`?device=<id>&trustpoint=<name>`: ask for the challenge password, then queue the enrollment."""
    _need_operator(request)
    device_ref = request.GET.get("device") or request.POST.get("device") or ""
    device = get_object_or_404(Device, pk=int(device_ref)) if device_ref.isdigit() else None
    if device is None:
        device = get_object_or_404(Device, name=device_ref)
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
                return redirect("pki:enrollment_detail", pk=enrollment.pk)
    else:
        form = EnrollForm(initial=initial, trustpoints=trustpoints)
    context = {"device": device, "form": form, "active": active_enrollment(device)}
    return render(request, "pki/enroll_form.html", context, status=400 if form.errors else 200)


@require_GET
def enrollment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One enrollment: state, serials, error and the transcript, refreshed live from the API."""
    _need_operator(request)
    enrollment = get_object_or_404(Enrollment.objects.select_related("device", "requested_by"), pk=pk)
    context = {"enrollment": enrollment, "active": enrollment.state in ENROLLMENT_ACTIVE_STATES}
    return render(request, "pki/enrollment_detail.html", context)
