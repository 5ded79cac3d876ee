"""Forms of the pki pages: the re-enrollment request."""

from __future__ import annotations

from typing import Any

from django import forms


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
