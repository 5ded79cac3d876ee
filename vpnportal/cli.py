"""The `vpnportal` command of an installed wheel: manage.py without a checkout (`vpnportal migrate`, ...)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Run a Django management command with the portal's settings (DJANGO_SETTINGS_MODULE if set)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpnportal.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
