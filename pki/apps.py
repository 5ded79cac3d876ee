"""App config of the pki app."""

from __future__ import annotations

from django.apps import AppConfig


class PkiConfig(AppConfig):
    """Trustpoints, certificates, CRLs, X.509 decoding and re-enrollment."""

    name = "pki"
    verbose_name = "PKI"
    default_auto_field = "django.db.models.BigAutoField"
