"""Forms of the pki pages: the re-enrollment request."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class EnrollForm(forms.Form):
    """Trustpoint, challenge password and its confirmation; the device comes from the page's address."""

    trustpoint = forms.ChoiceField(label=_("Trustpoint"))
    challenge_password = forms.CharField(
        label=_("Challenge password"),
        required=False,
        strip=False,
        max_length=64,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
        help_text=_("The one the CA administrator gave you, when the CA asks for one. It is never stored."),
    )
    confirm_password = forms.CharField(
        label=_("Confirm"),
        required=False,
        strip=False,
        max_length=64,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
    )
    confirmed = forms.BooleanField(
        label=_("Send the enrollment request to the CA now"), required=True, initial=False
    )

    def __init__(self, *args: Any, trustpoints: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["trustpoint"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(name, name) for name in trustpoints]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("challenge_password", "") != data.get("confirm_password", ""):
            self.add_error("confirm_password", gettext("The two passwords differ."))
        return data
